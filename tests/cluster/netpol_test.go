//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
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
	pod := probePod(namespace, name, labels, probeContainer("probe", append([]any{"/bin/sh", "-c", probeScript, "probe"}, toAny(addrs)...)))
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
		phase = objects.Str(p, "status", "phase")
		if statuses := objects.List(p, "status", "containerStatuses"); len(statuses) == 1 {
			raw = objects.Str(statuses[0], "state", "terminated", "message")
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
// query path (in the stack's namespace, and in another) opens no connection to any StoreAPI nor to
// kube-state-metrics (the chart's workload that exposes every object's metadata; Prometheus still
// scrapes it, which the settled step's targets show), while it does reach MinIO (so its network
// works and the refusals are the policies'); and queriers started afresh, whose every connection
// is new (the firewall passes established ones), reach every StoreAPI.
func (p *stackRun) networkPoliciesEnforced(t *testing.T) {
	storeAPIs := p.storeAPIAddresses(t)
	minio := readyPods(p.ctx, t, "minio", map[string]string{"app.kubernetes.io/name": "minio"})
	if len(minio) == 0 || len(storeAPIs) == 0 {
		t.Fatalf("nothing to probe: %d MinIO pods, StoreAPIs %v", len(minio), storeAPIs)
	}
	control := podIP(minio[0]) + ":9000"
	fenced := slices.Clone(storeAPIs)
	ksm := readyPods(p.ctx, t, p.namespace, chart.PodsOf(map[string]any{}, p.release).KubeStateMetrics)
	if len(ksm) == 0 {
		t.Fatal("no kube-state-metrics pod Ready")
	}
	for _, port := range []int{chart.KubeStateMetricsPort, chart.KubeStateMetricsTelemetryPort} {
		fenced = append(fenced, fmt.Sprintf("%s:%d", podIP(ksm[0]), port))
	}
	addrs := append([]string{control}, fenced...)
	for _, namespace := range []string{p.namespace, "default"} {
		// kube-router applies a policy within seconds of its creation; allow it a minute.
		attempt := 0
		var last map[string]bool
		harness.WaitFor(p.ctx, t, time.Minute, "a probe pod in "+namespace+" to reach MinIO and no StoreAPI or kube-state-metrics", func() (bool, string) {
			attempt++
			name := fmt.Sprintf("netpol-probe-%d", attempt)
			last = probeTCP(p.ctx, t, namespace, name, map[string]string{"app.kubernetes.io/name": "netpol-probe"}, addrs)
			var open []string
			for _, a := range fenced {
				if last[a] {
					open = append(open, a)
				}
			}
			return last[control] && len(open) == 0, fmt.Sprintf("MinIO %s open: %v; fenced addresses open: %v", control, last[control], open)
		})
		t.Logf("probe pod in %s (attempt %d): MinIO %s open, StoreAPIs and kube-state-metrics %v closed", namespace, attempt, control, fenced)
	}
	queryLabels := thanos.QuerierLabels("thanos").Selector()
	old := readyPods(p.ctx, t, p.namespace, queryLabels)
	for _, q := range old {
		deletePod(p.ctx, t, p.namespace, podName(q))
	}
	for _, q := range old {
		waitPodGone(p.ctx, t, p.namespace, q)
	}
	for _, q := range waitReplicasReady(p.ctx, t, p.namespace, queryLabels, len(old), "queriers") {
		api := &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(q), thanos.HTTPPort)}
		harness.WaitFor(p.ctx, t, 2*time.Minute, "the new "+podName(q)+" to reach every StoreAPI", func() (bool, string) {
			got, _, err := healthyStores(p.ctx, api)
			if err != nil {
				return false, err.Error()
			}
			return slices.Equal(got, storeAPIs), fmt.Sprintf("%v, want %v", got, storeAPIs)
		})
	}
}

// tcpTarget is an address a reachability pod keeps trying, and the name of its container there.
type tcpTarget struct{ container, addr string }

// startReachabilityPod runs a pod in namespace with the given labels (none of the stack's) that
// keeps trying a TCP connection to each target, and deletes it when the test ends. Each target
// has a container of its own that only sleeps; its readiness probe, an exec probe the kubelet runs
// in the pod's network namespace every 2 s, is busybox nc connecting to the target (3 s to
// connect, as probeTCP). A container is Ready while the pod's new connections to its target are
// accepted, so the pod's status tells what the pod reaches now, through any change of the
// policies, with no logs or exec through the API server (which here cannot reach the kubelet).
func startReachabilityPod(ctx context.Context, t *testing.T, namespace, name string, labels map[string]string, targets []tcpTarget) {
	t.Helper()
	client := suite.cluster.Client
	var containers []any
	for _, target := range targets {
		host, port, err := net.SplitHostPort(target.addr)
		if err != nil {
			t.Fatalf("target %s: %v", target.addr, err)
		}
		c := probeContainer(target.container, []any{"/bin/sh", "-c", "exec sleep 3600"})
		c["readinessProbe"] = map[string]any{
			"exec": map[string]any{"command": []any{"/bin/sh", "-c",
				fmt.Sprintf("nc -w 3 %s %s </dev/null >/dev/null 2>&1", host, port)}},
			"periodSeconds": 2, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 1,
		}
		containers = append(containers, c)
	}
	pod := probePod(namespace, name, labels, containers...)
	pod["spec"].(map[string]any)["terminationGracePeriodSeconds"] = 1
	path := fmt.Sprintf("/api/v1/namespaces/%s/pods", namespace)
	var created map[string]any
	if err := client.Post(ctx, path, pod, &created); err != nil {
		t.Fatalf("create reachability pod %s/%s: %v", namespace, name, err)
	}
	t.Cleanup(func() {
		if err := client.Delete(ctx, path+"/"+name); err != nil {
			t.Errorf("delete reachability pod %s/%s: %v", namespace, name, err)
		}
		waitPodGone(ctx, t, namespace, created)
	})
}

// reachability is a reachability pod's address and, by container, whether its target accepts the
// pod's connections now.
func reachability(ctx context.Context, t testing.TB, namespace, name string) (ip string, reaches map[string]bool) {
	t.Helper()
	pod, found, err := suite.cluster.Client.Get(ctx, fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", namespace, name))
	if err != nil || !found {
		t.Fatalf("reachability pod %s/%s: found %v, %v", namespace, name, found, err)
	}
	if phase := objects.Str(pod, "status", "phase"); phase != "Pending" && phase != "Running" {
		t.Fatalf("reachability pod %s/%s: phase %s: %s", namespace, name, phase, podState(pod))
	}
	reaches = map[string]bool{}
	for _, c := range objects.List(pod, "status", "containerStatuses") {
		reaches[objects.Str(c, "name")] = objects.Field(c, "ready") == true
	}
	return podIP(pod), reaches
}

// hostCIDR is the CIDR block of the one address ip.
func hostCIDR(t testing.TB, ip string) string {
	t.Helper()
	parsed := net.ParseIP(ip)
	if parsed == nil {
		t.Fatalf("%q is not an IP address", ip)
	}
	if parsed.To4() != nil {
		return ip + "/32"
	}
	return ip + "/128"
}

// queryClientByAddress: a pod admitted by its address (queryClientCidrs) reaches the queriers'
// HTTP API, while a pod beside it, in the same namespace with the same labels, does not. Two
// reachability pods in `default` (no query client namespace) keep trying MinIO and every
// querier's HTTP port. Before: both reach MinIO (their network and probes work) and no querier.
// Then `pulumi up` with queryClientCidrs set to the first pod's address alone (/32): the first
// pod reaches every querier, and the second, seen throughout and for 10 s more, none. Then `pulumi
// up` without the key: the first pod reaches no querier again.
func (p *stackRun) queryClientByAddress(t *testing.T) {
	ctx := p.ctx
	queriers := readyPods(ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector())
	minio := readyPods(ctx, t, "minio", minioLabels)
	if len(queriers) == 0 || len(minio) == 0 {
		t.Fatalf("nothing to probe: %d queriers, %d MinIO pods Ready", len(queriers), len(minio))
	}
	targets := []tcpTarget{{"minio", podIP(minio[0]) + ":9000"}}
	var querierTargets []string
	for i, q := range queriers {
		name := fmt.Sprintf("querier-%d", i)
		targets = append(targets, tcpTarget{name, fmt.Sprintf("%s:%d", podIP(q), thanos.HTTPPort)})
		querierTargets = append(querierTargets, name)
	}
	const namespace = "default"
	const admitted, other = "cidr-admitted", "cidr-other"
	labels := map[string]string{"app.kubernetes.io/name": "netpol-probe"}
	for _, name := range []string{admitted, other} {
		startReachabilityPod(ctx, t, namespace, name, labels, targets)
	}
	// reached lists the queriers a pod reaches now; state describes both pods for a message.
	reached := func(reaches map[string]bool) []string {
		var out []string
		for _, q := range querierTargets {
			if reaches[q] {
				out = append(out, q)
			}
		}
		return out
	}
	state := func() (ips map[string]string, reaches map[string]map[string]bool, describe string) {
		ips, reaches = map[string]string{}, map[string]map[string]bool{}
		var parts []string
		for _, name := range []string{admitted, other} {
			ips[name], reaches[name] = reachability(ctx, t, namespace, name)
			parts = append(parts, fmt.Sprintf("%s (%s): MinIO %v, queriers %v", name, ips[name], reaches[name]["minio"], reached(reaches[name])))
		}
		return ips, reaches, strings.Join(parts, "; ")
	}
	// hold checks for a while that cond keeps holding, polling every 500 ms.
	hold := func(what string, d time.Duration, cond func(reaches map[string]map[string]bool) bool) {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
			if _, reaches, describe := state(); !cond(reaches) {
				t.Fatalf("%s: %s", what, describe)
			}
		}
	}

	var ips map[string]string
	harness.WaitFor(ctx, t, 2*time.Minute, "both reachability pods reaching MinIO", func() (bool, string) {
		var reaches map[string]map[string]bool
		var describe string
		ips, reaches, describe = state()
		return ips[admitted] != "" && ips[other] != "" && reaches[admitted]["minio"] && reaches[other]["minio"], describe
	})
	if ips[admitted] == ips[other] {
		t.Fatalf("both reachability pods have the address %s", ips[admitted])
	}
	// The kubelet has probed every container several times in 10 s.
	hold("before queryClientCidrs, a pod in default reaches a querier", 10*time.Second, func(reaches map[string]map[string]bool) bool {
		return len(reached(reaches[admitted])) == 0 && len(reached(reaches[other])) == 0
	})

	cidr := hostCIDR(t, ips[admitted])
	config := map[string]string{"queryClientCidrs": cidr}
	harness.MustSetConfig(ctx, t, p.stack, config)
	maps.Copy(p.config, config)
	if _, err := p.stack.Up(ctx); err != nil {
		t.Fatalf("up with queryClientCidrs %s: %v", cidr, err)
	}
	// kube-router applies a policy within seconds of its change; allow it a minute.
	harness.WaitFor(ctx, t, time.Minute, admitted+" ("+cidr+") reaching every querier, "+other+" none", func() (bool, string) {
		_, reaches, describe := state()
		if len(reached(reaches[other])) > 0 {
			t.Fatalf("%s, outside %s, reaches a querier: %s", other, cidr, describe)
		}
		return len(reached(reaches[admitted])) == len(querierTargets), describe
	})
	hold("with queryClientCidrs "+cidr, 10*time.Second, func(reaches map[string]map[string]bool) bool {
		return reaches[other]["minio"] && len(reached(reaches[admitted])) == len(querierTargets) && len(reached(reaches[other])) == 0
	})
	t.Logf("queryClientCidrs %s: %s reaches %v, %s (%s) none", cidr, admitted, querierTargets, other, ips[other])

	if err := p.stack.RemoveConfig(ctx, program.ProjectName+":queryClientCidrs"); err != nil {
		t.Fatal(err)
	}
	delete(p.config, "queryClientCidrs")
	if _, err := p.stack.Up(ctx); err != nil {
		t.Fatalf("up without queryClientCidrs: %v", err)
	}
	harness.WaitFor(ctx, t, time.Minute, "without queryClientCidrs, "+admitted+" reaching no querier", func() (bool, string) {
		_, reaches, describe := state()
		return len(reached(reaches[admitted])) == 0 && len(reached(reaches[other])) == 0, describe
	})
}

// probePod is a pod of the probe containers under the restricted Pod Security profile, with none
// of the stack's labels unless given, never restarted.
func probePod(namespace, name string, labels map[string]string, containers ...any) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"spec": map[string]any{
			"restartPolicy":                "Never",
			"automountServiceAccountToken": false,
			"securityContext": map[string]any{
				"runAsNonRoot": true, "runAsUser": 65534, "seccompProfile": map[string]any{"type": "RuntimeDefault"},
			},
			"containers": containers,
		},
	}
}

// probeContainer runs command in the Thanos image already on the node (busybox sh and nc), as the
// restricted profile requires, with small resources.
func probeContainer(name string, command []any) map[string]any {
	return map[string]any{
		"name": name, "image": components.ThanosImage(), "command": command,
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
			"capabilities": map[string]any{"drop": []any{"ALL"}},
		},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "1Mi"},
			"limits":   map[string]any{"memory": "32Mi", "ephemeral-storage": "1Mi"},
		},
	}
}
