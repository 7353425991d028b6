package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// Suite is what every test of a tagged suite shares: a temporary directory (state, workspaces,
// logs), the processes it starts and the ports they listen on, the Pulumi state backend and the
// chart package. The integration and cluster suites set it up in TestMain, one way.
type Suite struct {
	// Name is the suite's, the prefix of its messages and of its directory.
	Name string
	// Dir is the suite's temporary directory.
	Dir   string
	Procs *procs.Processes
	Ports *procs.Ports
	// Pulumi is the state backend, once StartPulumi has run.
	Pulumi *Pulumi
	// Chart is the path of the chart package the repository keeps.
	Chart string
	// keep: leave Dir for a look after the run.
	keep bool
}

// NewSuite finds the chart and makes the suite's directory, first removing what an earlier run
// of the suite left behind with removeLeftovers, if given (the cluster's mounts). The directory is
// kept after the run where the environment variable keepEnv is set.
func NewSuite(name, keepEnv string, removeLeftovers func(pattern string) []error) (*Suite, error) {
	chart, err := ChartPath()
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	prefix := "prometheus-thanos-" + name + "-"
	if removeLeftovers != nil {
		if errs := removeLeftovers(filepath.Join(os.TempDir(), prefix+"*")); len(errs) > 0 {
			return nil, fmt.Errorf("what an earlier run left: %w", errors.Join(errs...))
		}
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	return &Suite{
		Name: name, Dir: dir, Chart: chart, keep: os.Getenv(keepEnv) != "",
		Procs: &procs.Processes{Dir: filepath.Join(dir, "logs")}, Ports: &procs.Ports{},
	}, nil
}

// Fail reports what failed to set the suite up and returns the exit code.
func (s *Suite) Fail(what string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %s: %v\n", s.Name, what, err)
	return 1
}

// StartPulumi sets up the Pulumi state backend in the suite's directory.
func (s *Suite) StartPulumi(tools toolenv.Tools) error {
	p, err := NewPulumi(filepath.Join(s.Dir, "pulumi"), tools)
	if err != nil {
		return fmt.Errorf("pulumi: %w", err)
	}
	s.Pulumi = p
	return nil
}

// Run runs the tests; when one fails it prints the last logLines lines of every process's log.
func (s *Suite) Run(m *testing.M, logLines int) int {
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "%s: process logs:\n%s", s.Name, s.Procs.Logs(logLines))
	}
	return code
}

// Close stops every process still running and removes the suite's directory, unless it is kept.
func (s *Suite) Close() {
	s.Procs.StopAll()
	if s.keep {
		fmt.Fprintf(os.Stderr, "%s: kept %s\n", s.Name, s.Dir)
		return
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		fmt.Fprintf(os.Stderr, "%s: remove %s: %v\n", s.Name, s.Dir, err)
	}
}
