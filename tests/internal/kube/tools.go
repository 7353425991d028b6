package kube

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

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
func ClusterTools() (toolenv.Tools, NodeTools, ImageSources, error) {
	tools, err := toolenv.Read(toolset.Cluster, toolenv.Variables(toolset.E2E))
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
		return tools, node, images, fmt.Errorf("%s: %s", strings.Join(missing, ", "), toolenv.BuildHint(toolset.Cluster))
	}
	return tools, node, images, nil
}
