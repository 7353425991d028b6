package harness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// Pulumi runs stacks through the real pulumi CLI and engine (the Automation API with inline
// programs: the Go language host is not needed) on a local file backend. Every stack of a suite
// lives in the same backend, so stack references between them resolve for real.
type Pulumi struct {
	Dir     string
	command auto.PulumiCommand
	env     map[string]string
	project workspace.Project // the repository's Pulumi.yaml: config schema, types and defaults
}

// Passphrase encrypts the secrets of every stack in a suite's backend.
const Passphrase = "test-suite-passphrase"

// NewPulumi prepares a backend in dir for the CLI and kubernetes provider in tools.
func NewPulumi(dir string, tools toolenv.Tools) (*Pulumi, error) {
	for _, d := range []string{"state", "home", "workspaces"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	// The CLI is version-stamped, so the Automation API's version check applies.
	command, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(tools.PulumiDir)})
	if err != nil {
		return nil, fmt.Errorf("pulumi CLI in %s: %w", tools.PulumiDir, err)
	}
	project, err := workspace.LoadProject(filepath.Join(RepoRoot(), "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load Pulumi.yaml: %w", err)
	}
	if string(project.Name) != program.ProjectName {
		return nil, fmt.Errorf("Pulumi.yaml names project %q, the program %q", project.Name, program.ProjectName)
	}
	return &Pulumi{
		Dir:     dir,
		command: command,
		project: *project,
		env: map[string]string{
			"PULUMI_BACKEND_URL":       "file://" + filepath.Join(dir, "state"),
			"PULUMI_CONFIG_PASSPHRASE": Passphrase,
			"PULUMI_HOME":              filepath.Join(dir, "home"),
			"PULUMI_SKIP_UPDATE_CHECK": "true",
			// The kubernetes provider (beside the CLI) and the YAML language host on PATH are used
			// as "ambient" plugins: nothing is downloaded.
			"PATH": strings.Join([]string{tools.PulumiDir, tools.YAMLDir, os.Getenv("PATH")}, string(os.PathListSeparator)),
			// Helm inside the provider keeps its caches here rather than in the user's home.
			"HELM_CACHE_HOME":  filepath.Join(dir, "home", "helm", "cache"),
			"HELM_CONFIG_HOME": filepath.Join(dir, "home", "helm", "config"),
			"HELM_DATA_HOME":   filepath.Join(dir, "home", "helm", "data"),
		},
	}, nil
}

// StateDir is the file backend's directory: every stack's checkpoints, history and backups.
func (p *Pulumi) StateDir() string { return filepath.Join(p.Dir, "state") }

// WorkDir is a stack's work directory, where its Pulumi.yaml and Pulumi.<stack>.yaml are written.
func (p *Pulumi) WorkDir(project, stack string) string {
	return filepath.Join(p.Dir, "workspaces", project+"-"+stack)
}

// FullyQualified is a stack's name as other stacks of the file backend reference it.
func FullyQualified(project, stack string) string {
	return "organization/" + project + "/" + stack
}

// Stack creates (or selects) a stack of the given project whose program is fn, in its own work
// directory. The project settings are the repository's Pulumi.yaml for the program's project, and
// a bare Go project for helper stacks.
func (p *Pulumi) Stack(ctx context.Context, project, name string, fn pulumi.RunFunc) (auto.Stack, error) {
	settings := workspace.Project{Name: tokens.PackageName(project), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
	if project == program.ProjectName {
		settings = p.project
	}
	workDir := p.WorkDir(project, name)
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return auto.Stack{}, err
	}
	s, err := auto.UpsertStackInlineSource(ctx, name, project, fn,
		auto.Project(settings),
		auto.WorkDir(workDir),
		auto.Pulumi(p.command),
		auto.PulumiHome(p.env["PULUMI_HOME"]),
		auto.EnvVars(p.env),
		auto.SecretsProvider("passphrase"),
	)
	if err != nil {
		return s, fmt.Errorf("stack %s: %w", FullyQualified(project, name), err)
	}
	return s, nil
}

// MustStack is Stack, failing the test on an error.
func (p *Pulumi) MustStack(ctx context.Context, t testing.TB, project, name string, fn pulumi.RunFunc) auto.Stack {
	t.Helper()
	s, err := p.Stack(ctx, project, name, fn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SetConfig sets a stack's configuration; keys without a namespace belong to the program's
// project. secret lists the keys (without the project) stored encrypted.
func SetConfig(ctx context.Context, s auto.Stack, config map[string]string, secret ...string) error {
	cm := auto.ConfigMap{}
	for k, v := range config {
		if !strings.Contains(k, ":") {
			k = program.ProjectName + ":" + k
		}
		short := strings.TrimPrefix(k, program.ProjectName+":")
		cm[k] = auto.ConfigValue{Value: v, Secret: slices.Contains(secret, short)}
	}
	if err := s.SetAllConfig(ctx, cm); err != nil {
		return fmt.Errorf("set config of %s: %w", s.Name(), err)
	}
	return nil
}

// MustSetConfig is SetConfig, failing the test on an error.
func MustSetConfig(ctx context.Context, t testing.TB, s auto.Stack, config map[string]string, secret ...string) {
	t.Helper()
	if err := SetConfig(ctx, s, config, secret...); err != nil {
		t.Fatal(err)
	}
}

// StepRecorder collects the engine's resource steps of one operation.
type StepRecorder struct {
	mu    sync.Mutex
	steps []apitype.StepEventMetadata
	// Events is the channel to hand the operation (optup.EventStreams and the like).
	Events chan events.EngineEvent
	done   chan struct{}
}

// NewStepRecorder starts collecting the steps sent to its Events channel.
func NewStepRecorder() *StepRecorder {
	r := &StepRecorder{Events: make(chan events.EngineEvent), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for e := range r.Events {
			if e.ResourcePreEvent != nil {
				r.mu.Lock()
				r.steps = append(r.steps, e.ResourcePreEvent.Metadata)
				r.mu.Unlock()
			}
		}
	}()
	return r
}

// Changes are the steps that change something, as the CLI counts them for --expect-no-changes:
// every operation but same, reads and a refresh's reads.
func (r *StepRecorder) Changes() []apitype.StepEventMetadata {
	<-r.done // the Automation API closes the channel when the operation ends
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []apitype.StepEventMetadata
	for _, s := range r.steps {
		switch s.Op {
		case apitype.OpSame, apitype.OpRead, apitype.OpReadDiscard, apitype.OpReadReplacement, apitype.OpRefresh:
			continue
		}
		out = append(out, s)
	}
	return out
}

// DescribeSteps renders steps for a failure message, one per line.
func DescribeSteps(steps []apitype.StepEventMetadata) string {
	var lines []string
	for _, s := range steps {
		var paths []string
		for path := range s.DetailedDiff {
			paths = append(paths, path)
		}
		sort.Strings(paths)
		lines = append(lines, fmt.Sprintf("%s %s (changes %v)", s.Op, s.URN, paths))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// URNName is the resource name at the end of a URN.
func URNName(urn string) string {
	return urn[strings.LastIndex(urn, "::")+2:]
}

// ProjectStack creates (or selects) a stack of the project in srcDir (its Pulumi.yaml and
// program, run by the language host its runtime names), from a copy in the stack's work
// directory, so that the stack's settings file is not written beside the source.
func (p *Pulumi) ProjectStack(ctx context.Context, srcDir, name string) (auto.Stack, error) {
	project, err := workspace.LoadProject(filepath.Join(srcDir, "Pulumi.yaml"))
	if err != nil {
		return auto.Stack{}, err
	}
	workDir := p.WorkDir(string(project.Name), name)
	if err := os.CopyFS(workDir, os.DirFS(srcDir)); err != nil && !errors.Is(err, fs.ErrExist) {
		return auto.Stack{}, err
	}
	s, err := auto.UpsertStackLocalSource(ctx, name, workDir,
		auto.Pulumi(p.command),
		auto.PulumiHome(p.env["PULUMI_HOME"]),
		auto.EnvVars(p.env),
		auto.SecretsProvider("passphrase"),
	)
	if err != nil {
		return s, fmt.Errorf("stack %s: %w", FullyQualified(string(project.Name), name), err)
	}
	return s, nil
}
