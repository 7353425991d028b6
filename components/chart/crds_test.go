package chart

import (
	"strings"
	"testing"
)

// TestCRDFilesAreThoseHelmInstalls: crds/ of the chart and of its subcharts, at any depth, and
// manifests only (TestProgramAppliesTheChartsCRDs compares the whole set with Helm's loader).
func TestCRDFilesAreThoseHelmInstalls(t *testing.T) {
	for name, want := range map[string]bool{
		"kube-prometheus-stack/crds/a.yaml":                         true,
		"kube-prometheus-stack/charts/crds/crds/crd-probes.yaml":    true,
		"kube-prometheus-stack/charts/a/charts/b/crds/x.json":       true,
		"kube-prometheus-stack/charts/crds/crds/README.md":          false,
		"kube-prometheus-stack/templates/crds/a.yaml":               false,
		"kube-prometheus-stack/charts/crds/templates/upgrade/a.yml": false,
		"kube-prometheus-stack/charts/crds/files/crds.bz2":          false,
		"crds/a.yaml": false,
	} {
		if got := isCRDFile(name); got != want {
			t.Errorf("isCRDFile(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParseCRDFilesRefusesWhatIsNotOneCRDEach(t *testing.T) {
	crd := func(name string) string {
		return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + name + "\n"
	}
	got, err := parseCRDFiles(map[string][]byte{"c/crds/b.yaml": []byte("---\n" + crd("b.example.com") + "---\n# nothing\n---\n" + crd("c.example.com")), "c/crds/a.yaml": []byte(crd("a.example.com"))})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "a.example.com b.example.com c.example.com" {
		t.Errorf("parsed %v, want the three in file order", names)
	}
	for what, files := range map[string]map[string][]byte{
		"a Deployment":  {"c/crds/a.yaml": []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n")},
		"a name twice":  {"c/crds/a.yaml": []byte(crd("a.example.com")), "c/crds/b.yaml": []byte(crd("a.example.com"))},
		"no CRD at all": {"c/crds/a.yaml": []byte("# empty\n")},
		"not YAML":      {"c/crds/a.yaml": []byte("apiVersion: [\n")},
	} {
		if _, err := parseCRDFiles(files); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}
