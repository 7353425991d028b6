// Package logtail reads the end of a test process's log, for failure messages in the integration
// and end-to-end suites.
package logtail

import (
	"os"
	"strings"
)

// Last returns the last n lines of the file at path, or the read error's text.
func Last(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
