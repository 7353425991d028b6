//go:build integration

package integration

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// object is one Kubernetes object by kind and name, in the suite's namespace unless cluster-scoped.
type object struct{ kind, name string }

func (o object) String() string { return o.kind + "/" + o.name }

// collections maps each kind the suite reads to its namespaced collection path.
var collections = map[string]string{
	"Secret":              "/api/v1/namespaces/%s/secrets",
	"ConfigMap":           "/api/v1/namespaces/%s/configmaps",
	"Service":             "/api/v1/namespaces/%s/services",
	"ServiceAccount":      "/api/v1/namespaces/%s/serviceaccounts",
	"Deployment":          "/apis/apps/v1/namespaces/%s/deployments",
	"StatefulSet":         "/apis/apps/v1/namespaces/%s/statefulsets",
	"PodDisruptionBudget": "/apis/policy/v1/namespaces/%s/poddisruptionbudgets",
	"ServiceMonitor":      "/apis/monitoring.coreos.com/v1/namespaces/%s/servicemonitors",
	"PodMonitor":          "/apis/monitoring.coreos.com/v1/namespaces/%s/podmonitors",
	"PrometheusRule":      "/apis/monitoring.coreos.com/v1/namespaces/%s/prometheusrules",
	"Prometheus":          "/apis/monitoring.coreos.com/v1/namespaces/%s/prometheuses",
	"NetworkPolicy":       "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies",
}

func (o object) path(namespace string) string {
	switch o.kind {
	case "Namespace":
		return "/api/v1/namespaces/" + o.name
	case "CustomResourceDefinition":
		return "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + o.name
	}
	collection, ok := collections[o.kind]
	if !ok {
		panic("no collection for kind " + o.kind)
	}
	return fmt.Sprintf(collection, namespace) + "/" + o.name
}

// mustGet reads an object that must exist.
func mustGet(ctx context.Context, t testing.TB, o object, namespace string) map[string]any {
	t.Helper()
	obj, found, err := suite.cluster.Client.Get(ctx, o.path(namespace))
	if err != nil {
		t.Fatalf("read %s: %v", o, err)
	}
	if !found {
		t.Fatalf("%s does not exist in namespace %s", o, namespace)
	}
	return obj
}

var (
	field     = objects.Field
	str       = objects.Str
	stringMap = objects.StringMap
	list      = objects.List
)

// subset reports whether every label of sel is in labels with the same value: whether a selector
// selects objects carrying labels.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false // an empty selector here would be a bug, not "select everything"
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// normalize round-trips a value through JSON so that values built in Go compare equal to values
// decoded from the API server.
func normalize(t testing.TB, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// storedAsMeant fails unless every field of want (what the program meant) is in got (read back)
// with the same value: a field the CRD schema pruned or the API server rewrote shows up here.
// Fields the schema adds as defaults (the Prometheus CRD defaults thanos.blockSize to 2h) are allowed.
func storedAsMeant(t testing.TB, what string, got, want any) {
	t.Helper()
	g, w := normalize(t, got), normalize(t, want)
	if !jsonContains(g, w) {
		gj, _ := json.MarshalIndent(g, "", "  ")
		wj, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("%s read back from the API server lacks or changes what the program meant:\n got: %s\nwant: %s", what, gj, wj)
	}
}

// jsonContains reports whether decoded JSON value got holds want: maps may have more keys, lists
// must match element by element, everything else must be equal.
func jsonContains(got, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !jsonContains(gv, wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !jsonContains(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

// namespaceObjects lists every object of the kinds in collections in a namespace, as kind/name.
func namespaceObjects(ctx context.Context, namespace string) (map[object]map[string]any, error) {
	out := map[object]map[string]any{}
	for kind, collection := range collections {
		items, err := suite.cluster.Client.List(ctx, fmt.Sprintf(collection, namespace))
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			out[object{kind, str(item, "metadata", "name")}] = item
		}
	}
	return out, nil
}

func sortedObjects(objs map[object]map[string]any) []string {
	var out []string
	for o := range objs {
		out = append(out, o.String())
	}
	sort.Strings(out)
	return out
}

// helmRelease decodes the release Helm stores in a Secret: base64 of gzipped JSON, which the API
// returns base64-encoded once more.
func helmRelease(secret map[string]any) (string, error) {
	data := str(secret, "data", "release")
	once, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", err
	}
	twice, err := base64.StdEncoding.DecodeString(string(once))
	if err != nil {
		return "", err
	}
	zr, err := gzip.NewReader(bytes.NewReader(twice))
	if err != nil {
		return "", err
	}
	raw, err := io.ReadAll(zr)
	return string(raw), err
}

// mustBeGone fails if the object exists.
func mustBeGone(ctx context.Context, t testing.TB, o object) {
	t.Helper()
	assertGone(ctx, t, namespace, []object{o})
}

// assertGone fails for every object that still exists.
func assertGone(ctx context.Context, t testing.TB, namespace string, objs []object) {
	t.Helper()
	for _, o := range objs {
		_, status, err := suite.cluster.Client.Do(ctx, http.MethodGet, o.path(namespace), nil)
		if err != nil {
			t.Errorf("read %s: %v", o, err)
			continue
		}
		if status != http.StatusNotFound {
			t.Errorf("%s still exists after destroy (GET answered %d)", o, status)
		}
	}
}

func containsAny(s string, needles ...string) []string {
	var found []string
	for _, n := range needles {
		if strings.Contains(s, n) {
			found = append(found, n)
		}
	}
	return found
}
