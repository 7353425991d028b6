package steps

import (
	"fmt"
	"strings"
	"testing"
)

// recorder stands in for a *testing.T: each step "passes" unless its name says it fails.
type recorder struct {
	ran   []string
	fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Run(name string, _ func(t *testing.T)) bool {
	r.ran = append(r.ran, name)
	return !strings.HasPrefix(name, "fails")
}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
}

func TestRunStopsAtAFailedStepTheOthersDependOn(t *testing.T) {
	r := &recorder{}
	Run(r, []Step{{Name: "a"}, {Name: "fails optional", Optional: true}, {Name: "b"}, {Name: "fails required"}, {Name: "never"}})
	if got, want := strings.Join(r.ran, ","), "a,fails optional,b,fails required"; got != want {
		t.Errorf("ran %s, want %s", got, want)
	}
	if !strings.Contains(r.fatal, `"fails required"`) {
		t.Errorf("fatal: %q", r.fatal)
	}
	r = &recorder{}
	Run(r, []Step{{Name: "a"}, {Name: "fails required"}, {Name: "skipped"}, {Name: "cleanup", Always: true}, {Name: "fails cleanup", Always: true}})
	if got, want := strings.Join(r.ran, ","), "a,fails required,cleanup,fails cleanup"; got != want {
		t.Errorf("with Always steps: ran %s, want %s", got, want)
	}
	if !strings.Contains(r.fatal, `"fails required"`) {
		t.Errorf("with Always steps: fatal %q, want the first failed step", r.fatal)
	}
	r = &recorder{}
	Run(r, []Step{{Name: "a"}, {Name: "b"}})
	if len(r.ran) != 2 || r.fatal != "" {
		t.Errorf("all passing: ran %v, fatal %q", r.ran, r.fatal)
	}
}
