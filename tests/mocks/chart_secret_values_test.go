package mocks

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// secretChartValues hold an Alertmanager receiver's credential, as a user routes alerts to Slack.
const secretChartValues = `
alertmanager:
  config:
    global:
      slack_api_url: https://hooks.slack.com/services/T000/B000/not-a-real-token
`

// rawValueAt is the Release input at the dotted path of its values, secret markers kept.
func rawValueAt(t *testing.T, r *run, path string) resource.PropertyValue {
	t.Helper()
	v := r.raw["kubernetes:helm.sh/v3:Release/kube-prometheus-stack"]["values"]
	for _, key := range strings.Split(path, ".") {
		if !v.IsObject() {
			t.Fatalf("values.%s: %v is not a mapping", path, v)
		}
		v = v.ObjectValue()[resource.PropertyKey(key)]
	}
	return v
}

// TestChartSecretValuesStaySecret: each value of chartSecretValues, and each value of a chartValues
// set with --secret, reaches the Release as a secret (encrypted in the state, masked in previews
// and diffs) with its plain value inside; every other value stays in the clear, so diffs keep
// showing them.
func TestChartSecretValuesStaySecret(t *testing.T) {
	const slackURL = "alertmanager.config.global.slack_api_url"
	for _, c := range []struct {
		name    string
		config  map[string]string
		secrets []string
		secret  []string
		clear   []string
	}{
		{
			name: "chartSecretValues beside chartValues",
			config: map[string]string{
				"prometheus-thanos:chartSecretValues": secretChartValues,
				"prometheus-thanos:chartValues":       "alertmanager: {alertmanagerSpec: {replicas: 3}}",
			},
			secret: []string{slackURL},
			clear:  []string{"alertmanager.alertmanagerSpec.replicas", "prometheus.prometheusSpec.replicas"},
		},
		{
			name:    "chartValues set with --secret",
			config:  map[string]string{"prometheus-thanos:chartValues": secretChartValues + "grafana: {enabled: false}\n"},
			secrets: []string{"chartValues"},
			secret:  []string{slackURL, "grafana.enabled"},
			clear:   []string{"prometheus.prometheusSpec.replicas", "prometheus.prometheusSpec.thanos.image"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := stackConfig(t, "prod")
			for k, v := range c.config {
				config[k] = v
			}
			r := runProgramWithSecrets(t, "prod", config, c.secrets...)
			if r.err != nil {
				t.Fatal(r.err)
			}
			values := at(t, r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").Inputs, "values")
			if got := at(t, values, slackURL); got != "https://hooks.slack.com/services/T000/B000/not-a-real-token" {
				t.Errorf("%s = %v, want the receiver's URL", slackURL, got)
			}
			for _, path := range c.secret {
				if !rawValueAt(t, r, path).IsSecret() {
					t.Errorf("values.%s reaches the Release in plaintext", path)
				}
			}
			for _, path := range c.clear {
				if v := rawValueAt(t, r, path); v.IsNull() || containsSecret(v) {
					t.Errorf("values.%s = %v, want a value in the clear", path, v)
				}
			}
		})
	}
}
