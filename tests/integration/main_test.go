//go:build integration

// Package integration runs the Pulumi program through the real Pulumi engine and the real
// kubernetes provider against a real kube-apiserver (and etcd) on loopback, with no cloud:
//
//	eval "$(scripts/build-tools.sh --print-env integration)"
//	go test -tags integration -count=1 -timeout 30m ./tests/integration/
//
// What is real: the pulumi CLI and engine (driven by the Automation API with an inline program,
// program.Run), the project's Pulumi.yaml config schema and defaults, the kubernetes provider
// plugin, Helm (inside the provider), kube-apiserver with RBAC and the real prometheus-operator CRD
// schemas, etcd, the local file state backend with passphrase-encrypted secrets, and stack
// references between stacks of that backend.
//
// What is not: there is no kubelet, scheduler or controller-manager, so pods never run and no
// controller reconciles anything (the program's kubernetesSkipAwait is set for that reason);
// there is no AWS (the program uses an existing S3-compatible bucket, existingBucketName, so it
// registers no AWS resource); and the chart is a small stand-in for kube-prometheus-stack
// (testdata/chart) carrying the real CRDs, because the real chart cannot be downloaded here.
package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// toolchain is where the real binaries are; scripts/build-tools.sh --print-env integration sets it.
type toolchain struct {
	pulumiDir, providerDir, kubeAPIServerDir, etcd string
}

func toolchainFromEnv() (toolchain, error) {
	t := toolchain{
		pulumiDir:        os.Getenv("PULUMI_BIN_DIR"),
		providerDir:      os.Getenv("KUBERNETES_PROVIDER_BIN_DIR"),
		kubeAPIServerDir: os.Getenv("KUBE_APISERVER_BIN_DIR"),
		etcd:             os.Getenv("ETCD_BIN"),
	}
	for _, f := range []struct{ env, path string }{
		{"PULUMI_BIN_DIR", filepath.Join(t.pulumiDir, "pulumi")},
		{"KUBERNETES_PROVIDER_BIN_DIR", filepath.Join(t.providerDir, "pulumi-resource-kubernetes")},
		{"KUBE_APISERVER_BIN_DIR", filepath.Join(t.kubeAPIServerDir, "kube-apiserver")},
		{"ETCD_BIN", t.etcd},
	} {
		if fi, err := os.Stat(f.path); err != nil || fi.IsDir() || os.Getenv(f.env) == "" {
			return t, fmt.Errorf("%s does not lead to a binary (%q); run\n\teval \"$(scripts/build-tools.sh --print-env integration)\"\nfrom the repository root first", f.env, f.path)
		}
	}
	return t, nil
}

// suite is what every test shares: one control plane and one Pulumi state backend.
var suite struct {
	tools   toolchain
	dir     string // temporary root: state, workspaces, logs, the chart
	cluster *controlPlane
	pulumi  *pulumiEnv
	chart   string // path of the assembled test chart
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tools, err := toolchainFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	suite.tools = tools
	suite.dir, err = os.MkdirTemp("", "prometheus-thanos-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	keep := os.Getenv("INTEGRATION_KEEP_DIR") != ""
	defer func() {
		if keep {
			fmt.Fprintln(os.Stderr, "integration: kept", suite.dir)
			return
		}
		os.RemoveAll(suite.dir)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	suite.cluster, err = startControlPlane(ctx, filepath.Join(suite.dir, "cluster"), tools)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: control plane:", err)
		return 1
	}
	defer suite.cluster.stop()
	fmt.Fprintf(os.Stderr, "integration: kube-apiserver ready at %s in %s\n", suite.cluster.server, time.Since(start).Round(time.Second))

	if suite.chart, err = assembleChart(ctx, filepath.Join(suite.dir, "chart")); err != nil {
		fmt.Fprintln(os.Stderr, "integration: chart:", err)
		return 1
	}
	if suite.pulumi, err = newPulumiEnv(filepath.Join(suite.dir, "pulumi"), tools); err != nil {
		fmt.Fprintln(os.Stderr, "integration: pulumi:", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "integration: control plane logs:\n%s", suite.cluster.logs())
	}
	return code
}
