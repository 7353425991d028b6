//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/steps"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// e2eRun is what the steps of TestE2E share.
type e2eRun struct {
	ctx   context.Context
	tools toolenv.Tools
	d     *loopback.Generated
	c     *loopback.Loopback
	began time.Time
	// query is the first querier's API; interval the scrape interval; targets the scrape targets
	// of each Prometheus.
	query    *promapi.PromAPI
	interval time.Duration
	targets  int
	readyAt  time.Time
	// old is the long-term data, backfilled over [windowStart, windowEnd), older than the raw
	// retention.
	old                    loopback.Dataset
	windowStart, windowEnd time.Time
	rawRetention           time.Duration
	lts                    ltsCapture
}

// TestE2E deploys the prod stack through the real Pulumi engine, chart and operator onto a control
// plane on loopback, reads back what they generated, runs it with the real binaries (changed only by
// harness.Substitutions) and checks, in order: every component starts and is ready; the sidecars
// ship SSE-KMS encrypted blocks; the querier deduplicates the replicas; store gateways failing a
// request give a partial answer with a warning, one with a full volume a partial answer with none;
// queries survive one replica down (HA) and both down (long-term storage through the store
// gateway); the compactor compacts, downsamples and applies retention, and with deduplication on
// merges the replicas' blocks. See docs/e2e.md.
func TestE2E(t *testing.T) {
	e := setUp(t)
	steps.Run(t, []steps.Step{
		{Name: "generated flags are known to the pinned binaries", Run: e.flagsKnown, Optional: true},
		{Name: "backfill and upload long-term blocks", Run: e.backfill},
		{Name: "components start and are ready", Run: e.startAll},
		{Name: "store gateway serves the uploaded raw blocks", Run: e.storeServesRawBlocks, Optional: true},
		{Name: "querier deduplicates the replicas", Run: e.querierDeduplicates, Optional: true},
		{Name: "query-frontend answers as the querier and caches a 30-day range", Run: e.frontendCaches, Optional: true},
		{Name: "query-frontend caches Grafana's auto-downsampled queries apart from raw ones", Run: e.frontendKeysDashboardQueriesByResolution, Optional: true},
		{Name: "store gateway refuses a query over its limit and keeps serving", Run: e.storeLimits, Optional: true},
		{Name: "store gateways fail a block: an answer with a warning, uncached", Run: e.partialResponses, Optional: true},
		{Name: "full store gateway volume: ready, part of the history, no warning", Run: e.storeDiskFull, Optional: true},
		{Name: "sidecars upload blocks encrypted with SSE-KMS", Run: e.sidecarsUpload},
		{Name: "store gateway keeps one index-header per block on its volume", Run: e.storeIndexHeaders, Optional: true},
		{Name: "one replica down: live range complete", Run: e.oneReplicaDown, Optional: true},
		{Name: "both replicas down: uploaded range still served, same values", Run: e.bothReplicasDown, Optional: true},
		{Name: "compactor compacts, downsamples and applies retention", Run: e.compactor, Optional: true},
		{Name: "compactor with deduplication merges the replicas, answers as the querier's dedup", Run: e.compactorDeduplicates, Optional: true},
	})
	t.Logf("e2e run took %v", time.Since(e.began).Round(time.Second))
}

// setUp starts MinIO, generates the deployment through the real engine, chart and operator, and
// prepares it on loopback. The suite fails, never skips, when a tool is missing.
func setUp(t *testing.T) *e2eRun {
	tools, err := toolenv.Read(toolset.E2E, toolenv.Variables(toolset.E2E))
	if err != nil {
		t.Fatal(err)
	}
	if err := loopback.CheckThanosBuild(tools.Thanos); err != nil {
		t.Fatal(err)
	}
	e := &e2eRun{ctx: context.Background(), tools: tools, began: time.Now()}
	if deadline, ok := t.Deadline(); ok {
		ctx, cancel := context.WithDeadline(e.ctx, deadline.Add(-30*time.Second))
		t.Cleanup(cancel)
		e.ctx = ctx
	}
	dir := t.TempDir()
	processes := &procs.Processes{Dir: filepath.Join(dir, "logs")}
	t.Cleanup(func() {
		processes.StopAll()
		if t.Failed() {
			t.Log(processes.Logs(30))
		}
	})
	stackFile, err := harness.StackFileConfig(loopback.StackName)
	if err != nil {
		t.Fatal(err)
	}
	ports := &procs.Ports{}
	minio, err := harness.StartMinIO(e.ctx, processes, ports, tools.MinIO, stackFile["aws:region"])
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if e.d, err = loopback.Generate(e.ctx, tools, filepath.Join(dir, "generate"), minio.S3); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated the %s stack's deployment through pulumi up and the operator in %v", loopback.StackName, time.Since(start).Round(time.Second))
	if n := len(e.d.Prometheus.Pods); n < 2 {
		t.Fatalf("stack %s runs %d Prometheus replica(s); HA and deduplication need 2", loopback.StackName, n)
	}
	cfg := e.d.Config
	t.Logf("stack %s: %d Prometheus replicas, %d store gateways, %d queriers; retention raw %s, 5m %s, 1h %s; index cache %s",
		loopback.StackName, len(e.d.Prometheus.Pods), e.d.Store.Replicas, e.d.Query.Replicas,
		cfg.Compactor.Settings.Retention.Raw, cfg.Compactor.Settings.Retention.FiveMinutes, cfg.Compactor.Settings.Retention.OneHour, cfg.Store.Settings.IndexCacheSize)
	if e.c, err = loopback.NewLoopback(tools, e.d, minio, processes, ports, filepath.Join(dir, "cluster")); err != nil {
		t.Fatal(err)
	}
	t.Logf("objstore config (the program's Secret, unchanged):\n%s", e.d.ObjstoreYAML)
	e.interval = mustDuration(t, harness.TestScrapeInterval)
	e.rawRetention = mustDuration(t, cfg.Compactor.Settings.Retention.Raw)
	// Long-term data for the compactor: a gauge over one aligned 14-day window that ended before the
	// raw retention, uploaded as replica 0 would have shipped it.
	e.windowStart, e.windowEnd = loopback.CompactionWindow(e.began, e.rawRetention+24*time.Hour)
	e.old = loopback.MinuteOfHour(e.windowStart, e.windowEnd, 2)
	return e
}

// flagsKnown: every generated flag is one the pinned binaries list in --help.
func (e *e2eRun) flagsKnown(t *testing.T) {
	d := e.d
	pod := d.Prometheus.Pods[0]
	for _, c := range []struct {
		bin  string
		args []string
	}{
		{e.tools.Thanos, d.Query.Container.Args},
		{e.tools.Thanos, d.QueryFrontend.Container.Args},
		{e.tools.Thanos, d.Store.Container.Args},
		{e.tools.Thanos, d.Compact.Container.Args},
		{e.tools.Thanos, pod.Sidecar.Args},
		{e.tools.Prometheus, append([]string{""}, pod.Prometheus.Args...)},
	} {
		if err := loopback.CheckFlagsKnown(e.ctx, c.bin, c.args[0], c.args[1:]); err != nil {
			t.Error(err)
		}
	}
	out, err := procs.Run(e.ctx, e.tools.Thanos, "--version")
	if err != nil || !strings.Contains(out, strings.TrimPrefix(components.ThanosVersion, "v")) {
		t.Errorf("THANOS_BIN is not Thanos %s: %s %v", components.ThanosVersion, out, err)
	}
	out, err = procs.Run(e.ctx, e.tools.Prometheus, "--version")
	if err != nil || !strings.Contains(out, strings.TrimPrefix(components.PrometheusVersion, "v")) {
		t.Errorf("PROMETHEUS_BIN is not Prometheus %s: %s %v", components.PrometheusVersion, out, err)
	}
}

// backfill writes the long-term data as blocks with promtool and uploads them with the program's
// objstore config, labelled as replica 0's.
func (e *e2eRun) backfill(t *testing.T) {
	dir := t.TempDir()
	if err := e.old.WriteBlocks(e.ctx, e.tools.Promtool, dir, dir+"/blocks"); err != nil {
		t.Fatal(err)
	}
	if err := loopback.UploadBlocks(e.ctx, e.tools.Thanos, e.c.ObjstoreFile, dir+"/blocks", e.d.Prometheus.Pods[0].ExternalLabels()); err != nil {
		t.Fatal(err)
	}
	t.Logf("long-term data: %d series, %d samples, %s to %s", e.old.SeriesCount(), e.old.SampleCount(),
		e.windowStart.Format(time.RFC3339), e.windowEnd.Format(time.RFC3339))
}

// startAll: every component starts from what was generated and is ready; the queriers see every
// StoreAPI.
func (e *e2eRun) startAll(t *testing.T) {
	c := e.c
	if err := c.StartAll(e.ctx, t.Logf); err != nil {
		t.Fatal(err)
	}
	for _, q := range c.Queriers {
		if err := loopback.WaitForStores(e.ctx, q, len(c.Replicas)+len(c.Stores), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for _, comp := range c.Components() {
		t.Logf("%s: %s", comp.Name, strings.Join(procs.QuoteArgs(comp.Args), " "))
	}
	e.readyAt = time.Now()
	e.query = &promapi.PromAPI{Addr: c.Queriers[0].Site.HTTPAddr}
	for _, list := range c.Replicas[0].Prometheus.Site.ScrapeTargets {
		e.targets += len(list)
	}
}

// storeServesRawBlocks: the store gateway answers for the backfilled raw blocks, value for value.
func (e *e2eRun) storeServesRawBlocks(t *testing.T) {
	ctx, query := e.ctx, e.query
	old, windowStart := e.old, e.windowStart
	at := windowStart.Add(7*24*time.Hour + 30*time.Minute)
	series := waitQuery(t, ctx, query, `e2e_minute_of_hour[1d]`, at, promapi.Params("max_source_resolution", "0s"), old.SeriesCount(),
		"a day of raw points", func(s promapi.Series) bool { return len(s.Samples) == 1440 })
	for _, s := range series {
		if len(s.Samples) != 1440 {
			t.Errorf("%s: %d raw samples in one day, want 1440", s.Key(), len(s.Samples))
		}
		for _, p := range s.Samples {
			if want := float64(time.UnixMilli(p.T).UTC().Minute()); p.Float() != want {
				t.Errorf("%s at %s: %s, want %v", s.Key(), time.UnixMilli(p.T).UTC().Format(time.RFC3339), p.V, want)
				break
			}
		}
	}
}

// querierDeduplicates: with dedup every target's series comes once, without the replica label; without it, once per replica.
func (e *e2eRun) querierDeduplicates(t *testing.T) {
	ctx, c, query, d := e.ctx, e.c, e.query, e.d
	targets := e.targets
	// Both replicas have scraped every target.
	harness.WaitFor(ctx, t, time.Minute, "both replicas scraped every target", func() (bool, string) {
		r, err := query.Query(ctx, "up", time.Now(), promapi.Params("dedup", "false"))
		if err != nil {
			return false, err.Error()
		}
		return len(r.Series) == len(c.Replicas)*targets, fmt.Sprintf("%d series", len(r.Series))
	})
	for _, q := range c.Queriers {
		api := &promapi.PromAPI{Addr: q.Site.HTTPAddr}
		now := time.Now()
		deduped, err := api.Query(ctx, "up", now, promapi.Params("dedup", "true"))
		if err != nil {
			t.Fatal(err)
		}
		all, err := api.Query(ctx, "up", now, promapi.Params("dedup", "false"))
		if err != nil {
			t.Fatal(err)
		}
		if len(deduped.Series) != targets {
			t.Errorf("%s dedup=true: %d series of up, want one per target (%d): %v", q.Name, len(deduped.Series), targets, keys(deduped.Series))
		}
		seen := map[string]bool{}
		for _, s := range deduped.Series {
			if v, ok := s.Labels[d.Prometheus.ReplicaLabel]; ok {
				t.Errorf("%s dedup=true: %s still has %s=%q", q.Name, s.Key(), d.Prometheus.ReplicaLabel, v)
			}
			if s.Labels[components.ClusterLabel] != d.Config.ClusterName {
				t.Errorf("%s: %s lacks the external label %s=%q", q.Name, s.Key(), components.ClusterLabel, d.Config.ClusterName)
			}
			target := s.Labels["job"] + "/" + s.Labels["instance"]
			if seen[target] {
				t.Errorf("%s dedup=true: target %s appears twice", q.Name, target)
			}
			seen[target] = true
		}
		if len(all.Series) != len(c.Replicas)*targets {
			t.Errorf("%s dedup=false: %d series of up, want %d (each target from each replica)", q.Name, len(all.Series), len(c.Replicas)*targets)
		}
		replicas := map[string][]string{}
		for _, s := range all.Series {
			target := s.Key(d.Prometheus.ReplicaLabel)
			replicas[target] = append(replicas[target], s.Labels[d.Prometheus.ReplicaLabel])
		}
		var pods []string
		for _, r := range c.Replicas {
			pods = append(pods, r.Pod.Name)
		}
		for target, got := range replicas {
			sort.Strings(got)
			if !slices.Equal(got, pods) {
				t.Errorf("%s dedup=false: %s from replicas %v, want %v", q.Name, target, got, pods)
			}
		}
	}
}

// sidecarsUpload: the sidecars ship blocks they cut, every object SSE-KMS encrypted with the configured key.
func (e *e2eRun) sidecarsUpload(t *testing.T) {
	ctx, c, query := e.ctx, e.c, e.query
	var blocks map[string][]*harness.Block
	harness.WaitFor(ctx, t, 5*time.Minute, "three uploaded blocks per replica", func() (bool, string) {
		all, err := c.MinIO.Blocks(ctx)
		if err != nil {
			return false, err.Error()
		}
		blocks = sidecarBlocks(all, c.Replicas)
		var counts []string
		done := true
		for _, r := range c.Replicas {
			counts = append(counts, fmt.Sprintf("%s: %d", r.Pod.Name, len(blocks[r.Pod.Name])))
			done = done && len(blocks[r.Pod.Name]) >= 3
		}
		return done, strings.Join(counts, ", ")
	})
	for _, r := range c.Replicas {
		for _, b := range blocks[r.Pod.Name] {
			created, _ := harness.ULIDTime(b.Meta.ULID)
			t.Logf("%s uploaded %s [%s, %s) %d samples, created %s", r.Pod.Name, b.Meta.ULID,
				time.UnixMilli(b.Meta.MinTime).Format("15:04:05"), time.UnixMilli(b.Meta.MaxTime).Format("15:04:05"),
				b.Meta.Stats.NumSamples, created.Format("15:04:05.000"))
			if b.Meta.Stats.NumSamples == 0 {
				t.Errorf("block %s of %s is empty", b.Meta.ULID, r.Pod.Name)
			}
			for _, file := range slices.Sorted(maps.Keys(b.Files)) {
				h, err := c.MinIO.Head(ctx, b.Meta.ULID+"/"+file)
				if err != nil {
					t.Fatal(err)
				}
				sse, keyID := h.Get("X-Amz-Server-Side-Encryption"), h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
				if sse != "aws:kms" || strings.TrimPrefix(keyID, "arn:aws:kms:") != c.MinIO.S3.KMSKeyName {
					t.Errorf("%s/%s: X-Amz-Server-Side-Encryption %q, key id %q; want aws:kms with key %q",
						b.Meta.ULID, file, sse, keyID, c.MinIO.S3.KMSKeyName)
				}
			}
		}
	}
	// 4, first half: what the querier answers for the uploaded range while everything runs.
	e.lts = captureLTS(t, ctx, query, blocks, c.Replicas)
}

// oneReplicaDown: with one replica stopped, the live range has no gap.
func (e *e2eRun) oneReplicaDown(t *testing.T) {
	ctx, c, query := e.ctx, e.c, e.query
	interval, targets, readyAt := e.interval, e.targets, e.readyAt
	from := readyAt.Add(2 * interval)
	down := c.Replicas[1]
	down.Stop()
	stoppedAt := time.Now()
	t.Logf("stopped %s and its sidecar at %s", down.Pod.Name, stoppedAt.Format("15:04:05"))
	sleep(ctx, 6*interval)
	now := time.Now()
	window := now.Sub(from).Truncate(time.Second)
	r, err := query.Query(ctx, fmt.Sprintf("up[%ds]", int(window.Seconds())), now, promapi.Params("dedup", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) > 0 {
		t.Logf("warnings (partial response while %s is down): %v", down.Pod.Name, r.Warnings)
	}
	if len(r.Series) != targets {
		t.Fatalf("%d series of up over the live range, want %d: %v", len(r.Series), targets, keys(r.Series))
	}
	maxGap := 4 * interval // the dedup penalty skips up to 2 intervals when it switches replicas
	for _, s := range r.Series {
		first, last := time.UnixMilli(s.Samples[0].T), time.UnixMilli(s.Samples[len(s.Samples)-1].T)
		if first.Sub(now.Add(-window)) > maxGap || now.Sub(last) > maxGap {
			t.Errorf("%s covers %s..%s, want %s..%s", s.Key(), first.Format("15:04:05"), last.Format("15:04:05"),
				now.Add(-window).Format("15:04:05"), now.Format("15:04:05"))
		}
		for i := 1; i < len(s.Samples); i++ {
			if gap := time.Duration(s.Samples[i].T-s.Samples[i-1].T) * time.Millisecond; gap > maxGap {
				t.Errorf("%s: gap of %v at %s", s.Key(), gap, time.UnixMilli(s.Samples[i-1].T).Format("15:04:05"))
			}
		}
		// The surviving replica saw the stopped pod go down: its data is what fills the range.
		if s.Labels["instance"] == down.Prometheus.Site.HTTPAddr {
			if v := s.Samples[len(s.Samples)-1].V; v != "0" {
				t.Errorf("up of the stopped %s is %s after the stop, want 0 (scraped by the survivor)", down.Pod.Name, v)
			}
		}
	}
	// And a graph of the range has a point at every step for every target.
	rr, err := query.QueryRange(ctx, "up", from, now, interval, promapi.Params("dedup", "true"))
	if err != nil {
		t.Fatal(err)
	}
	steps := int(now.Sub(from)/interval) + 1
	for _, s := range rr.Series {
		if len(s.Samples) < steps {
			t.Errorf("range query: %s has %d of %d steps", s.Key(), len(s.Samples), steps)
		}
	}
}

// bothReplicasDown: with both replicas stopped, the store gateway answers the uploaded range with the same values.
func (e *e2eRun) bothReplicasDown(t *testing.T) {
	ctx, c, query := e.ctx, e.c, e.query
	lts := e.lts
	if lts.series == nil {
		t.Fatal("nothing was captured before the replicas stopped")
	}
	for _, r := range c.Replicas {
		r.Stop()
	}
	var diff string
	harness.WaitFor(ctx, t, 90*time.Second, "the same answer from the store gateway", func() (bool, string) {
		got, err := query.Query(ctx, lts.query, lts.at, promapi.Params("dedup", "false"))
		if err != nil {
			return false, err.Error()
		}
		diff = promapi.DiffSeries(lts.series, got.Series)
		return diff == "", diff
	})
	t.Logf("%d series, %d samples over [%s, %s) answered with no Prometheus running", len(lts.series), lts.samples,
		lts.from.Format("15:04:05"), lts.to.Format("15:04:05"))
}

// compactor: the compactor compacts the backfilled window, writes 5m and 1h blocks that answer with exact downsampled values, and marks raw blocks past retention for deletion.
func (e *e2eRun) compactor(t *testing.T) {
	ctx, c, query, d := e.ctx, e.c, e.query, e.d
	old, windowStart, windowEnd, rawRetention, cfg := e.old, e.windowStart, e.windowEnd, e.rawRetention, e.d.Config
	if err := c.StartCompactor(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Compactor.WaitIteration(ctx, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Blocks span [first sample, last sample + 1ms).
	w0, w1 := windowStart.UnixMilli(), windowEnd.UnixMilli()
	last := windowEnd.Add(-old.Step).UnixMilli() + 1
	inWindow := func(b *harness.Block) bool { return b.Meta.MinTime >= w0 && b.Meta.MaxTime <= w1 }
	byRes := map[int64][]*harness.Block{}
	marked := map[int64]int{}
	for _, b := range harness.SortedBlocks(blocks, inWindow) {
		res := b.Meta.Thanos.Downsample.Resolution
		byRes[res] = append(byRes[res], b)
		if b.DeletionMarked {
			marked[res]++
		}
		if b.Meta.MinTime == w0 && b.Meta.MaxTime == last { // the blocks spanning the whole window

			t.Logf("window block %s: resolution %v, level %d, [%s, %s), %d sources, marked for deletion: %v",
				b.Meta.ULID, time.Duration(res)*time.Millisecond, b.Meta.Compaction.Level,
				time.UnixMilli(b.Meta.MinTime).UTC().Format(time.RFC3339), time.UnixMilli(b.Meta.MaxTime).UTC().Format(time.RFC3339),
				len(b.Meta.Compaction.Sources), b.DeletionMarked)
		}
	}
	for _, res := range []int64{0, 300000, 3600000} {
		t.Logf("window blocks at resolution %v: %d, %d of them marked for deletion", time.Duration(res)*time.Millisecond, len(byRes[res]), marked[res])
	}
	// Compacted: one raw block spanning the whole 14-day window, from all 168 uploaded 2h blocks.
	uploaded := int(windowEnd.Sub(windowStart) / (2 * time.Hour))
	compacted := false
	for _, b := range byRes[0] {
		compacted = compacted || (b.Meta.MinTime == w0 && b.Meta.MaxTime == last && len(b.Meta.Compaction.Sources) == uploaded)
	}
	if !compacted {
		t.Errorf("no raw block spans the 14-day window with all %d uploaded blocks as sources", uploaded)
	}
	// Downsampled: 5m and 1h blocks, not marked for deletion, cover the window.
	for _, res := range []int64{5 * 60 * 1000, 60 * 60 * 1000} {
		covered := false
		for _, b := range byRes[res] {
			covered = covered || (!b.DeletionMarked && b.Meta.MinTime <= w0 && b.Meta.MaxTime >= last &&
				maps.Equal(b.Meta.Thanos.Labels, d.Prometheus.Pods[0].ExternalLabels()))
		}
		if !covered {
			t.Errorf("no %v-resolution block (unmarked, labels of replica 0) covers the window", time.Duration(res)*time.Millisecond)
		}
	}
	// Retention: every raw block that ended more than the raw retention ago is marked for
	// deletion (Thanos deletes in two phases: the files go --delete-delay later, 48h by default).
	for _, b := range blocks {
		ended := time.UnixMilli(b.Meta.MaxTime)
		if b.Meta.Thanos.Downsample.Resolution == 0 && time.Since(ended) > rawRetention && !b.DeletionMarked {
			t.Errorf("raw block %s ended %s, past the raw retention %s, but is not marked for deletion", b.Meta.ULID, ended.UTC().Format(time.RFC3339), cfg.Compactor.Settings.Retention.Raw)
		}
	}

	at := windowStart.Add(7*24*time.Hour + 30*time.Minute)
	// max_source_resolution=1h: hourly averages, 29.5 for every whole hour. Until the store
	// gateways load the new blocks (every harness.TestStoreSyncInterval) the raw ones answer.
	// A downsampled point sits at the end of its window, or at the window's last sample where
	// an aggregate chunk ends; either way inside the window it aggregates.
	window := func(p promapi.Sample, res time.Duration) time.Time {
		return time.UnixMilli(p.T / res.Milliseconds() * res.Milliseconds()).UTC()
	}
	series := waitQuery(t, ctx, query, `e2e_minute_of_hour[1d]`, at, promapi.Params("max_source_resolution", "1h"), old.SeriesCount(),
		"1h-resolution points", func(s promapi.Series) bool {
			// A day has 24 hourly points; aggregate chunk boundaries may split a few hours in two.
			return len(s.Samples) >= 24 && len(s.Samples) <= 28
		})
	for _, s := range series {
		hourly := 0
		for _, p := range s.Samples {
			if p.T%time.Hour.Milliseconds() == time.Hour.Milliseconds()-1 && p.V == "29.5" {
				hourly++
			}
		}
		if hourly < 20 {
			t.Errorf("%s with max_source_resolution=1h: %d of %d points are hourly averages (29.5 at the end of an hour): %v", s.Key(), hourly, len(s.Samples), s.Samples)
		}
	}
	// max_source_resolution=5m: 5-minute averages, m+2 for the window starting at minute m.
	series = waitQuery(t, ctx, query, `e2e_minute_of_hour[1d]`, at, promapi.Params("max_source_resolution", "5m"), old.SeriesCount(),
		"5m-resolution points", func(s promapi.Series) bool { return len(s.Samples) == 288 })
	for _, s := range series {
		windows := map[time.Time]bool{}
		for _, p := range s.Samples {
			w := window(p, 5*time.Minute)
			windows[w] = true
			if want := float64(w.Minute() + 2); p.Float() != want {
				t.Errorf("%s at %s: %s, want the 5m average %v", s.Key(), time.UnixMilli(p.T).UTC().Format(time.RFC3339Nano), p.V, want)
				break
			}
		}
		if len(windows) != 288 {
			t.Errorf("%s with max_source_resolution=5m: points in %d 5-minute windows of the day, want 288", s.Key(), len(windows))
		}
	}
}

// ltsCapture is the querier's answer for the uploaded range, taken while every replica runs.
type ltsCapture struct {
	query    string
	at       time.Time
	from, to time.Time
	series   []promapi.Series
	samples  int
}

// captureLTS picks the range every replica has uploaded without a gap and records the raw
// samples the querier returns for it (no deduplication, so each replica's samples are compared).
func captureLTS(t *testing.T, ctx context.Context, query *promapi.PromAPI, blocks map[string][]*harness.Block, replicas []*loopback.Replica) ltsCapture {
	t.Helper()
	interval := mustDuration(t, harness.TestScrapeInterval).Milliseconds()
	var from, to int64 = math.MinInt64, math.MaxInt64
	for _, r := range replicas {
		bs := blocks[r.Pod.Name]
		// A block's range ends where the next one's begins; its minTime is its first sample's
		// timestamp, so a gap below one scrape interval is no gap.
		for i := 1; i < len(bs); i++ {
			if gap := bs[i].Meta.MinTime - bs[i-1].Meta.MaxTime; gap < 0 || gap >= interval {
				t.Errorf("%s: uploaded blocks are not contiguous: %s ends %d, %s starts %d", r.Pod.Name, bs[i-1].Meta.ULID, bs[i-1].Meta.MaxTime, bs[i].Meta.ULID, bs[i].Meta.MinTime)
			}
		}
		from = max(from, bs[0].Meta.MinTime)
		to = min(to, bs[len(bs)-1].Meta.MaxTime)
	}
	if to-from < 60*1000 {
		t.Fatalf("the replicas' uploaded ranges overlap by %dms only", to-from)
	}
	lts := ltsCapture{
		// Raw samples in (at-range, at] = [from, to): varying values, so equality means the same samples.
		query: fmt.Sprintf(`{__name__=~"up|scrape_duration_seconds|scrape_samples_scraped"}[%dms]`, to-from),
		at:    time.UnixMilli(to - 1),
		from:  time.UnixMilli(from), to: time.UnixMilli(to),
	}
	r, err := query.Query(ctx, lts.query, lts.at, promapi.Params("dedup", "false"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Series {
		lts.samples += len(s.Samples)
	}
	targets := 0
	for _, list := range replicas[0].Prometheus.Site.ScrapeTargets {
		targets += len(list)
	}
	// Three metrics per target and replica, and at least one sample per two scrape intervals.
	if len(r.Series) != 3*targets*len(replicas) || lts.samples < len(r.Series)*int((to-from)/(2*interval)) {
		t.Fatalf("uploaded range [%d, %d): %d series, %d samples; want %d series with a sample every scrape interval",
			from, to, len(r.Series), lts.samples, 3*targets*len(replicas))
	}
	lts.series = r.Series
	return lts
}

// sidecarBlocks groups the blocks the sidecars uploaded by replica, in time order.
func sidecarBlocks(all map[string]*harness.Block, replicas []*loopback.Replica) map[string][]*harness.Block {
	out := map[string][]*harness.Block{}
	for _, r := range replicas {
		out[r.Pod.Name] = harness.SortedBlocks(all, func(b *harness.Block) bool {
			return b.Meta.Thanos.Source == "sidecar" && maps.Equal(b.Meta.Thanos.Labels, r.Labels())
		})
	}
	return out
}

// waitQuery retries an instant query until it returns n series that all satisfy ok (the store
// gateway syncs the bucket every harness.TestStoreSyncInterval).
func waitQuery(t *testing.T, ctx context.Context, api *promapi.PromAPI, q string, at time.Time, params map[string][]string, n int, what string, ok func(promapi.Series) bool) []promapi.Series {
	t.Helper()
	var series []promapi.Series
	harness.WaitFor(ctx, t, time.Minute, fmt.Sprintf("%d series of %s %v with %s", n, q, params, what), func() (bool, string) {
		r, err := api.Query(ctx, q, at, params)
		if err != nil {
			return false, err.Error()
		}
		series = r.Series
		var counts []int
		good := len(series) == n
		for _, s := range series {
			counts = append(counts, len(s.Samples))
			good = good && ok(s)
		}
		return good, fmt.Sprintf("%d series, %v samples", len(series), counts)
	})
	return series
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func keys(series []promapi.Series) []string {
	var out []string
	for _, s := range series {
		out = append(out, s.Key())
	}
	return out
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := model.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(d)
}
