package mocks

import (
	"maps"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
)

// TestChartValuesMergeIntoTheProgramsValues: chartValues reach the Helm release deep-merged with
// the program's values: theirs added beside the program's, the program's untouched.
func TestChartValuesMergeIntoTheProgramsValues(t *testing.T) {
	config := stackConfig(t, "prod")
	config["prometheus-thanos:chartValues"] = `
grafana:
  enabled: false
alertmanager:
  alertmanagerSpec:
    replicas: 3
prometheus:
  prometheusSpec:
    externalLabels:
      region: eu-west-1
    thanos:
      blockSize: 30m
    podMetadata:
      labels:
        team: platform
`
	r := runProgram(t, "prod", config)
	if r.err != nil {
		t.Fatal(r.err)
	}
	values := at(t, r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").Inputs, "values")
	for path, want := range map[string]any{
		"grafana.enabled":                                                          false,
		"alertmanager.alertmanagerSpec.replicas":                                   float64(3),
		"prometheus.prometheusSpec.externalLabels.region":                          "eu-west-1",
		"prometheus.prometheusSpec.externalLabels.cluster":                         "prod-eu-west-1",
		"prometheus.prometheusSpec.thanos.blockSize":                               "30m",
		"prometheus.prometheusSpec.thanos.image":                                   components.ThanosImage(),
		"prometheus.prometheusSpec.replicas":                                       float64(2),
		"prometheus.serviceAccount.name":                                           "prometheus",
		"prometheus.prometheusSpec.thanos.objectStorageConfig.existingSecret.name": "thanos-objstore",
	} {
		if got := at(t, values, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	labels := stringMap(at(t, values, "prometheus.prometheusSpec.podMetadata.labels"))
	want := maps.Clone(components.PrometheusPodLabels())
	want["team"] = "platform"
	if !maps.Equal(labels, want) {
		t.Errorf("pod labels %v, want %v", labels, want)
	}
}

// TestOwnedChartValuesCoverEveryGeneratedValue: every value the program generates is in
// chart.OwnedChartValues, so chartValues can never silently override one.
func TestOwnedChartValuesCoverEveryGeneratedValue(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		values := at(t, r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").Inputs, "values").(map[string]any)
		for _, leaf := range chart.ValueLeaves(values) {
			if _, ok := chart.OwnerOf(leaf); !ok {
				t.Errorf("the program sets %s, which OwnedChartValues does not list", chart.ValuePath(leaf))
			}
		}
	})
}
