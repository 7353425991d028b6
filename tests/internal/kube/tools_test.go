package kube

import (
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// TestHarnessReadsEveryBuiltTool holds the harness to the builder's table: every variable the
// builder prints for the cluster suite (the largest) is read here, so a tool added to the table
// reaches the suites or fails this test.
func TestHarnessReadsEveryBuiltTool(t *testing.T) {
	names, err := toolset.EnvNames(toolset.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for _, name := range toolenv.Variables(toolset.Cluster) {
		read[name] = true
	}
	for _, f := range clusterFields(&NodeTools{}, &ImageSources{}) {
		read[f.env] = true
	}
	for _, v := range imageVersions {
		read[v] = true
	}
	for _, n := range names {
		if !read[n] {
			t.Errorf("the builder prints %s, which the harness does not read", n)
		}
	}
}
