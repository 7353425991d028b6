//go:build integration

package integration

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
)

// operator is the running prometheus-operator, once operatorGeneratesPrometheus started it; it
// runs until the suite ends, so that it also sees the deletions of destroy.
var operator *harness.Operator

// operatorFlag is the value of one of the operator's generated flags.
func operatorFlag(t *testing.T, name string) string {
	t.Helper()
	if operator == nil {
		t.Fatal("the operator has not been started")
	}
	for _, f := range operator.Generated {
		if n, v, _ := harness.SplitFlag(f); n == name {
			return v
		}
	}
	t.Fatalf("the operator's arguments %q have no --%s", operator.Generated, name)
	return ""
}

// operatorGeneratesPrometheus runs the real prometheus-operator with the arguments of the chart's
// Deployment, and checks the StatefulSet and configuration it generates from the Prometheus
// resource the chart rendered from the program's values: the sidecar uploads to the program's
// bucket, serves the StoreAPI behind the peers Service, is scraped, and the replicas carry the labels
// the querier deduplicates on.
func operatorGeneratesPrometheus(ctx context.Context, t *testing.T) {
	var err error
	operator, err = harness.StartOperator(ctx, suite.cluster, suite.Procs, suite.Ports, suite.tools, namespace, operatorName)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("operator: %s", strings.Join(procs.QuoteArgs(operator.Args), " "))
	statefulSet := object{"StatefulSet", "prometheus-" + prometheusName}
	var sts map[string]any
	deadline := time.Now().Add(2 * time.Minute)
	for sts == nil {
		obj, found, err := suite.cluster.Client.Get(ctx, statefulSet.path(namespace))
		switch {
		case err != nil:
			t.Fatal(err)
		case found:
			sts = obj
		case time.Now().After(deadline):
			t.Fatalf("the operator generated no %s in 2 minutes; its log:\n%s", statefulSet, operator.Proc.Tail(40))
		default:
			time.Sleep(time.Second)
		}
	}
	template := kube.PodTemplate(sts)
	if got := fmt.Sprint(field(sts, "spec", "replicas")); got != "2" {
		t.Errorf("%s replicas %s, want 2", statefulSet, got)
	}
	if sa := str(template, "spec", "serviceAccountName"); sa != "prometheus" {
		t.Errorf("Prometheus pods run as ServiceAccount %q, want prometheus (the sidecar role's subject)", sa)
	}
	checkGeneratedSidecar(ctx, t, template)
	checkGeneratedPodLabels(ctx, t, template)
	checkGeneratedConfig(ctx, t)
}

// checkGeneratedSidecar: the sidecar container uploads to the objstore Secret's bucket.
func checkGeneratedSidecar(ctx context.Context, t *testing.T, template map[string]any) {
	raw, err := kube.TemplateContainer(template, "thanos-sidecar", false)
	if err != nil {
		t.Fatal(err)
	}
	sidecar, err := kube.ResolveContainer(ctx, suite.cluster.Client, namespace, "prometheus-"+prometheusName+"-0", raw)
	if err != nil {
		t.Fatal(err)
	}
	objstore, err := kube.SecretData(ctx, suite.cluster.Client, namespace, objstoreSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"objstore.config": string(objstore[components.ObjstoreSecretKey]),
		"tsdb.path":       "/prometheus",
		"grpc-address":    fmt.Sprintf(":%d", thanos.GRPCPort),
		"http-address":    fmt.Sprintf(":%d", thanos.HTTPPort),
	}
	got := map[string]string{}
	for _, f := range sidecar.Args {
		if name, value, _ := harness.SplitFlag(f); want[name] != "" {
			got[name] = value
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("the generated sidecar's flags %v, want %v (args %q)", got, want, raw["args"])
	}
	if sidecar.Image != components.ThanosImage() {
		t.Errorf("sidecar image %s, want %s", sidecar.Image, components.ThanosImage())
	}
	ports := map[string]string{}
	for _, p := range list(raw, "ports") {
		ports[str(p, "name")] = fmt.Sprint(field(p, "containerPort"))
	}
	if wantPorts := map[string]string{thanos.GRPCPortName: fmt.Sprint(thanos.GRPCPort), chart.SidecarHTTPPortName: fmt.Sprint(thanos.HTTPPort)}; !maps.Equal(ports, wantPorts) {
		t.Errorf("sidecar ports %v, want %v", ports, wantPorts)
	}
}

// checkGeneratedPodLabels: the generated pods are behind the peers Service and scraped by the
// sidecars' PodMonitor.
func checkGeneratedPodLabels(ctx context.Context, t *testing.T, template map[string]any) {
	labels := stringMap(template, "metadata", "labels")
	peers := mustGet(ctx, t, object{"Service", "thanos-peers"}, namespace)
	if !subset(stringMap(peers, "spec", "selector"), labels) {
		t.Errorf("the peers Service %v does not select the generated Prometheus pods %v", stringMap(peers, "spec", "selector"), labels)
	}
	pm := mustGet(ctx, t, object{"PodMonitor", components.SidecarPodMonitorName}, namespace)
	if !subset(stringMap(pm, "spec", "selector", "matchLabels"), labels) {
		t.Errorf("the PodMonitor %v does not select the generated Prometheus pods %v", stringMap(pm, "spec", "selector"), labels)
	}
	var withPort []string
	for _, c := range list(template, "spec", "containers") {
		for _, p := range list(c, "ports") {
			if str(p, "name") == str(list(pm, "spec", "podMetricsEndpoints")[0], "port") {
				withPort = append(withPort, str(c, "name"))
			}
		}
	}
	if !slices.Equal(withPort, []string{"thanos-sidecar"}) {
		t.Errorf("the PodMonitor's port is on containers %v, want the sidecar alone", withPort)
	}
}

// checkGeneratedConfig: the configuration the operator generated carries the external labels the
// querier deduplicates on, and scrape jobs for the program's ServiceMonitors and PodMonitor.
func checkGeneratedConfig(ctx context.Context, t *testing.T) {
	data, err := kube.SecretData(ctx, suite.cluster.Client, namespace, "prometheus-"+prometheusName)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data["prometheus.yaml.gz"]))
	if err != nil {
		t.Fatalf("the generated config: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Global struct {
			ExternalLabels map[string]string `yaml:"external_labels"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	labels := cfg.Global.ExternalLabels
	if labels[components.ClusterLabel] != clusterName || labels[components.PrometheusReplicaLabel] != "$(POD_NAME)" {
		t.Errorf("generated external labels %v, want %s=%s and %s=$(POD_NAME)", labels, components.ClusterLabel, clusterName, components.PrometheusReplicaLabel)
	}
	var jobs []string
	for _, sc := range cfg.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	want := []string{"podMonitor/" + namespace + "/" + components.SidecarPodMonitorName + "/0"}
	for _, w := range workloads {
		want = append(want, "serviceMonitor/"+namespace+"/"+w.labels.ObjectName()+"/0")
	}
	for _, job := range want {
		if !slices.Contains(jobs, job) {
			t.Errorf("the generated config has no scrape job %s (jobs: %v)", job, jobs)
		}
	}
}
