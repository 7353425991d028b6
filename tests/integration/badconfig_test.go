//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// kubeconfigConfig is mainConfig with the kubeconfig given directly (a secret) instead of through
// the cluster stack.
func kubeconfigConfig(t testing.TB) map[string]string {
	t.Helper()
	c := mainConfig(t)
	delete(c, "clusterStack")
	c["kubeconfig"] = suite.cluster.Kubeconfig
	return c
}

// TestBadConfigFailsPreview: a bad value fails `pulumi preview` through the real CLI and engine,
// before anything is created, with an error that names the key. A value of the wrong type is caught
// by the CLI itself from the types Pulumi.yaml declares, the rest by the program's validation.
func TestBadConfigFailsPreview(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ensureClusterStack(ctx, t)
	for _, c := range []struct {
		name    string
		config  map[string]string
		secrets []string // default mainSecrets
		want    []string // all of these appear in the error
	}{
		{
			name:   "retention-banana",
			config: map[string]string{"compactorRetentionRaw": "banana"},
			want:   []string{"config " + program.ProjectName + ":compactorRetentionRaw", `"banana" is not a duration`},
		},
		{
			name:   "replicas-not-integer", // Pulumi.yaml declares querierReplicas an integer
			config: map[string]string{"querierReplicas": "banana"},
			want:   []string{"configuration key 'querierReplicas' must be of type 'integer'"},
		},
		{
			name:    "kubeconfig-in-plaintext",
			config:  map[string]string{},
			secrets: []string{"existingBucketAccessKey", "existingBucketSecretKey"},
			want:    []string{"config " + program.ProjectName + ":kubeconfig", "pulumi config set --secret kubeconfig"},
		},
		{
			name: "global-view-member-missing",
			config: map[string]string{"globalViewMembers": harness.FullyQualified(program.ProjectName, "no-such-member"),
				"globalViewClientTlsSecret": "thanos-global-client"},
			// The engine fails the reference itself; its name carries the key.
			want: []string{program.ProjectName + ":globalViewMembers/" + harness.FullyQualified(program.ProjectName, "no-such-member"),
				`unknown stack "` + harness.FullyQualified(program.ProjectName, "no-such-member") + `"`},
		},
		{
			name: "global-view-member-without-the-outputs", // the cluster stack runs no edge querier
			config: map[string]string{"globalViewMembers": harness.FullyQualified(clusterProject, clusterStack),
				"globalViewClientTlsSecret": "thanos-global-client"},
			want: []string{"config " + program.ProjectName + ":globalViewMembers", `has no output "globalViewEndpoint"`, "globalViewEdge true"},
		},
		{
			name:   "cluster-stack-without-that-output",
			config: map[string]string{"clusterStack": harness.FullyQualified(clusterProject, clusterStack), "kubeconfig": "", "clusterStackKubeconfigOutput": "adminKubeconfig"},
			want:   []string{"config " + program.ProjectName + ":clusterStackKubeconfigOutput", `has no output "adminKubeconfig"`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := kubeconfigConfig(t)
			for k, v := range c.config {
				if v == "" {
					delete(config, k)
				} else {
					config[k] = v
				}
			}
			secrets := c.secrets
			if secrets == nil {
				secrets = mainSecrets
			}
			stack := suite.Pulumi.MustStack(ctx, t, program.ProjectName, "bad-"+c.name, program.Run)
			harness.MustSetConfig(ctx, t, stack, config, secrets...)
			_, err := stack.Preview(ctx)
			if err == nil {
				t.Fatal("preview succeeded")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the preview error does not contain %q:\n%v", want, err)
				}
			}
		})
	}
}
