package mocks

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// TestThanosMixinIsDeployed: the mixin's alerts as one PrometheusRule after the chart's CRDs, and
// one ConfigMap per dashboard with the label the chart's Grafana sidecar loads, holding the
// mixin's JSON unchanged.
func TestThanosMixinIsDeployed(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		rule := r.one(t, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", thanos.MixinAlertsRuleName)
		if !waitsForItsCRD(t, r, rule) {
			t.Errorf("the PrometheusRule does not wait for the chart's CRDs: %v", rule.Dependencies)
		}
		want, err := thanos.MixinAlertGroups()
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

		dashboards, err := thanos.MixinDashboards()
		if err != nil {
			t.Fatal(err)
		}
		for file, text := range dashboards {
			cm := r.one(t, "kubernetes:core/v1:ConfigMap", thanos.DashboardConfigMapName(file))
			labels := stringMap(at(t, cm.Inputs, "metadata.labels"))
			if labels[thanos.GrafanaDashboardLabel] != thanos.GrafanaDashboardLabelValue {
				t.Errorf("%s: labels %v lack %s=%s", cm.Name, labels, thanos.GrafanaDashboardLabel, thanos.GrafanaDashboardLabelValue)
			}
			data := stringMap(at(t, cm.Inputs, "data"))
			if len(data) != 1 || data["thanos-"+file] != text {
				t.Errorf("%s: data keys %v, want thanos-%s with the mixin's JSON", cm.Name, slices.Sorted(maps.Keys(at(t, cm.Inputs, "data").(map[string]any))), file)
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
		if stringMap(at(t, cm.Inputs, "metadata.labels"))[thanos.GrafanaDashboardLabel] != "" {
			t.Errorf("thanosDashboards=false: dashboard ConfigMap %s", cm.Name)
		}
	}
	var rules []string
	for _, rule := range r.all("kubernetes:monitoring.coreos.com/v1:PrometheusRule") {
		rules = append(rules, rule.Name)
	}
	slices.Sort(rules)
	if want := []string{thanos.MixinAlertsRuleName, thanos.StackAlertsRuleName}; !slices.Equal(rules, want) {
		t.Errorf("thanosDashboards=false: PrometheusRules %v, want %v", rules, want)
	}
}

// TestStackAlertsAreDeployed: the stack's own alerts as a second PrometheusRule after the chart's
// CRDs, one group; each alert selects the job Prometheus gives its component's targets (the name of
// the Service the component's ServiceMonitor selects) and no other monitored Service's job, and
// the store gateway alerts' range and `for` follow the stack's storeSyncInterval.
func TestStackAlertsAreDeployed(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		if v := stackConfig(t, stack)["prometheus-thanos:storeSyncInterval"]; v != "" {
			t.Fatalf("stack %s sets storeSyncInterval %s: the test expects the 15m default", stack, v)
		}
		checkStackAlerts(t, r, "22m30s", "30m")
	})
	config := stackConfig(t, "dev")
	config["prometheus-thanos:storeSyncInterval"] = "5m"
	r := runProgram(t, "dev", config)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkStackAlerts(t, r, "7m30s", "10m")
}

// checkStackAlerts checks the stack's PrometheusRule in a run; window and wait are the range and
// the `for` of the store gateway's sync alerts.
func checkStackAlerts(t *testing.T, r *run, window, wait string) {
	t.Helper()
	rule := r.one(t, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", thanos.StackAlertsRuleName)
	if !waitsForItsCRD(t, r, rule) {
		t.Errorf("the PrometheusRule does not wait for the chart's CRDs: %v", rule.Dependencies)
	}
	if got := at(t, rule.Inputs, "spec.groups.0.name"); got != thanos.StackAlertGroupName || len(at(t, rule.Inputs, "spec.groups").([]any)) != 1 {
		t.Fatalf("spec.groups = %v, want one group %s", at(t, rule.Inputs, "spec.groups"), thanos.StackAlertGroupName)
	}
	component := map[string]string{
		"ThanosStoreBlockLoadsFailing": "store", "ThanosStoreBucketSyncFailing": "store",
		"ThanosStoreVolumeFillingUp": "store", "ThanosCompactVolumeFillingUp": "compact",
	}
	var alerts []string
	for i := range at(t, rule.Inputs, "spec.groups.0.rules").([]any) {
		path := fmt.Sprintf("spec.groups.0.rules.%d", i)
		alert := fmt.Sprint(at(t, rule.Inputs, path+".alert"))
		expr := fmt.Sprint(at(t, rule.Inputs, path+".expr"))
		alerts = append(alerts, alert)
		if component[alert] == "" {
			t.Errorf("unexpected alert %s", alert)
			continue
		}
		job, otherJobs := monitoredServices(t, r, component[alert])
		regexes := thanos.JobRegexes(expr)
		if len(regexes) != 1 {
			t.Fatalf("%s: job selectors %q", alert, regexes)
		}
		anchored := regexp.MustCompile("^(?:" + regexes[0] + ")$")
		if !anchored.MatchString(job) {
			t.Errorf("%s: job selector %q does not match the %s job %q", alert, regexes[0], component[alert], job)
		}
		for _, other := range otherJobs {
			if anchored.MatchString(other) {
				t.Errorf("%s: job selector %q matches the job %q of another Service", alert, regexes[0], other)
			}
		}
		if strings.HasPrefix(alert, "ThanosStoreB") && (!strings.Contains(expr, "["+window+"]") || at(t, rule.Inputs, path+".for") != wait) {
			t.Errorf("%s: %s for %v, want the range [%s] and for %s", alert, expr, at(t, rule.Inputs, path+".for"), window, wait)
		}
	}
	if len(alerts) != len(component) {
		t.Errorf("alerts %v, want %d", alerts, len(component))
	}
}

// monitoredServices returns the job of the Service that a ServiceMonitor selects over the pods of
// component's workload (prometheus-operator names a ServiceMonitor target's job after its
// Service), and the jobs of every other monitored Service.
func monitoredServices(t *testing.T, r *run, component string) (job string, others []string) {
	t.Helper()
	var podLabels map[string]string
	for _, typ := range []string{"kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"} {
		for _, w := range r.all(typ) {
			if l := stringMap(at(t, w.Inputs, "spec.template.metadata.labels")); l[components.LabelComponent] == component {
				podLabels = l
			}
		}
	}
	if podLabels == nil {
		t.Fatalf("no workload of component %s", component)
	}
	for _, m := range r.all("kubernetes:monitoring.coreos.com/v1:ServiceMonitor") {
		for _, svc := range r.all("kubernetes:core/v1:Service") {
			if !labelSelectorMatches(t, at(t, m.Inputs, "spec.selector"), stringMap(at(t, svc.Inputs, "metadata.labels"))) {
				continue
			}
			if selects(stringMap(at(t, svc.Inputs, "spec.selector")), podLabels) {
				job = svc.Name
			} else {
				others = append(others, svc.Name)
			}
		}
	}
	if job == "" {
		t.Fatalf("no ServiceMonitor selects a Service over the %s pods", component)
	}
	return job, others
}

// TestChartGivesTheSeriesTheStackVolumeAlertsRead: the real chart, rendered with each stack's
// values, loads KubePersistentVolumeFillingUp (the rule the stack relies on for Prometheus's
// volume) over the same kubelet series the stack's volume alerts read (its job and path); scrapes
// the kubelet and kube-state-metrics with honorLabels, so that the volume series keep the claim's
// namespace and name and kube_pod_spec_volumes_persistentvolumeclaims_info the pod's.
func TestChartGivesTheSeriesTheStackVolumeAlertsRead(t *testing.T) {
	groups, err := thanos.StackAlertGroups(thanos.StackAlertSettings{})
	if err != nil {
		t.Fatal(err)
	}
	// The kubelet selector of the stack's volume alerts.
	var kubeletSelector string
	selector := regexp.MustCompile(`kubelet_volume_stats_available_bytes\{([^}]*)\}`)
	for _, r := range groups[0].Rules {
		if m := selector.FindStringSubmatch(r.Expr.String()); m != nil {
			kubeletSelector = m[1]
		}
	}
	matchers := strings.Split(kubeletSelector, ", ")
	if len(matchers) != 2 {
		t.Fatalf("the stack's kubelet selector %q, want a job and a path", kubeletSelector)
	}
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		c := renderStack(t, stack, r)
		found := 0
		for _, rule := range c.all("PrometheusRule") {
			for _, g := range objects.List(objects.Field(rule, "spec", "groups")) {
				for _, rr := range objects.List(objects.Field(g, "rules")) {
					if objects.Field(rr, "alert") != "KubePersistentVolumeFillingUp" {
						continue
					}
					found++
					expr := fmt.Sprint(objects.Field(rr, "expr"))
					m := selector.FindStringSubmatch(expr)
					if m == nil {
						t.Fatalf("the chart's KubePersistentVolumeFillingUp reads no available bytes: %s", expr)
					}
					for _, want := range matchers {
						if !slices.Contains(strings.Split(m[1], ", "), want) {
							t.Errorf("the chart's KubePersistentVolumeFillingUp selects {%s}, the stack's alerts %s", m[1], want)
						}
					}
				}
			}
		}
		if found != 2 {
			t.Errorf("the chart renders %d KubePersistentVolumeFillingUp rules, want its 2 (critical and warning)", found)
		}
		honorLabels := map[string]bool{}
		for _, sm := range c.all("ServiceMonitor") {
			for _, ep := range objects.List(objects.Field(sm, "spec", "endpoints")) {
				path, _ := objects.Field(ep, "path").(string)
				if path == "" {
					path = "/metrics"
				}
				if objects.Field(ep, "honorLabels") == true && path == "/metrics" {
					honorLabels[sm.Name()] = true
				}
			}
		}
		for _, name := range []string{"kube-prometheus-stack-kubelet", "kube-prometheus-stack-kube-state-metrics"} {
			if !honorLabels[name] {
				t.Errorf("the chart renders no ServiceMonitor %s scraping /metrics with honorLabels (ServiceMonitors with it: %v)", name, honorLabels)
			}
		}
	})
}
