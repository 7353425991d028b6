package mocks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// rendered is the real chart rendered with the values one stack's program sent.
type rendered struct {
	run     *run
	release registered
	objects []objects.Object
	// prometheus is the one Prometheus resource the chart renders; spec its spec.
	prometheus objects.Object
	spec       map[string]any
}

var renderedStacks = map[string]*rendered{}

// renderStack renders the real kube-prometheus-stack package with exactly the values the program
// sent for its Helm release under mocks, with the release's name and namespace.
func renderStack(t *testing.T, stack string, r *run) *rendered {
	t.Helper()
	if out, ok := renderedStacks[stack]; ok {
		return out
	}
	path, err := harness.ChartPath()
	if err != nil {
		t.Fatal(err)
	}
	releases := r.all("kubernetes:helm.sh/v3:Release")
	if len(releases) != 1 {
		t.Fatalf("%d Helm releases, want 1", len(releases))
	}
	release := releases[0]
	values, _ := release.Inputs["values"].(map[string]any)
	objects, err := harness.RenderChart(path, fmt.Sprint(release.Inputs["name"]), fmt.Sprint(release.Inputs["namespace"]), values)
	if err != nil {
		t.Fatal(err)
	}
	out := &rendered{run: r, release: release, objects: objects}
	prometheus := out.all("Prometheus")
	if len(prometheus) != 1 {
		t.Fatalf("the chart renders %d Prometheus resources, want 1", len(prometheus))
	}
	out.prometheus = prometheus[0]
	out.spec, _ = out.prometheus["spec"].(map[string]any)
	renderedStacks[stack] = out
	return out
}

func (r *rendered) all(kind string) []objects.Object {
	var out []objects.Object
	for _, o := range r.objects {
		if o.Kind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func (r *rendered) one(t *testing.T, kind, name string) objects.Object {
	t.Helper()
	for _, o := range r.all(kind) {
		if o.Name() == name {
			return o
		}
	}
	t.Fatalf("the chart renders no %s %q", kind, name)
	return nil
}

// TestRealChartRendersWhatTheProgramMeans renders the real chart package (charts/ in the repository) with
// the program's values for each stack and checks the objects it renders, not the values: a value
// the chart drops or reshapes fails here.
func TestRealChartRendersWhatTheProgramMeans(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		c := renderStack(t, stack, r)
		t.Run("sidecar object storage is the objstore Secret", func(t *testing.T) { checkRenderedObjectStorage(t, c) })
		t.Run("Prometheus runs as the ServiceAccount the sidecar role trusts", func(t *testing.T) { checkRenderedServiceAccount(t, c) })
		t.Run("Prometheus pods are behind the peers Service", func(t *testing.T) { checkRenderedPeers(t, c) })
		t.Run("replica label is the querier's dedup label", func(t *testing.T) { checkRenderedReplicaLabel(t, c) })
		t.Run("sidecars are scraped", func(t *testing.T) { checkRenderedSidecarScrape(t, c) })
		t.Run("Prometheus has a PodDisruptionBudget where configured", func(t *testing.T) { checkRenderedPDB(t, stack, c) })
		t.Run("every prometheusSpec value reaches the Prometheus resource", func(t *testing.T) { checkEveryPrometheusSpecValue(t, c) })
		t.Run("Grafana's default datasource is the Thanos query path", func(t *testing.T) { checkRenderedGrafanaDatasources(t, c) })
		t.Run("the Grafana admin Secret the output names holds the credentials", func(t *testing.T) { checkRenderedGrafanaAdminSecret(t, c) })
		t.Run("the NetworkPolicies' Grafana selector selects the chart's Grafana pods", func(t *testing.T) { checkRenderedGrafanaPodLabels(t, c) })
	})
}

func checkRenderedObjectStorage(t *testing.T, c *rendered) {
	secret := c.run.one(t, "kubernetes:core/v1:Secret", "thanos-objstore")
	keys := slices.Collect(maps.Keys(stringMap(at(t, secret.Inputs, "stringData"))))
	want := map[string]string{"name": fmt.Sprint(at(t, secret.Inputs, "metadata.name")), "key": components.ObjstoreSecretKey}
	if !slices.Equal(keys, []string{components.ObjstoreSecretKey}) {
		t.Fatalf("objstore Secret keys %v", keys)
	}
	thanos, _ := c.spec["thanos"].(map[string]any)
	if got := stringMap(thanos["objectStorageConfig"]); !maps.Equal(got, want) {
		t.Errorf("rendered spec.thanos.objectStorageConfig = %v, want %v: without it the operator runs the sidecar without --objstore.config and nothing reaches the bucket", thanos["objectStorageConfig"], want)
	}
}

func checkRenderedServiceAccount(t *testing.T, c *rendered) {
	role := c.run.one(t, "aws:iam/role:Role", "thanos-sidecar")
	trust := policy(t, role.Inputs["assumeRolePolicy"]).Statement[0]
	var subject string
	for key, value := range trust.Condition["StringEquals"] {
		if strings.HasSuffix(key, ":sub") {
			subject = value
		}
	}
	namespace := fmt.Sprint(c.release.Inputs["namespace"])
	want := "system:serviceaccount:" + namespace + ":" + fmt.Sprint(c.spec["serviceAccountName"])
	if subject != want {
		t.Errorf("the sidecar role trusts %q; the rendered Prometheus runs as %q", subject, want)
	}
	sa := c.one(t, "ServiceAccount", fmt.Sprint(c.spec["serviceAccountName"]))
	roleArn := "arn:aws:iam::" + account + ":role/" + fmt.Sprint(role.Inputs["name"])
	if got := stringMap(sa.Metadata()["annotations"])[components.IRSARoleAnnotation]; got != roleArn {
		t.Errorf("rendered ServiceAccount %s has %s=%q, want %q", sa.Name(), components.IRSARoleAnnotation, got, roleArn)
	}
}

func checkRenderedPeers(t *testing.T, c *rendered) {
	peers := c.run.one(t, "kubernetes:core/v1:Service", "thanos-peers")
	selector := stringMap(at(t, peers.Inputs, "spec.selector"))
	labels := stringMap(at(t, c.spec, "podMetadata.labels"))
	if !selects(selector, labels) {
		t.Errorf("the peers Service selector %v does not select the rendered Prometheus pod labels %v", selector, labels)
	}
}

func checkRenderedReplicaLabel(t *testing.T, c *rendered) {
	query := c.run.one(t, "kubernetes:apps/v1:Deployment", "thanos-query")
	want := "--query.replica-label=" + fmt.Sprint(c.spec["replicaExternalLabelName"])
	if args := strs(t, container(t, query)["args"]); !slices.Contains(args, want) {
		t.Errorf("rendered replicaExternalLabelName %v; the querier's args %q lack %q", c.spec["replicaExternalLabelName"], args, want)
	}
}

// checkRenderedSidecarScrape: the program's PodMonitor selects the rendered Prometheus pods, on
// the sidecar's port, in their namespace; the chart itself scrapes no sidecar.
func checkRenderedSidecarScrape(t *testing.T, c *rendered) {
	monitors := c.run.all("kubernetes:monitoring.coreos.com/v1:PodMonitor")
	if len(monitors) != 1 {
		t.Fatalf("%d PodMonitors registered, want 1 for the sidecars", len(monitors))
	}
	m := monitors[0]
	labels := stringMap(at(t, c.spec, "podMetadata.labels"))
	if !selects(stringMap(at(t, m.Inputs, "spec.selector.matchLabels")), labels) {
		t.Errorf("PodMonitor %s selector %v does not select the Prometheus pods' labels %v", m.Name, at(t, m.Inputs, "spec.selector"), labels)
	}
	if at(t, m.Inputs, "metadata.namespace") != c.release.Inputs["namespace"] {
		t.Errorf("PodMonitor %s is in namespace %v, the Prometheus pods in %v", m.Name, at(t, m.Inputs, "metadata.namespace"), c.release.Inputs["namespace"])
	}
	if port := at(t, m.Inputs, "spec.podMetricsEndpoints.0.port"); port != chart.SidecarHTTPPortName {
		t.Errorf("PodMonitor %s scrapes port %v, want the sidecar's %q", m.Name, port, chart.SidecarHTTPPortName)
	}
	if !waitsForItsCRD(t, c.run, m) {
		t.Errorf("PodMonitor %s does not wait for its CRD", m.Name)
	}
	// And the chart scrapes no sidecar itself: no ServiceMonitor of the chart scrapes a Service in
	// front of the Prometheus pods on the sidecar's port (the chart's thanosServiceMonitor is off).
	for _, svc := range c.all("Service") {
		if stringMap(at(t, map[string]any(svc), "spec.selector"))["operator.prometheus.io/name"] != c.prometheus.Name() {
			continue
		}
		sidecarPorts := map[string]bool{}
		for _, p := range objects.List(at(t, map[string]any(svc), "spec.ports")) {
			if target := fmt.Sprint(objects.Field(p, "targetPort")); target == chart.SidecarHTTPPortName || target == fmt.Sprint(thanos.HTTPPort) {
				sidecarPorts[fmt.Sprint(objects.Field(p, "name"))] = true
			}
		}
		for _, sm := range c.all("ServiceMonitor") {
			if !selects(stringMap(objects.Field(map[string]any(sm), "spec", "selector", "matchLabels")), stringMap(svc.Metadata()["labels"])) {
				continue
			}
			for _, e := range objects.List(objects.Field(map[string]any(sm), "spec", "endpoints")) {
				if sidecarPorts[fmt.Sprint(objects.Field(e, "port"))] {
					t.Errorf("the chart's ServiceMonitor %s scrapes the sidecars through Service %s too: they would be scraped twice", sm.Name(), svc.Name())
				}
			}
		}
	}
}

func checkRenderedPDB(t *testing.T, stack string, c *rendered) {
	pdbs := c.all("PodDisruptionBudget")
	var prometheus []objects.Object
	for _, p := range pdbs {
		if stringMap(at(t, map[string]any(p), "spec.selector.matchLabels"))["operator.prometheus.io/name"] == c.prometheus.Name() {
			prometheus = append(prometheus, p)
		}
	}
	if stack == "dev" {
		if len(prometheus) != 0 {
			t.Errorf("dev renders a Prometheus PodDisruptionBudget")
		}
		return
	}
	if len(prometheus) != 1 {
		t.Fatalf("%d PodDisruptionBudgets select Prometheus %s, want 1 (PDBs: %d)", len(prometheus), c.prometheus.Name(), len(pdbs))
	}
	spec := prometheus[0]["spec"].(map[string]any)
	replicas := fmt.Sprint(c.spec["replicas"])
	if fmt.Sprint(spec["minAvailable"]) != fmt.Sprint(atoi(t, replicas)-1) || spec["maxUnavailable"] != nil {
		t.Errorf("Prometheus PDB %v, want minAvailable %s-1 (all but one of the replicas)", spec, replicas)
	}
}

// checkEveryPrometheusSpecValue: every value the program sets under prometheus.prometheusSpec is in
// the rendered Prometheus spec with the same value.
func checkEveryPrometheusSpecValue(t *testing.T, c *rendered) {
	values := at(t, c.release.Inputs, "values."+strings.Join(chart.PrometheusSpecPath, ".")).(map[string]any)
	for _, problem := range harness.PrometheusSpecMismatches(values, c.spec) {
		t.Error(problem)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// checkRenderedGrafanaDatasources: the datasource ConfigMap the chart renders for Grafana's sidecar
// has the Thanos datasource at the query-frontend's URL (the stack's output) as the one default, with
// the datasource's query parameters, and keeps the chart's Prometheus datasource for the live view.
func checkRenderedGrafanaDatasources(t *testing.T, c *rendered) {
	var datasources []map[string]any
	for _, cm := range c.all("ConfigMap") {
		labels, _ := objects.Field(cm, "metadata", "labels").(map[string]any)
		if labels["grafana_datasource"] != "1" {
			continue
		}
		var file struct {
			Datasources []map[string]any `json:"datasources"`
		}
		if err := yaml.Unmarshal([]byte(fmt.Sprint(objects.Field(cm, "data", "datasource.yaml"))), &file); err != nil {
			t.Fatalf("%s: %v", cm.Name(), err)
		}
		datasources = append(datasources, file.Datasources...)
	}
	var defaults []string
	byName := map[string]map[string]any{}
	for _, d := range datasources {
		byName[fmt.Sprint(d["name"])] = d
		if d["isDefault"] == true {
			defaults = append(defaults, fmt.Sprint(d["name"]))
		}
	}
	if !slices.Equal(defaults, []string{chart.ThanosDatasourceName}) {
		t.Errorf("default datasources %v, want only %s (Grafana refuses two)", defaults, chart.ThanosDatasourceName)
	}
	thanos := byName[chart.ThanosDatasourceName]
	if thanos == nil {
		t.Fatalf("no %s datasource among %v", chart.ThanosDatasourceName, slices.Collect(maps.Keys(byName)))
	}
	if want := c.run.outputs["queryFrontendUrl"]; thanos["url"] != want || thanos["type"] != "prometheus" {
		t.Errorf("%s datasource %v, want type prometheus at the queryFrontendUrl output %s", chart.ThanosDatasourceName, thanos, want)
	}
	// The parameters reach Grafana as its datasource provisioning field customQueryParameters;
	// the e2e suite checks what they do to the query-frontend.
	jsonData, _ := thanos["jsonData"].(map[string]any)
	if jsonData["customQueryParameters"] != chart.ThanosDatasourceQueryParameters {
		t.Errorf("%s datasource jsonData %v, want customQueryParameters %q", chart.ThanosDatasourceName, jsonData, chart.ThanosDatasourceQueryParameters)
	}
	if _, ok := byName["Prometheus"]; !ok {
		t.Errorf("the chart's Prometheus datasource is gone: %v", slices.Collect(maps.Keys(byName)))
	}
}

// checkRenderedGrafanaAdminSecret: the Secret the grafanaAdminSecret output names is one the chart
// renders, with the admin credentials' keys.
func checkRenderedGrafanaAdminSecret(t *testing.T, c *rendered) {
	namespace, name, ok := strings.Cut(c.run.outputs["grafanaAdminSecret"], "/")
	if !ok || namespace != c.run.outputs["namespace"] {
		t.Fatalf("grafanaAdminSecret = %q, want <namespace>/<name>", c.run.outputs["grafanaAdminSecret"])
	}
	secret := c.one(t, "Secret", name)
	data, _ := objects.Field(secret, "data").(map[string]any)
	for _, key := range []string{"admin-user", "admin-password"} {
		if _, ok := data[key]; !ok {
			t.Errorf("Secret %s has keys %v, want %s", name, slices.Collect(maps.Keys(data)), key)
		}
	}
}

// checkRenderedGrafanaPodLabels: the pod labels the NetworkPolicies admit Grafana by are the
// rendered Grafana Deployment's, and no other rendered pod carries them.
func checkRenderedGrafanaPodLabels(t *testing.T, c *rendered) {
	values, _ := c.release.Inputs["values"].(map[string]any)
	selector := chart.GrafanaPodLabels(values, fmt.Sprint(c.release.Inputs["name"]))
	var selected []string
	for _, kind := range []string{"Deployment", "StatefulSet", "DaemonSet"} {
		for _, o := range c.all(kind) {
			labels := stringMap(objects.Field(o, "spec", "template", "metadata", "labels"))
			if selects(selector, labels) {
				selected = append(selected, kind+"/"+o.Name())
			}
		}
	}
	if want := []string{"Deployment/" + fmt.Sprint(c.release.Inputs["name"]) + "-grafana"}; !slices.Equal(selected, want) {
		t.Errorf("Grafana's pod labels %v select %v, want %v", selector, selected, want)
	}
}

// controlPlaneTarget is one of the chart's control-plane scrape targets: the config key that turns
// it on, the suffix of its ServiceMonitor's name, and the rule groups and alerts the chart loads for it.
type controlPlaneTarget struct {
	key, serviceMonitor string
	groups, alerts      []string
}

// controlPlaneTargets are the chart's targets that EKS, kind and minikube do not serve (the chart's
// templates/exporters and templates/prometheus/rules-1.14 of components.ChartVersion).
var controlPlaneTargets = []controlPlaneTarget{
	{"controlPlaneMetrics", "kube-controller-manager", []string{"kubernetes-system-controller-manager"}, []string{"KubeControllerManagerDown"}},
	{"controlPlaneMetrics", "kube-scheduler", []string{"kubernetes-system-scheduler", "kube-scheduler.rules"}, []string{"KubeSchedulerDown"}},
	{"controlPlaneMetrics", "kube-etcd", []string{"etcd"}, []string{"etcdMembersDown", "etcdInsufficientMembers", "etcdNoLeader"}},
	{"kubeProxyMetrics", "kube-proxy", []string{"kubernetes-system-kube-proxy"}, []string{"KubeProxyDown"}},
}

// renderedControlPlane reports, for each of controlPlaneTargets, whether the rendered chart has its
// ServiceMonitor, each of its rule groups and each of its alerts: "kube-proxy ServiceMonitor",
// "etcd group", "KubeProxyDown alert".
func renderedControlPlane(t *testing.T, c *rendered) map[string]bool {
	t.Helper()
	release := fmt.Sprint(c.release.Inputs["name"])
	monitors := map[string]bool{}
	for _, sm := range c.all("ServiceMonitor") {
		monitors[sm.Name()] = true
	}
	groups, alerts := map[string]bool{}, map[string]bool{}
	for _, rule := range c.all("PrometheusRule") {
		for _, g := range objects.List(objects.Field(rule, "spec", "groups")) {
			groups[fmt.Sprint(objects.Field(g, "name"))] = true
			for _, r := range objects.List(objects.Field(g, "rules")) {
				if a, ok := objects.Field(r, "alert").(string); ok {
					alerts[a] = true
				}
			}
		}
	}
	out := map[string]bool{}
	for _, target := range controlPlaneTargets {
		out[target.serviceMonitor+" ServiceMonitor"] = monitors[release+"-"+target.serviceMonitor]
		for _, g := range target.groups {
			out[g+" group"] = groups[g]
		}
		for _, a := range target.alerts {
			out[a+" alert"] = alerts[a]
		}
	}
	return out
}

// checkControlPlaneRendered: the rendered chart has the ServiceMonitor, rule groups and alerts of
// each control-plane target whose key is on, and none of those whose key is off.
func checkControlPlaneRendered(t *testing.T, c *rendered, on map[string]bool) {
	t.Helper()
	got := renderedControlPlane(t, c)
	for _, target := range controlPlaneTargets {
		want := on[target.key]
		things := []string{target.serviceMonitor + " ServiceMonitor"}
		for _, g := range target.groups {
			things = append(things, g+" group")
		}
		for _, a := range target.alerts {
			things = append(things, a+" alert")
		}
		for _, thing := range things {
			if got[thing] != want {
				t.Errorf("%s: rendered %v, want %v (%s %v)", thing, got[thing], want, target.key, want)
			}
		}
	}
}

// TestChartScrapesNoControlPlaneByDefault: the committed stacks (EKS clusters: their cluster
// stacks' OIDC provider is EKS's) render no ServiceMonitor, rule group or alert for
// kube-controller-manager, kube-scheduler, etcd or kube-proxy, which the chart scrapes by default
// and EKS does not serve: their "down" alerts would fire from the first hour.
func TestChartScrapesNoControlPlaneByDefault(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		checkControlPlaneRendered(t, renderStack(t, stack, r), nil)
	})
}

// localConfig is the committed local stack's config with the secrets it needs set.
func localConfig(t *testing.T) map[string]string {
	config := stackConfig(t, "local")
	config["prometheus-thanos:kubeconfig"] = "apiVersion: v1\nkind: Config\n"
	config["prometheus-thanos:existingBucketAccessKey"] = "minio"
	config["prometheus-thanos:existingBucketSecretKey"] = "minio-secret"
	return config
}

// TestControlPlaneKeysScrapeWhatTheClusterServes: the local stack (a generic cluster) renders no
// control-plane target by default, as kind and minikube serve none of them on the nodes'
// addresses; controlPlaneMetrics renders kube-controller-manager's, kube-scheduler's and etcd's
// ServiceMonitors and rules, kubeProxyMetrics kube-proxy's, each alone.
func TestControlPlaneKeysScrapeWhatTheClusterServes(t *testing.T) {
	for _, c := range []struct {
		name string
		on   map[string]bool
	}{
		{"defaults", nil},
		{"controlPlaneMetrics", map[string]bool{"controlPlaneMetrics": true}},
		{"kubeProxyMetrics", map[string]bool{"kubeProxyMetrics": true}},
		{"both", map[string]bool{"controlPlaneMetrics": true, "kubeProxyMetrics": true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := localConfig(t)
			for key, on := range c.on {
				config["prometheus-thanos:"+key] = fmt.Sprint(on)
			}
			r := runProgram(t, "local", config)
			if r.err != nil {
				t.Fatal(r.err)
			}
			checkControlPlaneRendered(t, renderStack(t, "local/"+c.name, r), c.on)
		})
	}
}

// TestControlPlaneMetricsRefusedOnEKS: on a stack whose cluster stack's OIDC provider is EKS's,
// controlPlaneMetrics fails the program with an error naming the key; kubeProxyMetrics, which an
// EKS cluster can serve (its kube-proxy configured to), renders kube-proxy's target.
func TestControlPlaneMetricsRefusedOnEKS(t *testing.T) {
	config := stackConfig(t, "prod")
	config["prometheus-thanos:controlPlaneMetrics"] = "true"
	r := runProgram(t, "prod", config)
	if r.err == nil || !strings.Contains(r.err.Error(), "prometheus-thanos:controlPlaneMetrics") || !strings.Contains(r.err.Error(), "EKS") {
		t.Fatalf("controlPlaneMetrics on EKS: %v, want an error naming the key and EKS", r.err)
	}
	if n := len(r.all("kubernetes:helm.sh/v3:Release")); n != 0 {
		t.Errorf("%d Helm releases registered after the error", n)
	}
	config = stackConfig(t, "prod")
	config["prometheus-thanos:kubeProxyMetrics"] = "true"
	r = runProgram(t, "prod", config)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkControlPlaneRendered(t, renderStack(t, "prod/kubeProxyMetrics", r), map[string]bool{"kubeProxyMetrics": true})
}
