//go:build cluster

package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/steps"
)

// The TLS Secrets of the global view's stacks: each member's edge querier's, and the global
// stack's querier's client certificate.
const (
	edgeTLSSecret   = "thanos-edge-tls"
	clientTLSSecret = "thanos-global-client"
)

// globalViewRun is the global view's three stacks and what its steps share.
type globalViewRun struct {
	ctx            context.Context
	members        []*stackRun
	global         *stackRun
	ca             *kube.CA
	client, rogue  tls.Certificate // the global stack's client certificate; one of another CA
	before         map[string][]promapi.Series
	beforeAt       time.Time
	globalSeries   int
	downMember     *stackRun
	downMemberAddr string
}

// TestGlobalView runs a global view on the one-node cluster: two member stacks (globalViewEdge),
// each a cluster of its own (clusterName, namespace, release, node-exporter port, bucket) with two
// Prometheus replicas, and a global stack whose querier reads their outputs through stack
// references and fans out to their edge queriers over mutual TLS, with certificates from a CA the
// test makes. It runs beside the prod-shaped stack, in the local stack's turn (besideProdShaped).
func TestGlobalView(t *testing.T) {
	t.Parallel()
	besideProdShaped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 35*time.Minute)
	defer cancel()
	g := newGlobalViewRun(ctx)
	steps.Run(t, []steps.Step{
		{Name: "certificates: each stack's TLS Secret from a CA the test makes", Run: g.certificates},
		{Name: "up: two members with edge queriers, then the global stack reading their outputs", Run: g.up},
		{Name: "the global querier answers with both clusters' series, each as its own querier does", Run: g.globalAnswers},
		{Name: "an edge querier refuses a client without a certificate of its CA", Run: g.edgeRefusesStrangers},
		{Name: "one member hangs: the other answers with a warning naming it, within the timeouts", Run: g.memberHangs},
		{Name: "one member gone: the other answers with a warning naming it, within gRPC's connect timeout", Run: g.memberGone},
		{Name: "the member back: its series are back in the global view", Run: g.memberBack},
		{Name: "destroy the three stacks", Run: g.destroy, Always: true},
	})
}

// globalViewMember is one member stack's scenario: a cluster of its own beside the others.
func globalViewMember(ctx context.Context, name, nodeExporterPort string) *stackRun {
	namespace := "gv-" + name
	return &stackRun{ctx: ctx, name: namespace, namespace: namespace, release: namespace + "-kps", ownBucket: true,
		overrides: map[string]string{
			"namespace":                   namespace,
			"chartReleaseName":            namespace + "-kps",
			"nodeExporterPort":            nodeExporterPort,
			"monitorNamespaces":           namespace,
			"clusterName":                 "member-" + name,
			"prometheusReplicas":          "2",
			"globalViewEdge":              "true",
			"globalViewEdgeReplicas":      "1",
			"globalViewEdgeTlsSecret":     edgeTLSSecret,
			"globalViewEdgeTlsServerName": edgeServerName(name),
			// The global stack's querier connects from a pod of the cluster.
			"globalViewEdgeClientCidrs": kube.PodCIDR,
		}}
}

func edgeServerName(member string) string { return "thanos-edge." + member + ".global-view.test" }

func newGlobalViewRun(ctx context.Context) *globalViewRun {
	g := &globalViewRun{ctx: ctx, members: []*stackRun{globalViewMember(ctx, "eu", "9102"), globalViewMember(ctx, "us", "9103")}}
	var names []string
	for _, m := range g.members {
		names = append(names, harness.FullyQualified(program.ProjectName, m.name))
	}
	g.global = &stackRun{ctx: ctx, name: "gv-global", namespace: "gv-global", release: "gv-global-kps", ownBucket: true,
		overrides: map[string]string{
			"namespace":                 "gv-global",
			"chartReleaseName":          "gv-global-kps",
			"nodeExporterPort":          "9104",
			"monitorNamespaces":         "gv-global",
			"clusterName":               "global",
			"globalViewMembers":         strings.Join(names, ","),
			"globalViewClientTlsSecret": clientTLSSecret,
			// Half the default: the step shows that this key, not another timeout, bounds a
			// query while a member's connections hang.
			"globalViewResponseTimeout": "10s",
		}}
	return g
}

// certificates makes the CA, each member's server certificate (its server name) and the global
// stack's client certificate, and writes each into a TLS Secret of the stack's namespace, made
// before the stack: the program adopts the namespace (server-side apply creates by patching).
func (g *globalViewRun) certificates(t *testing.T) {
	var err error
	if g.ca, err = kube.NewCA("global-view-ca"); err != nil {
		t.Fatal(err)
	}
	for _, m := range g.members {
		name := strings.TrimPrefix(m.name, "gv-")
		cert, key, err := g.ca.Issue(edgeServerName(name), []string{edgeServerName(name)})
		if err != nil {
			t.Fatal(err)
		}
		g.writeTLSSecret(t, m.namespace, edgeTLSSecret, cert, key, g.ca.PEM)
	}
	cert, key, err := g.ca.Issue("global-querier", nil)
	if err != nil {
		t.Fatal(err)
	}
	g.writeTLSSecret(t, g.global.namespace, clientTLSSecret, cert, key, g.ca.PEM)
	if g.client, err = tls.X509KeyPair(cert, key); err != nil {
		t.Fatal(err)
	}
	rogueCA, err := kube.NewCA("another-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err = rogueCA.Issue("global-querier", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.rogue, err = tls.X509KeyPair(cert, key); err != nil {
		t.Fatal(err)
	}
}

func (g *globalViewRun) writeTLSSecret(t *testing.T, namespace, name string, cert, key, ca []byte) {
	t.Helper()
	client := suite.cluster.Client
	if err := client.Post(g.ctx, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace},
	}, nil); err != nil {
		t.Fatalf("namespace %s: %v", namespace, err)
	}
	data := map[string]any{}
	for k, v := range map[string][]byte{thanos.TLSCertKey: cert, thanos.TLSKeyKey: key, thanos.TLSCAKey: ca} {
		data[k] = base64.StdEncoding.EncodeToString(v)
	}
	if err := client.Post(g.ctx, "/api/v1/namespaces/"+namespace+"/secrets", map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
		"metadata": map[string]any{"name": name, "namespace": namespace}, "data": data,
	}, nil); err != nil {
		t.Fatalf("secret %s/%s: %v", namespace, name, err)
	}
}

// up brings the members up, then the global stack, which reads their outputs.
func (g *globalViewRun) up(t *testing.T) {
	for _, m := range g.members {
		m.up(t)
		if t.Failed() {
			return
		}
		outputs, err := m.stack.Outputs(g.ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s exports %s=%v, %s=%v, %s=%v", m.name,
			program.OutputGlobalViewEndpoint, outputs[program.OutputGlobalViewEndpoint].Value,
			program.OutputGlobalViewTLSServerName, outputs[program.OutputGlobalViewTLSServerName].Value,
			program.OutputExternalLabels, outputs[program.OutputExternalLabels].Value)
	}
	g.global.up(t)
}

// memberClusters are the members' cluster labels, by stack.
func (g *globalViewRun) memberCluster(m *stackRun) string { return m.overrides["clusterName"] }

// globalQuerier is the global stack's querier's API.
func (g *globalViewRun) globalQuerier(t testing.TB) *promapi.PromAPI {
	return querier(g.ctx, t, g.global.namespace)
}

// remoteStores are the remote StoreAPIs (the members' edge queriers) the global querier lists as
// healthy.
func (g *globalViewRun) remoteStores(t testing.TB) []string {
	all, _, err := healthyStores(g.ctx, g.globalQuerier(t))
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, s := range all {
		if strings.Contains(s, thanos.EdgeServiceName()) {
			out = append(out, s)
		}
	}
	return out
}

// globalAnswers: once the global querier lists both edge queriers, one query through it returns
// each member's series exactly as that member's own querier does (deduplicated, same values), and
// nothing of another cluster label mixed in.
func (g *globalViewRun) globalAnswers(t *testing.T) {
	ctx := g.ctx
	harness.WaitFor(ctx, t, 3*time.Minute, "the global querier to list both edge queriers", func() (bool, string) {
		stores := g.remoteStores(t)
		return len(stores) == len(g.members), fmt.Sprint(stores)
	})
	// A past instant, which both replicas of every member have scraped, so that both paths read
	// the same samples.
	harness.WaitFor(ctx, t, 3*time.Minute, "both replicas of every member scraped", func() (bool, string) {
		g.beforeAt = time.Now().Add(-20 * time.Second)
		var state []string
		done := true
		for _, m := range g.members {
			raw, err := querier(ctx, t, m.namespace).Query(ctx, `up`, g.beforeAt, promapi.Params("dedup", "false"))
			if err != nil {
				return false, err.Error()
			}
			replicas := map[string]bool{}
			for _, s := range raw.Series {
				replicas[s.Labels[components.PrometheusReplicaLabel]] = true
			}
			done = done && len(replicas) == 2
			state = append(state, fmt.Sprintf("%s: replicas %v", m.name, slices.Sorted(maps.Keys(replicas))))
		}
		return done, strings.Join(state, "; ")
	})
	g.before = map[string][]promapi.Series{}
	query := `up{cluster=~"member-.+"}`
	for _, m := range g.members {
		own, err := querier(ctx, t, m.namespace).Query(ctx, `up`, g.beforeAt, promapi.Params("dedup", "true"))
		if err != nil || len(own.Series) == 0 {
			t.Fatalf("%s's own querier: %d series, %v", m.name, len(own.Series), err)
		}
		g.before[g.memberCluster(m)] = own.Series
	}
	answer, err := g.globalQuerier(t).Query(ctx, query, g.beforeAt, promapi.Params("dedup", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if len(answer.Warnings) > 0 {
		t.Errorf("global answer with warnings %q", answer.Warnings)
	}
	byCluster := map[string][]promapi.Series{}
	for _, s := range answer.Series {
		byCluster[s.Labels[components.ClusterLabel]] = append(byCluster[s.Labels[components.ClusterLabel]], s)
	}
	for _, m := range g.members {
		cluster := g.memberCluster(m)
		if diff := promapi.DiffSeries(g.before[cluster], byCluster[cluster]); diff != "" {
			t.Errorf("cluster %s through the global querier differs from its own querier's answer: %s", cluster, diff)
		}
		t.Logf("cluster %s: %d series of up through the global querier, as through its own", cluster, len(byCluster[cluster]))
		delete(byCluster, cluster)
	}
	if len(byCluster) > 0 {
		t.Errorf("series of other cluster labels %v", slices.Sorted(maps.Keys(byCluster)))
	}
	g.globalSeries = len(answer.Series)
	// Deduplicated within each cluster: without dedup, each member's series come once per replica.
	raw, err := g.globalQuerier(t).Query(ctx, query, g.beforeAt, promapi.Params("dedup", "false"))
	if err != nil {
		t.Fatal(err)
	}
	replicas := map[string]map[string]bool{}
	for _, s := range raw.Series {
		cluster := s.Labels[components.ClusterLabel]
		if replicas[cluster] == nil {
			replicas[cluster] = map[string]bool{}
		}
		replicas[cluster][s.Labels[components.PrometheusReplicaLabel]] = true
	}
	for cluster, seen := range replicas {
		if len(seen) != 2 {
			t.Errorf("cluster %s: series of replicas %v through the global querier, want both", cluster, seen)
		}
	}
	t.Logf("global view: %d series of up deduplicated, %d raw", len(answer.Series), len(raw.Series))
}

// edgeRefusesStrangers: an edge querier's gRPC port answers a health check over mutual TLS with
// the global stack's client certificate, and refuses one without a client certificate and one
// whose certificate another CA signed.
func (g *globalViewRun) edgeRefusesStrangers(t *testing.T) {
	m := g.members[0]
	pods := readyPods(g.ctx, t, m.namespace, thanos.EdgeQuerierLabels(program.Instance).Selector())
	if len(pods) == 0 {
		t.Fatal("no edge querier pod is Ready")
	}
	addr := fmt.Sprintf("%s:%d", podIP(pods[0]), thanos.GRPCPort)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(g.ca.PEM)
	serverName := edgeServerName(strings.TrimPrefix(m.name, "gv-"))
	for _, c := range []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"the global stack's certificate", []tls.Certificate{g.client}, true},
		{"no client certificate", nil, false},
		{"a certificate of another CA", []tls.Certificate{g.rogue}, false},
	} {
		err := healthCheck(g.ctx, addr, &tls.Config{RootCAs: roots, ServerName: serverName, Certificates: c.certs, MinVersion: tls.VersionTLS13})
		if (err == nil) != c.ok {
			t.Errorf("%s: health check %v; want ok %v", c.name, err, c.ok)
		}
		t.Logf("%s: %v", c.name, errOrServing(err))
	}
}

func errOrServing(err error) string {
	if err == nil {
		return "SERVING"
	}
	return err.Error()
}

// healthCheck asks a Thanos gRPC server's health service (every Thanos server registers it) over TLS.
func healthCheck(ctx context.Context, addr string, cfg *tls.Config) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("status %s", resp.GetStatus())
	}
	return nil
}

// scaleEdge sets a member's edge querier Deployment's replicas.
func scaleEdge(ctx context.Context, t *testing.T, m *stackRun, replicas int) {
	t.Helper()
	path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s/scale", m.namespace, thanos.EdgeQuerierLabels("").ObjectName())
	if err := suite.cluster.Client.MergePatch(ctx, path, map[string]any{"spec": map[string]any{"replicas": replicas}}); err != nil {
		t.Fatal(err)
	}
}

// memberQueries runs three queries through the global querier with one member unreachable and
// checks each: an answer, the other member's series as before, none of the unreachable one's, a
// warning naming its endpoint, the first within firstBound and each within bound. It returns how
// long they took.
func (g *globalViewRun) memberQueries(t *testing.T, firstBound, bound time.Duration) []time.Duration {
	t.Helper()
	ctx, up := g.ctx, g.members[0]
	var durations []time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		answer, err := g.globalQuerier(t).Query(ctx, `up{cluster=~"member-.+"}`, g.beforeAt, promapi.Params("dedup", "true"))
		took := time.Since(start)
		durations = append(durations, took.Round(time.Millisecond))
		if err != nil {
			t.Fatalf("query %d with %s unreachable: %v; want an answer with a warning", i, g.downMember.name, err)
		}
		var others []promapi.Series
		for _, s := range answer.Series {
			if s.Labels[components.ClusterLabel] == g.memberCluster(g.downMember) {
				t.Errorf("query %d: a series of the unreachable member: %s", i, s.Key())
			} else {
				others = append(others, s)
			}
		}
		if diff := promapi.DiffSeries(g.before[g.memberCluster(up)], others); diff != "" {
			t.Errorf("query %d: the remaining member's series differ: %s", i, diff)
		}
		if !slices.ContainsFunc(answer.Warnings, func(w string) bool { return strings.Contains(w, g.downMemberAddr) }) {
			t.Errorf("query %d: warnings %q; want one naming %s", i, answer.Warnings, g.downMemberAddr)
		}
		if took > bound || (i == 0 && took > firstBound) {
			t.Errorf("query %d took %v, above the bound %v (the first's %v)", i, took, bound, firstBound)
		}
		if i == 0 {
			t.Logf("warning: %q", answer.Warnings)
		}
	}
	return durations
}

// waitBothMembers waits until the global querier answers with both members' series and no
// warning, and returns how long that took.
func (g *globalViewRun) waitBothMembers(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	harness.WaitFor(g.ctx, t, 3*time.Minute, "both clusters' series without a warning", func() (bool, string) {
		answer, err := g.globalQuerier(t).Query(g.ctx, `up{cluster=~"member-.+"}`, g.beforeAt, promapi.Params("dedup", "true"))
		if err != nil {
			return false, err.Error()
		}
		return len(answer.Series) == g.globalSeries && len(answer.Warnings) == 0, fmt.Sprintf("%d series, warnings %q", len(answer.Series), answer.Warnings)
	})
	return time.Since(start).Round(time.Second)
}

// unreachableBound is the longest a query through the global querier may wait for an unreachable
// member, and a margin: the response timeout on an open connection, gRPC's connect timeout on one
// being made (thanos.RemoteConnectTimeout), whichever is longer.
func (g *globalViewRun) unreachableBound(t testing.TB) (responseTimeout, bound time.Duration) {
	responseTimeout = mustParseDuration(t, g.global.overrides["globalViewResponseTimeout"])
	return responseTimeout, max(thanos.RemoteConnectTimeout, responseTimeout) + unreachableMargin
}

// unreachableMargin is what a query may take beyond its wait for the unreachable member: the
// other member's answer on a machine whose cores the other stacks share.
const unreachableMargin = 5 * time.Second

// memberHangs: one member's edge querier stops answering (its process stopped with SIGSTOP, as a
// wedged process or a network that drops packets leaves it): the first query, on the open
// connection, answers for the other member with a warning naming it within
// globalViewResponseTimeout (10s here, half the default), and so does every query within gRPC's
// connect timeout (the keepalive drops the connection after 15 s, and making a new one waits for
// a TLS handshake that never comes); resumed, its series return.
func (g *globalViewRun) memberHangs(t *testing.T) {
	g.downMember = g.members[1]
	outputs, err := g.downMember.stack.Outputs(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	g.downMemberAddr = fmt.Sprint(outputs[program.OutputGlobalViewEndpoint].Value)
	// The edge querier's process: the only one with the TLS server flag and this member's peers.
	pids, err := kube.ProcessesWithArgs("--grpc-server-tls-client-ca=", thanos.PeersSRVAddress(thanos.PeersServiceName, g.downMember.namespace))
	if err != nil || len(pids) != 1 {
		t.Fatalf("the edge querier process of %s: %v, %v; want one", g.downMember.name, pids, err)
	}
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := syscall.Kill(pids[0], syscall.SIGCONT); err != nil {
				t.Errorf("resume the edge querier: %v", err)
			}
		}
	}
	defer resume()
	timeout, bound := g.unreachableBound(t)
	durations := g.memberQueries(t, timeout+unreachableMargin, bound)
	t.Logf("with %s's edge querier stopped: 3 queries took %v; bounds %v (the first), %v", g.downMember.name, durations, timeout+unreachableMargin, bound)
	resume()
	t.Logf("resumed: both members' series back without a warning after %v", g.waitBothMembers(t))
}

// memberGone: one member's edge querier gone (scaled to 0: its Service without endpoints, whose
// connections the node drops) answers likewise: a query that finds the connection being made
// waits for gRPC's connect timeout, the others fail at once during gRPC's reconnect backoff.
func (g *globalViewRun) memberGone(t *testing.T) {
	ctx := g.ctx
	if g.downMember == nil {
		t.Fatal("no member was chosen")
	}
	scaleEdge(ctx, t, g.downMember, 0)
	harness.WaitFor(ctx, t, 2*time.Minute, "the edge querier pod gone", func() (bool, string) {
		pods := listPods(ctx, t, g.downMember.namespace, thanos.EdgeQuerierLabels(program.Instance).Selector())
		return len(pods) == 0, fmt.Sprintf("%d pods", len(pods))
	})
	_, bound := g.unreachableBound(t)
	durations := g.memberQueries(t, bound, bound)
	t.Logf("with %s's edge querier gone: 3 queries took %v, bound %v", g.downMember.name, durations, bound)
}

// memberBack: the edge querier back, the global querier answers with its series again, as
// before, without a warning.
func (g *globalViewRun) memberBack(t *testing.T) {
	if g.downMember == nil {
		t.Fatal("no member was taken down")
	}
	scaleEdge(g.ctx, t, g.downMember, 1)
	t.Logf("%s's series back in the global view %v after its edge querier was scaled back", g.downMember.name, g.waitBothMembers(t))
}

// destroy removes the three stacks at once: each destroy reads only its own state, and most of
// its time is its StoreAPI pods' drain.
func (g *globalViewRun) destroy(t *testing.T) {
	for _, p := range append([]*stackRun{g.global}, g.members...) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			p.destroy(t)
		})
	}
}

func mustParseDuration(t testing.TB, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
