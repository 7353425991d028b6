package mocks

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// helmCRDs are the CRDs Helm's own loader finds in the chart package (harness.ChartCRDs), by name.
func helmCRDs(t *testing.T) map[string]map[string]any {
	t.Helper()
	path, err := harness.ChartPath()
	if err != nil {
		t.Fatal(err)
	}
	crds, err := harness.ChartCRDs(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) == 0 {
		t.Fatal("Helm finds no CRD in the chart package")
	}
	out := map[string]map[string]any{}
	for _, crd := range crds {
		out[crd.Name()] = jsonRoundTrip(t, map[string]any(crd))
	}
	return out
}

func jsonRoundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProgramAppliesTheChartsCRDs: the program applies exactly the CRDs Helm would install from
// the chart it deploys (the package it keeps, or chartPath, a package or a directory), each as the
// chart has it, taken over from any other field manager and kept on delete; the release skips them
// and waits for them.
func TestProgramAppliesTheChartsCRDs(t *testing.T) {
	want := helmCRDs(t)
	path, err := harness.ChartPath()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := chartutil.ExpandFile(dir, path); err != nil {
		t.Fatal(err)
	}
	sources := map[string]map[string]string{
		"the package the program keeps": nil,
		"chartPath, a package":          {"prometheus-thanos:chartPath": path},
		"chartPath, a directory":        {"prometheus-thanos:chartPath": filepath.Join(dir, components.ChartName)},
	}
	for name, set := range sources {
		t.Run(name, func(t *testing.T) {
			config := stackConfig(t, "dev")
			for k, v := range set {
				config[k] = v
			}
			r := runProgram(t, "dev", config)
			if r.err != nil {
				t.Fatal(r.err)
			}
			checkAppliedCRDs(t, r, want)
		})
	}
}

func checkAppliedCRDs(t *testing.T, r *run, want map[string]map[string]any) {
	t.Helper()
	crds := r.all("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
	var names, wantNames []string
	for name := range want {
		wantNames = append(wantNames, name)
	}
	release := r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")
	for _, crd := range crds {
		names = append(names, crd.Name)
		chart, ok := want[crd.Name]
		if !ok {
			continue
		}
		if got := at(t, crd.Inputs, "metadata.name"); got != crd.Name {
			t.Errorf("CRD resource %s applies metadata.name %v", crd.Name, got)
		}
		if !reflect.DeepEqual(jsonRoundTrip(t, crd.Inputs["spec"]), chart["spec"]) {
			t.Errorf("CRD %s: the program's spec differs from the chart's", crd.Name)
		}
		annotations := stringMap(at(t, crd.Inputs, "metadata.annotations"))
		for k, v := range stringMap(at(t, chart, "metadata.annotations")) {
			if annotations[k] != v {
				t.Errorf("CRD %s: annotation %s is %q, the chart's %q", crd.Name, k, annotations[k], v)
			}
		}
		if annotations[components.PatchForceAnnotation] != "true" {
			t.Errorf("CRD %s lacks %s: fields another manager (Helm) holds would conflict", crd.Name, components.PatchForceAnnotation)
		}
		if !crd.RetainOnDelete {
			t.Errorf("CRD %s is deleted with the stack: every object of its kind in the cluster would go with it", crd.Name)
		}
		if !dependsOn(release, crd.Name) {
			t.Errorf("the release does not wait for CRD %s, which its operator needs at start", crd.Name)
		}
	}
	slices.Sort(names)
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("the program applies CRDs %v, Helm would install %v", names, wantNames)
	}
	if release.Inputs["skipCrds"] != true {
		t.Errorf("the release installs the chart's crds/ itself (skipCrds %v): Helm would then skip them on every upgrade", release.Inputs["skipCrds"])
	}
}
