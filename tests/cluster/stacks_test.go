//go:build cluster

package cluster

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// stackSite is where a stack of the suite deploys: the cluster (nil before it runs), the chart,
// and the admission webhook's certificate for its namespace and release.
func stackSite(c *kube.Cluster, namespace, release string) (*harness.Site, error) {
	site := &harness.Site{Stack: harness.StackSite{ChartPath: suite.Chart, Namespace: namespace, ReleaseName: release,
		WebhookCA: "ca", WebhookCert: "cert", WebhookKey: "key"}}
	if c == nil {
		return site, nil
	}
	site.Stack.Kubeconfig = c.Kubeconfig
	// The chart's operator Service ("kube-prometheus-stack.operator.fullname"), which serves the
	// admission webhook.
	service := chart.Fullname(nil, release) + "-operator"
	certFile, keyFile, err := c.IssueCertificate(filepath.Join(suite.Dir, "webhook-"+namespace), "webhook",
		[]string{service, service + "." + namespace + ".svc"})
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		into *string
		path string
	}{{&site.Stack.WebhookCert, certFile}, {&site.Stack.WebhookKey, keyFile}} {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		*f.into = string(raw)
	}
	site.Stack.WebhookCA = string(c.CAPEM)
	return site, nil
}

func parseYAMLMap(raw string) (map[string]any, error) {
	var out map[string]any
	return out, yaml.Unmarshal([]byte(raw), &out)
}

// localMinIOObjects are the objects of deploy/local/minio.yaml, the README's MinIO for the local
// stack.
func localMinIOObjects() ([]objects.Object, error) {
	raw, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "deploy", "local", "minio.yaml"))
	if err != nil {
		return nil, err
	}
	return harness.DecodeManifests(raw)
}

// minioCredentials are the keys deploy/local/minio.yaml gives MinIO, which the README tells local
// users to set as the stack's bucket keys.
func minioCredentials(t testing.TB) (access, secret string) {
	t.Helper()
	manifests, err := localMinIOObjects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range manifests {
		if o.Kind() == "Secret" {
			data := objects.StringMap(map[string]any(o), "stringData")
			return data["MINIO_ROOT_USER"], data["MINIO_ROOT_PASSWORD"]
		}
	}
	t.Fatal("deploy/local/minio.yaml has no Secret")
	return "", ""
}

// deployLocalMinIO applies deploy/local/minio.yaml, as the README's local steps do, and waits for
// MinIO to be ready.
func deployLocalMinIO(ctx context.Context, t *testing.T) {
	t.Helper()
	manifests, err := localMinIOObjects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range manifests {
		if err := suite.cluster.Apply(ctx, map[string]any(o)); err != nil {
			t.Fatalf("apply %s %s: %v", o.Kind(), o.Name(), err)
		}
	}
	if err := suite.cluster.WaitDeploymentReady(ctx, "minio", "minio", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// stackSecrets are the keys the suite's stacks set as secrets, as the README's local steps do.
var stackSecrets = []string{"kubeconfig", "existingBucketAccessKey", "existingBucketSecretKey"}

// localStackConfig is Pulumi.local.yaml, the README's local secrets, the ClusterStackConfig
// substitutions, and the overrides (the test's own scenario, not substitutions) given.
func localStackConfig(t *testing.T, namespace, release string, overrides map[string]string) map[string]string {
	t.Helper()
	file, err := harness.StackFileConfig("local")
	if err != nil {
		t.Fatal(err)
	}
	site, err := stackSite(suite.cluster, namespace, release)
	if err != nil {
		t.Fatal(err)
	}
	config, err := harness.ApplyClusterStackConfig(site, file)
	if err != nil {
		t.Fatal(err)
	}
	config["existingBucketAccessKey"], config["existingBucketSecretKey"] = minioCredentials(t)
	for k, v := range overrides {
		config[k] = v
	}
	return config
}

// newStack creates a stack of the program with the configuration.
func newStack(ctx context.Context, t *testing.T, name string, config map[string]string) auto.Stack {
	t.Helper()
	s := suite.Pulumi.MustStack(ctx, t, program.ProjectName, name, program.Run)
	harness.MustSetConfig(ctx, t, s, config, stackSecrets...)
	return s
}

// waitPodsReady waits until every pod in the namespace is Ready (or Succeeded, for a Job's) and
// none is Pending, and returns them.
func waitPodsReady(ctx context.Context, t *testing.T, namespace string, timeout time.Duration) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pods, err := suite.cluster.Client.List(ctx, "/api/v1/namespaces/"+namespace+"/pods")
		if err != nil {
			t.Fatal(err)
		}
		var notReady []string
		for _, p := range pods {
			if !podReady(p) && objects.Str(p, "status", "phase") != "Succeeded" {
				notReady = append(notReady, podState(p))
			}
		}
		if len(pods) > 0 && len(notReady) == 0 {
			return pods
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods of %s not Ready after %v:\n%s", namespace, timeout, strings.Join(notReady, "\n"))
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}

func podReady(p map[string]any) bool {
	for _, c := range objects.List(p, "status", "conditions") {
		if objects.Str(c, "type") == "Ready" && objects.Str(c, "status") == "True" {
			return true
		}
	}
	return false
}

// podState describes a pod for a failure message: phase and each container's state.
func podState(p map[string]any) string {
	var states []string
	for _, key := range []string{"initContainerStatuses", "containerStatuses"} {
		for _, c := range objects.List(p, "status", key) {
			state := "running"
			for _, s := range []string{"waiting", "terminated"} {
				if st := objects.Field(c, "state", s); st != nil {
					state = fmt.Sprintf("%s %s %s", s, objects.Str(st, "reason"), objects.Str(st, "message"))
				}
			}
			states = append(states, fmt.Sprintf("%s(ready %v, restarts %v): %s", objects.Str(c, "name"), objects.Field(c, "ready"), objects.Field(c, "restartCount"), state))
		}
	}
	sort.Strings(states)
	return fmt.Sprintf("%s %s [%s]", objects.Str(p, "metadata", "name"), objects.Str(p, "status", "phase"), strings.Join(states, "; "))
}

func decodeBase64(t testing.TB, s string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

var _ = slices.Contains[[]string]
