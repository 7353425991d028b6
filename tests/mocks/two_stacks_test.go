package mocks

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// TestTwoStacksInOneClusterKeepApart: a second stack in the cluster of the first, with its own
// namespace, chartReleaseName and node-exporter port, as the key's description says, renders (real
// chart, the program's values) no cluster-wide object and no object in a namespace of the first
// stack that the first renders too, and no host port the first uses; and each stack's operator
// manages the Prometheus, Alertmanager and ThanosRuler resources of its own namespace only.
func TestTwoStacksInOneClusterKeepApart(t *testing.T) {
	const secondNamespace, secondRelease = "monitoring-b", "kps-b"
	second := stackConfig(t, "dev")
	maps.Copy(second, map[string]string{
		program.ProjectName + ":namespace":        secondNamespace,
		program.ProjectName + ":chartReleaseName": secondRelease,
		program.ProjectName + ":chartValues":      "prometheus-node-exporter: {service: {port: 9101}}",
	})
	stacks := []struct {
		name, namespace, release string
		rendered                 *rendered
	}{
		{"dev", "monitoring", chart.DefaultReleaseName, renderStack(t, "dev", runProgram(t, "dev", stackConfig(t, "dev")))},
		{"dev beside it", secondNamespace, secondRelease, renderStack(t, "dev beside it", runProgram(t, "dev", second))},
	}
	for _, s := range stacks {
		if got := s.rendered.release.Inputs["name"]; got != s.release {
			t.Errorf("%s: the Helm release is %v, want %s", s.name, got, s.release)
		}
		// One resource name whatever the release's: a new release name replaces the release (and
		// the old goes first: two releases in one cluster collide on node-exporter's host port).
		if r := s.rendered.release; r.Name != chart.DefaultReleaseName || !r.DeleteBeforeReplace {
			t.Errorf("%s: the release is resource %q with deleteBeforeReplace %v, want %q and true", s.name, r.Name, r.DeleteBeforeReplace, chart.DefaultReleaseName)
		}
		args := containerArgs(operatorDeployment(t, s.rendered))
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
