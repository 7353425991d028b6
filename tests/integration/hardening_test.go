//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/network"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// nodeExporterNamespace is where the program runs the chart's node-exporter (its default).
const nodeExporterNamespace = namespace + "-node-exporter"

// networkPolicyNames are the NetworkPolicies the program creates in the suite's stack: the Thanos
// and Prometheus pods', and those of the chart's workloads but the admission webhook Jobs, which
// the suite turns off (harness.NoWebhookChartValues).
var networkPolicyNames = []string{"thanos-query", "thanos-query-frontend", "thanos-store", "thanos-compact", network.PrometheusPolicyName,
	network.GrafanaPolicyName, network.OperatorNetworkPolicyName, network.KubeStateMetricsNetworkPolicyName, network.AlertmanagerNetworkPolicyName}

// checkNetworkPolicies: each NetworkPolicy reads back as the program derives it from this stack:
// the Thanos instance, the chart's Grafana in this release, and the test bucket's port.
func checkNetworkPolicies(ctx context.Context, t *testing.T) {
	ports, err := network.ObjectStorePorts(testBucket.Endpoint, true, false)
	if err != nil {
		t.Fatal(err)
	}
	var chartValues map[string]any
	if err := yaml.Unmarshal([]byte(harness.NoWebhookChartValues), &chartValues); err != nil {
		t.Fatal(err)
	}
	specs, err := network.PolicySpecs(network.PolicyInputs{
		Instance:         instance,
		GrafanaPodLabels: map[string]string{components.LabelName: "grafana", components.LabelInstance: releaseName},
		Chart:            chart.PodsOf(chartValues, releaseName),
		ObjectStorePorts: ports,
		QueryFrontend:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != len(networkPolicyNames) {
		t.Fatalf("the program derives %d NetworkPolicies, the suite expects %v", len(specs), networkPolicyNames)
	}
	for _, name := range networkPolicyNames {
		np := mustGet(ctx, t, object{"NetworkPolicy", name}, namespace)
		storedAsMeant(t, "NetworkPolicy "+name, np["spec"], specs[name])
	}
}

// checkPodSecurity: the namespaces carry their Pod Security labels, the API server's PodSecurity
// admission enforces them (a pod with host access is refused in the namespace and admitted in
// node-exporter's), and it admitted every pod the controllers created for the program's and the
// chart's workloads (the operator's Prometheus StatefulSet included).
func checkPodSecurity(ctx context.Context, t *testing.T) {
	for ns, want := range map[string]map[string]string{
		namespace:             components.PodSecurityLabels(components.ReleaseNamespacePodSecurity, components.ReleaseNamespacePodSecurity),
		nodeExporterNamespace: components.PodSecurityLabels(components.NodeExporterNamespacePodSecurity, ""),
	} {
		storedAsMeant(t, "namespace "+ns+" labels", stringMap(mustGet(ctx, t, object{"Namespace", ns}, ""), "metadata", "labels"), want)
	}

	hostPod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "host-access"},
		"spec": map[string]any{
			"hostNetwork": true,
			"containers":  []any{map[string]any{"name": "c", "image": components.ThanosImage()}},
		},
	}
	for _, ns := range []string{namespace, nodeExporterNamespace} {
		harness.WaitFor(ctx, t, time.Minute, "the default ServiceAccount of "+ns, func() (bool, string) {
			_, found, err := suite.cluster.Client.Get(ctx, "/api/v1/namespaces/"+ns+"/serviceaccounts/default")
			return found, fmt.Sprint(err)
		})
	}
	// A dry run goes through admission and stores nothing.
	raw, status, err := suite.cluster.Client.Do(ctx, http.MethodPost, "/api/v1/namespaces/"+namespace+"/pods?dryRun=All", hostPod)
	if err != nil {
		t.Fatal(err)
	}
	var refusal struct{ Message string }
	if err := json.Unmarshal(raw, &refusal); err != nil {
		t.Fatalf("the API server's answer %s: %v", raw, err)
	}
	if want := `violates PodSecurity "restricted:latest"`; status != http.StatusForbidden || !strings.Contains(refusal.Message, want) {
		t.Errorf("a pod with the host's network in %s: status %d %s, want 403 %q", namespace, status, raw, want)
	}
	if raw, status, err := suite.cluster.Client.Do(ctx, http.MethodPost, "/api/v1/namespaces/"+nodeExporterNamespace+"/pods?dryRun=All", hostPod); err != nil || status != http.StatusCreated {
		t.Errorf("a pod with the host's network in %s: status %d %s (%v), want 201", nodeExporterNamespace, status, raw, err)
	}

	// Each controller has created every replica: PodSecurity refused none.
	checked := map[string]string{}
	harness.WaitFor(ctx, t, 2*time.Minute, "every replica of every workload created", func() (bool, string) {
		var short []string
		for _, kind := range []string{"replicasets", "statefulsets"} {
			items, err := suite.cluster.Client.List(ctx, fmt.Sprintf("/apis/apps/v1/namespaces/%s/%s", namespace, kind))
			if err != nil {
				return false, err.Error()
			}
			for _, w := range items {
				want, got := fmt.Sprint(field(w, "spec", "replicas")), fmt.Sprint(field(w, "status", "replicas"))
				if want != got {
					short = append(short, fmt.Sprintf("%s/%s %s of %s", kind, str(w, "metadata", "name"), got, want))
				}
				checked[kind+"/"+str(w, "metadata", "name")] = got
			}
		}
		return len(short) == 0, strings.Join(short, ", ")
	})
	for _, name := range []string{"prometheus-" + prometheusName, storeStatefulSet, compactStatefulSet} {
		if _, ok := checked["statefulsets/"+name]; !ok {
			t.Errorf("StatefulSet %s was not among those checked: %v", name, checked)
		}
	}
	t.Logf("pods created and admitted: %v", checked)
	events, err := suite.cluster.Client.List(ctx, "/api/v1/namespaces/"+namespace+"/events")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if msg := str(e, "message"); str(e, "reason") == "FailedCreate" && strings.Contains(msg, "PodSecurity") {
			t.Errorf("%s/%s: %s", str(e, "involvedObject", "kind"), str(e, "involvedObject", "name"), msg)
		}
	}
}
