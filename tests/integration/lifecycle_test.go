//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/steps"
)

const (
	// The program's stack and the stacks around it, all in the suite's file backend.
	mainStack       = "integration"
	clusterProject  = "eks-cluster" // stands in for the project that creates the cluster
	clusterStack    = "integration"
	consumerProject = "querier-consumer" // a third project that reads the outputs
	consumerStack   = "integration"

	namespace    = "monitoring-it"
	clusterName  = "integration"
	bucketRegion = "us-east-1"

	// The chart's release, and the names the chart gives its objects for it.
	releaseName    = chart.DefaultReleaseName
	prometheusName = releaseName + "-prometheus"
	operatorName   = releaseName + "-operator"
	objstoreSecret = "thanos-objstore"
	instance       = "thanos" // app.kubernetes.io/instance of the Thanos components
)

// testBucket is an S3-compatible bucket the program only describes (existingBucketName): no AWS
// call is made, and nothing listens at the endpoint (pods never run here). Its keys are
// distinctive, so that a copy of them anywhere is found.
var testBucket = harness.S3Site{
	Endpoint:   "minio.storage.svc.cluster.local:9000",
	Bucket:     "thanos-integration",
	AccessKey:  "ITACCESSKEY7Q2W9E4R",
	SecretKey:  "it-secret-key-Zx81Vb27Nm43Lk65",
	KMSKeyName: "thanos-integration-key",
}

// OIDC outputs of the cluster stack: the program reads them through the stack reference. With an
// existing bucket and static keys it creates no IRSA role, so they are only read, never used.
const (
	oidcProviderArn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/INTEGRATION"
	oidcIssuerURL   = "https://oidc.eks.us-east-1.amazonaws.com/id/INTEGRATION"
)

// mainConfig is the program's configuration in the suite: its own settings, then the stack
// substitutions of harness.Substitutions (an existing bucket with static keys, the real chart
// package, no pods), but for the cluster, which the suite reaches through the cluster stack to test
// stack references.
func mainConfig(t testing.TB) map[string]string {
	t.Helper()
	config, err := harness.ApplyStackConfig(&harness.Site{Stack: harness.StackSite{ChartPath: suite.Chart, S3: testBucket}}, map[string]string{
		"clusterName":  clusterName,
		"namespace":    namespace,
		"clusterStack": harness.FullyQualified(clusterProject, clusterStack),
		// pulumi-eks's issuer without https:// (its oidcProviderUrl has it).
		"clusterStackOidcIssuerUrlOutput": "oidcIssuer",
		"existingBucketRegion":            bucketRegion,
		"prometheusReplicas":              "2",
		"prometheusRetention":             "12h",
		"prometheusStorageSize":           "20Gi",
		// The prod shape: two of each, with their PodDisruptionBudgets.
		"querierReplicas":       "2",
		"storeReplicas":         "2",
		"podDisruptionBudgets":  "true",
		"compactorRetentionRaw": "7d",
		"compactorRetention5m":  "30d",
		"compactorRetention1h":  "90d",
		// An Alertmanager receiver's credential, as users keep it: secret.
		"chartSecretValues": alertmanagerSecretValues(slackURL),
	}, "clusterStack", "kubeconfig")
	if err != nil {
		t.Fatal(err)
	}
	return config
}

var mainSecrets = []string{"existingBucketAccessKey", "existingBucketSecretKey", "kubeconfig", "chartSecretValues"}

// programObjects are the objects the program itself registers in its namespace.
var programObjects = append([]object{
	{"Secret", objstoreSecret}, {"PodMonitor", components.SidecarPodMonitorName},
	{"Service", "thanos-peers"},
	{"ServiceAccount", "thanos-query"}, {"Deployment", "thanos-query"}, {"Service", "thanos-query"}, {"ServiceMonitor", "thanos-query"}, {"PodDisruptionBudget", "thanos-query"},
	{"ServiceAccount", "thanos-query-frontend"}, {"Deployment", "thanos-query-frontend"}, {"Service", "thanos-query-frontend"}, {"ServiceMonitor", "thanos-query-frontend"}, {"PodDisruptionBudget", "thanos-query-frontend"},
	{"ServiceAccount", "thanos-store"}, {"StatefulSet", storeStatefulSet}, {"Service", "thanos-store"}, {"Service", thanos.GoverningServiceName("thanos-store")}, {"ServiceMonitor", "thanos-store"}, {"PodDisruptionBudget", "thanos-store"},
	{"ServiceAccount", "thanos-compact"}, {"StatefulSet", compactStatefulSet}, {"Service", "thanos-compact"}, {"Service", thanos.GoverningServiceName("thanos-compact")}, {"ServiceMonitor", "thanos-compact"},
	{"PrometheusRule", thanos.MixinAlertsRuleName}, {"PrometheusRule", thanos.StackAlertsRuleName},
}, append(dashboardConfigMaps(), networkPolicies()...)...)

// networkPolicies are the NetworkPolicies of the Thanos and Prometheus pods.
func networkPolicies() []object {
	var out []object
	for _, name := range networkPolicyNames {
		out = append(out, object{"NetworkPolicy", name})
	}
	return out
}

// dashboardConfigMaps are the ConfigMaps of the Thanos mixin's dashboards.
func dashboardConfigMaps() []object {
	dashboards, err := thanos.MixinDashboards()
	if err != nil {
		panic(err)
	}
	var out []object
	for _, file := range slices.Sorted(maps.Keys(dashboards)) {
		out = append(out, object{"ConfigMap", thanos.DashboardConfigMapName(file)})
	}
	return out
}

// chartObjects are some of what Helm installs from the real chart into the namespace (it renders
// about a hundred objects), and the Secret in which Helm records the release.
var chartObjects = []object{
	{"ServiceAccount", "prometheus"},
	{"Secret", releaseName + "-grafana"},
	{"Prometheus", prometheusName},
	{"Deployment", operatorName},
	{"Secret", "sh.helm.release.v1." + releaseName + ".v1"},
}

// clusterStackReady: the tests run one after the other, so a flag is enough.
var clusterStackReady bool

// ensureClusterStack creates the "cluster" stack once: an inline program of another project that
// exports what a pulumi-eks Cluster does, under its output names and in its shapes
// (harness.PulumiEKSClusterOutputs): the kubeconfig as an object (here the control plane's, kept
// secret, as it holds a client key) and its JSON, and the OIDC issuer with and without https://.
// The program reads the object and the issuer without https:// (mainConfig names the outputs).
func ensureClusterStack(ctx context.Context, t *testing.T) {
	t.Helper()
	if clusterStackReady {
		return
	}
	var kubeconfig map[string]any
	if err := yaml.Unmarshal([]byte(suite.cluster.Kubeconfig), &kubeconfig); err != nil {
		t.Fatalf("the control plane's kubeconfig: %v", err)
	}
	outputs, err := harness.PulumiEKSClusterOutputs(kubeconfig, oidcIssuerURL, oidcProviderArn)
	if err != nil {
		t.Fatal(err)
	}
	s := suite.Pulumi.MustStack(ctx, t, clusterProject, clusterStack, func(ctx *pulumi.Context) error {
		for name, value := range outputs {
			if strings.HasPrefix(name, "kubeconfig") {
				ctx.Export(name, pulumi.ToSecret(pulumi.Any(value)))
			} else {
				ctx.Export(name, pulumi.Any(value))
			}
		}
		return nil
	})
	res, err := s.Up(ctx)
	if err != nil {
		t.Fatalf("up of the cluster stack: %v", err)
	}
	if !res.Outputs["kubeconfig"].Secret {
		t.Fatal("the cluster stack's kubeconfig output is not secret")
	}
	clusterStackReady = true
}

// TestLifecycle takes one stack of the program through preview, up, no-op preview, a config
// change, stack references and destroy, reading every object back from the API server. Its steps
// depend on each other: the first failure stops it.
func TestLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	ensureClusterStack(ctx, t)
	stack := suite.Pulumi.MustStack(ctx, t, program.ProjectName, mainStack, program.Run)
	harness.MustSetConfig(ctx, t, stack, mainConfig(t), mainSecrets...)

	steps.Run(t, []steps.Step{
		{Name: "preview of a new stack against the empty cluster", Run: func(t *testing.T) { previewNewStack(ctx, t, stack) }},
		{Name: "an older operator's CRDs stand in the cluster, as Helm installed them", Run: func(t *testing.T) { installOlderCRDs(ctx, t) }},
		{Name: "up creates every object as the program meant it", Run: func(t *testing.T) { upCreates(ctx, t, stack) }},
		{Name: "the real operator runs the sidecars with the bucket", Run: func(t *testing.T) { operatorGeneratesPrometheus(ctx, t) }},
		{Name: "Pod Security: restricted enforced, every pod of the program, chart and operator admitted", Run: func(t *testing.T) { checkPodSecurity(ctx, t) }},
		{Name: "bucket keys only in the objstore Secret, secrets encrypted at rest", Run: func(t *testing.T) { keysOnlyInSecret(ctx, t, stack) }},
		{Name: "second preview has no changes", Run: func(t *testing.T) { previewNoChanges(ctx, t, stack) }},
		{Name: "a changed secret chart value: the preview's diff masks both values", Run: func(t *testing.T) { previewMasksSecretValues(ctx, t, stack) }},
		{Name: "querierReplicas 2 to 3 updates only the querier Deployment", Run: func(t *testing.T) { scaleQuerier(ctx, t, stack) }},
		{Name: "a second stack beside it: its own release, namespace and operator; its destroy leaves the first whole", Run: func(t *testing.T) { stackBeside(ctx, t) }},
		{Name: "stack references: a pulumi-eks-shaped cluster stack in, the README's consumers out", Run: func(t *testing.T) { stackReferences(ctx, t, stack) }},
		{Name: "kube-score: nothing on the program's objects, only accepted findings on the chart's (prod shape)", Run: func(t *testing.T) { lintProgramObjects(ctx, t, prodLintPolicy) }},
		{Name: "kube-score: nothing on the program's objects, only accepted findings on the chart's (dev shape)", Run: func(t *testing.T) { lintDevShape(ctx, t, stack) }},
		{Name: "destroy removes everything it created", Run: func(t *testing.T) { destroy(ctx, t, stack) }},
	})
}

// expectedCreates are the Kubernetes objects (kind/name) a first update of the program creates:
// the chart's CRDs among them, which it applies whether or not they exist.
func expectedCreates(t *testing.T) []string {
	t.Helper()
	crds, err := harness.ChartCRDNames(suite.Chart)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"Namespace/" + namespace, "Namespace/" + nodeExporterNamespace, "Release/" + releaseName}
	for _, name := range crds {
		out = append(out, "CustomResourceDefinition/"+name)
	}
	for _, o := range programObjects {
		out = append(out, o.String())
	}
	sort.Strings(out)
	return out
}

// kubernetesSteps maps the engine's steps on Kubernetes objects to kind/name: the object's name
// where the step's inputs give it (a StatefulSet's carries a hash of its volumes), else the
// resource's.
func kubernetesSteps(steps []apitype.StepEventMetadata, op apitype.OpType) []string {
	var out []string
	for _, s := range steps {
		if s.Op != op || !strings.HasPrefix(s.Type, "kubernetes:") {
			continue
		}
		kind := s.Type[strings.LastIndex(s.Type, ":")+1:]
		name := harness.URNName(string(s.URN))
		if s.New != nil {
			if n, ok := field(s.New.Inputs, "metadata", "name").(string); ok && n != "" {
				name = n
			}
		}
		out = append(out, kind+"/"+name)
	}
	sort.Strings(out)
	return out
}

func previewNewStack(ctx context.Context, t *testing.T, stack auto.Stack) {
	// The pull-request preview: a new stack, a cluster without the monitoring CRDs.
	for _, o := range []object{{"CustomResourceDefinition", "prometheuses.monitoring.coreos.com"}, {"CustomResourceDefinition", "servicemonitors.monitoring.coreos.com"}, {"Namespace", namespace}} {
		if _, found, err := suite.cluster.Client.Get(ctx, o.path("")); err != nil || found {
			t.Fatalf("%s exists before the first preview (err %v): the cluster is not empty", o, err)
		}
	}
	rec := harness.NewStepRecorder()
	res, err := stack.Preview(ctx, optpreview.EventStreams(rec.Events))
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	changes := rec.Changes()
	if got, want := kubernetesSteps(changes, apitype.OpCreate), expectedCreates(t); !slices.Equal(got, want) {
		t.Errorf("preview creates\n%v\nwant\n%v", got, want)
	}
	for _, s := range changes {
		if s.Op != apitype.OpCreate {
			t.Errorf("a new stack's preview plans %s", harness.DescribeSteps([]apitype.StepEventMetadata{s}))
		}
	}
	if res.ChangeSummary[apitype.OpCreate] == 0 {
		t.Errorf("preview change summary %v has no creates", res.ChangeSummary)
	}
	if _, found, _ := suite.cluster.Client.Get(ctx, object{"Namespace", namespace}.path("")); found {
		t.Error("preview created the namespace")
	}
}

func upCreates(ctx context.Context, t *testing.T, stack auto.Stack) {
	rec := harness.NewStepRecorder()
	res, err := stack.Up(ctx, optup.EventStreams(rec.Events))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	if got, want := kubernetesSteps(rec.Changes(), apitype.OpCreate), expectedCreates(t); !slices.Equal(got, want) {
		t.Errorf("up created\n%v\nwant\n%v", got, want)
	}

	// Outputs: querierUrl and friends; no ARN (an existing bucket with static keys has none).
	wantOutputs := map[string]string{
		"querierUrl":       "http://thanos-query." + namespace + ".svc.cluster.local:9090",
		"queryFrontendUrl": "http://thanos-query-frontend." + namespace + ".svc.cluster.local:9090",
		"storeApiEndpoint": "thanos-query." + namespace + ".svc.cluster.local:10901",
		"peersSrvAddress":  "dnssrvnoa+_grpc._tcp.thanos-peers." + namespace + ".svc.cluster.local",
		"namespace":        namespace,
		"bucketName":       testBucket.Bucket,
		// The chart's Grafana is on here; its Secret is among the objects Helm installs.
		"grafanaAdminSecret": namespace + "/" + releaseName + "-grafana",
	}
	var names []string
	for name, out := range res.Outputs {
		names = append(names, name)
		if want, ok := wantOutputs[name]; !ok || out.Secret || fmt.Sprint(out.Value) != want {
			value := fmt.Sprintf("%q", fmt.Sprint(out.Value))
			if out.Secret {
				value = "[secret]"
			}
			t.Errorf("output %s = %s, want %q", name, value, want)
		}
	}
	if len(names) != len(wantOutputs) {
		t.Errorf("outputs %v, want exactly %v", names, wantOutputs)
	}

	checkCRDs(ctx, t)
	checkCRDsUpgraded(ctx, t)
	logStateSize(ctx, t, stack)
	checkWorkloads(ctx, t)
	checkServices(ctx, t)
	checkServiceMonitors(ctx, t)
	checkThanosMixin(ctx, t)
	checkPrometheus(ctx, t)
	checkObjstoreSecret(ctx, t)
	checkNetworkPolicies(ctx, t)
	for _, o := range chartObjects {
		mustGet(ctx, t, o, namespace)
	}
	// No IRSA with static keys: the Prometheus ServiceAccount carries no role annotation.
	if sa := mustGet(ctx, t, object{"ServiceAccount", "prometheus"}, namespace); stringMap(sa, "metadata", "annotations")[components.IRSARoleAnnotation] != "" {
		t.Errorf("the Prometheus ServiceAccount has an IRSA role with static keys: %v", stringMap(sa, "metadata", "annotations"))
	}
}

func previewNoChanges(ctx context.Context, t *testing.T, stack auto.Stack) {
	rec := harness.NewStepRecorder()
	if _, err := stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.EventStreams(rec.Events)); err != nil {
		t.Fatalf("preview --expect-no-changes: %v", err)
	}
	if changes := rec.Changes(); len(changes) > 0 {
		t.Errorf("a second preview plans changes:\n%s", harness.DescribeSteps(changes))
	}
}

// generations of the program's objects: metadata.generation where the API server keeps one (it
// changes with the spec, not with status updates of the controllers), else the resourceVersion.
func generations(ctx context.Context, t *testing.T) map[object]string {
	out := map[object]string{}
	for _, o := range programObjects {
		obj := mustGet(ctx, t, o, namespace)
		out[o] = "resourceVersion " + str(obj, "metadata", "resourceVersion")
		if g := field(obj, "metadata", "generation"); g != nil {
			out[o] = fmt.Sprint("generation ", g)
		}
	}
	return out
}

func scaleQuerier(ctx context.Context, t *testing.T, stack auto.Stack) {
	harness.MustSetConfig(ctx, t, stack, map[string]string{"querierReplicas": "3"})
	wantChange := []string{"Deployment/thanos-query"}

	rec := harness.NewStepRecorder()
	preview, err := stack.Preview(ctx, optpreview.EventStreams(rec.Events))
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	changes := rec.Changes()
	if got := kubernetesSteps(changes, apitype.OpUpdate); len(changes) != 1 || !slices.Equal(got, wantChange) {
		t.Fatalf("preview plans\n%s\nwant exactly one update, of %v", harness.DescribeSteps(changes), wantChange)
	}
	var changed []string
	for path := range changes[0].DetailedDiff {
		changed = append(changed, path)
	}
	sort.Strings(changed)
	if !slices.Equal(changed, []string{"spec.replicas"}) {
		t.Errorf("the querier update changes %v, want only spec.replicas", changed)
	}
	if preview.ChangeSummary[apitype.OpUpdate] != 1 {
		t.Errorf("preview change summary %v, want update: 1", preview.ChangeSummary)
	}

	before := generations(ctx, t)
	rec = harness.NewStepRecorder()
	res, err := stack.Up(ctx, optup.EventStreams(rec.Events))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	if changes := rec.Changes(); len(changes) != 1 || !slices.Equal(kubernetesSteps(changes, apitype.OpUpdate), wantChange) {
		t.Errorf("up did\n%s\nwant exactly one update, of %v", harness.DescribeSteps(changes), wantChange)
	}
	if summary := res.Summary.ResourceChanges; summary == nil || (*summary)["update"] != 1 || len(*summary) != 2 {
		t.Errorf("up summary %v, want update: 1 and the rest same", summary)
	}
	after := generations(ctx, t)
	for o, g := range after {
		changed := before[o] != g
		if want := o == (object{"Deployment", "thanos-query"}); changed != want {
			t.Errorf("%s changed on the API server (%s, then %s): %v, want %v", o, before[o], g, changed, want)
		}
	}
	// The chart's release was not upgraded: no second release record.
	mustBeGone(ctx, t, object{"Secret", "sh.helm.release.v1." + releaseName + ".v2"})
	query := mustGet(ctx, t, object{"Deployment", "thanos-query"}, namespace)
	if got := fmt.Sprint(field(query, "spec", "replicas")); got != "3" {
		t.Errorf("querier replicas %s after the update, want 3", got)
	}
}

func stackReferences(ctx context.Context, t *testing.T, stack auto.Stack) {
	// In: the program read the cluster stack's kubeconfig (the objects above exist) through a real
	// StackReference of the file backend.
	state, err := stack.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var deployment apitype.DeploymentV3
	if err := json.Unmarshal(state.Deployment, &deployment); err != nil {
		t.Fatal(err)
	}
	clusterRef := harness.FullyQualified(clusterProject, clusterStack)
	referenced := false
	for _, r := range deployment.Resources {
		if r.Type == "pulumi:pulumi:StackReference" && harness.URNName(string(r.URN)) == clusterRef {
			referenced = true
		}
	}
	if !referenced {
		t.Errorf("the program's state has no StackReference to %s", clusterRef)
	}

	// Out: the README's examples read the outputs.
	consumersReadTheOutputs(ctx, t, stack, clusterRef)
}

// destroy: the stack's destroy removes every object it created and the namespace (the real
// namespace controller and garbage collector finish the deletion, the operator's generated objects
// included). What stays is what upstream documents as staying: the CRDs Helm installed (it never
// deletes CRDs), and the kubelet Service the operator maintains in kube-system.
func destroy(ctx context.Context, t *testing.T, stack auto.Stack) {
	res, err := stack.Destroy(ctx)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if summary := res.Summary.ResourceChanges; summary == nil || (*summary)["delete"] == 0 {
		t.Errorf("destroy summary %v has no deletes", summary)
	}
	assertGone(ctx, t, namespace, append(append([]object{{"Namespace", namespace}, {"Namespace", nodeExporterNamespace}}, programObjects...), chartObjects...))

	crdsBefore, err := harness.ChartCRDNames(suite.Chart)
	if err != nil {
		t.Fatal(err)
	}
	crdsAfter, err := suite.cluster.Client.Names(ctx, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(crdsAfter, crdsBefore) {
		t.Errorf("CRDs after destroy %v, want exactly the chart's %v", crdsAfter, crdsBefore)
	}
	for _, plural := range []string{"prometheuses", "servicemonitors", "podmonitors", "prometheusrules"} {
		items, err := suite.cluster.Client.List(ctx, "/apis/monitoring.coreos.com/v1/"+plural)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 0 {
			t.Errorf("%d %s left after destroy", len(items), plural)
		}
	}
	// Only the API server's own namespaces remain.
	nsNames, err := suite.cluster.Client.Names(ctx, "/api/v1/namespaces")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"default", "kube-node-lease", "kube-public", "kube-system"}; !slices.Equal(nsNames, want) {
		t.Errorf("namespaces after destroy %v, want %v", nsNames, want)
	}
	// In kube-system, only the operators' kubelet Services (their --kubelet-service flag).
	kubeletService := strings.TrimPrefix(operatorFlag(t, "kubelet-service"), "kube-system/")
	services, err := suite.cluster.Client.List(ctx, "/api/v1/namespaces/kube-system/services")
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range services {
		if name := str(svc, "metadata", "name"); name != kubeletService && name != besideKubeletService {
			t.Errorf("Service kube-system/%s left after destroy", name)
		}
	}
	if left, err := harness.ReleaseRBACLeft(ctx, suite.cluster.Client, releaseName); err != nil || len(left) > 0 {
		t.Errorf("the release's RBAC left after destroy: %v (%v)", left, err)
	}

	state, err := stack.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var deployment apitype.DeploymentV3
	if err := json.Unmarshal(state.Deployment, &deployment); err != nil {
		t.Fatal(err)
	}
	if len(deployment.Resources) > 0 {
		var urns []string
		for _, r := range deployment.Resources {
			urns = append(urns, string(r.URN))
		}
		t.Errorf("the stack's state still holds %v", urns)
	}
}
