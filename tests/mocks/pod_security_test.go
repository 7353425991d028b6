package mocks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	k8scorev1 "k8s.io/api/core/v1"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// podTemplate is one pod template of a workload, by where it comes from.
type podTemplate struct {
	what      string // "program Deployment thanos-query", "chart DaemonSet ..."
	namespace string
	meta      k8smetav1.ObjectMeta
	spec      k8scorev1.PodSpec
}

// decodeTemplate decodes a workload's spec.template (Deployment, StatefulSet, DaemonSet, Job).
func decodeTemplate(t *testing.T, what, namespace string, template any) podTemplate {
	t.Helper()
	raw, err := json.Marshal(template)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl k8scorev1.PodTemplateSpec
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatalf("%s: pod template: %v", what, err)
	}
	return podTemplate{what: what, namespace: namespace, meta: tmpl.ObjectMeta, spec: tmpl.Spec}
}

// stackPodTemplates are the pod templates of every workload the program registers and the real
// chart renders with the program's values (hooks included: the admission webhook's Jobs).
func stackPodTemplates(t *testing.T, stack string, r *run) []podTemplate {
	t.Helper()
	var out []podTemplate
	for _, typ := range []string{"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"} {
		for _, w := range r.all(typ) {
			out = append(out, decodeTemplate(t, "program "+w.Name, r.outputs["namespace"], at(t, w.Inputs, "spec.template")))
		}
	}
	c := renderStack(t, stack, r)
	for _, kind := range []string{"Deployment", "StatefulSet", "DaemonSet", "Job"} {
		for _, o := range c.all(kind) {
			namespace, _ := o.Metadata()["namespace"].(string)
			if namespace == "" {
				namespace = r.outputs["namespace"]
			}
			out = append(out, decodeTemplate(t, "chart "+kind+" "+o.Name(), namespace, objects.Field(o, "spec", "template")))
		}
	}
	return out
}

// TestEveryPodPassesItsNamespacesPodSecurityLevel evaluates every pod template of each stack with
// the Pod Security Standards' own checks at the pinned Kubernetes version (k8s.io/pod-security-
// admission: the code the API server's PodSecurity admission runs), at the level its namespace
// enforces. The Prometheus pods, which the operator generates, are checked by the real API server
// in the integration and cluster suites.
func TestEveryPodPassesItsNamespacesPodSecurityLevel(t *testing.T) {
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		levels := namespaceLevels(t, r)
		namespace := r.outputs["namespace"]
		if got, want := levels[namespace], components.ReleaseNamespacePodSecurity; got != want {
			t.Errorf("namespace %s enforces %q, want %q", namespace, got, want)
		}
		exporterNamespace := r.deployment.Config.NodeExporterNamespace
		if got, want := levels[exporterNamespace], components.NodeExporterNamespacePodSecurity; got != want {
			t.Errorf("node-exporter's namespace %s enforces %q, want %q", exporterNamespace, got, want)
		}
		sawNodeExporter := false
		for _, p := range stackPodTemplates(t, stack, r) {
			level, ok := levels[p.namespace]
			if !ok {
				t.Errorf("%s runs in %s, a namespace the program does not create", p.what, p.namespace)
				continue
			}
			if strings.Contains(p.what, "node-exporter") {
				sawNodeExporter = true
				if p.namespace != exporterNamespace {
					t.Errorf("%s runs in %s, want %s", p.what, p.namespace, exporterNamespace)
				}
				// Why it runs apart: the host access it needs fails even baseline.
				if allowed(evaluator, psaapi.LevelBaseline, p) {
					t.Errorf("%s passes baseline: it could run in %s", p.what, namespace)
				}
			}
			if !allowed(evaluator, level, p) {
				result := psapolicy.AggregateCheckResults(evaluator.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &p.meta, &p.spec))
				t.Errorf("%s breaks the %s level of namespace %s: %s", p.what, level, p.namespace, result.ForbiddenDetail())
			}
		}
		if !sawNodeExporter {
			t.Error("the chart renders no node-exporter")
		}
	})
}

func allowed(evaluator psapolicy.Evaluator, level psaapi.Level, p podTemplate) bool {
	results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &p.meta, &p.spec)
	return psapolicy.AggregateCheckResults(results).Allowed
}

// namespaceLevels are the Pod Security levels the program's namespaces enforce, by name. Each
// namespace also pins the version to latest, and warns and audits at restricted where it enforces
// restricted.
func namespaceLevels(t *testing.T, r *run) map[string]psaapi.Level {
	t.Helper()
	out := map[string]psaapi.Level{}
	for _, ns := range r.all("kubernetes:core/v1:Namespace") {
		labels := stringMap(at(t, ns.Inputs, "metadata.labels"))
		level, err := psaapi.ParseLevel(labels[psaapi.EnforceLevelLabel])
		if err != nil {
			t.Errorf("namespace %s: %s=%q: %v", ns.Name, psaapi.EnforceLevelLabel, labels[psaapi.EnforceLevelLabel], err)
			continue
		}
		if labels[psaapi.EnforceVersionLabel] != psaapi.VersionLatest {
			t.Errorf("namespace %s: %s=%q, want latest", ns.Name, psaapi.EnforceVersionLabel, labels[psaapi.EnforceVersionLabel])
		}
		if level == psaapi.LevelRestricted {
			for _, key := range []string{psaapi.WarnLevelLabel, psaapi.AuditLevelLabel} {
				if labels[key] != string(psaapi.LevelRestricted) {
					t.Errorf("namespace %s: %s=%q, want restricted", ns.Name, key, labels[key])
				}
			}
		}
		out[fmt.Sprint(at(t, ns.Inputs, "metadata.name"))] = level
	}
	return out
}
