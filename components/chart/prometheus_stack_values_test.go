package chart

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	k8scorev1 "k8s.io/api/core/v1"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

func testValues() PrometheusValues {
	return PrometheusValues{
		Namespace: "monitoring", Replicas: 2, ClusterName: "prod", Retention: "2d", StorageSize: "100Gi", StorageClass: "gp3",
		ServiceAccountName: "prometheus", ObjstoreSecretName: "thanos-objstore", PodDisruptionBudget: true,
		SidecarResources: components.Resources{CPURequest: "50m", MemoryRequest: "128Mi", MemoryLimit: "512Mi"},
		Drain:            50 * time.Second,
	}
}

// strictDecode reads a values subtree into an upstream type, refusing any field the type lacks.
func strictDecode(t *testing.T, v any, into any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s does not decode as %T: %v", raw, into, err)
	}
}

// TestPrometheusSpecValuesAreOperatorFields: the chart passes prometheusSpec's thanos (but its
// objectStorageConfig), podMetadata, resources and storageSpec (as storage) to the Prometheus
// resource; each must be a valid field set of prometheus-operator's types. What the real chart
// renders from them is tested in tests/ (TestRealChartRendersWhatTheProgramMeans).
func TestPrometheusSpecValuesAreOperatorFields(t *testing.T) {
	values, err := PrometheusStackValues(testValues())
	if err != nil {
		t.Fatal(err)
	}
	spec := values["prometheus"].(map[string]any)["prometheusSpec"].(map[string]any)
	thanosValues := maps.Clone(spec["thanos"].(map[string]any))
	// The chart's own shape, which it turns into the operator's {name, key}.
	objectStorage := thanosValues["objectStorageConfig"]
	delete(thanosValues, "objectStorageConfig")
	if want := map[string]any{"existingSecret": map[string]any{"name": "thanos-objstore", "key": components.ObjstoreSecretKey}}; !reflect.DeepEqual(objectStorage, want) {
		t.Errorf("thanos.objectStorageConfig %v, want %v", objectStorage, want)
	}
	var thanos monitoringv1.ThanosSpec
	strictDecode(t, thanosValues, &thanos)
	if *thanos.Image != components.ThanosImage() || *thanos.Version != components.ThanosVersion {
		t.Errorf("thanos spec %+v", thanos)
	}
	if thanos.Resources.Limits.Memory().String() != "512Mi" {
		t.Errorf("sidecar resources %+v", thanos.Resources)
	}
	var storage monitoringv1.StorageSpec
	strictDecode(t, spec["storageSpec"], &storage)
	claim := storage.VolumeClaimTemplate.Spec
	if claim.Resources.Requests.Storage().String() != "100Gi" || *claim.StorageClassName != "gp3" {
		t.Errorf("storage %+v", claim)
	}
	// The operator patches its containers of the same names with these (strategic merge).
	var containers []k8scorev1.Container
	strictDecode(t, spec["containers"], &containers)
	var drained []string
	for _, c := range containers {
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 50 {
			t.Errorf("container %s: lifecycle %+v, want a preStop sleep of 50 s", c.Name, c.Lifecycle)
		}
		drained = append(drained, c.Name)
	}
	if !slices.Equal(drained, []string{PrometheusContainer, SidecarContainer}) {
		t.Errorf("drained containers %v, want the Prometheus and the sidecar", drained)
	}
	var common monitoringv1.CommonPrometheusFields
	strictDecode(t, map[string]any{
		"replicas": spec["replicas"], "replicaExternalLabelName": spec["replicaExternalLabelName"],
		"externalLabels": spec["externalLabels"], "podMetadata": spec["podMetadata"], "resources": spec["resources"],
	}, &common)
	if *common.Replicas != 2 || *common.ReplicaExternalLabelName != components.PrometheusReplicaLabel || common.ExternalLabels[components.ClusterLabel] != "prod" {
		t.Errorf("common fields %+v", common)
	}
}

func TestPrometheusValuesRejectBadInput(t *testing.T) {
	for name, mutate := range map[string]func(*PrometheusValues){
		"no replicas":        func(v *PrometheusValues) { v.Replicas = 0 },
		"bad sidecar memory": func(v *PrometheusValues) { v.SidecarResources.MemoryLimit = "lots" },
		"bad storage size":   func(v *PrometheusValues) { v.StorageSize = "big" },
		"no objstore secret": func(v *PrometheusValues) { v.ObjstoreSecretName = "" },
		"no service account": func(v *PrometheusValues) { v.ServiceAccountName = "" },
		"PDB over one":       func(v *PrometheusValues) { v.Replicas = 1 },
		"drain past grace":   func(v *PrometheusValues) { v.Drain = prometheusTerminationGracePeriod },
	} {
		v := testValues()
		mutate(&v)
		if _, err := PrometheusStackValues(v); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestGrafanaAdminSecret(t *testing.T) {
	for _, c := range []struct {
		name    string
		values  map[string]any
		release string
		want    string
	}{
		{"chart default", map[string]any{}, "kube-prometheus-stack", "kube-prometheus-stack-grafana"},
		{"release named grafana", map[string]any{}, "my-grafana", "my-grafana"},
		{"grafana off", map[string]any{"grafana": map[string]any{"enabled": false}}, "kps", ""},
		{"existing secret", map[string]any{"grafana": map[string]any{"admin": map[string]any{"existingSecret": "ops-grafana"}}}, "kps", "ops-grafana"},
		{"fullnameOverride", map[string]any{"grafana": map[string]any{"fullnameOverride": "g"}}, "kps", "g"},
		{"nameOverride", map[string]any{"grafana": map[string]any{"nameOverride": "dash"}}, "kps", "kps-dash"},
	} {
		if got := GrafanaAdminSecret(c.values, c.release); got != c.want {
			t.Errorf("%s: GrafanaAdminSecret = %q, want %q", c.name, got, c.want)
		}
	}
}
