//go:build e2e

// Command bench measures the deployment the e2e suite runs (same binaries, the same command lines
// and files the program and the operator generate through a real `pulumi up`, the same
// substitutions) on a fixed synthetic data set: bucket bytes before and after compaction and
// downsampling, the latency of a 30-day query at raw resolution and with auto-downsampling, straight
// to the querier and through the query-frontend (cold and cached), and the time from a Prometheus
// block's creation to its appearance in the bucket. With -year it reports instead the bucket bytes
// of a year of history with and without the compactor; with -store-memory, a store gateway's
// resident memory under concurrent Series requests.
//
// The data set is what an HA pair of Prometheus replicas scraping every -interval (the chart's 30s)
// would upload: each replica's blocks, with its own external labels, sampled at its own phase.
//
//	env=$(go run ./tools/build --print-env e2e) && eval "$env"
//	go run -tags e2e ./tests/e2e/cmd/bench -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// logger writes to stderr: a dependency's init sends the standard logger's output elsewhere.
var logger = log.New(os.Stderr, "bench: ", log.LstdFlags)

func main() {
	var (
		runs      = flag.Int("runs", 3, "whole runs (fresh bucket and processes each); figures are the median over runs")
		queries   = flag.Int("queries", 5, "timed queries per mode and run (after one warm-up each)")
		counters  = flag.Int("series", 1000, "counter series: the series the long-range query reads")
		gauges    = flag.Int("gauges", 100, "gauge series besides the counters")
		interval  = flag.Duration("interval", 30*time.Second, "one sample per series and interval: the scrape interval (the chart's default is 30s)")
		replicas  = flag.Int("replicas", 2, "Prometheus replicas whose blocks are uploaded (at most the stack's), each with its own external labels and scrape phase")
		days      = flag.Int("days", 42, "days of data: a multiple of 14, ending at the last 14-day boundary a day before now")
		queryLen  = flag.Duration("query-range", 30*24*time.Hour, "range of the long-range query")
		cacheDir  = flag.String("cache", defaultCache(), "where generated blocks are kept between invocations")
		keep      = flag.Bool("keep", false, "keep each run's directory")
		year      = flag.Bool("year", false, "instead: bucket bytes for a year of history (-year-days, -year-series), with no compactor, the compactor, and the compactor deduplicating")
		yearDays  = flag.Int("year-days", 364, "days of history for -year: a multiple of 14")
		yearSize  = flag.Int("year-series", 100, "series per replica for -year (half counters, half gauges)")
		yearSlice = flag.Int("year-slice-days", 14, "-year with a compactor: days of blocks that arrive between two compactor iterations, as a compactor that keeps up sees them (0: all at once, one iteration over the whole backlog)")
		storeMem  = flag.Bool("store-memory", false, "instead: a store gateway's resident memory under concurrent raw Series requests (the generated flags, per-request limits lifted), on the query data set after compaction")
		yearRuns  = flag.String("year-scenarios", "none,compactor,dedup", "-year's scenarios, comma-separated: none (no compactor), compactor (as generated), dedup (with compactorDeduplication; it merges one overlapping pair per compactor pass: 33 minutes over a year in 14-day slices here, hours over a whole year's backlog)")
	)
	flag.Parse()
	scenarios, err := parseYearScenarios(*yearRuns)
	if err != nil {
		logger.Fatal(err)
	}
	tools, err := toolenv.Read(toolset.E2E, toolenv.Variables(toolset.E2E))
	if err != nil {
		logger.Fatal(err)
	}
	if err := loopback.CheckThanosBuild(tools.Thanos); err != nil {
		logger.Fatal(err)
	}
	if *days%14 != 0 {
		logger.Fatal("-days must be a multiple of 14 (whole compaction windows)")
	}
	if *yearDays%14 != 0 {
		logger.Fatal("-year-days must be a multiple of 14 (whole compaction windows)")
	}
	if *yearSlice < 0 {
		logger.Fatal("-year-slice-days must be 0 (all at once) or more")
	}
	ctx := context.Background()
	// What the program and the operator generate, once: every run starts MinIO afresh at the same
	// address, with the same credentials and key name.
	genDir, err := os.MkdirTemp("", "e2e-bench-generate-")
	if err != nil {
		logger.Fatal(err)
	}
	defer os.RemoveAll(genDir)
	ports := &procs.Ports{}
	site, err := harness.NewS3Site(ports)
	if err != nil {
		logger.Fatal(err)
	}
	t0 := time.Now()
	d, err := loopback.Generate(ctx, tools, genDir, site)
	if err != nil {
		logger.Fatal(err)
	}
	logger.Printf("generated the %s stack's deployment in %v", loopback.StackName, time.Since(t0).Round(time.Second))

	if *year {
		t0 := time.Now()
		settings := yearSettings{days: *yearDays, series: *yearSize, replicas: *replicas, interval: *interval, cacheDir: *cacheDir, scenarios: scenarios, sliceDays: *yearSlice}
		if err := yearBench(ctx, os.Stdout, tools, d, ports, site, settings); err != nil {
			logger.Fatal(err)
		}
		logger.Printf("year benchmark took %v", time.Since(t0).Round(time.Second))
		return
	}
	if *replicas < 1 || *replicas > len(d.Prometheus.Pods) {
		logger.Fatalf("-replicas %d: the %s stack runs %d Prometheus replicas", *replicas, loopback.StackName, len(d.Prometheus.Pods))
	}
	_, end := loopback.CompactionWindow(time.Now(), 24*time.Hour)
	start := end.Add(-time.Duration(*days) * 24 * time.Hour)
	var sets []replicaData
	for r := range *replicas {
		data := dataset(start, end, *counters, *gauges, *interval, phase(r, *interval))
		blocks := filepath.Join(*cacheDir, fmt.Sprintf("%s-%dd-%dc-%dg-%s-replica%d", start.Format("20060102"), *days, *counters, *gauges, *interval, r))
		if err := generateBlocks(ctx, tools.Promtool, data, blocks); err != nil {
			logger.Fatal(err)
		}
		sets = append(sets, replicaData{data: data, blocks: blocks, labels: d.Prometheus.Pods[r].ExternalLabels()})
	}

	if *storeMem {
		if err := storeMemoryBench(ctx, os.Stdout, tools, d, ports, site, sets, *runs, *queryLen, *keep); err != nil {
			logger.Fatal(err)
		}
		return
	}
	var results []result
	for i := range *runs {
		logger.Printf("run %d/%d", i+1, *runs)
		r, err := run(ctx, tools, d, ports, site, sets, i, *queries, *queryLen, *keep)
		if err != nil {
			logger.Fatalf("run %d: %v", i+1, err)
		}
		results = append(results, r)
		logger.Printf("run %d: %+v", i+1, r)
	}
	report(os.Stdout, sets, *queryLen, results)
}

// replicaData is one replica's share of the data set: its samples, its blocks on disk and the
// external labels they are uploaded with.
type replicaData struct {
	data   loopback.Dataset
	blocks string
	labels map[string]string
}

// phase is when replica r scrapes within an interval: HA replicas are not scraped in step.
func phase(r int, interval time.Duration) time.Duration {
	return time.Duration(r) * interval / 3
}

// generateBlocks writes the data set's blocks into dir with the real promtool, once: they are kept
// for later invocations.
func generateBlocks(ctx context.Context, promtool string, data loopback.Dataset, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return nil
	}
	t0 := time.Now()
	logger.Printf("generating %d series x %v, one sample every %v, with promtool into %s", data.SeriesCount(), data.End.Sub(data.Start).Round(time.Hour), data.Step, dir)
	os.RemoveAll(dir)
	work := dir + ".work"
	os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := data.WriteBlocks(ctx, promtool, work, dir); err != nil {
		return err
	}
	os.RemoveAll(work)
	logger.Printf("generated in %v", time.Since(t0).Round(time.Second))
	return os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
}

func defaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "prometheus-thanos", "e2e-bench")
}

// dataset is the fixed synthetic data set as one replica scrapes it: the counters (one sample per
// interval, a steady rate with jitter) and the gauges (a daily sine with noise), sampled from
// start+phase. Values depend on the time only, not the replica, as two scrapes of one target do.
func dataset(start, end time.Time, counters, gauges int, interval, phase time.Duration) loopback.Dataset {
	noise := func(i int, t time.Time) float64 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", i, t.Unix())
		return float64(h.Sum64()%1000) / 1000
	}
	labels := func(n int) []map[string]string {
		var out []map[string]string
		for i := range n {
			out = append(out, map[string]string{"series": strconv.Itoa(i), "group": strconv.Itoa(i % 5)})
		}
		return out
	}
	gauge := loopback.Family{Name: "e2e_bench_gauge", Type: "gauge", Series: labels(gauges),
		Value: func(i int, t time.Time) float64 {
			day := float64(t.Unix()%86400) / 86400
			return 100 + 50*math.Sin(2*math.Pi*day+float64(i)) + 10*noise(i, t)
		}}
	counter := loopback.Family{Name: "e2e_bench_requests", Type: "counter", Series: labels(counters),
		Value: func(i int, t time.Time) float64 {
			// (1+i%7) a minute on average, the rate swinging by 90% over a period of a few
			// minutes: its derivative stays positive, so the counter never decreases, whichever
			// replica's phase it is sampled at.
			rate := float64(1+i%7) / 60
			period := float64(300 + 7*i%300)
			omega := 2 * math.Pi / period
			s := t.Sub(start).Seconds()
			return math.Floor(rate*s + 0.9*rate/omega*math.Sin(omega*s))
		}}
	return loopback.Dataset{Families: []loopback.Family{counter, gauge}, Start: start.Add(phase), End: end, Step: interval}
}

type result struct {
	BytesBefore, BytesAfterAll, BytesAfterLive int64
	BytesByRes                                 map[int64]int64
	Latency                                    map[string]time.Duration // median per mode
	// Refused are the modes whose query the stack refused, with the error (a store gateway's
	// per-request limit).
	Refused      map[string]string
	UploadDelays []time.Duration
	CompactTime  time.Duration
}

// benchQuery is the long-range query at a step: a dashboard-style rate over the counters, its window
// the step, as Grafana's $__rate_interval is over a long range. The window matters: Thanos's querier
// caps the resolution of a function that needs two samples (rate among them) at half its window
// (maxResolutionFromSelectHints in pkg/query/querier.go of v0.42.4), so rate(...[1h]) reads at most
// 5m blocks however coarse the step, and only a window of 2h or more can read 1h blocks.
func benchQuery(step time.Duration) string {
	return fmt.Sprintf(`sum by (group) (rate(e2e_bench_requests_total[%s]))`, model.Duration(step))
}

// benchGroups is the number of series benchQuery answers (the group label's values).
const benchGroups = 5

// mode is one way of asking benchQuery.
type mode struct {
	name  string
	step  time.Duration
	param string // max_source_resolution; "" = the querier's auto-downsampling (step/5)
	// frontend: through the first query-frontend instead of straight to the first querier; cold:
	// a query text the frontend's results cache has never seen (a matcher that selects the same
	// series), so each timed query misses it.
	frontend, cold bool
}

var modes = []mode{
	{name: "raw, step 1h", step: time.Hour, param: "0s"},
	{name: "auto, step 1h", step: time.Hour},
	{name: "raw, step 6h", step: 6 * time.Hour, param: "0s"},
	{name: "auto, step 6h", step: 6 * time.Hour},
	{name: "frontend, raw, cold, step 1h", step: time.Hour, param: "0s", frontend: true, cold: true},
	{name: "frontend, auto, cold, step 1h", step: time.Hour, frontend: true, cold: true},
	{name: "frontend, auto, cached, step 1h", step: time.Hour, frontend: true},
}

// ask runs the mode's query once; run and i make a cold query's text unique.
func (m mode) ask(ctx context.Context, c *loopback.Loopback, run, i int, start, end time.Time) (promapi.Result, error) {
	addr, q := c.Queriers[0].Site.HTTPAddr, benchQuery(m.step)
	if m.frontend {
		addr = c.QueryFrontends[0].Site.HTTPAddr
	}
	if m.cold {
		// Unique per mode too: the frontend's cache key has no resolution for a request without
		// max_source_resolution (the querier's auto-downsampling), so an auto and a raw query of
		// one text would share entries.
		q = strings.Replace(q, "e2e_bench_requests_total", fmt.Sprintf(`e2e_bench_requests_total{series!="cold %s %d %d"}`, m.name, run, i), 1)
	}
	// Without partial responses a refused request is an error, not a warning beside a part.
	params := promapi.Params("partial_response", "false")
	if m.param != "" {
		params.Set("max_source_resolution", m.param)
	}
	api := &promapi.PromAPI{Addr: addr}
	return api.QueryRange(ctx, q, start, end, m.step, params)
}

// frontendCacheHits is the first query-frontend's count of results cache hits (Thanos's embedded
// Cortex cache, internal/cortex/chunk/cache: instrumented.go), 0 for a mode not through it.
func frontendCacheHits(ctx context.Context, c *loopback.Loopback, m mode) float64 {
	if !m.frontend {
		return 0
	}
	v, _, err := promapi.Metric(ctx, c.QueryFrontends[0].Site.HTTPAddr, "cortex_cache_hits_total")
	if err != nil {
		logger.Printf("%s: cache hits: %v", m.name, err)
	}
	return v
}

// limitError reports whether err is a store gateway's per-request limit refusing a query.
func limitError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "exceeded") && strings.Contains(err.Error(), "limit")
}

// freshBucket starts MinIO with an empty bucket in dir, creates the deployment's processes around it
// (none started) and uploads every replica's blocks into the bucket with its external labels: the
// start of every run of the benchmarks. The processes stop with procs.StopAll.
func freshBucket(ctx context.Context, tools toolenv.Tools, d *loopback.Generated, ports *procs.Ports, site harness.S3Site, sets []replicaData, dir string) (*loopback.Loopback, *procs.Processes, error) {
	c, procs, err := emptyBucket(ctx, tools, d, ports, site, dir)
	if err != nil {
		return nil, procs, err
	}
	for _, set := range sets {
		if err := uploadBlocks(ctx, c, set.blocks, set.labels); err != nil {
			return nil, procs, err
		}
	}
	return c, procs, nil
}

// emptyBucket is freshBucket without the upload.
func emptyBucket(ctx context.Context, tools toolenv.Tools, d *loopback.Generated, ports *procs.Ports, site harness.S3Site, dir string) (*loopback.Loopback, *procs.Processes, error) {
	procs := &procs.Processes{Dir: filepath.Join(dir, "logs")}
	minio, err := harness.StartMinIOAt(ctx, procs, ports, tools.MinIO, d.Config.ExistingBucket.Region, site)
	if err != nil {
		return nil, procs, err
	}
	c, err := loopback.NewLoopback(tools, d, minio, procs, ports, filepath.Join(dir, "cluster"))
	return c, procs, err
}

// uploadBlocks uploads every block in dir with the real `thanos tools bucket upload-blocks`.
func uploadBlocks(ctx context.Context, c *loopback.Loopback, dir string, labels map[string]string) error {
	// The shipper file lists what an earlier run uploaded; without it every block goes up again.
	if err := os.Remove(filepath.Join(dir, "thanos.shipper.json")); err != nil && !os.IsNotExist(err) {
		return err
	}
	return loopback.UploadBlocks(ctx, c.Tools.Thanos, c.ObjstoreFile, dir, labels)
}

// compactOnce starts a compactor (start: the generated one, or the deduplicating one), waits for its
// first iteration, and returns how long that took and the bucket's blocks after it.
func compactOnce(ctx context.Context, c *loopback.Loopback, start func(context.Context) error, timeout time.Duration) (time.Duration, map[string]*harness.Block, error) {
	t0 := time.Now()
	if err := start(ctx); err != nil {
		return 0, nil, err
	}
	if err := c.Compactor.WaitIteration(ctx, timeout); err != nil {
		return 0, nil, err
	}
	took := time.Since(t0)
	blocks, err := c.MinIO.Blocks(ctx)
	return took, blocks, err
}

func run(ctx context.Context, tools toolenv.Tools, d *loopback.Generated, ports *procs.Ports, site harness.S3Site, sets []replicaData, runIndex, queries int, queryLen time.Duration, keep bool) (result, error) {
	res := result{BytesByRes: map[int64]int64{}, Latency: map[string]time.Duration{}, Refused: map[string]string{}}
	dir, err := os.MkdirTemp("", "e2e-bench-")
	if err != nil {
		return res, err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	c, procs, err := freshBucket(ctx, tools, d, ports, site, sets, dir)
	defer procs.StopAll()
	if err != nil {
		return res, err
	}
	if err := c.StartAll(ctx, logger.Printf); err != nil {
		return res, err
	}

	// Watch the bucket for the sidecars' blocks: creation (ULID time) to meta.json in the bucket.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var (
		mu     sync.Mutex
		delays []time.Duration
	)
	started := time.Now()
	go c.MinIO.WatchBlocks(watchCtx, 250*time.Millisecond, func(meta harness.BlockMeta, seen time.Time) {
		created, err := harness.ULIDTime(meta.ULID)
		// Blocks created before the watch began are not timed.
		if err != nil || meta.Thanos.Source != "sidecar" || created.Before(started) {
			return
		}
		mu.Lock()
		delays = append(delays, seen.Sub(created))
		mu.Unlock()
	})

	data := sets[0].data
	inData := func(b *harness.Block) bool {
		return b.Meta.MinTime >= data.Start.UnixMilli() && b.Meta.MaxTime <= data.End.UnixMilli()
	}
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		return res, err
	}
	for _, b := range harness.SortedBlocks(blocks, inData) {
		res.BytesBefore += b.Bytes()
	}

	if res.CompactTime, blocks, err = compactOnce(ctx, c, c.StartCompactor, 2*time.Hour); err != nil {
		return res, err
	}
	for _, b := range harness.SortedBlocks(blocks, inData) {
		res.BytesAfterAll += b.Bytes()
		if !b.DeletionMarked {
			res.BytesAfterLive += b.Bytes()
			res.BytesByRes[b.Meta.Thanos.Downsample.Resolution] += b.Bytes()
		}
	}

	qEnd := data.End.Add(-time.Minute)
	qStart := qEnd.Add(-queryLen)
	if err := waitBlocksLoaded(ctx, c.Stores, liveBlocks(blocks)); err != nil {
		return res, err
	}
	times := map[string][]time.Duration{}
	for i := -1; i < queries; i++ { // i = -1: warm-up (and, for the cached mode, the cache's fill)
		for _, m := range modes {
			if _, refused := res.Refused[m.name]; refused {
				continue
			}
			hitsBefore := frontendCacheHits(ctx, c, m)
			t := time.Now()
			r, err := m.ask(ctx, c, runIndex, i, qStart, qEnd)
			d := time.Since(t)
			// A cold query must miss the results cache, a cached one hit it (after the warm-up).
			if hits := frontendCacheHits(ctx, c, m) - hitsBefore; m.frontend && err == nil && i >= 0 && (m.cold != (hits == 0)) {
				return res, fmt.Errorf("%s: the query-frontend's results cache hit %v times", m.name, hits)
			}
			if limitError(err) {
				res.Refused[m.name] = err.Error()
				logger.Printf("%s: refused: %v", m.name, err)
				continue
			}
			if err != nil {
				return res, fmt.Errorf("%s: %w", m.name, err)
			}
			if len(r.Series) != benchGroups {
				return res, fmt.Errorf("%s: %d series, want %d", m.name, len(r.Series), benchGroups)
			}
			if i >= 0 {
				times[m.name] = append(times[m.name], d)
			}
		}
	}
	for name, ds := range times {
		res.Latency[name] = median(ds)
	}
	stopWatch()
	mu.Lock()
	res.UploadDelays = append([]time.Duration(nil), delays...)
	mu.Unlock()
	return res, nil
}

// liveBlocks counts the blocks not marked for deletion.
func liveBlocks(blocks map[string]*harness.Block) int {
	live := 0
	for _, b := range blocks {
		if !b.DeletionMarked {
			live++
		}
	}
	return live
}

// waitBlocksLoaded waits until every store gateway has loaded live blocks: those the compactor
// left unmarked (a marked block's data is in the block made from it, so the store gateway skips
// it). They sync the bucket periodically. A query cannot tell, since the store gateways' limits may
// refuse it.
func waitBlocksLoaded(ctx context.Context, stores []*loopback.Component, live int) error {
	for _, store := range stores {
		for deadline := time.Now().Add(5 * time.Minute); ; {
			loaded, _, err := promapi.Metric(ctx, store.Site.HTTPAddr, "thanos_bucket_store_blocks_loaded")
			if err == nil && int(loaded) >= live {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s loaded %v of the bucket's %d live blocks (%v)", store.Name, loaded, live, err)
			}
			time.Sleep(2 * time.Second)
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(xs []int64) int64 {
	ds := make([]time.Duration, len(xs))
	for i, x := range xs {
		ds[i] = time.Duration(x)
	}
	return int64(median(ds))
}

func report(w *os.File, sets []replicaData, queryLen time.Duration, rs []result) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	pick := func(f func(result) int64) int64 {
		var xs []int64
		for _, r := range rs {
			xs = append(xs, f(r))
		}
		return medianInt(xs)
	}
	data := sets[0].data
	var samples int64
	for _, set := range sets {
		samples += set.data.SampleCount()
	}
	fmt.Fprintf(w, "\nData set: %d replicas, each %d series (%d counters %s, %d gauges %s), one sample every %v (replica r at phase r*%v/3), %s to %s (%.0f days); %d samples in all\n",
		len(sets), data.SeriesCount(), len(data.Families[0].Series), data.Families[0].Name, len(data.Families[1].Series), data.Families[1].Name,
		data.Step, data.Step, data.Start.Format("2006-01-02"), data.End.Format("2006-01-02"), data.End.Sub(data.Start).Hours()/24, samples)
	fmt.Fprintf(w, "Runs: %d (medians over runs; per run, query latency is the median of its timed queries)\n\n", len(rs))
	fmt.Fprintf(w, "| Figure | Median | Per run |\n|---|---|---|\n")
	row := func(name string, f func(result) int64, format func(int64) string) {
		var per []string
		for _, r := range rs {
			per = append(per, format(f(r)))
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, format(pick(f)), strings.Join(per, ", "))
	}
	row("bucket bytes before compaction (2h raw blocks of every replica)", func(r result) int64 { return r.BytesBefore }, mib)
	row("bucket bytes after, all objects (sources awaiting --delete-delay included)", func(r result) int64 { return r.BytesAfterAll }, mib)
	row("bucket bytes after, live blocks", func(r result) int64 { return r.BytesAfterLive }, mib)
	for _, res := range []int64{0, 300000, 3600000} {
		name := map[int64]string{0: "raw", 300000: "5m", 3600000: "1h"}[res]
		row("  of which "+name, func(r result) int64 { return r.BytesByRes[res] }, mib)
	}
	dur := func(x int64) string { return time.Duration(x).Round(time.Millisecond).String() }
	row("compactor: start to first iteration done", func(r result) int64 { return int64(r.CompactTime) }, dur)
	for _, m := range modes {
		name := fmt.Sprintf("%.0f-day query `%s`, %s", queryLen.Hours()/24, benchQuery(m.step), m.name)
		var refusals []string
		for _, r := range rs {
			if e, ok := r.Refused[m.name]; ok {
				refusals = append(refusals, e)
			}
		}
		if len(refusals) > 0 {
			fmt.Fprintf(w, "| %s | refused in %d of %d runs | %s |\n", name, len(refusals), len(rs), refusals[0])
			continue
		}
		row(name, func(r result) int64 { return int64(r.Latency[m.name]) }, dur)
	}
	var delays []time.Duration
	for _, r := range rs {
		delays = append(delays, r.UploadDelays...)
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	if len(delays) > 0 {
		fmt.Fprintf(w, "| block creation to bucket (sidecar), %d blocks | %s | min %s, max %s |\n", len(delays),
			median(delays).Round(100*time.Millisecond), delays[0].Round(100*time.Millisecond), delays[len(delays)-1].Round(100*time.Millisecond))
	}
}
