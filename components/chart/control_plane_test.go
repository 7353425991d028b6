package chart

import (
	"reflect"
	"testing"
)

// TestControlPlaneTargetsSwitchTheChartsTargets: the zero value turns every one of the chart's
// control-plane targets off (the chart's default is on), and each field turns on its own.
func TestControlPlaneTargetsSwitchTheChartsTargets(t *testing.T) {
	enabled := func(values map[string]any) map[string]any {
		out := map[string]any{}
		for _, key := range []string{"kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"} {
			out[key] = valueAt(values, []string{key, "enabled"})
		}
		return out
	}
	for _, c := range []struct {
		name    string
		targets ControlPlaneTargets
		want    map[string]any
	}{
		{"none", ControlPlaneTargets{}, map[string]any{"kubeControllerManager": false, "kubeScheduler": false, "kubeEtcd": false, "kubeProxy": false}},
		{"control plane", ControlPlaneTargets{ControlPlane: true}, map[string]any{"kubeControllerManager": true, "kubeScheduler": true, "kubeEtcd": true, "kubeProxy": false}},
		{"kube-proxy", ControlPlaneTargets{KubeProxy: true}, map[string]any{"kubeControllerManager": false, "kubeScheduler": false, "kubeEtcd": false, "kubeProxy": true}},
	} {
		v := testValues()
		v.ControlPlaneTargets = c.targets
		values, err := PrometheusStackValues(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := enabled(values); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
