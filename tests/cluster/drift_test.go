//go:build cluster

package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// handChange is an operator's change, by hand, to an object the program declares: what
// `pulumi preview --refresh` must report and `pulumi up --refresh` must put back.
type handChange struct {
	what string
	// urnType and urnName are the Pulumi type and name of the object changed; op is what the
	// preview must plan for it.
	urnType, urnName string
	op               apitype.OpType
	// make changes the object; restored reports what is still wrong after `up --refresh` ("" once
	// the declared state is back).
	make     func(t *testing.T)
	restored func(t *testing.T) string
}

// undeclaredLabel is a label the program does not declare, added by hand to an object it does:
// Server-Side Apply with patch force leaves it to whoever set it.
const undeclaredLabel = "example.com/owner"

// handChanges are one of each kind of drift on the running stack: the querier scaled, the
// query-frontend's image set, the compactor's log level changed, a declared label changed on the
// store gateway's Service (and an undeclared one added), and the querier's NetworkPolicy deleted.
func (p *stackRun) handChanges(t *testing.T) []handChange {
	ns := p.namespace
	query, frontend := thanos.QuerierLabels("thanos"), thanos.QueryFrontendLabels("thanos")
	compact, store := thanos.CompactorLabels("thanos"), thanos.StoreGatewayLabels("thanos")
	deployment := func(name string) string { return fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", ns, name) }
	compactSet := p.statefulSetPath(t, compact)
	service := fmt.Sprintf("/api/v1/namespaces/%s/services/%s", ns, store.ObjectName())
	policy := fmt.Sprintf("/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/%s", ns, query.ObjectName())
	// The compactor's log level, changed in place: the pinned provider's diff compares the live
	// list pruned to the declared list's length (pkg/provider/util.go, pruneSlice), so an argument
	// appended after the declared ones is not seen (docs/operations.md, "Drift").
	const handLogLevel = "--log.level=debug"
	handImage := components.ThanosImage() + "-by-hand"
	return []handChange{
		{
			what: "querier scaled to 3 (kubectl scale)", urnType: "kubernetes:apps/v1:Deployment", urnName: query.ObjectName(), op: apitype.OpUpdate,
			make: func(t *testing.T) {
				if err := suite.cluster.Client.MergePatch(p.ctx, deployment(query.ObjectName())+"/scale", map[string]any{"spec": map[string]any{"replicas": 3}}); err != nil {
					t.Fatal(err)
				}
			},
			restored: func(t *testing.T) string {
				if n := objects.Field(p.get(t, deployment(query.ObjectName())), "spec", "replicas"); fmt.Sprint(n) != fmt.Sprint(p.replicas(t, "querierReplicas")) {
					return fmt.Sprintf("querier replicas %v", n)
				}
				return ""
			},
		},
		{
			what: "query-frontend image set (kubectl set image)", urnType: "kubernetes:apps/v1:Deployment", urnName: frontend.ObjectName(), op: apitype.OpUpdate,
			make: func(t *testing.T) {
				if err := suite.cluster.Client.StrategicMergePatch(p.ctx, deployment(frontend.ObjectName()), podTemplatePatch(map[string]any{"name": "thanos", "image": handImage})); err != nil {
					t.Fatal(err)
				}
			},
			restored: func(t *testing.T) string {
				if image := containerField(p.get(t, deployment(frontend.ObjectName())), "image"); image != components.ThanosImage() {
					return "query-frontend image " + fmt.Sprint(image)
				}
				return ""
			},
		},
		{
			what: "the compactor's log level changed (kubectl edit)", urnType: "kubernetes:apps/v1:StatefulSet", urnName: compact.ObjectName(), op: apitype.OpUpdate,
			make: func(t *testing.T) {
				args := containerField(p.get(t, compactSet), "args").([]any)
				i := slices.IndexFunc(args, func(a any) bool { return strings.HasPrefix(fmt.Sprint(a), "--log.level=") })
				if i < 0 {
					t.Fatalf("the compactor has no --log.level: %v", args)
				}
				args[i] = handLogLevel
				if err := suite.cluster.Client.StrategicMergePatch(p.ctx, compactSet, podTemplatePatch(map[string]any{"name": "thanos", "args": args})); err != nil {
					t.Fatal(err)
				}
			},
			restored: func(t *testing.T) string {
				if args := containerField(p.get(t, compactSet), "args").([]any); slices.Contains(args, any(handLogLevel)) {
					return "compactor args still hold " + handLogLevel
				}
				return ""
			},
		},
		{
			what: "a declared label changed and an undeclared one added on the store gateway's Service (kubectl label)", urnType: "kubernetes:core/v1:Service", urnName: store.ObjectName(), op: apitype.OpUpdate,
			make: func(t *testing.T) {
				if err := suite.cluster.Client.MergePatch(p.ctx, service, map[string]any{"metadata": map[string]any{"labels": map[string]any{
					components.LabelPartOf: "by-hand", undeclaredLabel: "platform"}}}); err != nil {
					t.Fatal(err)
				}
			},
			restored: func(t *testing.T) string {
				labels := objects.StringMap(p.get(t, service), "metadata", "labels")
				if labels[components.LabelPartOf] != "thanos" || labels[undeclaredLabel] != "platform" {
					return fmt.Sprintf("store Service labels %v: want %s=thanos (declared) and %s=platform (left alone)", labels, components.LabelPartOf, undeclaredLabel)
				}
				return ""
			},
		},
		{
			what: "the querier's NetworkPolicy deleted (kubectl delete)", urnType: "kubernetes:networking.k8s.io/v1:NetworkPolicy", urnName: query.ObjectName(), op: apitype.OpCreate,
			make: func(t *testing.T) {
				if err := suite.cluster.Client.Delete(p.ctx, policy); err != nil {
					t.Fatal(err)
				}
			},
			restored: func(t *testing.T) string {
				if _, found, err := suite.cluster.Client.Get(p.ctx, policy); err != nil || !found {
					return fmt.Sprintf("the querier's NetworkPolicy is not back (found %v, %v)", found, err)
				}
				return ""
			},
		},
	}
}

// driftCorrected: after each kind of hand change, `pulumi preview --refresh` plans exactly those
// changes, `pulumi up --refresh` puts back every declared field and leaves the undeclared label,
// and a second preview plans nothing. Every pod is Ready again at the end.
func (p *stackRun) driftCorrected(t *testing.T) {
	changes := p.handChanges(t)
	for _, c := range changes {
		c.make(t)
		t.Logf("by hand: %s", c.what)
	}

	rec := harness.NewStepRecorder()
	if _, err := p.stack.Preview(p.ctx, optpreview.Refresh(), optpreview.EventStreams(rec.Events)); err != nil {
		t.Fatalf("preview --refresh after the hand changes: %v", err)
	}
	planned := rec.Changes()
	t.Logf("preview --refresh plans:\n%s", harness.DescribeSteps(planned))
	for _, c := range changes {
		if !slices.ContainsFunc(planned, func(s apitype.StepEventMetadata) bool {
			return s.Op == c.op && strings.HasSuffix(string(s.URN), c.urnType+"::"+c.urnName)
		}) {
			t.Errorf("preview --refresh plans no %s of %s %s after %s", c.op, c.urnType, c.urnName, c.what)
		}
	}
	// Besides them, only updates that change no field: the engine retries the initialisation of
	// an object its refresh found unready (a Service whose pods roll after a hand change).
	for _, s := range planned {
		expected := slices.ContainsFunc(changes, func(c handChange) bool {
			return s.Op == c.op && strings.HasSuffix(string(s.URN), c.urnType+"::"+c.urnName)
		})
		if !expected && (s.Op != apitype.OpUpdate || len(s.DetailedDiff) > 0) {
			t.Errorf("preview --refresh plans a change no hand change made: %s", harness.DescribeSteps([]apitype.StepEventMetadata{s}))
		}
	}

	start := time.Now()
	if _, err := p.stack.Up(p.ctx, optup.Refresh()); err != nil {
		t.Fatalf("up --refresh after the hand changes: %v", err)
	}
	t.Logf("up --refresh took %v", time.Since(start).Round(time.Second))
	for _, c := range changes {
		if wrong := c.restored(t); wrong != "" {
			t.Errorf("after up --refresh (%s): %s", c.what, wrong)
		}
	}

	waitPodsReady(p.ctx, t, p.namespace, 5*time.Minute)
	waitReplicasReady(p.ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector(), p.replicas(t, "querierReplicas"), "queriers")
	rec = harness.NewStepRecorder()
	if _, err := p.stack.Preview(p.ctx, optpreview.Refresh(), optpreview.EventStreams(rec.Events)); err != nil {
		t.Fatalf("preview --refresh after up --refresh: %v", err)
	}
	if again := rec.Changes(); len(again) > 0 {
		t.Errorf("preview --refresh after up --refresh still plans:\n%s", harness.DescribeSteps(again))
	}
}

// podTemplatePatch is a strategic merge patch of one container of a workload's pod template.
func podTemplatePatch(container map[string]any) map[string]any {
	return map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{container}}}}}
}

// containerField is a field of the "thanos" container of a workload's pod template.
func containerField(workload map[string]any, field string) any {
	for _, c := range objects.List(workload, "spec", "template", "spec", "containers") {
		if objects.Str(c, "name") == "thanos" {
			return objects.Field(c, field)
		}
	}
	return nil
}
