package toolenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// Tools are the real binaries the builder (tools/build) builds or installs and names in
// environment variables with --print-env; tools/build/toolset's table declares them.
type Tools struct {
	// PulumiDir holds the pulumi CLI and the kubernetes provider plugin, YAMLDir Pulumi YAML's
	// language host.
	PulumiDir, YAMLDir string
	// KubernetesDir holds kube-apiserver, kube-controller-manager, kube-scheduler and kubelet.
	KubernetesDir string
	Etcd          string
	// Operator and ConfigReloader are prometheus-operator's commands.
	Operator, ConfigReloader            string
	Thanos, Prometheus, Promtool, MinIO string
	// KubeScore is the manifest linter.
	KubeScore string
}

// tool is one environment variable and the file it must lead to.
type tool struct {
	env  string
	set  func(*Tools, string)
	file func(string) string // the binary, given the variable's value
}

func inDir(name string) func(string) string {
	return func(dir string) string { return filepath.Join(dir, name) }
}

func itself(path string) string { return path }

var tools = []tool{
	{"PULUMI_BIN_DIR", func(t *Tools, v string) { t.PulumiDir = v }, inDir("pulumi")},
	{"PULUMI_YAML_BIN_DIR", func(t *Tools, v string) { t.YAMLDir = v }, inDir("pulumi-language-yaml")},
	{"KUBERNETES_BIN_DIR", func(t *Tools, v string) { t.KubernetesDir = v }, inDir("kube-apiserver")},
	{"ETCD_BIN", func(t *Tools, v string) { t.Etcd = v }, itself},
	{"OPERATOR_BIN", func(t *Tools, v string) { t.Operator = v }, itself},
	{"CONFIG_RELOADER_BIN", func(t *Tools, v string) { t.ConfigReloader = v }, itself},
	{"THANOS_BIN", func(t *Tools, v string) { t.Thanos = v }, itself},
	{"PROMETHEUS_BIN", func(t *Tools, v string) { t.Prometheus = v }, itself},
	{"PROMTOOL_BIN", func(t *Tools, v string) { t.Promtool = v }, itself},
	{"MINIO_BIN", func(t *Tools, v string) { t.MinIO = v }, itself},
	{"KUBE_SCORE_BIN", func(t *Tools, v string) { t.KubeScore = v }, itself},
}

// Variables lists the variables of a suite's tools (the builder's table) that Tools holds.
func Variables(suite toolset.Suite) []string {
	names, err := toolset.EnvNames(suite)
	if err != nil {
		panic(err) // a suite constant of toolset: cannot happen
	}
	var held []string
	for _, name := range names {
		for _, t := range tools {
			if t.env == name {
				held = append(held, name)
			}
		}
	}
	return held
}

// BuildHint is what a suite missing its tools tells its user to run.
func BuildHint(suite toolset.Suite) string {
	return fmt.Sprintf("build the tools first, from the repository root:\n\tenv=$(go run ./tools/build --print-env %s) && eval \"$env\"", suite)
}

// Read reads the named environment variables. Every one must lead to an executable: a
// suite that cannot find its tools fails, it never skips.
func Read(suite toolset.Suite, names []string) (Tools, error) {
	var t Tools
	var missing []string
	for _, name := range names {
		var found *tool
		for i := range tools {
			if tools[i].env == name {
				found = &tools[i]
			}
		}
		if found == nil {
			return t, fmt.Errorf("unknown tool variable %s", name)
		}
		value := os.Getenv(name)
		if value == "" {
			missing = append(missing, name+" is not set")
			continue
		}
		path := found.file(value)
		if st, err := os.Stat(path); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, fmt.Sprintf("%s leads to no executable (%s)", name, path))
			continue
		}
		found.set(&t, value)
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%s; %s", strings.Join(missing, "; "), BuildHint(suite))
	}
	return t, nil
}

// Kubernetes is the path of one of the Kubernetes commands.
func (t Tools) Kubernetes(command string) string { return filepath.Join(t.KubernetesDir, command) }
