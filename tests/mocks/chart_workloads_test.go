package mocks

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	k8snetworkingv1 "k8s.io/api/networking/v1"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/network"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// podKinds are the kinds of the chart's objects with a pod template.
var podKinds = []string{"Deployment", "DaemonSet", "StatefulSet", "Job"}

// renderedPod is one pod template the chart renders, or one pod the operator runs for it.
type renderedPod struct {
	kind, name, namespace string
	labels                map[string]string
	hostNetwork           bool
	// containers and initContainers of its spec; nil for the operator's pods, whose containers
	// the operator builds (their resources are checked from the custom resource's values).
	containers []map[string]any
}

// renderedPods are the pod templates of the rendered chart, the Prometheus pods and the
// Alertmanager pods the operator runs for it, labelled as prometheus-operator v0.93.1 labels them.
func renderedPods(t *testing.T, c *rendered) []renderedPod {
	t.Helper()
	namespace := fmt.Sprint(c.release.Inputs["namespace"])
	var pods []renderedPod
	for _, kind := range podKinds {
		for _, o := range c.all(kind) {
			spec, _ := objects.Field(o, "spec", "template", "spec").(map[string]any)
			ns, _ := objects.Field(o, "metadata", "namespace").(string)
			if ns == "" {
				ns = namespace
			}
			p := renderedPod{kind: kind, name: o.Name(), namespace: ns,
				labels: stringMap(objects.Field(o, "spec", "template", "metadata", "labels")), hostNetwork: spec["hostNetwork"] == true}
			for _, key := range []string{"initContainers", "containers"} {
				for _, ctr := range objects.List(spec[key]) {
					p.containers = append(p.containers, ctr.(map[string]any))
				}
			}
			pods = append(pods, p)
		}
	}
	pods = append(pods, renderedPod{kind: "Prometheus", name: c.prometheus.Name(), namespace: namespace,
		labels: stringMap(objects.Field(c.spec, "podMetadata", "labels"))})
	for _, am := range c.all("Alertmanager") {
		pods = append(pods, renderedPod{kind: "Alertmanager", name: am.Name(), namespace: namespace, labels: alertmanagerPodLabels(t, c, am)})
	}
	return pods
}

// alertmanagerPodLabels are the labels prometheus-operator v0.93.1 gives the pods of an
// Alertmanager resource (pkg/alertmanager/operator.go, makeSelectorLabels), checked against the
// chart's Service for them, which must select them.
func alertmanagerPodLabels(t *testing.T, c *rendered, am objects.Object) map[string]string {
	t.Helper()
	labels := map[string]string{
		components.LabelName: "alertmanager", components.LabelManagedBy: "prometheus-operator",
		components.LabelInstance: am.Name(), "alertmanager": am.Name(),
	}
	maps.Copy(labels, stringMap(objects.Field(am, "spec", "podMetadata", "labels")))
	svc := c.one(t, "Service", am.Name())
	if selector := stringMap(objects.Field(svc, "spec", "selector")); !selects(selector, labels) {
		t.Fatalf("the chart's Service %s selects %v, not the operator's Alertmanager pod labels %v", svc.Name(), selector, labels)
	}
	return labels
}

// chartPods are the chart's pods of the release's namespace for the NetworkPolicy evaluator,
// named after their workload without the release's prefix ("grafana", "operator", ...), with the
// ports their containers declare; two Alertmanager pods, "alertmanager" and "alertmanager-peer",
// with the operator's ports (pkg/alertmanager/statefulset.go, pkg/operator/config_reloader.go).
func chartPods(t *testing.T, c *rendered) map[string]netPod {
	t.Helper()
	prefix := fmt.Sprint(c.release.Inputs["name"]) + "-"
	out := map[string]netPod{}
	for _, p := range renderedPods(t, c) {
		if p.hostNetwork || p.kind == "Prometheus" {
			continue // node-exporter; the Prometheus pods are the Thanos tests' own
		}
		pod := netPod{namespace: p.namespace, labels: p.labels, ports: map[string]int32{}, udp: map[string]bool{}}
		if p.kind == "Alertmanager" {
			pod.ports = map[string]int32{"http-web": chart.AlertmanagerWebPort, "mesh-tcp": chart.AlertmanagerClusterPort,
				"mesh-udp": chart.AlertmanagerClusterPort, "reloader-web": network.ReloaderWebPort}
			pod.udp["mesh-udp"] = true
			out["alertmanager"], out["alertmanager-peer"] = pod, pod
			continue
		}
		for _, ctr := range p.containers {
			for _, port := range objects.List(ctr["ports"]) {
				name := fmt.Sprint(objects.Field(port, "name"))
				n, err := strconv.Atoi(fmt.Sprint(objects.Field(port, "containerPort")))
				if err != nil {
					t.Fatalf("%s %s port %s: %v", p.kind, p.name, name, err)
				}
				pod.ports[name] = int32(n)
				pod.udp[name] = objects.Field(port, "protocol") == "UDP"
			}
		}
		out[strings.TrimPrefix(p.name, prefix)] = pod
	}
	return out
}

// TestTheChartsPodsAreSizedAndFenced renders the real chart with each stack's values: every
// container of every workload has a CPU request and a memory request and limit (the operator's
// config reloaders through its flags), every pod of the release's namespace is selected by an
// ingress NetworkPolicy of the program, and the selectors and ports the policies derive are those
// of the rendered pods.
func TestTheChartsPodsAreSizedAndFenced(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		c := renderStack(t, stack, r)
		t.Run("every container has resources", func(t *testing.T) { checkRenderedResources(t, c) })
		t.Run("every pod off the host's network has an ingress NetworkPolicy", func(t *testing.T) { checkRenderedPodsFenced(t, c) })
		t.Run("the policies' selectors and ports are the rendered pods'", func(t *testing.T) { checkChartPodSelectors(t, c) })
	})
}

// hasResources: requests.cpu, requests.memory and limits.memory are set and not zero.
func hasResources(resources any) []string {
	var missing []string
	for _, path := range [][]string{{"requests", "cpu"}, {"requests", "memory"}, {"limits", "memory"}} {
		if v, ok := objects.FieldOK(resources, path...); !ok || v == nil || fmt.Sprint(v) == "" || fmt.Sprint(v) == "0" {
			missing = append(missing, strings.Join(path, "."))
		}
	}
	return missing
}

func checkRenderedResources(t *testing.T, c *rendered) {
	for _, p := range renderedPods(t, c) {
		for _, ctr := range p.containers {
			if missing := hasResources(ctr["resources"]); len(missing) > 0 {
				t.Errorf("%s %s container %s has no %v: %v", p.kind, p.name, ctr["name"], missing, ctr["resources"])
			}
		}
	}
	// The operator's pods: Prometheus and its sidecar, Alertmanager, from their resources; the
	// config reloaders of both from the operator's flags ("0" is none).
	if missing := hasResources(c.spec["resources"]); len(missing) > 0 {
		t.Errorf("Prometheus %s has no %v", c.prometheus.Name(), missing)
	}
	if missing := hasResources(objects.Field(c.spec, "thanos", "resources")); len(missing) > 0 {
		t.Errorf("Prometheus %s's Thanos sidecar has no %v", c.prometheus.Name(), missing)
	}
	for _, am := range c.all("Alertmanager") {
		if missing := hasResources(objects.Field(am, "spec", "resources")); len(missing) > 0 {
			t.Errorf("Alertmanager %s has no %v", am.Name(), missing)
		}
	}
	operators := c.all("Deployment")
	operators = slices.DeleteFunc(operators, func(o objects.Object) bool {
		return !strings.HasSuffix(o.Name(), "-operator")
	})
	if len(operators) != 1 {
		t.Fatalf("%d operator Deployments rendered, want 1", len(operators))
	}
	var args []string
	for _, ctr := range objects.List(objects.Field(operators[0], "spec", "template", "spec", "containers")) {
		for _, a := range objects.List(objects.Field(ctr, "args")) {
			args = append(args, fmt.Sprint(a))
		}
	}
	for _, flag := range []string{"--config-reloader-cpu-request", "--config-reloader-memory-request", "--config-reloader-memory-limit"} {
		i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, flag+"=") })
		if i < 0 || strings.TrimPrefix(args[i], flag+"=") == "0" {
			t.Errorf("the operator runs the config reloaders without %s (args %v)", flag, args)
		}
	}
}

func checkRenderedPodsFenced(t *testing.T, c *rendered) {
	policies := registeredNetworkPolicies(t, c.run)
	for _, p := range renderedPods(t, c) {
		if p.hostNetwork {
			if p.namespace == fmt.Sprint(c.release.Inputs["namespace"]) {
				t.Errorf("%s %s runs on the host's network in the release's namespace", p.kind, p.name)
			}
			continue // NetworkPolicies do not apply on the host's network
		}
		pod := netPod{namespace: p.namespace, labels: p.labels}
		var by []string
		for _, np := range policies {
			if appliesTo(t, np, pod, k8snetworkingv1.PolicyTypeIngress) {
				by = append(by, np.Name)
			}
		}
		if len(by) == 0 {
			t.Errorf("%s %s (labels %v) is selected by no ingress NetworkPolicy", p.kind, p.name, p.labels)
		}
	}
}

// checkChartPodSelectors: each selector of chart.PodsOf selects exactly its workload's
// pods among those rendered, and the ports the policies admit are those its containers declare.
func checkChartPodSelectors(t *testing.T, c *rendered) {
	values, _ := c.release.Inputs["values"].(map[string]any)
	release := fmt.Sprint(c.release.Inputs["name"])
	pods := chart.PodsOf(values, release)
	jobs := k8smetav1.LabelSelector{MatchExpressions: []k8smetav1.LabelSelectorRequirement{{Key: "app", Operator: k8smetav1.LabelSelectorOpIn, Values: pods.AdmissionWebhookJobs}}}
	for _, s := range []struct {
		what     string
		selector *k8smetav1.LabelSelector
		want     []string
		ports    map[string]int32 // container port name: the number the policy admits
	}{
		{"Grafana", &k8smetav1.LabelSelector{MatchLabels: pods.Grafana}, []string{"Deployment/" + release + "-grafana"}, map[string]int32{"grafana": chart.GrafanaPort}},
		{"the operator", &k8smetav1.LabelSelector{MatchLabels: pods.Operator}, []string{"Deployment/" + release + "-operator"}, map[string]int32{"https": chart.OperatorPort}},
		{"kube-state-metrics", &k8smetav1.LabelSelector{MatchLabels: pods.KubeStateMetrics}, []string{"Deployment/" + release + "-kube-state-metrics"},
			map[string]int32{"http": chart.KubeStateMetricsPort, "metrics": chart.KubeStateMetricsTelemetryPort}},
		{"Alertmanager", &k8smetav1.LabelSelector{MatchLabels: pods.Alertmanager}, []string{"Alertmanager/" + release + "-alertmanager"}, nil},
		{"the hook Jobs", &jobs, []string{"Job/" + release + "-admission-create", "Job/" + release + "-admission-patch"}, nil},
	} {
		var selected, found []string
		for _, p := range renderedPods(t, c) {
			if selectorMatches(t, s.selector, p.labels) {
				selected = append(selected, p.kind+"/"+p.name)
				for _, ctr := range p.containers {
					for _, port := range objects.List(ctr["ports"]) {
						name := fmt.Sprint(objects.Field(port, "name"))
						if want, ok := s.ports[name]; ok {
							found = append(found, name)
							if got := fmt.Sprint(objects.Field(port, "containerPort")); got != fmt.Sprint(want) {
								t.Errorf("%s's port %s is %s, the NetworkPolicy admits %d", s.what, name, got, want)
							}
						}
					}
				}
			}
		}
		slices.Sort(found)
		if want := slices.Sorted(maps.Keys(s.ports)); !slices.Equal(found, want) {
			t.Errorf("%s's pods declare the ports %v of %v", s.what, found, want)
		}
		slices.Sort(selected)
		if !slices.Equal(selected, s.want) {
			t.Errorf("%s's selector %v selects %v, want %v", s.what, s.selector, selected, s.want)
		}
	}
}
