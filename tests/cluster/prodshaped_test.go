//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/steps"
)

// The prod-shaped stack's namespace and release: it runs beside the local stack, which keeps the
// program's defaults.
const (
	prodShapedNamespace = "prod-shaped"
	prodShapedRelease   = "prod-kube-prometheus-stack"
)

// prodShapedOverrides make the local stack prod-shaped: the test's scenario, not a substitution.
// Beside the local stack, it has a namespace, a release and a node-exporter port of its own, and
// each stack loads the monitors and rules of its own namespace only (docs/operations.md, "Several
// stacks in one cluster").
var prodShapedOverrides = map[string]string{
	"namespace":             prodShapedNamespace,
	"chartReleaseName":      prodShapedRelease,
	"nodeExporterPort":      "9101",
	"monitorNamespaces":     prodShapedNamespace,
	"clusterName":           "prod-shaped",
	"prometheusReplicas":    "2",
	"querierReplicas":       "2",
	"queryFrontendReplicas": "2",
	"storeReplicas":         "2",
	"podDisruptionBudgets":  "true",
}

// stackRun is one stack of the suite on the cluster, and what its steps share.
type stackRun struct {
	ctx  context.Context
	name string
	// namespace and release are the stack's namespace and chart release, as its configuration
	// (overrides) sets them.
	namespace, release string
	overrides          map[string]string
	stack              auto.Stack
	config             map[string]string
	minio              *harness.MinIO
	// ownBucket gives the stack a bucket and a MinIO user of its own instead of Pulumi.local.yaml's
	// bucket and MinIO's root user.
	ownBucket bool
	// uploaded is a query answer over a range both replicas uploaded, for the long-term checks.
	uploaded longTerm
	// readyAt is when the up step saw every pod of the stack Ready: the settled step counts its
	// settling from there.
	readyAt time.Time
	// prometheus names the chart's Prometheus resource, found after up.
	prometheus string
	// holdsMinIO: the stack holds the shared MinIO (sharedMinIO).
	holdsMinIO bool
}

// longTerm is a query over an uploaded range and its answer, taken with every replica running.
type longTerm struct {
	query  string
	at     time.Time
	series []promapi.Series
}

// TestProdShapedStack runs a prod-shaped stack (2 Prometheus, 2 queriers, 2 store gateways,
// PodDisruptionBudgets) as pods, checks the data path end to end, runs the drills, and destroys
// it. Each step depends on the ones before it.
func TestProdShapedStack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	p := &stackRun{ctx: ctx, name: "prod-shaped", namespace: prodShapedNamespace, release: prodShapedRelease, overrides: prodShapedOverrides, ownBucket: true}
	steps.Run(t, []steps.Step{
		{Name: "up: every pod of the program and the chart Ready", Run: p.up},
		{Name: "the queriers find every sidecar and store gateway through DNS SRV", Run: p.discovery},
		{Name: "NetworkPolicies enforced: a pod off the query path reaches no StoreAPI or kube-state-metrics, new queriers every StoreAPI", Run: p.networkPoliciesEnforced},
		{Name: "queryClientCidrs: a pod admitted by its address reaches the queriers, one beside it does not", Run: p.queryClientByAddress},
		{Name: "a query returns deduplicated series of both Prometheus replicas", Run: p.deduplication},
		{Name: "blocks the Prometheus pods cut land in MinIO with SSE-KMS", Run: p.uploads},
		{Name: "settled: no alert but the always-on ones, every target up", Run: p.settled},
		{Name: "both Prometheus pods gone: the store gateways answer the same", Run: p.bothPrometheusGone},
		{Name: "one Prometheus pod deleted: no gap in a range query", Run: p.onePrometheusDeleted},
		{Name: "one store gateway deleted: old data still answered", Run: p.oneStoreDeleted},
		{Name: "a querier flag changed: rolling update, the Service always has a ready endpoint", Run: p.querierRollout},
		{Name: "a compactor flag changed: never two compactor pods", Run: p.compactorRollout},
		{Name: "a sidecar setting changed: the Prometheus replicas roll, a querier lists a sidecar throughout", Run: p.prometheusRollout},
		{Name: "evictions through the PodDisruptionBudgets", Run: p.evictions},
		{Name: "hand changes: preview --refresh shows each, up --refresh puts back what the program declares", Run: p.driftCorrected},
		{Name: "bucket keys rotated: every objstore reader rolls and ships with the new key", Run: p.bucketCredentialsRotated},
		{Name: "MinIO stopped for minutes: every block cut meanwhile reaches the bucket", Run: p.bucketOutage},
		{Name: "store volume size changed: a new StatefulSet serves before the old one goes", Run: p.storeVolumeResized},
		{Name: "a store gateway's volume full: ThanosStoreBlockLoadsFailing names its pod, and ends once freed", Run: p.storeVolumeFull},
		{Name: "destroy removes everything of the stack", Run: p.destroy, Always: true},
	})
}

func (p *stackRun) up(t *testing.T) {
	ctx := p.ctx
	p.holdMinIO(ctx, t)
	p.registerNamespaces()
	p.config = localStackConfig(t, p.namespace, p.release, p.overrides)
	if p.ownBucket {
		// The stack's own bucket and MinIO user, as a platform team gives each cluster: the blocks
		// the local stack uploaded stay out of this stack's answers, and rotating the user's keys
		// can remove the old ones.
		p.config["existingBucketName"] = p.makeBucket(t, "thanos-"+p.name)
		p.config["existingBucketAccessKey"], p.config["existingBucketSecretKey"] = p.addBucketUser(t, p.name)
	}
	p.stack = newStack(ctx, t, p.name, p.config)
	start := time.Now()
	if _, err := p.stack.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("pulumi up took %v", time.Since(start).Round(time.Second))
	waitPodsReady(ctx, t, p.namespace, 5*time.Minute)
	// node-exporter runs apart, in a namespace that lets it use the host.
	waitPodsReady(ctx, t, p.namespace+"-node-exporter", 5*time.Minute)
	p.readyAt = time.Now()
	names, err := suite.cluster.Client.Names(ctx, "/apis/monitoring.coreos.com/v1/namespaces/"+p.namespace+"/prometheuses")
	if err != nil || len(names) != 1 {
		t.Fatalf("Prometheus resources of %s: %v (%v), want the chart's one", p.namespace, names, err)
	}
	p.prometheus = names[0]
	t.Logf("up to every pod Ready: %v", time.Since(start).Round(time.Second))
	for component, want := range map[string]int{"query": p.replicas(t, "querierReplicas"), "store": p.replicas(t, "storeReplicas"), "compact": 1} {
		labels := components.ThanosLabels{Component: component, Instance: "thanos"}.Selector()
		if n := len(readyPods(ctx, t, p.namespace, labels)); n != want {
			t.Errorf("%d %s pods Ready, want %d", n, component, want)
		}
	}
	if n, want := len(p.prometheusPods(t)), p.replicas(t, "prometheusReplicas"); n != want {
		t.Errorf("%d Prometheus pods Ready, want %d", n, want)
	}
	// The program's security contexts ran unchanged with the real images: non-root, the image's
	// user, a read-only root filesystem, every capability dropped.
	for _, pod := range readyPods(ctx, t, p.namespace, map[string]string{components.LabelPartOf: "thanos"}) {
		sc := objects.Field(objects.List(pod, "spec", "containers")[0], "securityContext")
		if objects.Field(sc, "readOnlyRootFilesystem") != true || objects.Field(objects.Field(pod, "spec", "securityContext"), "runAsNonRoot") != true {
			t.Errorf("pod %s runs without the program's security context: %v", podName(pod), sc)
		}
	}
	site := harness.S3Site{Bucket: p.config["existingBucketName"], KMSKeyName: p.config["existingBucketKmsKeyId"]}
	site.AccessKey, site.SecretKey = minioCredentials(t)
	minioPods := readyPods(ctx, t, "minio", map[string]string{"app.kubernetes.io/name": "minio"})
	site.Endpoint = podIP(minioPods[0]) + ":9000"
	if p.minio, err = harness.ConnectMinIO(site, p.config["existingBucketRegion"]); err != nil {
		t.Fatal(err)
	}
}

// replicas is a replica count of the stack's configuration.
func (p *stackRun) replicas(t testing.TB, key string) int {
	t.Helper()
	return atoi(t, p.config[key])
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// prometheusPods are the Ready Prometheus pods of the stack.
func (p *stackRun) prometheusPods(t testing.TB) []map[string]any {
	return readyPods(p.ctx, t, p.namespace, p.prometheusSelector())
}

// prometheusSelector selects the pods of the stack's Prometheus.
func (p *stackRun) prometheusSelector() map[string]string {
	return map[string]string{"operator.prometheus.io/name": p.prometheus}
}

// storeAPIAddresses are the gRPC addresses of the pods behind the peers Service.
func (p *stackRun) storeAPIAddresses(t testing.TB) []string {
	var out []string
	for _, pod := range readyPods(p.ctx, t, p.namespace, components.StoreAPISelector()) {
		out = append(out, fmt.Sprintf("%s:%d", podIP(pod), thanos.GRPCPort))
	}
	sort.Strings(out)
	return out
}

// storeAPIPodAddress is the pod address ("10.244.0.12:10901") of a querier's endpoint: the SRV
// target name CoreDNS gives a headless Service's pod that has no hostname in that Service,
// "10-244-0-12.<service>.<namespace>.svc.<domain>:10901", which dnssrvnoa+ keeps as it is.
func storeAPIPodAddress(endpoint string) string {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return endpoint
	}
	label, _, _ := strings.Cut(host, ".")
	if ip := net.ParseIP(strings.ReplaceAll(label, "-", ".")); ip != nil {
		return net.JoinHostPort(ip.String(), port)
	}
	return endpoint
}

// onlyFrom are query parameters that make a querier ask only the StoreAPIs of these pods
// (storeMatch[] on the endpoint names: see storeAPIPodAddress).
func onlyFrom(pods []map[string]any) map[string][]string {
	var names []string
	for _, pod := range pods {
		names = append(names, strings.ReplaceAll(podIP(pod), ".", "-"))
	}
	return promapi.Params("dedup", "false", "storeMatch[]", fmt.Sprintf(`{__address__=~"(%s)[.].+"}`, strings.Join(names, "|")))
}

func (p *stackRun) discovery(t *testing.T) {
	want := p.storeAPIAddresses(t)
	if n := p.replicas(t, "prometheusReplicas") + p.replicas(t, "storeReplicas"); len(want) != n {
		t.Fatalf("%d pods behind the peers Service, want the %d Prometheus and store gateway pods: %v", len(want), n, want)
	}
	for _, q := range readyPods(p.ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector()) {
		api := &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(q), thanos.HTTPPort)}
		harness.WaitFor(p.ctx, t, 2*time.Minute, podName(q)+" to see every StoreAPI", func() (bool, string) {
			got, _, err := healthyStores(p.ctx, api)
			if err != nil {
				return false, err.Error()
			}
			return slices.Equal(got, want), fmt.Sprintf("%v, want %v", got, want)
		})
	}
}

// healthyStores are the pod addresses of the StoreAPIs a querier lists as healthy (its
// /api/v1/stores), by the type of StoreAPI ("sidecar", "store"), and all of them, sorted.
func healthyStores(ctx context.Context, api *promapi.PromAPI) (all []string, byType map[string][]string, err error) {
	var stores map[string][]struct {
		Name      string  `json:"name"`
		LastError *string `json:"lastError"`
	}
	if err := api.Get(ctx, "/api/v1/stores", &stores); err != nil {
		return nil, nil, err
	}
	byType = map[string][]string{}
	for typ, list := range stores {
		for _, s := range list {
			if s.LastError == nil || *s.LastError == "" {
				all = append(all, storeAPIPodAddress(s.Name))
				byType[typ] = append(byType[typ], storeAPIPodAddress(s.Name))
			}
		}
	}
	sort.Strings(all)
	return all, byType, nil
}

func (p *stackRun) deduplication(t *testing.T) {
	ctx, query := p.ctx, querier(p.ctx, t, p.namespace)
	pods := p.prometheusPods(t)
	var replicas []string
	for _, pod := range pods {
		replicas = append(replicas, podName(pod))
	}
	var all promapi.Result
	harness.WaitFor(ctx, t, 3*time.Minute, "both replicas' series of up", func() (bool, string) {
		var err error
		if all, err = query.Query(ctx, "up", time.Now(), promapi.Params("dedup", "false")); err != nil {
			return false, err.Error()
		}
		seen := map[string]bool{}
		for _, s := range all.Series {
			seen[s.Labels[components.PrometheusReplicaLabel]] = true
		}
		return len(seen) == 2 && seen[replicas[0]] && seen[replicas[1]], fmt.Sprintf("replicas %v", seen)
	})
	deduped, err := query.Query(ctx, "up", time.Now(), promapi.Params("dedup", "true"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, s := range all.Series {
		targets[s.Key(components.PrometheusReplicaLabel)] = true
	}
	if len(deduped.Series) != len(targets) {
		t.Errorf("dedup=true: %d series of up, want one per target (%d)", len(deduped.Series), len(targets))
	}
	for _, s := range deduped.Series {
		if _, ok := s.Labels[components.PrometheusReplicaLabel]; ok {
			t.Errorf("dedup=true: %s still has %s", s.Key(), components.PrometheusReplicaLabel)
		}
		if s.Labels[components.ClusterLabel] != p.config["clusterName"] {
			t.Errorf("%s lacks the cluster external label", s.Key())
		}
	}
	t.Logf("up: %d series from both replicas, %d deduplicated", len(all.Series), len(deduped.Series))
}

// sidecarBlocks are the blocks each replica's sidecar uploaded, by pod name.
func (p *stackRun) sidecarBlocks(t testing.TB) map[string][]*harness.Block {
	blocks, err := p.minio.Blocks(p.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*harness.Block{}
	for _, b := range harness.SortedBlocks(blocks, nil) {
		if b.Meta.Thanos.Source == "sidecar" && b.Meta.Thanos.Labels[components.ClusterLabel] == p.config["clusterName"] {
			pod := b.Meta.Thanos.Labels[components.PrometheusReplicaLabel]
			out[pod] = append(out[pod], b)
		}
	}
	return out
}

func (p *stackRun) uploads(t *testing.T) {
	var blocks map[string][]*harness.Block
	// The replicas start apart, so their first (partial) blocks differ: wait for two blocks of each
	// and for a range of at least a minute that both uploaded.
	harness.WaitFor(p.ctx, t, 10*time.Minute, "two uploaded blocks of each replica, overlapping a minute", func() (bool, string) {
		blocks = p.sidecarBlocks(t)
		var counts []string
		done := len(blocks) == 2
		for pod, bs := range blocks {
			counts = append(counts, fmt.Sprintf("%s: %d", pod, len(bs)))
			done = done && len(bs) >= 2
		}
		if done {
			from, to := uploadedOverlap(blocks)
			counts = append(counts, fmt.Sprintf("overlap %dms", to-from))
			done = to-from >= 60_000
		}
		return done, strings.Join(counts, ", ")
	})
	for pod, bs := range blocks {
		for _, b := range bs {
			for file := range b.Files {
				h, err := p.minio.Head(p.ctx, b.Meta.ULID+"/"+file)
				if err != nil {
					t.Fatal(err)
				}
				sse, key := h.Get("X-Amz-Server-Side-Encryption"), h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
				if sse != "aws:kms" || strings.TrimPrefix(key, "arn:aws:kms:") != p.minio.S3.KMSKeyName {
					t.Errorf("%s/%s of %s: encryption %q, key %q; want aws:kms with %q", b.Meta.ULID, file, pod, sse, key, p.minio.S3.KMSKeyName)
				}
			}
		}
		t.Logf("%s uploaded %d blocks, each object SSE-KMS with key %s", pod, len(bs), p.minio.S3.KMSKeyName)
	}
	// A range both replicas uploaded, answered while everything runs: the long-term checks compare
	// later answers with it.
	from, to := uploadedOverlap(blocks)
	p.uploaded.query = fmt.Sprintf(`up{job=~"thanos-.*"}[%dms]`, to-from)
	p.uploaded.at = time.UnixMilli(to - 1)
	r, err := querier(p.ctx, t, p.namespace).Query(p.ctx, p.uploaded.query, p.uploaded.at, promapi.Params("dedup", "false"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Series) == 0 {
		t.Fatalf("%s answered nothing", p.uploaded.query)
	}
	p.uploaded.series = r.Series
}

// sameAnswer waits until the uploaded range's query answers exactly as recorded.
func (p *stackRun) sameAnswer(t *testing.T, what string, params map[string][]string) {
	t.Helper()
	if p.uploaded.series == nil {
		t.Fatal("no uploaded range was recorded")
	}
	harness.WaitFor(p.ctx, t, 3*time.Minute, what, func() (bool, string) {
		r, err := querier(p.ctx, t, p.namespace).Query(p.ctx, p.uploaded.query, p.uploaded.at, params)
		if err != nil {
			return false, err.Error()
		}
		diff := promapi.DiffSeries(p.uploaded.series, r.Series)
		return diff == "", diff
	})
}

// setPrometheusReplicas scales the chart's Prometheus resource; the operator scales its pods.
func (p *stackRun) setPrometheusReplicas(t *testing.T, n int) {
	t.Helper()
	path := fmt.Sprintf("/apis/monitoring.coreos.com/v1/namespaces/%s/prometheuses/%s", p.namespace, p.prometheus)
	if err := suite.cluster.Client.MergePatch(p.ctx, path, map[string]any{"spec": map[string]any{"replicas": n}}); err != nil {
		t.Fatal(err)
	}
}

func (p *stackRun) bothPrometheusGone(t *testing.T) {
	p.setPrometheusReplicas(t, 0)
	harness.WaitFor(p.ctx, t, 3*time.Minute, "no Prometheus pod left", func() (bool, string) {
		pods := listPods(p.ctx, t, p.namespace, p.prometheusSelector())
		return len(pods) == 0, fmt.Sprintf("%d pods", len(pods))
	})
	p.sameAnswer(t, "the store gateways' answer for the uploaded range", promapi.Params("dedup", "false"))
	p.setPrometheusReplicas(t, 2)
	p.waitPrometheusReady(t, 2)
	waitPodsReady(p.ctx, t, p.namespace, 5*time.Minute)
}

// waitPrometheusReady waits until n Prometheus pods are Ready and returns them.
func (p *stackRun) waitPrometheusReady(t *testing.T, n int) []map[string]any {
	t.Helper()
	var pods []map[string]any
	harness.WaitFor(p.ctx, t, 5*time.Minute, fmt.Sprintf("%d Prometheus pods Ready", n), func() (bool, string) {
		pods = p.prometheusPods(t)
		return len(pods) == n, fmt.Sprintf("%d Ready", len(pods))
	})
	return pods
}

func (p *stackRun) onePrometheusDeleted(t *testing.T) {
	ctx := p.ctx
	const jobs = "thanos-.*"
	pods := p.waitPrometheusReady(t, 2)
	// The range starts once both replicas have scraped every target (the drills before this one
	// replaced some), so it covers only the deletion.
	p.waitScrapedSince(t, jobs, time.Now())
	from := time.Now().Truncate(scrapeCheckStep).Add(scrapeCheckStep)
	victim := podName(pods[1])
	deletePod(ctx, t, p.namespace, victim)
	p.waitPrometheusReady(t, 2)
	// It ends once the new replica has scraped every target too: past the handover.
	p.waitScrapedSince(t, jobs, time.Now())
	p.noGap(t, `up{job=~"`+jobs+`"}`, from, time.Now().Truncate(scrapeCheckStep), "the deletion of "+victim)
}

func (p *stackRun) oneStoreDeleted(t *testing.T) {
	stores := readyPods(p.ctx, t, p.namespace, thanos.StoreGatewayLabels("thanos").Selector())
	if len(stores) != 2 {
		t.Fatalf("%d store gateways Ready, want 2", len(stores))
	}
	// Only the store gateways answer: the sidecars are left out by address.
	storesOnly := onlyFrom(stores)
	p.sameAnswer(t, "both store gateways' answer", storesOnly)
	deletePod(p.ctx, t, p.namespace, podName(stores[1]))
	waitPodGone(p.ctx, t, p.namespace, stores[1])
	p.sameAnswer(t, "one store gateway's answer while "+podName(stores[1])+" is replaced", storesOnly)
	waitReplicasReady(p.ctx, t, p.namespace, thanos.StoreGatewayLabels("thanos").Selector(), 2, "store gateways")
}

// uploadedOverlap is the time range (ms) every replica's uploaded blocks cover.
func uploadedOverlap(blocks map[string][]*harness.Block) (from, to int64) {
	from, to = 0, 1<<62
	for _, bs := range blocks {
		from, to = max(from, bs[0].Meta.MinTime), min(to, bs[len(bs)-1].Meta.MaxTime)
	}
	return from, to
}
