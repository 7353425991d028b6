// Package steps runs a suite's named steps in order, each as a subtest, logging how long each
// took. A step the later ones depend on stops the run when it fails. The integration, end-to-end
// and cluster suites all run their scenarios with it.
package steps

import (
	"testing"
	"time"
)

// Step is one named step of a scenario.
type Step struct {
	Name string
	Run  func(t *testing.T)
	// Optional: no later step depends on it, so its failure does not stop the run.
	Optional bool
	// Always: it runs even after a step the others depend on failed: the cleanup the next
	// scenario needs (a destroy), so that one scenario's failure does not fail the next.
	Always bool
}

// T is what Run needs of a *testing.T.
type T interface {
	Helper()
	Run(name string, f func(t *testing.T)) bool
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Run runs the steps in order. After the first failed step that is not Optional it runs only
// the Always steps, then fails the test naming that step.
func Run(t T, steps []Step) {
	t.Helper()
	width := 0
	for _, s := range steps {
		width = max(width, len(s.Name))
	}
	failed := ""
	for _, s := range steps {
		if failed != "" && !s.Always {
			continue
		}
		start := time.Now()
		ok := t.Run(s.Name, s.Run)
		t.Logf("%-*s %s", width, s.Name, time.Since(start).Round(100*time.Millisecond))
		if !ok && !s.Optional && failed == "" {
			failed = s.Name
		}
	}
	if failed != "" {
		t.Fatalf("step %q failed; the later steps depend on it", failed)
	}
}
