package chart

import (
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

func TestMergeChartValues(t *testing.T) {
	program := map[string]any{"prometheus": map[string]any{
		"prometheusSpec": map[string]any{"replicas": 2, "externalLabels": map[string]any{components.ClusterLabel: "prod"}},
	}}
	extra := map[string]any{
		"grafana":    map[string]any{"enabled": false},
		"prometheus": map[string]any{"prometheusSpec": map[string]any{"externalLabels": map[string]any{"region": "eu"}}},
	}
	got, err := MergeChartValues(program, extra)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"grafana": map[string]any{"enabled": false},
		"prometheus": map[string]any{"prometheusSpec": map[string]any{
			"replicas": 2, "externalLabels": map[string]any{components.ClusterLabel: "prod", "region": "eu"},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
	if program["prometheus"].(map[string]any)["prometheusSpec"].(map[string]any)["externalLabels"].(map[string]any)["region"] != nil {
		t.Error("the merge changed the program's values in place")
	}
}

func TestMergeChartValuesRefusesOwnedValues(t *testing.T) {
	for name, c := range map[string]struct {
		extra map[string]any
		want  string
	}{
		"a value the program sets":   {map[string]any{"prometheus": map[string]any{"prometheusSpec": map[string]any{"replicas": 3}}}, "prometheus.prometheusSpec.replicas is owned by the program (prometheus.prometheusSpec.replicas: set from prometheusReplicas)"},
		"under an owned value":       {map[string]any{"prometheus": map[string]any{"serviceAccount": map[string]any{"annotations": map[string]any{"x": "y"}}}}, "prometheus.serviceAccount.annotations.x is owned"},
		"above an owned value":       {map[string]any{"prometheus": map[string]any{"prometheusSpec": map[string]any{"thanos": nil}}}, "prometheus.prometheusSpec.thanos is owned"},
		"an owned label with a dot":  {map[string]any{"prometheus": map[string]any{"prometheusSpec": map[string]any{"podMetadata": map[string]any{"labels": map[string]any{components.LabelStoreAPI: "false"}}}}}, `prometheus.prometheusSpec.podMetadata.labels."thanos.io/store-api" is owned`},
		"an empty map replacing one": {map[string]any{"prometheus": map[string]any{"prometheusSpec": map[string]any{"thanos": map[string]any{"objectStorageConfig": map[string]any{}}}}}, "prometheus.prometheusSpec.thanos.objectStorageConfig is owned"},
	} {
		_, err := MergeChartValues(map[string]any{}, c.extra)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
	// Beside owned values, anything goes.
	free := map[string]any{"prometheus": map[string]any{"prometheusSpec": map[string]any{
		"thanos": map[string]any{"blockSize": "30m"}, "podMetadata": map[string]any{"labels": map[string]any{"team": "a"}},
	}}}
	if _, err := MergeChartValues(map[string]any{}, free); err != nil {
		t.Errorf("values beside the owned ones refused: %v", err)
	}
}
