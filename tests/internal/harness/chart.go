package harness

// The real kube-prometheus-stack chart package the program pins (components.ChartPackage, kept in
// the repository with its provenance in charts/README.md), found and rendered the way `helm template` does it:
// Helm's own library, client-only. Tests render and install the real chart, never a copy of its
// templates.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// KubeVersion is the Kubernetes version charts are rendered for: the one the test clusters run.
const KubeVersion = "v1.36.3"

// ChartPath is the absolute path of the chart package the repository keeps (components.ChartPackage).
// It fails where the package is not there: a test that needs the real chart never skips.
func ChartPath() (string, error) {
	path := filepath.Join(RepoRoot(), filepath.FromSlash(components.ChartPackage()))
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("the real chart package is not in the repository (%v): scripts/update-chart.sh %s puts it there", err, components.ChartVersion)
	}
	return path, nil
}

// RenderChart renders the chart at path for a release as `helm template` does, client-only, and returns
// every object of the release, hooks included (CRDs in crds/ directories are not templates and are
// not rendered, as with `helm template` without --include-crds).
func RenderChart(path, releaseName, namespace string, values map[string]any) ([]objects.Object, error) {
	chart, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	install.DisableOpenAPIValidation = true
	if install.KubeVersion, err = chartutil.ParseKubeVersion(KubeVersion); err != nil {
		return nil, err
	}
	rel, err := install.Run(chart, values)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", path, err)
	}
	manifests := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		manifests = append(manifests, h.Manifest)
	}
	var out []objects.Object
	for _, m := range manifests {
		objs, err := decodeAll(m)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func decodeAll(manifest string) ([]objects.Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader([]byte(manifest)))
	var out []objects.Object
	for {
		// Decoded as a plain map: yaml.v3 would give nested maps the named type too.
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode rendered manifest: %w\n%s", err, firstLines(manifest, 20))
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// ChartCRDs are the CRDs the chart package installs from its crds/ directories (its own and its
// subcharts', as Helm's loader finds them), sorted by name.
func ChartCRDs(path string) ([]objects.Object, error) {
	chart, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	var crds []objects.Object
	for _, crd := range chart.CRDObjects() {
		objs, err := decodeAll(string(crd.File.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crd.Filename, err)
		}
		for _, o := range objs {
			if o.Kind() == "CustomResourceDefinition" {
				crds = append(crds, o)
			}
		}
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].Name() < crds[j].Name() })
	return crds, nil
}

// ChartCRDNames are the names of ChartCRDs, sorted.
func ChartCRDNames(path string) ([]string, error) {
	crds, err := ChartCRDs(path)
	names := make([]string, 0, len(crds))
	for _, crd := range crds {
		names = append(names, crd.Name())
	}
	return names, err
}

// chartRenames are the prometheusSpec values the chart does not copy under their own name, with
// where they arrive instead (templates/prometheus/prometheus.yaml of the pinned chart).
var chartRenames = []struct {
	from, to []string
	// consumed: the value steers the template instead of being copied; the rendered value at to
	// must then be this.
	consumed any
}{
	{from: []string{"storageSpec"}, to: []string{"storage"}},
	// The chart's existingSecret becomes the operator's SecretKeySelector.
	{from: []string{"thanos", "objectStorageConfig", "existingSecret"}, to: []string{"thanos", "objectStorageConfig"}},
	// false renders an empty selector (select everything) instead of the release label.
	{from: []string{"serviceMonitorSelectorNilUsesHelmValues"}, to: []string{"serviceMonitorSelector"}, consumed: map[string]any{}},
	{from: []string{"podMonitorSelectorNilUsesHelmValues"}, to: []string{"podMonitorSelector"}, consumed: map[string]any{}},
	{from: []string{"ruleSelectorNilUsesHelmValues"}, to: []string{"ruleSelector"}, consumed: map[string]any{}},
}

// PrometheusSpecMismatches compares the values under prometheus.prometheusSpec with a Prometheus
// resource's spec the chart rendered from them: every value must be there with the same value, at
// its own path or where chartRenames says. It returns one message per value that is not.
func PrometheusSpecMismatches(prometheusSpecValues, spec map[string]any) []string {
	var out []string
	for _, leaf := range chart.ValueLeaves(prometheusSpecValues) {
		path, want := leaf, objects.Field(prometheusSpecValues, leaf...)
		for _, r := range chartRenames {
			if len(leaf) >= len(r.from) && slices.Equal(leaf[:len(r.from)], r.from) {
				path = append(slices.Clone(r.to), leaf[len(r.from):]...)
				if r.consumed != nil {
					want = r.consumed
				}
			}
		}
		got, ok := objects.FieldOK(spec, path...)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("prometheusSpec.%s = %v is not in the Prometheus spec (looked for spec.%s): the chart drops it",
				chart.ValuePath(leaf), want, chart.ValuePath(path)))
		case fmt.Sprint(got) != fmt.Sprint(want):
			out = append(out, fmt.Sprintf("prometheusSpec.%s = %v arrives as spec.%s = %v", chart.ValuePath(leaf), want, chart.ValuePath(path), got))
		}
	}
	return out
}

// ReleaseRBACLeft lists the cluster roles and bindings still labelled as the chart release's
// ("clusterroles NAME"): after a destroy, there must be none.
func ReleaseRBACLeft(ctx context.Context, client *kube.KubeClient, release string) ([]string, error) {
	var left []string
	for _, kind := range []string{"clusterroles", "clusterrolebindings"} {
		items, err := client.List(ctx, "/apis/rbac.authorization.k8s.io/v1/"+kind)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			if labels := objects.StringMap(item, "metadata", "labels"); labels["app.kubernetes.io/instance"] == release || labels["release"] == release {
				left = append(left, kind+" "+objects.Str(item, "metadata", "name"))
			}
		}
	}
	return left, nil
}

// OperatorDeployment picks the chart's prometheus-operator Deployment among the names of a
// release's Deployments: the one whose name ends in -operator (the chart's
// "kube-prometheus-stack.operator.fullname", the release's prefix cut to 26 characters).
func OperatorDeployment(names []string) (string, error) {
	var operators []string
	for _, name := range names {
		if strings.HasSuffix(name, "-operator") {
			operators = append(operators, name)
		}
	}
	if len(operators) != 1 {
		return "", fmt.Errorf("operator Deployments %v, want one", operators)
	}
	return operators[0], nil
}

// OperatorInstanceNamespaceFlags are the operator's flags that the chart renders from the values
// of chart.OperatorInstanceNamespacesPaths (templates/prometheus-operator/deployment.yaml of
// ChartVersion): each names the namespaces whose instances the operator manages.
var OperatorInstanceNamespaceFlags = []string{"--prometheus-instance-namespaces", "--alertmanager-instance-namespaces", "--thanos-ruler-instance-namespaces"}
