//go:build integration

package integration

// Read-back checks: each object of the program, as the API server stored it, against what the
// program meant; and where the secrets ended up.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// checkCRDs: Helm installed every CRD of the chart's CRDs subchart, of the pinned operator version,
// and the API server established them.
func checkCRDs(ctx context.Context, t *testing.T) {
	names, err := harness.ChartCRDNames(suite.Chart)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "podmonitors.monitoring.coreos.com") || !slices.Contains(names, "prometheuses.monitoring.coreos.com") {
		t.Fatalf("the chart's CRDs %v lack the ones the program writes", names)
	}
	for _, name := range names {
		crd := mustGet(ctx, t, object{"CustomResourceDefinition", name}, "")
		established := false
		for _, c := range list(crd, "status", "conditions") {
			if str(c, "type") == "Established" && str(c, "status") == "True" {
				established = true
			}
		}
		if !established {
			t.Errorf("CRD %s is not Established", name)
		}
		if v := stringMap(crd, "metadata", "annotations")["operator.prometheus.io/version"]; "v"+v != components.PrometheusOperatorVersion {
			t.Errorf("CRD %s is of operator %q, want %s", name, v, components.PrometheusOperatorVersion)
		}
	}
}

// The StatefulSets' names in the suite's stack, which leaves the volumes at their defaults: each
// carries a hash of its volume claim template (thanos.StatefulSetName).
var (
	storeStatefulSet   = mustStatefulSetName(thanos.StoreGatewayLabels(instance).ObjectName(), thanos.DefaultStoreGatewayStorageSize)
	compactStatefulSet = mustStatefulSetName(thanos.CompactorLabels(instance).ObjectName(), thanos.DefaultCompactorStorageSize)
)

func mustStatefulSetName(objectName, storageSize string) string {
	name, err := thanos.StatefulSetName(objectName, storageSize, "")
	if err != nil {
		panic(err)
	}
	return name
}

// workload is one Thanos workload (its Deployment or StatefulSet is name) and the Service in front
// of it (its labels' ObjectName).
type workload struct {
	kind, name string
	labels     components.ThanosLabels
	replicas   int
	storeAPI   bool // behind the peers Service
}

var workloads = []workload{
	{"Deployment", "thanos-query", thanos.QuerierLabels(instance), 2, false},
	{"Deployment", "thanos-query-frontend", thanos.QueryFrontendLabels(instance), 2, false},
	{"StatefulSet", storeStatefulSet, thanos.StoreGatewayLabels(instance), 2, true},
	{"StatefulSet", compactStatefulSet, thanos.CompactorLabels(instance), 1, false},
}

func containerOf(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	containers := list(obj, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("%s has %d containers, want 1", str(obj, "metadata", "name"), len(containers))
	}
	return containers[0].(map[string]any)
}

func argsOf(c map[string]any) []string {
	var out []string
	for _, a := range list(c, "args") {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

func checkWorkloads(ctx context.Context, t *testing.T) {
	for _, w := range workloads {
		obj := mustGet(ctx, t, object{w.kind, w.name}, namespace)
		if got := fmt.Sprint(field(obj, "spec", "replicas")); got != fmt.Sprint(w.replicas) {
			t.Errorf("%s/%s replicas %s, want %d", w.kind, w.name, got, w.replicas)
		}
		// kubernetesSkipAwait: no pod will ever be ready here.
		if stringMap(obj, "metadata", "annotations")["pulumi.com/skipAwait"] != "true" {
			t.Errorf("%s/%s lacks pulumi.com/skipAwait", w.kind, w.name)
		}
		c := containerOf(t, obj)
		if str(c, "image") != components.ThanosImage() {
			t.Errorf("%s/%s image %q, want %q", w.kind, w.name, str(c, "image"), components.ThanosImage())
		}
		sel := stringMap(obj, "spec", "selector", "matchLabels")
		if !subset(sel, stringMap(obj, "spec", "template", "metadata", "labels")) {
			t.Errorf("%s/%s selector %v does not select its own pods", w.kind, w.name, sel)
		}
		if _, versioned := sel[components.LabelVersion]; versioned {
			t.Errorf("%s/%s selector carries the version label: every upgrade would replace it", w.kind, w.name)
		}
	}

	query := containerOf(t, mustGet(ctx, t, object{"Deployment", "thanos-query"}, namespace))
	args := strings.Join(argsOf(query), "\n")
	for _, want := range []string{"--query.replica-label=" + components.PrometheusReplicaLabel, "dnssrvnoa+_grpc._tcp.thanos-peers." + namespace + ".svc.cluster.local"} {
		if !strings.Contains(args, want) {
			t.Errorf("querier args lack %q:\n%s", want, args)
		}
	}
	frontend := argsOf(containerOf(t, mustGet(ctx, t, object{"Deployment", "thanos-query-frontend"}, namespace)))
	if want := "--query-frontend.downstream-url=" + thanos.QuerierURL(namespace); !slices.Contains(frontend, want) {
		t.Errorf("query-frontend args lack %q: %v", want, frontend)
	}
	// The store gateway's limits, derived from the default storeMemoryLimit (2Gi), index cache
	// (250MB) and storeMaxConcurrentRequests (20) through the real engine's config: an integer key
	// without a default arrives as 0 there.
	limits, err := thanos.StoreGatewayRequestLimitsFor(2<<30, "250MB", thanos.DefaultStoreGatewayMaxConcurrentRequests)
	if err != nil || limits.Series == 0 || limits.Samples == 0 {
		t.Fatalf("derived store limits %+v, %v", limits, err)
	}
	storeArgs := argsOf(containerOf(t, mustGet(ctx, t, object{"StatefulSet", storeStatefulSet}, namespace)))
	for _, want := range []string{fmt.Sprintf("--store.limits.request-series=%d", limits.Series), fmt.Sprintf("--store.limits.request-samples=%d", limits.Samples)} {
		if !slices.Contains(storeArgs, want) {
			t.Errorf("store gateway args lack the derived limit %q: %v", want, storeArgs)
		}
	}
	for _, name := range []string{storeStatefulSet, compactStatefulSet} {
		sts := mustGet(ctx, t, object{"StatefulSet", name}, namespace)
		args := argsOf(containerOf(t, sts))
		if !slices.Contains(args, "--objstore.config-file=/etc/thanos/objstore/"+components.ObjstoreSecretKey) {
			t.Errorf("%s args lack the objstore config file: %v", name, args)
		}
		mounted := false
		for _, v := range list(sts, "spec", "template", "spec", "volumes") {
			if str(v, "secret", "secretName") == objstoreSecret {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("%s does not mount Secret %s", name, objstoreSecret)
		}
	}
	compactArgs := argsOf(containerOf(t, mustGet(ctx, t, object{"StatefulSet", compactStatefulSet}, namespace)))
	for _, want := range []string{"--retention.resolution-raw=7d", "--retention.resolution-5m=30d", "--retention.resolution-1h=90d"} {
		if !slices.Contains(compactArgs, want) {
			t.Errorf("compactor args lack %s: %v", want, compactArgs)
		}
	}
}

// checkServices: each Service selects its workload's pods on ports the pods declare; the peers
// Service is headless and selects exactly the StoreAPI pods (Prometheus and store gateway).
func checkServices(ctx context.Context, t *testing.T) {
	prometheus := mustGet(ctx, t, object{"Prometheus", prometheusName}, namespace)
	prometheusPods := stringMap(prometheus, "spec", "podMetadata", "labels")
	peers := mustGet(ctx, t, object{"Service", "thanos-peers"}, namespace)
	if str(peers, "spec", "clusterIP") != "None" {
		t.Errorf("the peers Service is not headless: clusterIP %q", str(peers, "spec", "clusterIP"))
	}
	ports := list(peers, "spec", "ports")
	if len(ports) != 1 || str(ports[0], "name") != thanos.GRPCPortName || fmt.Sprint(field(ports[0], "port")) != fmt.Sprint(thanos.GRPCPort) {
		t.Errorf("peers Service ports %v, want one named %s on %d (its SRV name is _grpc._tcp)", ports, thanos.GRPCPortName, thanos.GRPCPort)
	}
	peersSel := stringMap(peers, "spec", "selector")
	if !subset(peersSel, prometheusPods) {
		t.Errorf("the peers Service selector %v does not select the Prometheus pods %v", peersSel, prometheusPods)
	}

	for _, w := range workloads {
		obj := mustGet(ctx, t, object{w.kind, w.name}, namespace)
		podLabels := stringMap(obj, "spec", "template", "metadata", "labels")
		svc := mustGet(ctx, t, object{"Service", w.labels.ObjectName()}, namespace)
		if !subset(stringMap(svc, "spec", "selector"), podLabels) {
			t.Errorf("Service %s selector %v does not select the pods of %s/%s %v", w.name, stringMap(svc, "spec", "selector"), w.kind, w.name, podLabels)
		}
		if w.kind == "StatefulSet" {
			// Its governing Service: headless, over the same pods, apart from the client Service.
			name := str(obj, "spec", "serviceName")
			governing := mustGet(ctx, t, object{"Service", name}, namespace)
			if name != thanos.GoverningServiceName(w.labels.ObjectName()) || str(governing, "spec", "clusterIP") != "None" ||
				!subset(stringMap(governing, "spec", "selector"), podLabels) {
				t.Errorf("StatefulSet %s serviceName %q: want the headless Service %s over its pods, got %v", w.name, name, thanos.GoverningServiceName(w.labels.ObjectName()), governing["spec"])
			}
		}
		if got := subset(peersSel, podLabels); got != w.storeAPI {
			t.Errorf("peers Service selects %s/%s: %v, want %v", w.kind, w.name, got, w.storeAPI)
		}
		containerPorts := map[string]bool{}
		for _, p := range list(containerOf(t, obj), "ports") {
			containerPorts[str(p, "name")] = true
		}
		for _, p := range list(svc, "spec", "ports") {
			if !containerPorts[str(p, "targetPort")] {
				t.Errorf("Service %s port %s targets %q, which the pods of %s do not declare", w.name, str(p, "name"), str(p, "targetPort"), w.name)
			}
		}
	}
}

// checkServiceMonitors: stored as the program wrote them (the real CRD schema pruned nothing),
// selecting their Service and scraping a port it has; and the sidecars' PodMonitor, stored as
// written.
func checkServiceMonitors(ctx context.Context, t *testing.T) {
	for _, w := range workloads {
		sm := mustGet(ctx, t, object{"ServiceMonitor", w.labels.ObjectName()}, namespace)
		storedAsMeant(t, "ServiceMonitor "+w.labels.ObjectName()+" spec", field(sm, "spec"), thanos.ServiceMonitorSpec(w.labels))
		svc := mustGet(ctx, t, object{"Service", w.labels.ObjectName()}, namespace)
		if !subset(stringMap(sm, "spec", "selector", "matchLabels"), stringMap(svc, "metadata", "labels")) {
			t.Errorf("ServiceMonitor %s does not select Service %s", w.name, w.name)
		}
		svcPorts := map[string]bool{}
		for _, p := range list(svc, "spec", "ports") {
			svcPorts[str(p, "name")] = true
		}
		for _, e := range list(sm, "spec", "endpoints") {
			if !svcPorts[str(e, "port")] {
				t.Errorf("ServiceMonitor %s scrapes port %q, which Service %s lacks", w.name, str(e, "port"), w.name)
			}
		}
	}
	pm := mustGet(ctx, t, object{"PodMonitor", components.SidecarPodMonitorName}, namespace)
	storedAsMeant(t, "PodMonitor "+components.SidecarPodMonitorName+" spec", field(pm, "spec"), chart.SidecarPodMonitorSpec())
}

// checkThanosMixin: the PrometheusRules, the mixin's and the stack's own, are stored as the
// program wrote them (the real CRD schema pruned nothing), and each dashboard ConfigMap carries the
// Grafana sidecar's label.
func checkThanosMixin(ctx context.Context, t *testing.T) {
	rule := mustGet(ctx, t, object{"PrometheusRule", thanos.MixinAlertsRuleName}, namespace)
	spec, err := thanos.MixinAlertsRuleSpec()
	if err != nil {
		t.Fatal(err)
	}
	storedAsMeant(t, "PrometheusRule "+thanos.MixinAlertsRuleName+" spec", field(rule, "spec"), spec)
	// The stack's own alerts; the stack keeps the default storeSyncInterval.
	rule = mustGet(ctx, t, object{"PrometheusRule", thanos.StackAlertsRuleName}, namespace)
	if spec, err = thanos.StackAlertsRuleSpec(thanos.StackAlertSettings{}); err != nil {
		t.Fatal(err)
	}
	storedAsMeant(t, "PrometheusRule "+thanos.StackAlertsRuleName+" spec", field(rule, "spec"), spec)
	for _, o := range dashboardConfigMaps() {
		cm := mustGet(ctx, t, o, namespace)
		if got := stringMap(cm, "metadata", "labels")[thanos.GrafanaDashboardLabel]; got != thanos.GrafanaDashboardLabelValue {
			t.Errorf("%s: label %s = %q, want %q", o, thanos.GrafanaDashboardLabel, got, thanos.GrafanaDashboardLabelValue)
		}
	}
}

// releaseValues are the values the program gave the chart's release, as Helm recorded them.
func releaseValues(ctx context.Context, t *testing.T) map[string]any {
	t.Helper()
	raw, err := helmRelease(mustGet(ctx, t, object{"Secret", "sh.helm.release.v1." + releaseName + ".v1"}, namespace))
	if err != nil {
		t.Fatal(err)
	}
	var release struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal([]byte(raw), &release); err != nil {
		t.Fatal(err)
	}
	return release.Config
}

// checkPrometheus: the Prometheus resource the real chart rendered from the program's values, as
// the API server stored it after validating it against the real CRD schema.
func checkPrometheus(ctx context.Context, t *testing.T) {
	p := mustGet(ctx, t, object{"Prometheus", prometheusName}, namespace)
	spec := p["spec"].(map[string]any)
	thanos := field(spec, "thanos")
	for _, c := range []struct{ what, got, want string }{
		{"replicas", fmt.Sprint(spec["replicas"]), "2"},
		{"retention", str(spec, "retention"), "12h"},
		{"externalLabels.cluster", str(spec, "externalLabels", components.ClusterLabel), clusterName},
		{"replicaExternalLabelName", str(spec, "replicaExternalLabelName"), components.PrometheusReplicaLabel},
		{"serviceAccountName", str(spec, "serviceAccountName"), "prometheus"},
		{"podMetadata.labels." + components.LabelStoreAPI, str(spec, "podMetadata", "labels", components.LabelStoreAPI), "true"},
		{"thanos.image", str(thanos, "image"), components.ThanosImage()},
		{"thanos.version", str(thanos, "version"), components.ThanosVersion},
		{"thanos.objectStorageConfig.name", str(thanos, "objectStorageConfig", "name"), objstoreSecret},
		{"thanos.objectStorageConfig.key", str(thanos, "objectStorageConfig", "key"), components.ObjstoreSecretKey},
		{"storage size", str(spec, "storage", "volumeClaimTemplate", "spec", "resources", "requests", "storage"), "20Gi"},
	} {
		if c.got != c.want {
			t.Errorf("Prometheus %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	values, _ := objects.FieldOK(releaseValues(ctx, t), chart.PrometheusSpecPath...)
	prometheusSpecValues, ok := values.(map[string]any)
	if !ok {
		t.Fatalf("the release's values have no %v", chart.PrometheusSpecPath)
	}
	for _, problem := range harness.PrometheusSpecMismatches(prometheusSpecValues, spec) {
		t.Error(problem)
	}
}

func checkObjstoreSecret(ctx context.Context, t *testing.T) {
	secret := mustGet(ctx, t, object{"Secret", objstoreSecret}, namespace)
	raw, err := base64.StdEncoding.DecodeString(str(secret, "data", components.ObjstoreSecretKey))
	if err != nil {
		t.Fatalf("objstore Secret: %v", err)
	}
	var doc struct {
		Type   string `yaml:"type"`
		Config struct {
			Bucket    string `yaml:"bucket"`
			Endpoint  string `yaml:"endpoint"`
			Region    string `yaml:"region"`
			Insecure  bool   `yaml:"insecure"`
			AccessKey string `yaml:"access_key"`
			SecretKey string `yaml:"secret_key"`
			SSE       struct {
				Type     string `yaml:"type"`
				KMSKeyID string `yaml:"kms_key_id"`
			} `yaml:"sse_config"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("objstore config is not YAML: %v\n%s", err, raw)
	}
	c := doc.Config
	if doc.Type != "S3" || c.Bucket != testBucket.Bucket || c.Endpoint != testBucket.Endpoint || c.Region != bucketRegion ||
		!c.Insecure || c.AccessKey != testBucket.AccessKey || c.SecretKey != testBucket.SecretKey ||
		c.SSE.Type != "SSE-KMS" || c.SSE.KMSKeyID != testBucket.KMSKeyName {
		t.Errorf("objstore config %+v, want S3 bucket %s at %s (%s, insecure) with the configured keys and SSE-KMS key", doc, testBucket.Bucket, testBucket.Endpoint, bucketRegion)
	}
}

// keysOnlyInSecret: the static keys are in the objstore Secret and nowhere else: not in any other
// object of the namespace (the Helm release record included), not in the stack's outputs; and
// neither they nor the kubeconfig's token are stored unencrypted in the state backend or the
// stacks' configuration files.
func keysOnlyInSecret(ctx context.Context, t *testing.T, stack auto.Stack) {
	objs, err := namespaceObjects(ctx, namespace)
	if err != nil {
		t.Fatal(err)
	}
	releaseSeen := false
	for o, obj := range objs {
		if o == (object{"Secret", objstoreSecret}) {
			continue
		}
		raw, _ := json.Marshal(obj)
		text := string(raw)
		if str(obj, "type") == "helm.sh/release.v1" {
			release, err := helmRelease(obj)
			if err != nil {
				t.Fatalf("decode Helm release %s: %v", o, err)
			}
			if !strings.Contains(release, objstoreSecret) {
				t.Fatalf("Helm release %s decoded, but does not mention %s: the decoding is wrong", o, objstoreSecret)
			}
			releaseSeen = true
			text += release
		}
		if found := containsAny(text, testBucket.AccessKey, testBucket.SecretKey); len(found) > 0 {
			t.Errorf("%s contains the bucket keys %v", o, found)
		}
	}
	if !releaseSeen {
		t.Error("no Helm release record found in the namespace")
	}
	outputs, err := stack.Outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range outputs {
		if found := containsAny(fmt.Sprint(out.Value), testBucket.AccessKey, testBucket.SecretKey); len(found) > 0 {
			t.Errorf("output %s contains the bucket keys", name)
		}
	}
	// At rest: the state backend (every stack's checkpoints, history and backups) and the stack
	// configuration files hold these values encrypted only. (stack.Export would not tell: the
	// Automation API exports with --show-secrets.)
	objstore := mustGet(ctx, t, object{"Secret", objstoreSecret}, namespace)
	secrets := map[string]string{
		"bucket access key":              testBucket.AccessKey,
		"bucket secret key":              testBucket.SecretKey,
		"objstore config (base64)":       str(objstore, "data", components.ObjstoreSecretKey),
		"admin token of the kubeconfig":  suite.cluster.Token,
		"Slack URL of chartSecretValues": slackURL,
	}
	dirs := []string{
		suite.Pulumi.StateDir(),
		suite.Pulumi.WorkDir(program.ProjectName, mainStack),
		suite.Pulumi.WorkDir(clusterProject, clusterStack),
	}
	for what, files := range plaintextOnDisk(t, dirs, secrets) {
		t.Errorf("the %s is stored in plaintext in %v", what, files)
	}
}

// plaintextOnDisk finds secret values stored unencrypted in the files under dirs: for each, the
// files that hold it.
func plaintextOnDisk(t *testing.T, dirs []string, secrets map[string]string) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	files := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			for what, value := range secrets {
				if value != "" && strings.Contains(string(raw), value) {
					found[what] = append(found[what], path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files == 0 {
		t.Fatalf("no state or config files under %v", dirs)
	}
	return found
}
