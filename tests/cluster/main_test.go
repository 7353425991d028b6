//go:build cluster

// Package cluster runs the program's stacks as pods, on a one-node Kubernetes cluster built on this
// machine from the real parts (tests/internal/harness: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, containerd and runc, the CNI bridge, the kubelet, kube-proxy, CoreDNS, and images
// built from the pinned sources):
//
//	env=$(go run ./tools/build --print-env cluster) && eval "$env"
//	go test -tags cluster -count=1 -timeout 60m ./tests/cluster/
//
// It needs root. Every change to what the program, the chart and the operator generate is a row
// of harness.Substitutions (docs/substitutions.md); docs/cluster.md says what the cluster is and is
// not, and what each test shows.
package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// suite is what every test shares: the cluster, the Pulumi backend, the chart.
var suite struct {
	*harness.Suite
	tools   toolenv.Tools
	images  kube.ImageSources
	cluster *kube.Cluster
}

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	var err error
	if suite.Suite, err = harness.NewSuite("cluster", "CLUSTER_KEEP_DIR", kube.RemoveLeftoverNodes); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	// The cluster stops first (its node's mounts, then its processes), then the suite's directory
	// goes.
	defer suite.Close()
	tools, node, images, err := kube.ClusterTools()
	if err != nil {
		return suite.Fail("tools", err)
	}
	suite.tools, suite.images = tools, images
	refs, err := stackImages()
	if err != nil {
		return suite.Fail("images", err)
	}
	if err := volumeSizeFitsEveryClaim(); err != nil {
		return suite.Fail("volumes", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	suite.cluster, err = kube.StartCluster(ctx, filepath.Join(suite.Dir, "cluster"), kube.ClusterOptions{
		Tools: tools, NodeTools: node, Images: images, ImageRefs: refs,
		PersistentVolumes: 24, PersistentVolumeSize: volumeSize,
		SmallVolumes: smallVolumes, SmallVolumeSize: smallVolumeSize,
	}, suite.Procs, suite.Ports)
	if suite.cluster != nil {
		defer func() {
			stop, cancelStop := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancelStop()
			for _, err := range suite.cluster.Stop(stop) {
				fmt.Fprintln(os.Stderr, "cluster: teardown:", err)
			}
		}()
	}
	if err != nil {
		fmt.Fprint(os.Stderr, suite.Procs.Logs(40))
		return suite.Fail("cluster", err)
	}
	fmt.Fprintf(os.Stderr, "cluster: one-node cluster ready in %s:\n", time.Since(start).Round(time.Second))
	for _, t := range suite.cluster.Timings {
		fmt.Fprintf(os.Stderr, "cluster:   %-62s %s\n", t.Phase, t.Duration.Round(100*time.Millisecond))
	}
	if err := suite.StartPulumi(tools); err != nil {
		return suite.Fail("pulumi", err)
	}
	return suite.Run(m, 40)
}

// stackImages are the images the stacks will run: every image of the chart rendered with the
// cluster suite's chart values (the Prometheus resource's and the operator's arguments included),
// the program's Thanos image, and the MinIO of deploy/local/minio.yaml.
func stackImages() ([]string, error) {
	site, err := stackSite(nil, "monitoring", chart.DefaultReleaseName)
	if err != nil {
		return nil, err
	}
	config, err := harness.ApplyClusterStackConfig(site, map[string]string{})
	if err != nil {
		return nil, err
	}
	values, err := parseYAMLMap(config["chartValues"])
	if err != nil {
		return nil, err
	}
	rendered, err := harness.RenderChart(suite.Chart, "kube-prometheus-stack", "monitoring", values)
	if err != nil {
		return nil, err
	}
	minio, err := localMinIOObjects()
	if err != nil {
		return nil, err
	}
	return append(append(kube.PodImages(rendered), kube.PodImages(minio)...), components.ThanosImage()), nil
}
