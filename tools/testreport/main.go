// Command testreport prints `go test -json` as go test -v would, without the === RUN/PAUSE/CONT/NAME
// lines, and ends with what failed: each failed test that has no failed subtest, with the last
// lines it logged. A long suite's failure then stays in the last lines of a CI log, above nothing
// but the summary, however much the suite prints after it (process logs, the teardown).
//
//	go test -json ./tests/x/ 2>&1 | go run ./tools/testreport -summary FILE
//
// Lines that are not test events (the go command's own messages) pass through unchanged. With
// -summary, the summary also goes to FILE, for a script that reports several suites at its end.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// failureLines is how many of a failed test's last output lines the summary repeats: a failing
// step's own messages, and what it logged just before them.
const failureLines = 40

// event is the part of a test2json event this command reads.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// report keeps what the summary needs while the events stream by.
type report struct {
	tail   map[string][]string // each test's last output lines, by package and test name
	failed []string            // the failed tests, in the order they ended
}

func main() {
	summaryPath := flag.String("summary", "", "also write the summary of failures to this file")
	flag.Parse()
	r := &report{tail: map[string][]string{}}
	if err := r.read(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	summary := r.summary()
	fmt.Print(summary)
	if *summaryPath != "" {
		if err := os.WriteFile(*summaryPath, []byte(summary), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(1)
		}
	}
}

// read prints the events of in to out as they come and records each test's output and result.
func (r *report) read(in io.Reader, out io.Writer) error {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for scanner.Scan() {
		line := scanner.Text()
		var e event
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil {
			fmt.Fprintln(out, line)
			continue
		}
		switch e.Action {
		case "output", "build-output":
			if progressLine(e.Output) {
				continue
			}
			fmt.Fprint(out, e.Output)
			if e.Test != "" {
				key := e.Package + " " + e.Test
				tail := append(r.tail[key], strings.TrimRight(e.Output, "\n"))
				if len(tail) > failureLines {
					tail = tail[len(tail)-failureLines:]
				}
				r.tail[key] = tail
			}
		case "fail":
			if e.Test != "" {
				r.failed = append(r.failed, e.Package+" "+e.Test)
			}
		}
	}
	return scanner.Err()
}

// progressLine reports whether a line only says that a test started, paused or resumed.
func progressLine(output string) bool {
	for _, prefix := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(output, prefix) {
			return true
		}
	}
	return false
}

// summary lists each failed test without a failed subtest (its parents failed only because it
// did) with its last lines, or is empty when nothing failed.
func (r *report) summary() string {
	var b strings.Builder
	for _, name := range r.failed {
		if r.hasFailedSubtest(name) {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("==== failed tests, each with its last lines:\n")
		}
		fmt.Fprintf(&b, "---- %s\n", name)
		for _, line := range r.tail[name] {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}

func (r *report) hasFailedSubtest(name string) bool {
	for _, other := range r.failed {
		if strings.HasPrefix(other, name+"/") {
			return true
		}
	}
	return false
}
