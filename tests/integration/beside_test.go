//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// The stack beside the main one: another stack of the program in the same cluster, as
// chartReleaseName's description says two stacks share one.
const (
	besideStack     = "beside"
	besideNamespace = namespace + "-b"
	besideRelease   = "kps-b"
)

// besideKubeletService is the kubelet Service the beside stack's operator created in kube-system
// (its --kubelet-service): the operator's, not the release's, it stays after destroy, as the main
// stack's does.
var besideKubeletService string

// stackBeside takes a second stack of the program through up and destroy while the main stack
// runs: Helm installs its release beside the first (the CRDs both apply stay one set); with the
// real operator, each release's operator manages its own namespace's Prometheus only (the second's
// creates the second's StatefulSet, the first's, running all along, never syncs it); and its
// destroy leaves the main stack's objects and the CRDs in place.
func stackBeside(ctx context.Context, t *testing.T) {
	stack := suite.Pulumi.MustStack(ctx, t, program.ProjectName, besideStack, program.Run)
	config := mainConfig(t)
	config["namespace"] = besideNamespace
	config["clusterName"] = clusterName + "-b"
	config["chartReleaseName"] = besideRelease
	harness.MustSetConfig(ctx, t, stack, config, mainSecrets...)
	if _, err := stack.Up(ctx); err != nil {
		t.Fatalf("up of the stack beside: %v", err)
	}

	besideOperator, err := harness.StartOperator(ctx, suite.cluster, suite.Procs, suite.Ports, suite.tools, besideNamespace, operatorDeploymentIn(ctx, t, besideNamespace))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct {
		name      string
		generated []string
		namespace string
	}{{"the main stack's", operator.Generated, namespace}, {"the stack beside's", besideOperator.Generated, besideNamespace}} {
		for _, flag := range harness.OperatorInstanceNamespaceFlags {
			if want := flag + "=" + op.namespace; !slices.Contains(op.generated, want) {
				t.Errorf("%s operator runs without %s: %q", op.name, want, op.generated)
			}
		}
	}
	for _, arg := range besideOperator.Generated {
		if v, ok := strings.CutPrefix(arg, "--kubelet-service=kube-system/"); ok {
			besideKubeletService = v
		}
	}
	besidePrometheus := onlyName(ctx, t, "/apis/monitoring.coreos.com/v1/namespaces/"+besideNamespace+"/prometheuses")
	harness.WaitFor(ctx, t, 2*time.Minute, "the stack beside's Prometheus StatefulSet", func() (bool, string) {
		_, found, err := suite.cluster.Client.Get(ctx, "/apis/apps/v1/namespaces/"+besideNamespace+"/statefulsets/prometheus-"+besidePrometheus)
		return found, fmt.Sprint(err)
	})
	for _, op := range []struct {
		name       string
		logPath    string
		own, other string
	}{{"the main stack's", operator.Proc.LogPath, namespace, besideNamespace}, {"the stack beside's", besideOperator.Proc.LogPath, besideNamespace, namespace}} {
		own, other := prometheusSyncs(t, op.logPath, op.own), prometheusSyncs(t, op.logPath, op.other)
		t.Logf("%s operator synced the Prometheus of its namespace %d times, the other stack's %d", op.name, own, other)
		if own == 0 || other > 0 {
			t.Errorf("%s operator synced %d Prometheus of its own namespace (want some) and %d of the other stack's (want none)", op.name, own, other)
		}
	}

	if _, err := stack.Destroy(ctx); err != nil {
		t.Fatalf("destroy of the stack beside: %v", err)
	}
	besideOperator.Proc.Stop()
	if left, err := harness.ReleaseRBACLeft(ctx, suite.cluster.Client, besideRelease); err != nil || len(left) > 0 {
		t.Errorf("the stack beside's RBAC left after its destroy: %v (%v)", left, err)
	}
	// The main stack's release, its Prometheus and the CRDs stand.
	for _, o := range append(chartObjects, programObjects...) {
		if _, err := suite.cluster.Client.GetExisting(ctx, o.path(namespace)); err != nil {
			t.Errorf("after the stack beside's destroy: %v", err)
		}
	}
	crds, err := harness.ChartCRDNames(suite.Chart)
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range crds {
		if _, err := suite.cluster.Client.GetExisting(ctx, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+crd); err != nil {
			t.Errorf("after the stack beside's destroy: %v", err)
		}
	}
}

// operatorDeploymentIn is the name of the chart's operator Deployment in a release's namespace.
func operatorDeploymentIn(ctx context.Context, t *testing.T, ns string) string {
	t.Helper()
	names, err := suite.cluster.Client.Names(ctx, "/apis/apps/v1/namespaces/"+ns+"/deployments")
	if err != nil {
		t.Fatal(err)
	}
	name, err := harness.OperatorDeployment(names)
	if err != nil {
		t.Fatalf("%s: %v", ns, err)
	}
	return name
}

// onlyName is the name of the one object a list path holds.
func onlyName(ctx context.Context, t *testing.T, path string) string {
	t.Helper()
	names, err := suite.cluster.Client.Names(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Fatalf("%s: %v, want one", path, names)
	}
	return names[0]
}

// prometheusSyncs counts an operator log's syncs of a Prometheus resource in namespace ns (the
// operator logs `msg="sync prometheus" key=<namespace>/<name>` at info level, v0.93.1's
// pkg/prometheus/server/operator.go).
func prometheusSyncs(t *testing.T, logPath, ns string) int {
	t.Helper()
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `msg="sync prometheus"`) && strings.Contains(line, "key="+ns+"/") {
			n++
		}
	}
	return n
}
