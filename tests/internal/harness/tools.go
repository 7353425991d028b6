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
	{"KUBERNETES_PROVIDER_BIN_DIR", func(t *Tools, v string) { t.ProviderDir = v }, inDir("pulumi-resource-kubernetes")},
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

// Tool groups, by the build-tools.sh group that provides them.
var (
	IntegrationTools = []string{"PULUMI_BIN_DIR", "KUBERNETES_PROVIDER_BIN_DIR", "KUBERNETES_BIN_DIR", "ETCD_BIN", "OPERATOR_BIN", "CONFIG_RELOADER_BIN", "KUBE_SCORE_BIN"}
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

// ClusterTools reads what the cluster suite needs beyond the end-to-end suite's tools, from
// scripts/build-tools.sh --print-env cluster: the node's runtime, the images' binaries and the
// versions they were built at. Every one must be set; the suite fails, never skips.
func ClusterTools() (Tools, NodeTools, ImageSources, error) {
	tools, err := ToolsFromEnv("cluster", E2ETools)
	if err != nil {
		return tools, NodeTools{}, ImageSources{}, err
	}
	get := func(name string, missing *[]string) string {
		v := os.Getenv(name)
		if v == "" {
			*missing = append(*missing, name)
		}
		return v
	}
	var missing []string
	node := NodeTools{
		Containerd: get("CONTAINERD_BIN", &missing), Ctr: get("CTR_BIN", &missing),
		Runc: get("RUNC_BIN", &missing), CNIBinDir: get("CNI_BIN_DIR", &missing),
		KubeRouter: get("KUBE_ROUTER_BIN", &missing),
	}
	images := ImageSources{
		Tools:            tools,
		ClusterImagesDir: get("CLUSTER_IMAGES_BIN_DIR", &missing),
		Busybox:          get("BUSYBOX_BIN", &missing),
		Pause:            get("PAUSE_BIN", &missing),
		Versions:         map[string]string{},
	}
	for _, v := range []string{"PAUSE_VERSION", "COREDNS_VERSION", "KUBE_STATE_METRICS_VERSION", "NODE_EXPORTER_VERSION", "MINIO_VERSION", "MINIO_RELEASE", "PROMETHEUS_MODULE_VERSION"} {
		images.Versions[v] = get(v, &missing)
	}
	for _, f := range []string{node.Containerd, node.Ctr, node.Runc, node.KubeRouter, images.Busybox, images.Pause, filepath.Join(node.CNIBinDir, "bridge"),
		filepath.Join(images.ClusterImagesDir, "coredns"), filepath.Join(images.ClusterImagesDir, "kube-state-metrics"), filepath.Join(images.ClusterImagesDir, "node_exporter")} {
		if st, err := os.Stat(f); f != "" && (err != nil || st.IsDir()) {
			missing = append(missing, f+" (no such file)")
		}
	}
	if len(missing) > 0 {
		return tools, node, images, fmt.Errorf("%s: build the tools first, from the repository root:\n\tenv=$(scripts/build-tools.sh --print-env cluster) && eval \"$env\"", strings.Join(missing, ", "))
	}
	return tools, node, images, nil
}
