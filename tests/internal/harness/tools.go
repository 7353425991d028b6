package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tools are the real binaries scripts/build-tools.sh builds (or installs) and names in environment
// variables with --print-env.
type Tools struct {
	// PulumiDir holds the pulumi CLI, ProviderDir the kubernetes provider plugin.
	PulumiDir, ProviderDir string
	// KubernetesDir holds kube-apiserver, kube-controller-manager, kube-scheduler and kubelet.
	KubernetesDir string
	Etcd          string
	// Operator and ConfigReloader are prometheus-operator's commands.
	Operator, ConfigReloader            string
	Thanos, Prometheus, Promtool, MinIO string
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
	{"KUBERNETES_PROVIDER_BIN_DIR", func(t *Tools, v string) { t.ProviderDir = v }, inDir("pulumi-resource-kubernetes")},
	{"KUBERNETES_BIN_DIR", func(t *Tools, v string) { t.KubernetesDir = v }, inDir("kube-apiserver")},
	{"ETCD_BIN", func(t *Tools, v string) { t.Etcd = v }, itself},
	{"OPERATOR_BIN", func(t *Tools, v string) { t.Operator = v }, itself},
	{"CONFIG_RELOADER_BIN", func(t *Tools, v string) { t.ConfigReloader = v }, itself},
	{"THANOS_BIN", func(t *Tools, v string) { t.Thanos = v }, itself},
	{"PROMETHEUS_BIN", func(t *Tools, v string) { t.Prometheus = v }, itself},
	{"PROMTOOL_BIN", func(t *Tools, v string) { t.Promtool = v }, itself},
	{"MINIO_BIN", func(t *Tools, v string) { t.MinIO = v }, itself},
}

// Tool groups, by the build-tools.sh group that provides them.
var (
	IntegrationTools = []string{"PULUMI_BIN_DIR", "KUBERNETES_PROVIDER_BIN_DIR", "KUBERNETES_BIN_DIR", "ETCD_BIN", "OPERATOR_BIN", "CONFIG_RELOADER_BIN"}
	E2ETools         = append(append([]string(nil), IntegrationTools...), "THANOS_BIN", "PROMETHEUS_BIN", "PROMTOOL_BIN", "MINIO_BIN")
)

// ToolsFromEnv reads the named environment variables. Every one must lead to an executable: a
// suite that cannot find its tools fails, it never skips.
func ToolsFromEnv(group string, names []string) (Tools, error) {
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
		return t, fmt.Errorf("%s; build the tools first, from the repository root:\n\tenv=$(scripts/build-tools.sh --print-env %s) && eval \"$env\"",
			strings.Join(missing, "; "), group)
	}
	return t, nil
}

// Kubernetes is the path of one of the Kubernetes commands.
func (t Tools) Kubernetes(command string) string { return filepath.Join(t.KubernetesDir, command) }
