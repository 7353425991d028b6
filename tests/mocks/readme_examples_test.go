package mocks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// TestREADMEShowsTheConsumerExampleThatRuns: the README's Go example of a stack reading the outputs
// is the code between the example markers of examples/consumer, which the integration suite runs
// through the real engine: the README cannot show code that is not run.
func TestREADMEShowsTheConsumerExampleThatRuns(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "examples/consumer/consumer.go"))
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "\t// example:start\n", "\t// example:end\n"
	text := string(src)
	i, j := strings.Index(text, start), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatal("examples/consumer/consumer.go has no example markers")
	}
	var lines []string
	for _, line := range strings.SplitAfter(text[i+len(start):j], "\n") {
		lines = append(lines, strings.TrimPrefix(line, "\t"))
	}
	block := "```go\n" + strings.Join(lines, "") + "```\n"
	readme, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), block) {
		t.Errorf("README.md does not show examples/consumer's example as it is:\n%s", block)
	}
}

// TestREADMEShowsTheYAMLConsumerThatRuns: the README's YAML example is examples/consumer-yaml's
// Pulumi.yaml as it is, which the integration suite runs through the real engine.
func TestREADMEShowsTheYAMLConsumerThatRuns(t *testing.T) {
	project, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "examples/consumer-yaml/Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if block := "```yaml\n" + string(project) + "```\n"; !strings.Contains(string(readme), block) {
		t.Errorf("README.md does not show examples/consumer-yaml/Pulumi.yaml as it is:\n%s", block)
	}
}
