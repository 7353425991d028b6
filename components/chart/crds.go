package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Helm installs the files of a chart's crds/ directory (and its subcharts') when the release is
// first installed, and never again: a chart upgrade leaves the previous operator's CRDs, and the
// API server then prunes every field they lack from the objects the new operator and the program
// write (kube-prometheus-stack's README: "CRDs are not updated by Helm"). So the program applies
// the chart's CRDs itself, with Server-Side Apply, in the same update as the release, and the
// release skips them.

// CRDAPIVersion and CRDKind are those of every object a chart's crds/ directory may hold here.
const (
	CRDAPIVersion = "apiextensions.k8s.io/v1"
	CRDKind       = "CustomResourceDefinition"
)

// CRD is one CustomResourceDefinition of a chart, as its crds/ file holds it.
type CRD struct {
	// Name is metadata.name, "<plural>.<group>".
	Name string
	// File is the file of the chart that holds it, for errors.
	File string
	// Object is the whole object.
	Object map[string]any
}

// CRDsFromPackage reads the CRDs of a chart package (.tgz as `helm package` writes it):
// the files of crds/ of the chart and of every subchart packaged in it, which Helm installs.
func CRDsFromPackage(pkg []byte) ([]CRD, error) {
	gz, err := gzip.NewReader(bytes.NewReader(pkg))
	if err != nil {
		return nil, fmt.Errorf("chart package: %w", err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("chart package: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !isCRDFile(h.Name) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("chart package: %s: %w", h.Name, err)
		}
		files[h.Name] = b
	}
	return parseCRDFiles(files)
}

// CRDsFromPath reads the CRDs of a chart at a local path: a package (a file) or a chart
// directory, as chartPath names either.
func CRDsFromPath(p string) ([]CRD, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		pkg, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return CRDsFromPackage(pkg)
	}
	files := map[string][]byte{}
	root := os.DirFS(p)
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isCRDFile("chart/"+name) {
			return err
		}
		b, err := fs.ReadFile(root, name)
		files[filepath.Join(p, name)] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	return parseCRDFiles(files)
}

// isCRDFile says whether a path inside a package (its first element is the chart's directory)
// is a file Helm installs as a CRD: <chart>/crds/*, or <chart>/charts/<sub>/crds/* at any depth.
func isCRDFile(name string) bool {
	dir, file := path.Split(name)
	parts := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-1] != "crds" || !slices.Contains([]string{".yaml", ".yml", ".json"}, path.Ext(file)) {
		return false
	}
	// Between the chart's directory and crds/, only charts/<sub> pairs.
	middle := parts[1 : len(parts)-1]
	if len(middle)%2 != 0 {
		return false
	}
	for i := 0; i < len(middle); i += 2 {
		if middle[i] != "charts" {
			return false
		}
	}
	return true
}

// parseCRDFiles parses every document of the files, in file order; each must be a CRD, and no
// name may repeat.
func parseCRDFiles(files map[string][]byte) ([]CRD, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []CRD
	seen := map[string]string{}
	for _, file := range names {
		// The API machinery's decoder, as kubectl and Helm read manifests: documents split at
		// "---", YAML or JSON.
		dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(files[file]), 4096)
		for i := 1; ; i++ {
			var obj map[string]any
			if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s, document %d: %w", file, i, err)
			}
			if len(obj) == 0 {
				continue
			}
			name, _ := valueAt(obj, []string{"metadata", "name"}).(string)
			if obj["apiVersion"] != CRDAPIVersion || obj["kind"] != CRDKind || name == "" {
				return nil, fmt.Errorf("%s, document %d: %v %v %q is not a named %s %s", file, i, obj["apiVersion"], obj["kind"], name, CRDAPIVersion, CRDKind)
			}
			if prev, ok := seen[name]; ok {
				return nil, fmt.Errorf("CRD %s is in both %s and %s", name, prev, file)
			}
			seen[name] = file
			out = append(out, CRD{Name: name, File: file, Object: obj})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the chart has no CRDs in crds/ (nor in a subchart's)")
	}
	return out, nil
}

// newChartCRDs applies the CRDs with Server-Side Apply, taking their fields over from the manager
// that installed them (Helm, the chart's upgrade job, kubectl). They are kept on delete: a CRD is
// cluster-wide, and deleting it deletes every object of its kind in every namespace (Helm never
// deletes them either).
func newChartCRDs(ctx *pulumi.Context, crds []CRD, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	out := make([]pulumi.Resource, 0, len(crds))
	for _, crd := range crds {
		other := kubernetes.UntypedArgs{}
		for k, v := range crd.Object {
			if k != "apiVersion" && k != "kind" && k != "metadata" && k != "status" {
				other[k] = v
			}
		}
		meta, _ := crd.Object["metadata"].(map[string]any)
		// No empty map where the chart has no labels: the live object has none, and the
		// provider's diff would show one on every preview.
		var labels pulumi.StringMapInput
		if l := stringMap(meta["labels"]); len(l) > 0 {
			labels = pulumi.ToStringMap(l)
		}
		r, err := apiextensions.NewCustomResource(ctx, crd.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(CRDAPIVersion),
			Kind:       pulumi.String(CRDKind),
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(crd.Name),
				Labels:      labels,
				Annotations: components.OwnedAnnotations(pulumi.ToStringMap(stringMap(meta["annotations"]))),
			},
			OtherFields: other,
		}, append(opts, pulumi.RetainOnDelete(true))...)
		if err != nil {
			return nil, fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// stringMap reads a map of strings from untyped YAML.
func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		}
	}
	return out
}
