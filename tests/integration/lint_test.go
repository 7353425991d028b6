//go:build integration

package integration

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// lintedKinds are the kinds of the program's objects that kube-score scores; it passes over the
// others (Secrets, ServiceAccounts, the operator's custom resources).
var lintedKinds = []string{"Deployment", "StatefulSet", "Service", "PodDisruptionBudget", "NetworkPolicy"}

// lintPolicy is what the suite turns off in kube-score v1.20.0's default checks: flags of
// `kube-score score`, each with its reason (docs/security.md lists them too). Every other default
// check must pass on every object.
type lintPolicy map[string]string

// prodLintPolicy holds for every shape.
var prodLintPolicy = lintPolicy{
	"--ignore-test=container-image-pull-policy": "every image is pinned to a release tag that is never moved; " +
		"pullPolicy Always would make every pod start depend on the registry",
	"--ignore-container-cpu-limit": "a CPU limit throttles the querier and store gateway mid-query (CFS quota); " +
		"their CPU requests and memory limits are set",
}

// devShapeKeys are the settings that make Pulumi.dev.yaml's shape (one of each, no
// PodDisruptionBudgets) differ from the suite's prod shape; the dev lint step takes their values
// from the committed file.
var devShapeKeys = []string{"prometheusReplicas", "querierReplicas", "queryFrontendReplicas", "storeReplicas", "podDisruptionBudgets"}

// devLintPolicy adds what the dev shape fails by design.
var devLintPolicy = lintPolicy{
	"--ignore-test=deployment-replicas": "dev runs one querier and one query-frontend (querierReplicas, queryFrontendReplicas: 1); the prod shape runs two or more and passes",
}

func (p lintPolicy) flags() []string { return slices.Sorted(maps.Keys(p)) }

// lintContext are the objects that the operator (the Prometheus and Alertmanager StatefulSets, their
// governing Services) and the chart (its workloads; the PodDisruptionBudget, with
// podDisruptionBudgets only) create from the program's values: the workloads of the same `up`,
// sized and fenced by the program's values and NetworkPolicies, and what kube-score needs to judge
// the program's objects (each NetworkPolicy selects their pods). A finding on them fails too, but
// for those of harness.ChartLintAccepted.
var lintContext = []lintContextObject{
	{object: object{"StatefulSet", "prometheus-" + prometheusName}},
	{object: object{"Service", "prometheus-operated"}},
	{object: object{"Service", "alertmanager-operated"}},
	{object: object{"PodDisruptionBudget", prometheusName}, optional: true},
	{object: object{"StatefulSet", "alertmanager-" + releaseName + "-alertmanager"}},
	{object: object{"Deployment", operatorName}},
	{object: object{"Deployment", releaseName + "-grafana"}},
	{object: object{"Deployment", releaseName + "-kube-state-metrics"}},
}

// lintContextObject is one object of lintContext; an optional one may be absent.
type lintContextObject struct {
	object
	optional bool
}

// lintProgramObjects runs kube-score over the program's objects as the API server holds them, with
// lintContext, and fails on any finding on a program object.
func lintProgramObjects(ctx context.Context, t *testing.T, policy lintPolicy) {
	read := func(objs []object) ([]map[string]any, []string) {
		var out []map[string]any
		var names []string
		for _, o := range objs {
			if !slices.Contains(lintedKinds, o.kind) {
				continue
			}
			obj, found, err := suite.cluster.Client.Get(ctx, o.path(namespace))
			if err != nil {
				t.Fatalf("read %s: %v", o, err)
			}
			if found {
				out = append(out, obj)
				names = append(names, o.String())
			}
		}
		return out, names
	}
	programObjs, programNames := read(programObjects)
	var contextObjs []object
	for _, o := range lintContext {
		contextObjs = append(contextObjs, o.object)
	}
	operatorObjs, contextNames := read(contextObjs)
	for _, o := range lintContext {
		if !o.optional && !slices.Contains(contextNames, o.String()) {
			t.Fatalf("the operator's %s is not there (read %v)", o, contextNames)
		}
	}
	findings, err := harness.KubeScore(ctx, suite.tools.KubeScore, append(programObjs, operatorObjs...), policy.flags())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-score %s over the program's %d objects (%s) and the operator's and chart's %s", strings.Join(policy.flags(), " "),
		len(programObjs), strings.Join(programNames, ", "), strings.Join(contextNames, ", "))
	var accepted int
	used := make([]bool, len(harness.ChartLintAccepted))
	for _, f := range findings {
		i := slices.IndexFunc(harness.ChartLintAccepted, func(a harness.LintAccepted) bool { return a.Accepts(f) })
		if i < 0 || slices.Contains(programNames, f.Kind+"/"+f.Name) {
			t.Errorf("kube-score: %s", f)
			continue
		}
		accepted++
		used[i] = true
	}
	for i, a := range harness.ChartLintAccepted {
		if !used[i] {
			t.Errorf("harness.ChartLintAccepted: %s on %v matched no finding; remove it", a.Check, a.Objects)
		}
	}
	t.Logf("%d findings, %d of them accepted on the operator's and chart's objects (harness.ChartLintAccepted)", len(findings), accepted)
}

// lintDevShape changes the stack to Pulumi.dev.yaml's shape, updates it and lints again.
func lintDevShape(ctx context.Context, t *testing.T, stack auto.Stack) {
	dev, err := harness.StackFileConfig("dev")
	if err != nil {
		t.Fatal(err)
	}
	shape := map[string]string{}
	for _, key := range devShapeKeys {
		v, ok := dev[key]
		if !ok {
			t.Fatalf("Pulumi.dev.yaml has no %s", key)
		}
		shape[key] = v
	}
	harness.MustSetConfig(ctx, t, stack, shape)
	if _, err := stack.Up(ctx); err != nil {
		t.Fatalf("up in the dev shape %v: %v", shape, err)
	}
	policy := maps.Clone(prodLintPolicy)
	maps.Copy(policy, devLintPolicy)
	lintProgramObjects(ctx, t, policy)
}
