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
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// suite is what every test shares: one control plane and one Pulumi state backend.
var suite struct {
	*harness.Suite
	tools   toolenv.Tools
	cluster *kube.ControlPlane
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if suite.Suite, err = harness.NewSuite("integration", "INTEGRATION_KEEP_DIR", nil); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer suite.Close()
	if suite.tools, err = toolenv.Read(toolset.Integration, toolenv.Variables(toolset.Integration)); err != nil {
		return suite.Fail("tools", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if suite.cluster, err = kube.StartControlPlane(ctx, filepath.Join(suite.Dir, "cluster"), suite.tools, suite.Procs, suite.Ports); err != nil {
		fmt.Fprint(os.Stderr, suite.Procs.Logs(30))
		return suite.Fail("control plane", err)
	}
	fmt.Fprintf(os.Stderr, "integration: control plane ready at %s in %s\n", suite.cluster.Server, time.Since(start).Round(time.Second))
	if err := suite.StartPulumi(suite.tools); err != nil {
		return suite.Fail("pulumi", err)
	}
	return suite.Run(m, 30)
}
