//go:build integration

// Package integration runs the Pulumi program through the real Pulumi engine, the real kubernetes
// provider and the real kube-prometheus-stack chart against a real control plane on loopback, with
// the real prometheus-operator reconciling what the chart installed:
//
//	env=$(go run ./tools/build --print-env integration) && eval "$env"
//	go test -tags integration -count=1 -timeout 30m ./tests/integration/
//
// What is real: the pulumi CLI and engine (driven by the Automation API with an inline program,
// program.Run), the project's Pulumi.yaml config schema and defaults, the kubernetes provider plugin
// and the Helm inside it, the chart package of charts/, etcd, kube-apiserver with RBAC and
// the real CRD schemas, kube-controller-manager (garbage collection, namespace deletion, Deployment
// and StatefulSet controllers), prometheus-operator with the chart's arguments and its own
// ServiceAccount's RBAC, the local file state backend with passphrase-encrypted secrets, and stack
// references between stacks of that backend.
//
// What is not: there is no scheduler or kubelet, so pods are created and stay Pending (the
// program's kubernetesSkipAwait is set for that reason, and the chart's admission webhooks, whose
// certificate a hook Job would create, are off); there is no AWS (the program uses an existing
// S3-compatible bucket, existingBucketName, so it registers no AWS resource). Every such change is a
// row of harness.Substitutions.
package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// suite is what every test shares: one control plane and one Pulumi state backend.
var suite struct {
	tools   harness.Tools
	dir     string // temporary root: state, workspaces, logs
	procs   *harness.Processes
	ports   *harness.Ports
	cluster *harness.ControlPlane
	pulumi  *harness.Pulumi
	chart   string // the real chart package
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	fail := func(what string, err error) int {
		fmt.Fprintf(os.Stderr, "integration: %s: %v\n", what, err)
		return 1
	}
	var err error
	if suite.tools, err = harness.ToolsFromEnv(toolset.Integration, harness.SuiteTools(toolset.Integration)); err != nil {
		return fail("tools", err)
	}
	if suite.chart, err = harness.ChartPath(); err != nil {
		return fail("chart", err)
	}
	if suite.dir, err = os.MkdirTemp("", "prometheus-thanos-integration-"); err != nil {
		return fail("temporary directory", err)
	}
	keep := os.Getenv("INTEGRATION_KEEP_DIR") != ""
	defer func() {
		if keep {
			fmt.Fprintln(os.Stderr, "integration: kept", suite.dir)
			return
		}
		os.RemoveAll(suite.dir)
	}()
	suite.procs = &harness.Processes{Dir: filepath.Join(suite.dir, "logs")}
	suite.ports = &harness.Ports{}
	defer suite.procs.StopAll()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if suite.cluster, err = harness.StartControlPlane(ctx, filepath.Join(suite.dir, "cluster"), suite.tools, suite.procs, suite.ports); err != nil {
		fmt.Fprint(os.Stderr, suite.procs.Logs(30))
		return fail("control plane", err)
	}
	fmt.Fprintf(os.Stderr, "integration: control plane ready at %s in %s\n", suite.cluster.Server, time.Since(start).Round(time.Second))
	if suite.pulumi, err = harness.NewPulumi(filepath.Join(suite.dir, "pulumi"), suite.tools); err != nil {
		return fail("pulumi", err)
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "integration: process logs:\n%s", suite.procs.Logs(30))
	}
	return code
}
