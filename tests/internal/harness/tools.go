package harness

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

// SuiteTools lists the variables of a suite's tools (the builder's table) that Tools holds.
func SuiteTools(suite toolset.Suite) []string {
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

// buildHint is what a suite missing its tools tells its user to run.
func buildHint(suite toolset.Suite) string {
	return fmt.Sprintf("build the tools first, from the repository root:\n\tenv=$(go run ./tools/build --print-env %s) && eval \"$env\"", suite)
}

// ToolsFromEnv reads the named environment variables. Every one must lead to an executable: a
// suite that cannot find its tools fails, it never skips.
func ToolsFromEnv(suite toolset.Suite, names []string) (Tools, error) {
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
		return t, fmt.Errorf("%s; %s", strings.Join(missing, "; "), buildHint(suite))
	}
	return t, nil
}

// Kubernetes is the path of one of the Kubernetes commands.
func (t Tools) Kubernetes(command string) string { return filepath.Join(t.KubernetesDir, command) }

// imageVersions are the versions the cluster's images are tagged with, from the builder.
var imageVersions = []string{"PAUSE_VERSION", "COREDNS_VERSION", "KUBE_STATE_METRICS_VERSION", "NODE_EXPORTER_VERSION", "MINIO_VERSION", "MINIO_RELEASE", "PROMETHEUS_MODULE_VERSION"}

// clusterField is one variable of the cluster suite's tools and where ClusterTools keeps it.
type clusterField struct {
	env   string
	value *string
}

func clusterFields(node *NodeTools, images *ImageSources) []clusterField {
	return []clusterField{
		{"CONTAINERD_BIN", &node.Containerd}, {"CTR_BIN", &node.Ctr}, {"RUNC_BIN", &node.Runc},
		{"CNI_BIN_DIR", &node.CNIBinDir}, {"KUBE_ROUTER_BIN", &node.KubeRouter},
		{"CLUSTER_IMAGES_BIN_DIR", &images.ClusterImagesDir}, {"BUSYBOX_BIN", &images.Busybox}, {"PAUSE_BIN", &images.Pause},
	}
}

// ClusterTools reads what the cluster suite needs beyond the end-to-end suite's tools, from the
// builder's --print-env cluster: the node's runtime, the images' binaries and the versions they
// were built at. Every one must be set; the suite fails, never skips.
func ClusterTools() (Tools, NodeTools, ImageSources, error) {
	tools, err := ToolsFromEnv(toolset.Cluster, SuiteTools(toolset.E2E))
	if err != nil {
		return tools, NodeTools{}, ImageSources{}, err
	}
	var missing []string
	node := NodeTools{}
	images := ImageSources{Tools: tools, Versions: map[string]string{}}
	for _, f := range clusterFields(&node, &images) {
		if *f.value = os.Getenv(f.env); *f.value == "" {
			missing = append(missing, f.env)
		}
	}
	for _, v := range imageVersions {
		if images.Versions[v] = os.Getenv(v); images.Versions[v] == "" {
			missing = append(missing, v)
		}
	}
	for _, f := range []string{node.Containerd, node.Ctr, node.Runc, node.KubeRouter, images.Busybox, images.Pause, filepath.Join(node.CNIBinDir, "bridge"),
		filepath.Join(images.ClusterImagesDir, "coredns"), filepath.Join(images.ClusterImagesDir, "kube-state-metrics"), filepath.Join(images.ClusterImagesDir, "node_exporter")} {
		if st, err := os.Stat(f); f != "" && (err != nil || st.IsDir()) {
			missing = append(missing, f+" (no such file)")
		}
	}
	if len(missing) > 0 {
		return tools, node, images, fmt.Errorf("%s: %s", strings.Join(missing, ", "), buildHint(toolset.Cluster))
	}
	return tools, node, images, nil
}
