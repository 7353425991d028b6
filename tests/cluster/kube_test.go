//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// listPods lists the pods of a namespace that carry labels (all of them for nil).
func listPods(ctx context.Context, t testing.TB, namespace string, labels map[string]string) []map[string]any {
	t.Helper()
	path := "/api/v1/namespaces/" + namespace + "/pods"
	if len(labels) > 0 {
		path += "?labelSelector=" + kube.LabelSelector(labels)
	}
	pods, err := suite.cluster.Client.List(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(pods, func(i, j int) bool {
		return objects.Str(pods[i], "metadata", "name") < objects.Str(pods[j], "metadata", "name")
	})
	return pods
}

func podName(p map[string]any) string { return objects.Str(p, "metadata", "name") }
func podIP(p map[string]any) string   { return objects.Str(p, "status", "podIP") }

// readyPods are the Ready pods with the labels.
func readyPods(ctx context.Context, t testing.TB, namespace string, labels map[string]string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, p := range listPods(ctx, t, namespace, labels) {
		if podReady(p) && objects.Field(p, "metadata", "deletionTimestamp") == nil {
			out = append(out, p)
		}
	}
	return out
}

// waitReplicasReady waits until n pods with the labels are Ready and returns them. A deleted
// StatefulSet pod is recreated only once the old one is gone, so "every pod Ready" can hold while
// a replica is still missing; this counts them.
func waitReplicasReady(ctx context.Context, t *testing.T, namespace string, labels map[string]string, n int, what string) []map[string]any {
	t.Helper()
	var pods []map[string]any
	harness.WaitFor(ctx, t, 5*time.Minute, fmt.Sprintf("%d %s Ready", n, what), func() (bool, string) {
		pods = readyPods(ctx, t, namespace, labels)
		return len(pods) == n, fmt.Sprintf("%d Ready", len(pods))
	})
	return pods
}

// querier is the Prometheus API of a Ready querier pod.
func querier(ctx context.Context, t testing.TB, namespace string) *promapi.PromAPI {
	t.Helper()
	pods := readyPods(ctx, t, namespace, thanos.QuerierLabels("thanos").Selector())
	if len(pods) == 0 {
		t.Fatal("no querier pod is Ready")
	}
	return &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(pods[0]), thanos.HTTPPort)}
}

// evict asks the eviction API to evict a pod and returns the HTTP status: 201 evicted, 429 refused
// by a PodDisruptionBudget.
func evict(ctx context.Context, t testing.TB, namespace, pod string) int {
	t.Helper()
	body := map[string]any{
		"apiVersion": "policy/v1", "kind": "Eviction",
		"metadata": map[string]any{"name": pod, "namespace": namespace},
	}
	raw, status, err := suite.cluster.Client.Do(ctx, "POST", fmt.Sprintf("/api/v1/namespaces/%s/pods/%s/eviction", namespace, pod), body)
	if err != nil {
		t.Fatal(err)
	}
	if status != 201 && status != 429 {
		t.Fatalf("eviction of %s: %d %s", pod, status, raw)
	}
	return status
}

// deletePod deletes a pod (its controller makes a new one).
func deletePod(ctx context.Context, t testing.TB, namespace, pod string) {
	t.Helper()
	if err := suite.cluster.Client.Delete(ctx, fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", namespace, pod)); err != nil {
		t.Fatal(err)
	}
}

// waitPodGone waits until the pod is gone: no pod of its name, or one with another UID (a
// StatefulSet's replacement).
func waitPodGone(ctx context.Context, t testing.TB, namespace string, pod map[string]any) {
	t.Helper()
	name, uid := podName(pod), objects.Str(pod, "metadata", "uid")
	harness.WaitFor(ctx, t, 3*time.Minute, name+" gone", func() (bool, string) {
		for _, p := range listPods(ctx, t, namespace, nil) {
			if podName(p) == name && objects.Str(p, "metadata", "uid") == uid {
				return false, "terminating"
			}
		}
		return true, ""
	})
}

// scale sets a Deployment's replicas.
func scale(ctx context.Context, t testing.TB, namespace, deployment string, replicas int) {
	t.Helper()
	if err := suite.cluster.Client.MergePatch(ctx, fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", namespace, deployment),
		map[string]any{"spec": map[string]any{"replicas": replicas}}); err != nil {
		t.Fatal(err)
	}
}

// readyEndpoints counts the ready endpoints of a Service's EndpointSlices.
func readyEndpoints(ctx context.Context, namespace, service string) (int, error) {
	slices, err := suite.cluster.Client.List(ctx, fmt.Sprintf("/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?labelSelector=%s",
		namespace, url.QueryEscape("kubernetes.io/service-name="+service)))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range slices {
		for _, e := range objects.List(s, "endpoints") {
			if ready, _ := objects.Field(e, "conditions", "ready").(bool); ready {
				n++
			}
		}
	}
	return n, nil
}

// containerArgs are the arguments of a pod's one container named name.
func containerArgs(p map[string]any, name string) []string {
	for _, c := range objects.List(p, "spec", "containers") {
		if objects.Str(c, "name") == name {
			var out []string
			for _, a := range objects.List(c, "args") {
				out = append(out, fmt.Sprint(a))
			}
			return out
		}
	}
	return nil
}

// statefulSetPath is the API path of the one StatefulSet of a component: its name carries a hash
// of its volumes (thanos.StatefulSetName).
func (p *stackRun) statefulSetPath(t *testing.T, labels components.ThanosLabels) string {
	t.Helper()
	collection := fmt.Sprintf("/apis/apps/v1/namespaces/%s/statefulsets", p.namespace)
	sets, err := suite.cluster.Client.List(p.ctx, collection+"?labelSelector="+kube.LabelSelector(labels.Selector()))
	if err != nil || len(sets) != 1 {
		t.Fatalf("StatefulSets of %s: %d, %v; want one", labels.ObjectName(), len(sets), err)
	}
	return collection + "/" + objects.Str(sets[0], "metadata", "name")
}

// get reads an object the test expects to exist.
func (p *stackRun) get(t *testing.T, path string) map[string]any {
	t.Helper()
	obj, found, err := suite.cluster.Client.Get(p.ctx, path)
	if err != nil || !found {
		t.Fatalf("GET %s: found %v, %v", path, found, err)
	}
	return obj
}
