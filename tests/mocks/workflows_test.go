package mocks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// testCommand is the script both workflows run for their tests, the one the README names.
const testCommand = "scripts/test.sh unit"

// workflow is what the test reads of a GitHub Actions workflow.
type workflow struct {
	Jobs map[string]struct {
		Steps []workflowStep `yaml:"steps"`
	} `yaml:"jobs"`
}

type workflowStep struct {
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
}

// repoPath matches a word of a run step that names a path in the repository: a relative path with
// a slash or a known file name, not an option, a URL or an expression.
var repoPath = regexp.MustCompile(`^(\.{0,2}/)?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.*-]+)+$|^[A-Za-z0-9_-]+\.(sh|mod|yaml|yml|tgz)$`)

// TestWorkflowsUseOnlyTheRepository: every step of both workflows refers only to what the
// repository has: each path a run step names exists in it (the scripts executable), each file a
// step's input names too, local actions are there, and nothing points outside it. Both workflows
// run the tests with testCommand, the README's.
func TestWorkflowsUseOnlyTheRepository(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(harness.RepoRoot(), ".github/workflows/*.yml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows %v (%v), want the pull-request and deploy workflows", files, err)
	}
	readme, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), testCommand) {
		t.Errorf("the README does not name %q, the workflows' test command", testCommand)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "../") {
			t.Errorf("%s refers to a path outside the repository (../)", file)
		}
		var w workflow
		if err := yaml.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		runsTests := false
		for name, job := range w.Jobs {
			for i, step := range job.Steps {
				where := fmt.Sprintf("%s job %s step %d", filepath.Base(file), name, i+1)
				for _, path := range stepPaths(step) {
					if problem := repoPathProblem(path); problem != "" {
						t.Errorf("%s: %s", where, problem)
					}
				}
				runsTests = runsTests || strings.TrimSpace(strings.SplitN(step.Run, "#", 2)[0]) == testCommand
			}
		}
		if !runsTests {
			t.Errorf("%s runs no %q step", file, testCommand)
		}
	}
}

// stepPaths are the repository paths a step names: a local action, the paths of its run
// command's words, and its inputs that name files (`*-file`, `path`).
func stepPaths(step workflowStep) []string {
	var paths []string
	if strings.HasPrefix(step.Uses, "./") {
		paths = append(paths, step.Uses)
	}
	for _, line := range strings.Split(step.Run, "\n") {
		line = strings.SplitN(line, "#", 2)[0]
		for _, word := range strings.Fields(line) {
			word = strings.Trim(word, `"'`)
			if repoPath.MatchString(word) {
				paths = append(paths, word)
			}
		}
	}
	for key, value := range step.With {
		if strings.HasSuffix(key, "-file") || key == "path" {
			paths = append(paths, value)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// repoPathProblem says what is wrong with path (a glob allowed) as a step's reference: "" if it
// names something in the repository (a script executable).
func repoPathProblem(path string) string {
	clean := filepath.Clean(path)
	if filepath.IsAbs(clean) || strings.HasPrefix(clean, "..") {
		return path + " is outside the repository"
	}
	matches, err := filepath.Glob(filepath.Join(harness.RepoRoot(), clean))
	if err != nil || len(matches) == 0 {
		return path + " is not in the repository"
	}
	if strings.HasSuffix(clean, ".sh") {
		for _, m := range matches {
			if info, err := os.Stat(m); err != nil || info.Mode()&0o111 == 0 {
				return path + " is not executable"
			}
		}
	}
	return ""
}

// TestWorkflowPathCheckCatchesWhatIsNotThere: the check refuses a script that is not in the
// repository and a path outside it, and passes the ones that are there.
func TestWorkflowPathCheckCatchesWhatIsNotThere(t *testing.T) {
	step := workflowStep{Run: "scripts/missing.sh --flag\nhelm pull --destination ../elsewhere/charts x", With: map[string]string{"go-version-file": "go.mod"}}
	got := stepPaths(step)
	if want := []string{"../elsewhere/charts", "go.mod", "scripts/missing.sh"}; !slices.Equal(got, want) {
		t.Fatalf("stepPaths = %v, want %v", got, want)
	}
	for path, ok := range map[string]bool{"go.mod": true, "scripts/test.sh": true, "charts/*.tgz": true, "scripts/missing.sh": false, "../elsewhere/charts": false, "/etc/passwd": false} {
		if problem := repoPathProblem(path); (problem == "") != ok {
			t.Errorf("repoPathProblem(%q) = %q; want it to pass: %v", path, problem, ok)
		}
	}
}
