//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// probeScript tries a TCP connection to each address given as an argument (busybox nc, 3 s to
// connect) and writes "open <address>" or "closed <address>" for each to the termination message
// (read back from the pod's status: the API server here cannot reach the kubelet for logs).
const probeScript = `for a in "$@"; do
  if nc -w 3 "${a%:*}" "${a##*:}" </dev/null >/dev/null 2>&1; then echo "open $a"; else echo "closed $a"; fi
done >/dev/termination-log`

// probeTCP runs a pod in namespace with the given labels (none of the stack's) that tries a TCP
// connection to each address, and returns the addresses it connected to. The pod runs the Thanos
// image already on the node, under the restricted Pod Security profile, and is deleted after.
func probeTCP(ctx context.Context, t *testing.T, namespace, name string, labels map[string]string, addrs []string) map[string]bool {
	t.Helper()
	client := suite.cluster.Client
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"spec": map[string]any{
			"restartPolicy":                "Never",
			"automountServiceAccountToken": false,
			"securityContext": map[string]any{
				"runAsNonRoot": true, "runAsUser": 65534, "seccompProfile": map[string]any{"type": "RuntimeDefault"},
			},
			"containers": []any{map[string]any{
				"name": "probe", "image": components.ThanosImage(),
				"command": append([]any{"/bin/sh", "-c", probeScript, "probe"}, toAny(addrs)...),
				"securityContext": map[string]any{
					"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
					"capabilities": map[string]any{"drop": []any{"ALL"}},
				},
				"resources": map[string]any{
					"requests": map[string]any{"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "1Mi"},
					"limits":   map[string]any{"memory": "32Mi", "ephemeral-storage": "1Mi"},
				},
			}},
		},
	}
	path := fmt.Sprintf("/api/v1/namespaces/%s/pods", namespace)
	var created map[string]any
	if err := client.Post(ctx, path, pod, &created); err != nil {
		t.Fatalf("create probe pod %s/%s: %v", namespace, name, err)
	}
	defer func() {
		if err := client.Delete(ctx, path+"/"+name); err != nil {
			t.Errorf("delete probe pod %s/%s: %v", namespace, name, err)
		}
		waitPodGone(ctx, t, namespace, created)
	}()
	var phase, raw string
	harness.WaitFor(ctx, t, 2*time.Minute, "probe pod "+name+" to finish", func() (bool, string) {
		p, _, err := client.Get(ctx, path+"/"+name)
		if err != nil {
			return false, err.Error()
		}
		phase = harness.Str(p, "status", "phase")
		if statuses := harness.List(p, "status", "containerStatuses"); len(statuses) == 1 {
			raw = harness.Str(statuses[0], "state", "terminated", "message")
		}
		return phase == "Succeeded" || phase == "Failed", phase
	})
	if phase != "Succeeded" {
		t.Fatalf("probe pod %s/%s: phase %s, message %q", namespace, name, phase, raw)
	}
	connected := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		result, addr, ok := strings.Cut(line, " ")
		if !ok || (result != "open" && result != "closed") || !slices.Contains(addrs, addr) {
			t.Fatalf("probe pod %s/%s printed %q", namespace, name, line)
		}
		connected[addr] = result == "open"
	}
	if len(connected) != len(addrs) {
		t.Fatalf("probe pod %s/%s answered for %d of %d addresses: %s", namespace, name, len(connected), len(addrs), raw)
	}
	return connected
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// networkPoliciesEnforced: with kube-router enforcing the program's NetworkPolicies, a pod off the
// query path (in the stack's namespace, and in another) opens no connection to any StoreAPI, while
// it does reach MinIO (so its network works and the refusals are the policies'); and queriers
// started afresh, whose every connection is new (the firewall passes established ones), reach
// every StoreAPI.
func (p *stackRun) networkPoliciesEnforced(t *testing.T) {
	storeAPIs := p.storeAPIAddresses(t)
	minio := readyPods(p.ctx, t, "minio", map[string]string{"app.kubernetes.io/name": "minio"})
	if len(minio) == 0 || len(storeAPIs) == 0 {
		t.Fatalf("nothing to probe: %d MinIO pods, StoreAPIs %v", len(minio), storeAPIs)
	}
	control := podIP(minio[0]) + ":9000"
	addrs := append([]string{control}, storeAPIs...)
	for _, namespace := range []string{p.namespace, "default"} {
		// kube-router applies a policy within seconds of its creation; allow it a minute.
		attempt := 0
		var last map[string]bool
		harness.WaitFor(p.ctx, t, time.Minute, "a probe pod in "+namespace+" to reach MinIO and no StoreAPI", func() (bool, string) {
			attempt++
			name := fmt.Sprintf("netpol-probe-%d", attempt)
			last = probeTCP(p.ctx, t, namespace, name, map[string]string{"app.kubernetes.io/name": "netpol-probe"}, addrs)
			var open []string
			for _, a := range storeAPIs {
				if last[a] {
					open = append(open, a)
				}
			}
			return last[control] && len(open) == 0, fmt.Sprintf("MinIO %s open: %v; StoreAPIs open: %v", control, last[control], open)
		})
		t.Logf("probe pod in %s (attempt %d): MinIO %s open, StoreAPIs %v closed", namespace, attempt, control, storeAPIs)
	}
	queryLabels := components.QueryLabels("thanos").Selector()
	old := readyPods(p.ctx, t, p.namespace, queryLabels)
	for _, q := range old {
		deletePod(p.ctx, t, p.namespace, podName(q))
	}
	for _, q := range old {
		waitPodGone(p.ctx, t, p.namespace, q)
	}
	for _, q := range waitReplicasReady(p.ctx, t, p.namespace, queryLabels, len(old), "queriers") {
		api := &harness.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(q), components.HTTPPort)}
		harness.WaitFor(p.ctx, t, 2*time.Minute, "the new "+podName(q)+" to reach every StoreAPI", func() (bool, string) {
			got, err := healthyStores(p.ctx, api)
			if err != nil {
				return false, err.Error()
			}
			return slices.Equal(got, storeAPIs), fmt.Sprintf("%v, want %v", got, storeAPIs)
		})
	}
}
