//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// Helm installs a chart's CRDs when a release is first installed and never upgrades them. A
// cluster that ran an earlier chart (an earlier release of this program, or any
// kube-prometheus-stack) keeps that chart's CRDs, and the API server prunes every field they lack
// from the objects the new chart writes. The suite stands such CRDs in the cluster before the
// first `up`: the chart's own, as Helm creates them, of an older operator, and without one field
// the program's values need, the sidecar's object storage. Pruned, that field would leave the
// sidecars uploading nothing: every block lost once Prometheus's retention passes.

// olderCRDField is the field the older CRDs lack: prometheuses' spec.thanos.objectStorageConfig.
var olderCRDField = []string{"spec", "thanos", "objectStorageConfig"}

const prometheusesCRD = "prometheuses.monitoring.coreos.com"

// olderOperatorVersion is the operator version the older CRDs claim: the minor before the pinned.
func olderOperatorVersion(t *testing.T) string {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(components.PrometheusOperatorVersion, "v"), ".")
	minor, err := strconv.Atoi(parts[1])
	if len(parts) != 3 || err != nil || minor == 0 {
		t.Fatalf("operator version %s is not vX.Y.Z with Y > 0", components.PrometheusOperatorVersion)
	}
	return fmt.Sprintf("%s.%d.0", parts[0], minor-1)
}

// schemaProperties walks a CRD's v1 schema to the properties of the object at path (each element
// a property of the one before).
func schemaProperties(version any, path []string) map[string]any {
	node := field(version, "schema", "openAPIV3Schema")
	for _, p := range path {
		node = field(node, "properties", p)
	}
	props, _ := field(node, "properties").(map[string]any)
	return props
}

func installOlderCRDs(ctx context.Context, t *testing.T) {
	crds, err := harness.ChartCRDs(suite.Chart)
	if err != nil {
		t.Fatal(err)
	}
	older := olderOperatorVersion(t)
	for _, crd := range crds {
		obj := map[string]any(crd)
		delete(field(obj, "metadata").(map[string]any), "creationTimestamp")
		stringAnnotations(obj)["operator.prometheus.io/version"] = older
		if crd.Name() == prometheusesCRD {
			parent, last := olderCRDField[:len(olderCRDField)-1], olderCRDField[len(olderCRDField)-1]
			for _, v := range list(obj, "spec", "versions") {
				props := schemaProperties(v, parent)
				if _, ok := props[last]; !ok {
					t.Fatalf("the chart's %s has no %s: the suite's older CRD would not be older", prometheusesCRD, strings.Join(olderCRDField, "."))
				}
				delete(props, last)
			}
		}
		// As Helm creates CRDs: a plain create, its own field manager.
		raw, status, err := suite.cluster.Client.Do(ctx, http.MethodPost, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldManager=helm", obj)
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create the older %s: %d %v %s", crd.Name(), status, err, raw)
		}
	}
}

// stringAnnotations returns the annotations map of an object, creating it.
func stringAnnotations(obj map[string]any) map[string]any {
	meta := field(obj, "metadata").(map[string]any)
	a, ok := meta["annotations"].(map[string]any)
	if !ok {
		a = map[string]any{}
		meta["annotations"] = a
	}
	return a
}

// checkCRDsUpgraded: after `up`, the older CRDs are the chart's: the field is back in the schema
// and the program's field manager holds it (the Prometheus object keeps it: operatorGeneratesPrometheus).
func checkCRDsUpgraded(ctx context.Context, t *testing.T) {
	crd := mustGet(ctx, t, object{"CustomResourceDefinition", prometheusesCRD}, "")
	parent, last := olderCRDField[:len(olderCRDField)-1], olderCRDField[len(olderCRDField)-1]
	for _, v := range list(crd, "spec", "versions") {
		if _, ok := schemaProperties(v, parent)[last]; !ok {
			t.Errorf("%s version %s still lacks %s after up: the older CRD was not upgraded", prometheusesCRD, str(v, "name"), strings.Join(olderCRDField, "."))
		}
	}
	var managers []string
	for _, m := range list(crd, "metadata", "managedFields") {
		managers = append(managers, str(m, "manager")+"/"+str(m, "operation"))
	}
	if !slices.ContainsFunc(managers, func(m string) bool {
		return strings.HasPrefix(m, "pulumi-kubernetes") && strings.HasSuffix(m, "/Apply")
	}) {
		t.Errorf("%s is managed by %v: no Server-Side Apply of the program", prometheusesCRD, managers)
	}
}

// logStateSize logs the size of the stack's state, compact, and the CRDs' share of it: each CRD's
// inputs and outputs are kept in the state (their YAML is about 4.4 MB for the pinned chart).
func logStateSize(ctx context.Context, t *testing.T, stack auto.Stack) {
	state, err := stack.Export(ctx)
	if err != nil {
		t.Fatalf("export the state: %v", err)
	}
	var d struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(state.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	var all, crds int
	for _, r := range d.Resources {
		var buf bytes.Buffer
		if err := json.Compact(&buf, r); err != nil {
			t.Fatal(err)
		}
		all += buf.Len()
		if bytes.Contains(r, []byte(`"type": "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"`)) ||
			bytes.Contains(r, []byte(`"type":"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"`)) {
			crds += buf.Len()
		}
	}
	t.Logf("state after up: %d resources, %.1f MB as compact JSON, of which the CRDs %.1f MB", len(d.Resources), float64(all)/1e6, float64(crds)/1e6)
}
