package mocks

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// TestTwoStacksInOneClusterKeepApart: a second stack in the cluster of the first, with its own
// namespace, chartReleaseName and nodeExporterPort, and both with monitorNamespaces, as the keys'
// descriptions say, renders (real chart, the program's values) no cluster-wide object and no
// object in a namespace of the first stack that the first renders too, and no host port the first
// uses; every Service sends to a port its pods listen on; each stack's operator manages the
// Prometheus, Alertmanager and ThanosRuler resources of its own namespace only, and its Prometheus
// and Alertmanager load the monitors, rules and AlertmanagerConfigs of its own namespace only.
func TestTwoStacksInOneClusterKeepApart(t *testing.T) {
	const secondNamespace, secondRelease = "monitoring-b", "kps-b"
	scoped := stackConfig(t, "dev")
	scoped[program.ProjectName+":monitorNamespaces"] = "monitoring"
	second := stackConfig(t, "dev")
	maps.Copy(second, map[string]string{
		program.ProjectName + ":namespace":         secondNamespace,
		program.ProjectName + ":chartReleaseName":  secondRelease,
		program.ProjectName + ":nodeExporterPort":  "9101",
		program.ProjectName + ":monitorNamespaces": secondNamespace,
	})
	stacks := []struct {
		name, namespace, release string
		rendered                 *rendered
	}{
		{"dev", "monitoring", chart.DefaultReleaseName, renderStack(t, "dev scoped", runProgram(t, "dev", scoped))},
		{"dev beside it", secondNamespace, secondRelease, renderStack(t, "dev beside it", runProgram(t, "dev", second))},
	}
	for _, s := range stacks {
		for _, miss := range servicePortsMissed(t, s.rendered) {
			t.Errorf("%s: %s", s.name, miss)
		}
		for _, selector := range monitorNamespaceSelectors(t, s.rendered) {
			// node-exporter's ServiceMonitor is in its own namespace.
			if want := []any{s.namespace, s.namespace + "-node-exporter"}; !reflect.DeepEqual(selector.namespaces, want) {
				t.Errorf("%s: %s selects namespaces %v, want %v", s.name, selector.what, selector.namespaces, want)
			}
		}
		if got := s.rendered.release.Inputs["name"]; got != s.release {
			t.Errorf("%s: the Helm release is %v, want %s", s.name, got, s.release)
		}
		// One resource name whatever the release's: a new release name replaces the release (and
		// the old goes first: two releases in one cluster collide on node-exporter's host port).
		if r := s.rendered.release; r.Name != chart.DefaultReleaseName || !r.DeleteBeforeReplace {
			t.Errorf("%s: the release is resource %q with deleteBeforeReplace %v, want %q and true", s.name, r.Name, r.DeleteBeforeReplace, chart.DefaultReleaseName)
		}
		args := containerArgs(operatorDeployment(t, s.rendered))
		// One kubelet Service in the cluster, which both operators keep: each stack's kubelet
		// ServiceMonitor selects every operator's kubelet Service by its labels.
		if want := "--kubelet-service=kube-system/" + chart.KubeletService; !slices.Contains(args, want) {
			t.Errorf("%s: the operator's arguments %q lack %s", s.name, args, want)
		}
		for _, flag := range harness.OperatorInstanceNamespaceFlags {
			if want := flag + "=" + s.namespace; !slices.Contains(args, want) {
				t.Errorf("%s: the operator's arguments %q lack %s", s.name, args, want)
			}
		}
	}
	first, beside := stacks[0].rendered, stacks[1].rendered
	for _, clash := range sharedKeys(objectKeys(first.objects), objectKeys(beside.objects)) {
		t.Errorf("both stacks render %s", clash)
	}
	for _, clash := range sharedKeys(hostPorts(first.objects), hostPorts(beside.objects)) {
		t.Errorf("both stacks' pods use host port %s", clash)
	}
}

// objectKeys names each rendered object as kind, namespace (empty: cluster-wide) and name.
func objectKeys(rendered []objects.Object) map[string]bool {
	out := map[string]bool{}
	for _, o := range rendered {
		out[fmt.Sprintf("%s %s/%s", o.Kind(), objects.Str(o.Metadata(), "namespace"), o.Name())] = true
	}
	return out
}

// hostPorts are the ports the rendered workloads' containers take on their node: their host
// ports, and on the host's network (node-exporter's) every port they listen on.
func hostPorts(rendered []objects.Object) map[string]bool {
	out := map[string]bool{}
	for _, o := range rendered {
		hostNetwork := objects.Field(o, "spec", "template", "spec", "hostNetwork") == true
		for _, c := range objects.List(o, "spec", "template", "spec", "containers") {
			for _, p := range objects.List(c, "ports") {
				if port := objects.Field(p, "hostPort"); port != nil {
					out[fmt.Sprint(port)] = true
				} else if hostNetwork {
					out[fmt.Sprint(objects.Field(p, "containerPort"))] = true
				}
			}
		}
	}
	return out
}

func sharedKeys(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// operatorDeployment is the chart's prometheus-operator Deployment.
func operatorDeployment(t *testing.T, r *rendered) objects.Object {
	t.Helper()
	var names []string
	for _, d := range r.all("Deployment") {
		names = append(names, d.Name())
	}
	name, err := harness.OperatorDeployment(names)
	if err != nil {
		t.Fatal(err)
	}
	return r.one(t, "Deployment", name)
}

// containerArgs are the arguments of a workload's first container.
func containerArgs(workload objects.Object) []string {
	var out []string
	for _, a := range objects.List(objects.List(workload, "spec", "template", "spec", "containers")[0], "args") {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

// servicePortsMissed names each port of a rendered Service that sends to a port no container of
// its pods (the rendered workloads it selects) declares: the prometheus-node-exporter subchart,
// for one, moves its container's port with service.port but its Service's targetPort only with
// service.targetPort.
func servicePortsMissed(t *testing.T, r *rendered) []string {
	t.Helper()
	var missed []string
	pods, services := renderedPods(t, r), r.all("Service")
	if len(services) == 0 {
		t.Fatal("the chart rendered no Service")
	}
	for _, svc := range services {
		selector := stringMap(objects.Field(svc, "spec", "selector"))
		declared := map[string]bool{}
		found := false
		for _, p := range pods {
			if p.containers == nil || !selects(selector, p.labels) {
				continue
			}
			found = true
			for _, ctr := range p.containers {
				for _, port := range objects.List(ctr["ports"]) {
					declared[fmt.Sprint(objects.Field(port, "containerPort"))] = true
					declared[fmt.Sprint(objects.Field(port, "name"))] = true
				}
			}
		}
		if !found {
			continue // no selector, or pods the operator makes (their ports are the operator's)
		}
		for _, port := range objects.List(svc, "spec", "ports") {
			target := fmt.Sprint(objects.Field(port, "targetPort"))
			if objects.Field(port, "targetPort") == nil {
				target = fmt.Sprint(objects.Field(port, "port"))
			}
			if !declared[target] {
				missed = append(missed, fmt.Sprintf("Service %s port %v sends to %s, which none of its pods declares", svc.Name(), objects.Field(port, "port"), target))
			}
		}
	}
	return missed
}

// namespaceSelection is one namespace selector of the rendered Prometheus or Alertmanager
// resource, and the namespaces its one matchExpression (kubernetes.io/metadata.name In) lists.
type namespaceSelection struct {
	what       string
	namespaces []any
}

// monitorNamespaceSelectors are the rendered Prometheus's and Alertmanagers' namespace selectors
// of monitors, rules and AlertmanagerConfigs; every one must be a single In expression on the
// namespace name.
func monitorNamespaceSelectors(t *testing.T, r *rendered) []namespaceSelection {
	t.Helper()
	fields := map[string][]string{
		"Prometheus":   {"serviceMonitorNamespaceSelector", "podMonitorNamespaceSelector", "probeNamespaceSelector", "scrapeConfigNamespaceSelector", "ruleNamespaceSelector"},
		"Alertmanager": {"alertmanagerConfigNamespaceSelector"},
	}
	var out []namespaceSelection
	for kind, names := range fields {
		resources := r.all(kind)
		if len(resources) == 0 {
			t.Fatalf("the chart rendered no %s", kind)
		}
		for _, o := range resources {
			for _, field := range names {
				what := kind + " " + o.Name() + " " + field
				expressions := objects.List(o, "spec", field, "matchExpressions")
				if len(expressions) != 1 || objects.Field(expressions[0], "key") != chart.NamespaceNameLabel || objects.Field(expressions[0], "operator") != "In" {
					t.Errorf("%s is %v, want one In expression on %s", what, objects.Field(o, "spec", field), chart.NamespaceNameLabel)
					continue
				}
				out = append(out, namespaceSelection{what, objects.List(expressions[0], "values")})
			}
		}
	}
	return out
}
