//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
)

// pulumiEnv runs stacks through the real pulumi CLI on a local file backend. Every stack of the
// suite lives in the same backend, so stack references between them resolve for real.
type pulumiEnv struct {
	dir     string
	command auto.PulumiCommand
	env     map[string]string
	project workspace.Project // the repository's Pulumi.yaml: config schema, types and defaults
}

// passphrase encrypts the secrets of every stack in the suite's backend.
const passphrase = "integration-suite-passphrase"

func newPulumiEnv(dir string, tools toolchain) (*pulumiEnv, error) {
	for _, d := range []string{"state", "home", "workspaces"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	// The CLI is version-stamped (v3.274.1), so the Automation API's version check applies.
	command, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(tools.pulumiDir)})
	if err != nil {
		return nil, fmt.Errorf("pulumi CLI in %s: %w", tools.pulumiDir, err)
	}
	project, err := workspace.LoadProject(filepath.Join("..", "..", "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load Pulumi.yaml: %w", err)
	}
	if string(project.Name) != program.ProjectName {
		return nil, fmt.Errorf("Pulumi.yaml names project %q, the program %q", project.Name, program.ProjectName)
	}
	return &pulumiEnv{
		dir:     dir,
		command: command,
		project: *project,
		env: map[string]string{
			"PULUMI_BACKEND_URL":       "file://" + filepath.Join(dir, "state"),
			"PULUMI_CONFIG_PASSPHRASE": passphrase,
			"PULUMI_HOME":              filepath.Join(dir, "home"),
			"PULUMI_SKIP_UPDATE_CHECK": "true",
			// The kubernetes provider on PATH is used as an "ambient" plugin: nothing is downloaded.
			"PATH": tools.providerDir + string(os.PathListSeparator) + tools.pulumiDir + string(os.PathListSeparator) + os.Getenv("PATH"),
			// Helm inside the provider keeps its caches here rather than in the user's home.
			"HELM_CACHE_HOME":  filepath.Join(dir, "home", "helm", "cache"),
			"HELM_CONFIG_HOME": filepath.Join(dir, "home", "helm", "config"),
			"HELM_DATA_HOME":   filepath.Join(dir, "home", "helm", "data"),
		},
	}, nil
}

// stateDir is the file backend's directory: every stack's checkpoints, history and backups.
func (p *pulumiEnv) stateDir() string { return filepath.Join(p.dir, "state") }

// workDir is a stack's work directory, where its Pulumi.yaml and Pulumi.<stack>.yaml are written.
func (p *pulumiEnv) workDir(project, stack string) string {
	return filepath.Join(p.dir, "workspaces", project+"-"+stack)
}

// fullyQualified is a stack's name as other stacks of the file backend reference it.
func fullyQualified(project, stack string) string {
	return "organization/" + project + "/" + stack
}

// stack creates (or selects) a stack of the given project whose program is fn, in its own work
// directory. The project settings are the repository's Pulumi.yaml for the program's project, and
// a bare Go project for the helper stacks (cluster, consumer, floor).
func (p *pulumiEnv) stack(ctx context.Context, t testing.TB, project, name string, fn pulumi.RunFunc) auto.Stack {
	t.Helper()
	settings := workspace.Project{Name: tokens.PackageName(project), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
	if project == program.ProjectName {
		settings = p.project
	}
	workDir := p.workDir(project, name)
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		t.Fatal(err)
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
		t.Fatalf("stack %s: %v", fullyQualified(project, name), err)
	}
	return s
}

// setConfig sets the stack's configuration; keys without a namespace belong to the program's
// project. secret lists the keys stored encrypted.
func setConfig(ctx context.Context, t testing.TB, s auto.Stack, config map[string]string, secret ...string) {
	t.Helper()
	cm := auto.ConfigMap{}
	for k, v := range config {
		if !strings.Contains(k, ":") {
			k = program.ProjectName + ":" + k
		}
		cm[k] = auto.ConfigValue{Value: v, Secret: contains(secret, strings.TrimPrefix(k, program.ProjectName+":"))}
	}
	if err := s.SetAllConfig(ctx, cm); err != nil {
		t.Fatalf("set config of %s: %v", s.Name(), err)
	}
}

// stepRecorder collects the engine's resource steps of one operation.
type stepRecorder struct {
	mu    sync.Mutex
	steps []apitype.StepEventMetadata
	ch    chan events.EngineEvent
	done  chan struct{}
}

func newStepRecorder() *stepRecorder {
	r := &stepRecorder{ch: make(chan events.EngineEvent), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for e := range r.ch {
			if e.ResourcePreEvent != nil {
				r.mu.Lock()
				r.steps = append(r.steps, e.ResourcePreEvent.Metadata)
				r.mu.Unlock()
			}
		}
	}()
	return r
}

// changes are the steps that change something, as the CLI counts them for --expect-no-changes:
// every operation but same and reads.
func (r *stepRecorder) changes() []apitype.StepEventMetadata {
	<-r.done // the Automation API closes the channel when the operation ends
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []apitype.StepEventMetadata
	for _, s := range r.steps {
		switch s.Op {
		case apitype.OpSame, apitype.OpRead, apitype.OpReadDiscard, apitype.OpReadReplacement:
			continue
		}
		out = append(out, s)
	}
	return out
}

func describeSteps(steps []apitype.StepEventMetadata) string {
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

// urnName is the resource name at the end of a URN.
func urnName(urn string) string {
	return urn[strings.LastIndex(urn, "::")+2:]
}
