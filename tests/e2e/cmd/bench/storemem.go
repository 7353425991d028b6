//go:build e2e

package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// memPoint is one load the store memory benchmark puts on a store gateway: concurrent Series
// requests, each for selector's samples over the long-range query's range at raw resolution (no
// selector: a series request, which loads no chunks, for every series).
type memPoint struct {
	selector   string
	concurrent int
	// days is the range of each request; 0: the long-range query's.
	days int
}

func (p memPoint) String() string {
	what := fmt.Sprintf("`%s`, raw", p.selector)
	if p.selector == "" {
		what = "every series, no chunks (/api/v1/series)"
	}
	if p.days > 0 {
		what += fmt.Sprintf(", %d day", p.days)
	}
	return fmt.Sprintf("%d × %s", p.concurrent, what)
}

// counterGroup selects one group's counters: 200 of the 1,000, next to each other in each block
// (series sort by their labels, and group comes before series), so a store gateway reads their
// chunks in a few ranges. A selector of counters spread over the blocks (series=~"0|1|...|99")
// makes it fetch the gaps between them too, and 100 of them exceed the prod bytes limit.
const counterGroup = `e2e_bench_requests_total{group="0"}`

// memPoints go from light to heavy: the last is as many requests as the store gateway serves at
// once (the generated --store.grpc.series-max-concurrency, storeMaxConcurrentRequests).
func memPoints(concurrency int) []memPoint {
	return []memPoint{
		{selector: "", concurrent: concurrency},
		{selector: counterGroup, concurrent: 1},
		{selector: counterGroup, concurrent: max(1, concurrency/4)},
		{selector: counterGroup, concurrent: concurrency},
		// A day of every counter: the day's chunks of each series lie between the other days'
		// in a 14-day block, and the store gateway reads those too where they are less than
		// PartitionerMaxGapSize (512KiB) apart, so most of what it fetches is never decoded.
		{selector: "e2e_bench_requests_total", concurrent: 1, days: 1},
		{selector: "e2e_bench_requests_total", concurrent: concurrency, days: 1},
	}
}

// memResult is what one load cost one fresh store gateway.
type memResult struct {
	// Per Series request, from the store gateway's own histograms
	// (thanos_bucket_store_series_data_touched, _size_touched_bytes and _size_fetched_bytes,
	// pkg/store/bucket.go).
	chunks, series, touchedBytes, fetchedBytes float64
	// base is the resident memory before the load (index-headers of every block already mapped),
	// peak the highest during it.
	base, peak int64
}

func (r memResult) growth() int64 { return r.peak - r.base }

// countedBytes are the bytes a request's --store.grpc.downloaded-bytes-limit counts: what it
// touched and what it fetched, of postings, series and chunks (every BytesLimiter.ReserveWithType
// in pkg/store/bucket.go). Fetched chunk ranges include the gaps the partitioner merges.
func (r memResult) countedBytes() int64 { return int64(r.touchedBytes + r.fetchedBytes) }

// storeMemoryBench measures a store gateway's resident memory under each memPoint, on the bucket as
// the compactor leaves the query benchmark's data set: each point, in each run, on a fresh store
// gateway (the generated flags, the per-request limits lifted: harness.StoreUnlimitedFlags) with its
// own querier, after one small query over the whole range has mapped every block's index-header.
func storeMemoryBench(ctx context.Context, w io.Writer, tools toolenv.Tools, d *loopback.Generated, ports *procs.Ports, site harness.S3Site, sets []replicaData, runs int, queryLen time.Duration, keep bool) error {
	dir, err := os.MkdirTemp("", "e2e-bench-store-memory-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	c, procs, err := freshBucket(ctx, tools, d, ports, site, sets, dir)
	defer procs.StopAll()
	if err != nil {
		return err
	}
	took, blocks, err := compactOnce(ctx, c, c.StartCompactor, 2*time.Hour)
	if err != nil {
		return err
	}
	// Nothing else touches the bucket while the store gateways are measured.
	c.Compactor.Proc.Stop()
	live := liveBlocks(blocks)
	logger.Printf("compactor's first iteration took %v; %d live blocks", took.Round(time.Second), live)

	qEnd := sets[0].data.End.Add(-time.Minute)
	points := memPoints(d.Config.Store.Settings.MaxConcurrentRequests)
	results := make([][]memResult, len(points))
	for run := range runs {
		for i, p := range points {
			r, err := measureStoreMemory(ctx, c, fmt.Sprintf("mem%d-%d", run, i), live, p, qEnd, queryLen)
			if err != nil {
				return fmt.Errorf("%v: %w", p, err)
			}
			logger.Printf("run %d, %v: %+v", run+1, p, r)
			results[i] = append(results[i], r)
		}
	}
	return reportStoreMemory(w, d, sets, queryLen, live, points, results)
}

// measureStoreMemory starts a store gateway and its querier, puts the load p on it and returns
// what it cost; both stop before it returns.
func measureStoreMemory(ctx context.Context, c *loopback.Loopback, suffix string, live int, p memPoint, end time.Time, queryLen time.Duration) (memResult, error) {
	var res memResult
	store, querier, err := c.StartStoreAndQuerier(ctx, suffix, harness.StoreUnlimitedFlags)
	if store != nil {
		defer store.Proc.Stop()
	}
	if querier != nil {
		defer querier.Proc.Stop()
	}
	if err != nil {
		return res, err
	}
	if err := waitBlocksLoaded(ctx, []*loopback.Component{store}, live); err != nil {
		return res, err
	}
	api := &promapi.PromAPI{Addr: querier.Site.HTTPAddr}
	start := end.Add(-queryLen)
	// The lazy index-header reader maps a block's index-header on its first query: map them all,
	// so that the load's cost is its own.
	if _, err := rawQuery(ctx, api, `e2e_bench_requests_total{series="0"}`, start, end); err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}
	time.Sleep(2 * time.Second)
	before, err := storeRequestStats(ctx, store)
	if err != nil {
		return res, err
	}
	if res.base, _, err = store.Proc.Memory(); err != nil {
		return res, err
	}
	if p.days > 0 {
		start = end.Add(-time.Duration(p.days) * 24 * time.Hour)
	}
	if err := store.Proc.ResetPeakMemory(); err != nil {
		return res, err
	}
	errs := make(chan error, p.concurrent)
	var wg sync.WaitGroup
	for range p.concurrent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.selector == "" {
				errs <- seriesRequest(ctx, api, start, end)
				return
			}
			n, err := rawQuery(ctx, api, p.selector, start, end)
			if err == nil && n == 0 {
				err = fmt.Errorf("no series answered")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return res, err
		}
	}
	if _, res.peak, err = store.Proc.Memory(); err != nil {
		return res, err
	}
	after, err := storeRequestStats(ctx, store)
	if err != nil {
		return res, err
	}
	requests := after["count"] - before["count"]
	if requests != float64(p.concurrent) {
		return res, fmt.Errorf("the store gateway served %v Series requests, want %d", requests, p.concurrent)
	}
	res.chunks = (after["chunks"] - before["chunks"]) / requests
	res.series = (after["series"] - before["series"]) / requests
	res.touchedBytes = (after["bytes"] - before["bytes"]) / requests
	res.fetchedBytes = (after["fetched"] - before["fetched"]) / requests
	return res, nil
}

// storeRequestStats are a store gateway's totals over its Series requests so far: how many
// ("count"), the chunks and series they touched, and the bytes (index and chunks) they touched and
// fetched.
func storeRequestStats(ctx context.Context, store *loopback.Component) (map[string]float64, error) {
	stats := map[string]float64{}
	for key, m := range map[string]struct {
		name  string
		where map[string]string
	}{
		"count":   {"thanos_bucket_store_series_data_touched_count", map[string]string{"data_type": "series"}},
		"chunks":  {"thanos_bucket_store_series_data_touched_sum", map[string]string{"data_type": "chunks"}},
		"series":  {"thanos_bucket_store_series_data_touched_sum", map[string]string{"data_type": "series"}},
		"bytes":   {"thanos_bucket_store_series_data_size_touched_bytes_sum", nil},
		"fetched": {"thanos_bucket_store_series_data_size_fetched_bytes_sum", nil},
	} {
		v, _, err := promapi.MetricWhere(ctx, store.Site.HTTPAddr, m.name, m.where)
		if err != nil {
			return nil, err
		}
		stats[key] = v
	}
	return stats, nil
}

// rawQuery asks for every sample selector selects over [start, end] at raw resolution, one Series
// request to the store gateway; it returns the number of series answered.
func rawQuery(ctx context.Context, api *promapi.PromAPI, selector string, start, end time.Time) (int, error) {
	q := fmt.Sprintf(`count_over_time(%s[%ds])`, selector, int(end.Sub(start).Seconds()))
	r, err := api.Query(ctx, q, end, promapi.Params("partial_response", "false", "max_source_resolution", "0s"))
	return len(r.Series), err
}

// seriesRequest lists every series of the data set over [start, end]: a Series request that loads
// the series but no chunks.
func seriesRequest(ctx context.Context, api *promapi.PromAPI, start, end time.Time) error {
	v := url.Values{"match[]": {`{__name__=~"e2e_bench_.+"}`}, "start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix(), 10)}}
	var series []map[string]string
	if err := api.Get(ctx, "/api/v1/series?"+v.Encode(), &series); err != nil {
		return err
	}
	if len(series) == 0 {
		return fmt.Errorf("/api/v1/series answered no series")
	}
	return nil
}

func reportStoreMemory(w io.Writer, d *loopback.Generated, sets []replicaData, queryLen time.Duration, live int, points []memPoint, results [][]memResult) error {
	limit, err := resource.ParseQuantity(d.Config.Store.Resources.MemoryLimit)
	if err != nil {
		return fmt.Errorf("the %s stack's store memory limit %q: %w", loopback.StackName, d.Config.Store.Resources.MemoryLimit, err)
	}
	mib := func(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }
	data := sets[0].data
	fmt.Fprintf(w, "\nData set: the query benchmark's, %d replicas × %d series at %v over %.0f days, after the compactor's first iteration (%d live blocks); each request reads %.0f days at raw resolution\n",
		len(sets), data.SeriesCount(), data.Step, data.End.Sub(data.Start).Hours()/24, live, queryLen.Hours()/24)
	lim := d.Config.Store.Settings.Limits
	fmt.Fprintf(w, "Store gateway: the %s stack's flags, its per-request limits lifted (they are %d series, %d samples (%d chunks), %d bytes); memory limit %s, index cache %s, %d concurrent requests\n",
		loopback.StackName, lim.Series, lim.Samples, lim.Samples/120, lim.DownloadedBytes, d.Config.Store.Resources.MemoryLimit, d.Config.Store.Settings.IndexCacheSize, d.Config.Store.Settings.MaxConcurrentRequests)
	fmt.Fprintf(w, "Runs: %d, a fresh store gateway per load and run; medians over runs\n\n", len(results[0]))
	fmt.Fprintf(w, "| Load | Chunks per request | Series per request | Bytes counted per request | Resident before | Peak | Growth | Growth per request | Growth per chunk | Growth per byte counted | Peak, per run |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, p := range points {
		rs := results[i]
		pick := func(f func(memResult) int64) float64 {
			var xs []int64
			for _, r := range rs {
				xs = append(xs, f(r))
			}
			return float64(medianInt(xs))
		}
		chunks := pick(func(r memResult) int64 { return int64(r.chunks) })
		growth := pick(memResult.growth)
		perChunk, perByte := "–", "–"
		counted := pick(memResult.countedBytes)
		if counted > 0 && p.selector != "" {
			perByte = fmt.Sprintf("%.2f", growth/float64(p.concurrent)/counted)
		}
		if chunks > 0 {
			perChunk = fmt.Sprintf("%.0f B", growth/float64(p.concurrent)/chunks)
		}
		var peaks []string
		for _, r := range rs {
			peaks = append(peaks, mib(float64(r.peak)))
		}
		fmt.Fprintf(w, "| %v | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n", p, chunks,
			pick(func(r memResult) int64 { return int64(r.series) }), mib(counted),
			mib(pick(func(r memResult) int64 { return r.base })), mib(pick(func(r memResult) int64 { return r.peak })),
			mib(growth), mib(growth/float64(p.concurrent)), perChunk, perByte, strings.Join(peaks, ", "))
	}
	fmt.Fprintf(w, "\nThe memory limit is %s (%d bytes); the index cache may add up to %s in a long-running pod.\n", d.Config.Store.Resources.MemoryLimit, limit.Value(), d.Config.Store.Settings.IndexCacheSize)
	return nil
}
