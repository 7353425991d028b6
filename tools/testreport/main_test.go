package main

import (
	"fmt"
	"strings"
	"testing"
)

// events are a suite's `go test -json` lines: a passing test, a test whose second step fails after
// logging more than the summary keeps, the package's own output after the tests, and a line of
// the go command.
func events() string {
	var lines []string
	add := func(action, test, output string) {
		lines = append(lines, fmt.Sprintf(`{"Action":%q,"Package":"p","Test":%q,"Output":%q}`, action, test, output))
	}
	add("output", "TestA", "=== RUN   TestA\n")
	add("output", "TestA", "    a_test.go:1: fine\n")
	add("pass", "TestA", "")
	add("output", "TestB", "=== RUN   TestB\n")
	add("output", "TestB/up", "=== RUN   TestB/up\n")
	add("pass", "TestB/up", "")
	add("output", "TestB/drain", "=== RUN   TestB/drain\n")
	for i := range failureLines + 5 {
		add("output", "TestB/drain", fmt.Sprintf("    b_test.go:2: line %d\n", i))
	}
	add("output", "TestB/drain", "    b_test.go:3: the querier listed no store gateway\n")
	add("output", "TestB/drain", "    --- FAIL: TestB/drain (1.00s)\n")
	add("fail", "TestB/drain", "")
	add("output", "TestB", "--- FAIL: TestB (2.00s)\n")
	add("fail", "TestB", "")
	add("output", "", "suite: process logs:\n")
	add("output", "", "FAIL\n")
	add("fail", "", "")
	lines = append(lines, "go: downloading example.com/m v1.0.0")
	return strings.Join(lines, "\n") + "\n"
}

func TestReportPrintsTheStreamAndEndsWithTheFailedStep(t *testing.T) {
	r := &report{tail: map[string][]string{}}
	var out strings.Builder
	if err := r.read(strings.NewReader(events()), &out); err != nil {
		t.Fatal(err)
	}
	printed := out.String()
	if strings.Contains(printed, "=== RUN") {
		t.Errorf("the stream keeps progress lines:\n%s", printed)
	}
	for _, want := range []string{"a_test.go:1: fine", "--- FAIL: TestB (2.00s)", "suite: process logs:", "go: downloading example.com/m v1.0.0"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the stream lacks %q:\n%s", want, printed)
		}
	}

	summary := r.summary()
	if !strings.Contains(summary, "---- p TestB/drain\n") {
		t.Errorf("the summary does not name the failed step:\n%s", summary)
	}
	if strings.Contains(summary, "---- p TestB\n") {
		t.Errorf("the summary names the parent that failed only through its step:\n%s", summary)
	}
	if !strings.Contains(summary, "the querier listed no store gateway") {
		t.Errorf("the summary lacks the step's failure message:\n%s", summary)
	}
	if strings.Contains(summary, "line 0\n") || !strings.Contains(summary, fmt.Sprintf("line %d\n", failureLines+4)) {
		t.Errorf("the summary keeps other than the step's last %d lines:\n%s", failureLines, summary)
	}
	if got := strings.Count(summary, "\n    "); got != failureLines {
		t.Errorf("the summary repeats %d lines of the step, want %d", got, failureLines)
	}
}

func TestReportOfAPassingSuiteIsEmpty(t *testing.T) {
	r := &report{tail: map[string][]string{}}
	stream := `{"Action":"output","Package":"p","Test":"TestA","Output":"ok\n"}` + "\n" + `{"Action":"pass","Package":"p","Test":"TestA"}` + "\n"
	if err := r.read(strings.NewReader(stream), &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	if s := r.summary(); s != "" {
		t.Errorf("summary of a passing suite: %q", s)
	}
}
