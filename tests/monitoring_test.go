package tests

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// TestThanosMixinIsDeployed: the mixin's alerts as one PrometheusRule after the chart's CRDs, and
// one ConfigMap per dashboard with the label the chart's Grafana sidecar loads, holding the
// mixin's JSON unchanged.
func TestThanosMixinIsDeployed(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		rule := r.one(t, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", components.ThanosAlertsRuleName)
		if !dependsOn(rule, "kube-prometheus-stack") {
			t.Errorf("the PrometheusRule does not wait for the chart's CRDs: %v", rule.Dependencies)
		}
		want, err := components.ThanosAlertGroups()
		if err != nil {
			t.Fatal(err)
		}
		groups, ok := at(t, rule.Inputs, "spec.groups").([]any)
		if !ok || len(groups) != len(want) {
			t.Fatalf("spec.groups = %v, want %d groups", at(t, rule.Inputs, "spec.groups"), len(want))
		}
		for i, g := range want {
			if got := at(t, rule.Inputs, fmt.Sprintf("spec.groups.%d.name", i)); got != g.Name {
				t.Errorf("group %d = %v, want %s", i, got, g.Name)
			}
			if got := len(at(t, rule.Inputs, fmt.Sprintf("spec.groups.%d.rules", i)).([]any)); got != len(g.Rules) {
				t.Errorf("group %s has %d rules, want %d", g.Name, got, len(g.Rules))
			}
		}

		dashboards, err := components.ThanosDashboards()
		if err != nil {
			t.Fatal(err)
		}
		for file, text := range dashboards {
			cm := r.one(t, "kubernetes:core/v1:ConfigMap", components.DashboardConfigMapName(file))
			labels := stringMap(at(t, cm.Inputs, "metadata.labels"))
			if labels[components.GrafanaDashboardLabel] != components.GrafanaDashboardLabelValue {
				t.Errorf("%s: labels %v lack %s=%s", cm.Name, labels, components.GrafanaDashboardLabel, components.GrafanaDashboardLabelValue)
			}
			data := stringMap(at(t, cm.Inputs, "data"))
			if len(data) != 1 || data["thanos-"+file] != text {
				t.Errorf("%s: data keys %v, want thanos-%s with the mixin's JSON", cm.Name, keys(at(t, cm.Inputs, "data").(map[string]any)), file)
			}
			if !json.Valid([]byte(data["thanos-"+file])) {
				t.Errorf("%s: not JSON", cm.Name)
			}
		}
	})
}

// TestThanosMixinSwitches: thanosAlerts and thanosDashboards turn each part off.
func TestThanosMixinSwitches(t *testing.T) {
	withSetting := func(key, value string) map[string]string {
		config := stackConfig(t, "dev")
		config["prometheus-thanos:"+key] = value
		return config
	}
	r := runProgram(t, "dev", withSetting("thanosAlerts", "false"))
	if n := len(r.all("kubernetes:monitoring.coreos.com/v1:PrometheusRule")); n != 0 {
		t.Errorf("thanosAlerts=false: %d PrometheusRules", n)
	}
	if n := len(r.all("kubernetes:core/v1:ConfigMap")); n == 0 {
		t.Error("thanosAlerts=false also dropped the dashboards")
	}
	r = runProgram(t, "dev", withSetting("thanosDashboards", "false"))
	for _, cm := range r.all("kubernetes:core/v1:ConfigMap") {
		if stringMap(at(t, cm.Inputs, "metadata.labels"))[components.GrafanaDashboardLabel] != "" {
			t.Errorf("thanosDashboards=false: dashboard ConfigMap %s", cm.Name)
		}
	}
	if n := len(r.all("kubernetes:monitoring.coreos.com/v1:PrometheusRule")); n != 1 {
		t.Errorf("thanosDashboards=false: %d PrometheusRules, want 1", n)
	}
}
