//go:build e2e

// Command bench measures the deployment the e2e suite runs (same binaries, the same command lines
// and files the program and the operator generate through a real `pulumi up`, the same
// substitutions) on a fixed synthetic data set: bucket bytes before and after compaction and
// downsampling, the latency of a 30-day query at raw resolution and with auto-downsampling, and
// the time from a Prometheus block's creation to its appearance in the bucket.
//
//	env=$(scripts/build-tools.sh --print-env e2e) && eval "$env"
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

	"github.com/prometheus-thanos/prometheus-thanos/tests/e2e"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// logger writes to stderr: a dependency's init sends the standard logger's output elsewhere.
var logger = log.New(os.Stderr, "bench: ", log.LstdFlags)

func main() {
	var (
		runs     = flag.Int("runs", 3, "whole runs (fresh bucket and processes each); figures are the median over runs")
		queries  = flag.Int("queries", 15, "timed queries per mode and run (after one warm-up each)")
		series   = flag.Int("series", 50, "series per family (a gauge and a counter family)")
		days     = flag.Int("days", 42, "days of data: a multiple of 14, ending at the last 14-day boundary a day before now")
		queryLen = flag.Duration("query-range", 30*24*time.Hour, "range of the long-range query")
		cacheDir = flag.String("cache", defaultCache(), "where generated blocks are kept between invocations")
		keep     = flag.Bool("keep", false, "keep each run's directory")
	)
	flag.Parse()
	tools, err := harness.ToolsFromEnv("e2e", harness.E2ETools)
	if err != nil {
		logger.Fatal(err)
	}
	if err := e2e.CheckThanosBuild(tools.Thanos); err != nil {
		logger.Fatal(err)
	}
	if *days%14 != 0 {
		logger.Fatal("-days must be a multiple of 14 (whole compaction windows)")
	}
	ctx := context.Background()
	// What the program and the operator generate, once: every run starts MinIO afresh at the same
	// address, with the same credentials and key name.
	genDir, err := os.MkdirTemp("", "e2e-bench-generate-")
	if err != nil {
		logger.Fatal(err)
	}
	defer os.RemoveAll(genDir)
	ports := &harness.Ports{}
	site, err := harness.NewS3Site(ports)
	if err != nil {
		logger.Fatal(err)
	}
	t0 := time.Now()
	d, err := e2e.Generate(ctx, tools, genDir, site)
	if err != nil {
		logger.Fatal(err)
	}
	logger.Printf("generated the %s stack's deployment in %v", e2e.StackName, time.Since(t0).Round(time.Second))

	_, end := e2e.CompactionWindow(time.Now(), 24*time.Hour)
	start := end.Add(-time.Duration(*days) * 24 * time.Hour)
	data := dataset(start, end, *series)
	blocks := filepath.Join(*cacheDir, fmt.Sprintf("%s-%dd-%ds", start.Format("20060102"), *days, *series))
	if _, err := os.Stat(filepath.Join(blocks, "done")); err != nil {
		t0 := time.Now()
		logger.Printf("generating %d series x %d days with promtool into %s", data.SeriesCount(), *days, blocks)
		os.RemoveAll(blocks)
		work := blocks + ".work"
		os.RemoveAll(work)
		if err := os.MkdirAll(work, 0o755); err != nil {
			logger.Fatal(err)
		}
		if err := data.WriteBlocks(ctx, tools.Promtool, work, blocks); err != nil {
			logger.Fatal(err)
		}
		os.RemoveAll(work)
		os.WriteFile(filepath.Join(blocks, "done"), nil, 0o644)
		logger.Printf("generated in %v", time.Since(t0).Round(time.Second))
	}

	var results []result
	for i := range *runs {
		logger.Printf("run %d/%d", i+1, *runs)
		r, err := run(ctx, tools, d, ports, site, data, blocks, *queries, *queryLen, *keep)
		if err != nil {
			logger.Fatalf("run %d: %v", i+1, err)
		}
		results = append(results, r)
		logger.Printf("run %d: %+v", i+1, r)
	}
	report(os.Stdout, data, *queryLen, results)
}

func defaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "prometheus-thanos", "e2e-bench")
}

// dataset is the fixed synthetic data set: n gauges and n counters, one sample a minute.
func dataset(start, end time.Time, n int) e2e.Dataset {
	noise := func(i int, t time.Time) float64 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", i, t.Unix())
		return float64(h.Sum64()%1000) / 1000
	}
	var labels []map[string]string
	for i := range n {
		labels = append(labels, map[string]string{"series": strconv.Itoa(i), "group": strconv.Itoa(i % 5)})
	}
	gauge := e2e.Family{Name: "e2e_bench_gauge", Type: "gauge", Series: labels,
		Value: func(i int, t time.Time) float64 {
			day := float64(t.Unix()%86400) / 86400
			return 100 + 50*math.Sin(2*math.Pi*day+float64(i)) + 10*noise(i, t)
		}}
	counter := e2e.Family{Name: "e2e_bench_requests", Type: "counter", Series: labels,
		Value: func(i int, t time.Time) float64 {
			// A steady rate with noise: minutes since start times (1+i%7), plus jitter below one step.
			minutes := t.Sub(start).Minutes()
			return math.Floor(minutes*float64(1+i%7) + noise(i, t))
		}}
	return e2e.Dataset{Families: []e2e.Family{gauge, counter}, Start: start, End: end, Step: time.Minute}
}

type result struct {
	BytesBefore, BytesAfterAll, BytesAfterLive int64
	BytesByRes                                 map[int64]int64
	Latency                                    map[string]time.Duration // median per mode
	UploadDelays                               []time.Duration
	CompactTime                                time.Duration
}

// benchQuery is the long-range query: a dashboard-style rate over the counters.
const benchQuery = `sum by (group) (rate(e2e_bench_requests_total[1h]))`

var modes = []struct {
	name  string
	step  time.Duration
	param string // max_source_resolution; "" = the querier's auto-downsampling (step/5)
}{
	{"raw, step 1h", time.Hour, "0s"},
	{"auto, step 1h", time.Hour, ""},
	{"raw, step 6h", 6 * time.Hour, "0s"},
	{"auto, step 6h", 6 * time.Hour, ""},
}

func run(ctx context.Context, tools harness.Tools, d *e2e.Deployment, ports *harness.Ports, site harness.S3Site, data e2e.Dataset, blocksDir string, queries int, queryLen time.Duration, keep bool) (result, error) {
	res := result{BytesByRes: map[int64]int64{}, Latency: map[string]time.Duration{}}
	dir, err := os.MkdirTemp("", "e2e-bench-")
	if err != nil {
		return res, err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	procs := &harness.Processes{Dir: filepath.Join(dir, "logs")}
	defer procs.StopAll()
	region := d.Config.ExistingBucket.Region
	minio, err := harness.StartMinIOAt(ctx, procs, ports, tools.MinIO, region, site)
	if err != nil {
		return res, err
	}
	c, err := e2e.NewCluster(tools, d, minio, procs, ports, filepath.Join(dir, "cluster"))
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

	os.Remove(filepath.Join(blocksDir, "thanos.shipper.json")) // upload everything again
	if err := e2e.UploadBlocks(ctx, tools.Thanos, c.ObjstoreFile, blocksDir, d.Prometheus.Pods[0].ExternalLabels()); err != nil {
		return res, err
	}
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

	t0 := time.Now()
	if err := c.StartCompactor(ctx); err != nil {
		return res, err
	}
	for {
		n, _, err := harness.Metric(ctx, c.Compactor.Site.HTTPAddr, "thanos_compact_iterations_total")
		if err == nil && n >= 1 {
			break
		}
		if exited, err := c.Compactor.Proc.Exited(); exited {
			return res, fmt.Errorf("compactor exited: %v\n%s", err, c.Compactor.Proc.Tail(30))
		}
		time.Sleep(time.Second)
	}
	res.CompactTime = time.Since(t0)
	if blocks, err = c.MinIO.Blocks(ctx); err != nil {
		return res, err
	}
	for _, b := range harness.SortedBlocks(blocks, inData) {
		res.BytesAfterAll += b.Bytes()
		if !b.DeletionMarked {
			res.BytesAfterLive += b.Bytes()
			res.BytesByRes[b.Meta.Thanos.Downsample.Resolution] += b.Bytes()
		}
	}

	api := &harness.PromAPI{Addr: c.Queriers[0].Site.HTTPAddr}
	q := benchQuery
	qEnd := data.End.Add(-time.Minute)
	qStart := qEnd.Add(-queryLen)
	// Wait until the store gateways serve the 1h blocks.
	for deadline := time.Now().Add(2 * time.Minute); ; {
		r, err := api.QueryRange(ctx, q, qStart, qEnd, 6*time.Hour, harness.Params("max_source_resolution", "1h"))
		if err == nil && len(r.Series) == 5 && len(r.Series[0].Samples) >= int(queryLen/(6*time.Hour)) {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("1h blocks not served: %v %v", r.Series, err)
		}
		time.Sleep(2 * time.Second)
	}
	times := map[string][]time.Duration{}
	for i := -1; i < queries; i++ { // i = -1: warm-up
		for _, m := range modes {
			params := harness.Params()
			if m.param != "" {
				params.Set("max_source_resolution", m.param)
			}
			t := time.Now()
			r, err := api.QueryRange(ctx, q, qStart, qEnd, m.step, params)
			d := time.Since(t)
			if err != nil {
				return res, err
			}
			if len(r.Series) != 5 {
				return res, fmt.Errorf("%s: %d series", m.name, len(r.Series))
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

func report(w *os.File, data e2e.Dataset, queryLen time.Duration, rs []result) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	pick := func(f func(result) int64) int64 {
		var xs []int64
		for _, r := range rs {
			xs = append(xs, f(r))
		}
		return medianInt(xs)
	}
	fmt.Fprintf(w, "\nData set: %d series (%d gauges, %d counters), one sample a minute, %s to %s (%.0f days), %d samples\n",
		data.SeriesCount(), len(data.Families[0].Series), len(data.Families[1].Series),
		data.Start.Format("2006-01-02"), data.End.Format("2006-01-02"), data.End.Sub(data.Start).Hours()/24, data.SampleCount())
	fmt.Fprintf(w, "Runs: %d (medians over runs; per run, query latency is the median of its timed queries)\n\n", len(rs))
	fmt.Fprintf(w, "| Figure | Median | Per run |\n|---|---|---|\n")
	row := func(name string, f func(result) int64, format func(int64) string) {
		var per []string
		for _, r := range rs {
			per = append(per, format(f(r)))
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, format(pick(f)), strings.Join(per, ", "))
	}
	row("bucket bytes before compaction (2h raw blocks)", func(r result) int64 { return r.BytesBefore }, mib)
	row("bucket bytes after, all objects (sources awaiting --delete-delay included)", func(r result) int64 { return r.BytesAfterAll }, mib)
	row("bucket bytes after, live blocks", func(r result) int64 { return r.BytesAfterLive }, mib)
	for _, res := range []int64{0, 300000, 3600000} {
		res := res
		name := map[int64]string{0: "raw", 300000: "5m", 3600000: "1h"}[res]
		row("  of which "+name, func(r result) int64 { return r.BytesByRes[res] }, mib)
	}
	dur := func(x int64) string { return time.Duration(x).Round(time.Millisecond).String() }
	row("compactor: start to first iteration done", func(r result) int64 { return int64(r.CompactTime) }, dur)
	for _, m := range modes {
		name := m.name
		row(fmt.Sprintf("%.0f-day query `%s`, %s", queryLen.Hours()/24, benchQuery, name), func(r result) int64 { return int64(r.Latency[name]) }, dur)
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
