//go:build e2e

package e2e

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// The store gateway's files under its --data-dir (Thanos v0.42.4): <block>/index-header, built from
// the block's index in the bucket when the store gateway loads the block
// (pkg/block/indexheader.NewLazyBinaryReader, with the default eager download strategy: the lazy
// reader maps the file only when a query needs it, but writes it at load), and
// meta-syncer/<block>/meta.json, the meta fetcher's cache (pkg/block/fetcher.go).
const (
	indexHeaderFile = "index-header"
	metaSyncerDir   = "meta-syncer"
)

// pageBytes is a file's size rounded up to whole 4KiB pages, what it takes of a tmpfs (and about
// what it takes of a block device's filesystem).
func pageBytes(size int64) int64 { return (size + 4095) / 4096 * 4096 }

// storeDisk is what a store gateway's --data-dir holds.
type storeDisk struct {
	// headers and metas are the index-header and cached meta.json sizes by block ULID.
	headers, metas map[string]int64
	// total is every file's size.
	total int64
}

func readStoreDisk(dir string) (storeDisk, error) {
	d := storeDisk{headers: map[string]int64{}, metas: map[string]int64{}}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		d.total += info.Size()
		rel, _ := filepath.Rel(dir, path)
		parts := strings.Split(rel, string(filepath.Separator))
		switch {
		case len(parts) == 2 && parts[1] == indexHeaderFile:
			d.headers[parts[0]] = info.Size()
		case len(parts) == 3 && parts[0] == metaSyncerDir && parts[2] == "meta.json":
			d.metas[parts[1]] = info.Size()
		}
		return nil
	})
	return d, err
}

// storeIndexHeaders: a store gateway keeps one index-header per block it serves under its
// --data-dir (as many files as thanos_bucket_store_blocks_loaded counts, each of a block in the
// bucket, each smaller than the block's index), the disk docs/operations.md sizes a store gateway's
// volume by. It logs each kind of block's index-header against its series: the figures of that page.
func (e *e2eRun) storeIndexHeaders(t *testing.T) {
	ctx, c := e.ctx, e.c
	store := c.Stores[0]
	dir := loopback.FlagValue(store.Args, "data-dir")
	var disk storeDisk
	harness.WaitFor(ctx, t, time.Minute, store.Name+"'s index-headers, one per loaded block", func() (bool, string) {
		loaded, _, err := promapi.Metric(ctx, store.Site.HTTPAddr, "thanos_bucket_store_blocks_loaded")
		if err != nil {
			return false, err.Error()
		}
		if disk, err = readStoreDisk(dir); err != nil {
			return false, err.Error()
		}
		again, _, err := promapi.Metric(ctx, store.Site.HTTPAddr, "thanos_bucket_store_blocks_loaded")
		if err != nil {
			return false, err.Error()
		}
		return loaded == again && int(loaded) == len(disk.headers), fmt.Sprintf("%v blocks loaded, %d index-headers in %s", loaded, len(disk.headers), dir)
	})
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id                  string
		series, header, idx int64
		span                time.Duration
	}
	kinds := map[string][]row{}
	for id, size := range disk.headers {
		b := blocks[id]
		if b == nil {
			t.Errorf("%s holds the index-header of %s, a block the bucket does not have", dir, id)
			continue
		}
		r := row{id: id, series: int64(b.Meta.Stats.NumSeries), header: size, idx: b.Files["index"], span: time.Duration(b.Meta.MaxTime-b.Meta.MinTime) * time.Millisecond}
		if r.header >= r.idx {
			t.Errorf("block %s: index-header %d bytes, not smaller than its index (%d bytes)", id, r.header, r.idx)
		}
		kind := b.Meta.Thanos.Source // "sidecar", or the backfill's "bucket.upload"
		kinds[kind] = append(kinds[kind], r)
	}
	var metas int64
	for _, size := range disk.metas {
		metas += pageBytes(size)
	}
	t.Logf("%s: %d index-headers, %d cached meta.json (%d bytes in 4KiB pages), %d bytes in all files", dir, len(disk.headers), len(disk.metas), metas, disk.total)
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		rows := kinds[kind]
		sort.Slice(rows, func(i, j int) bool { return rows[i].series < rows[j].series })
		var headers, series, idx int64
		for _, r := range rows {
			headers += r.header
			series += r.series
			idx += r.idx
		}
		mid := rows[len(rows)/2]
		t.Logf("blocks from %s: %d, spans %v to %v; series %d to %d; index-header %d to %d bytes (median block: %d series, %d bytes, %.1f bytes a series); index-headers are %.1f%% of their indexes' %d bytes",
			kind, len(rows), minSpan(rows, func(r row) time.Duration { return r.span }), maxSpan(rows, func(r row) time.Duration { return r.span }),
			rows[0].series, rows[len(rows)-1].series, minOf(rows, func(r row) int64 { return r.header }), maxOf(rows, func(r row) int64 { return r.header }),
			mid.series, mid.header, float64(mid.header)/float64(max(mid.series, 1)), 100*float64(headers)/float64(idx), idx)
	}
}

func minOf[T any](rows []T, f func(T) int64) int64 {
	m := f(rows[0])
	for _, r := range rows {
		m = min(m, f(r))
	}
	return m
}

func maxOf[T any](rows []T, f func(T) int64) int64 {
	m := f(rows[0])
	for _, r := range rows {
		m = max(m, f(r))
	}
	return m
}

func minSpan[T any](rows []T, f func(T) time.Duration) time.Duration {
	return time.Duration(minOf(rows, func(r T) int64 { return int64(f(r)) }))
}

func maxSpan[T any](rows []T, f func(T) time.Duration) time.Duration {
	return time.Duration(maxOf(rows, func(r T) int64 { return int64(f(r)) }))
}

// storeDiskFull: a store gateway whose volume is full, the failure ThanosStoreBlockLoadsFailing is
// for. One more store gateway runs the generated flags with its --data-dir on a tmpfs that holds
// the cached meta.json of every block and about half the index-headers (sized from the first
// store gateway's files), behind a querier of its own. It becomes ready with part of the blocks
// loaded, fails to load the others ("no space left on device") at every sync, counting them in
// thanos_bucket_store_block_load_failures_total (the counter the alert reads), and stays ready; its
// querier answers the backfilled window with part of its points, without an error or a warning.
func (e *e2eRun) storeDiskFull(t *testing.T) {
	ctx, c := e.ctx, e.c
	disk, err := readStoreDisk(loopback.FlagValue(c.Stores[0].Args, "data-dir"))
	if err != nil {
		t.Fatal(err)
	}
	var metas, headers int64
	for _, size := range disk.metas {
		metas += pageBytes(size)
	}
	for _, size := range disk.headers {
		headers += pageBytes(size)
	}
	size := pageBytes(metas + headers/2)
	t.Logf("%s holds %d index-headers (%d bytes in pages) and %d cached meta.json (%d bytes): the full store gateway's tmpfs gets %d bytes",
		c.Stores[0].Name, len(disk.headers), headers, len(disk.metas), metas, size)
	store, querier, err := c.StartStoreOnTmpfs(ctx, "full", size)
	if err != nil {
		t.Fatal(err)
	}
	metric := func(name string, where map[string]string) float64 {
		v, found, err := promapi.MetricWhere(ctx, store.Site.HTTPAddr, name, where)
		if err != nil || !found {
			t.Fatalf("%s%v on %s: found %v, %v", name, where, store.Name, found, err)
		}
		return v
	}
	const failures = "thanos_bucket_store_block_load_failures_total"
	first := metric(failures, nil)
	// Two syncs later (harness.TestStoreSyncInterval), more failed loads: they are retried, and
	// fail again, at every sync.
	sync := mustDuration(t, harness.TestStoreSyncInterval)
	sleep(ctx, 2*sync+2*time.Second)
	second := metric(failures, nil)
	loaded, synced := metric("thanos_bucket_store_blocks_loaded", nil), metric("thanos_blocks_meta_synced", map[string]string{"state": "loaded"})
	t.Logf("%s: %v of the %v blocks its sync kept are loaded; %s %v, %v two syncs later", store.Name, loaded, synced, failures, first, second)
	if first < 1 || second <= first {
		t.Errorf("%s: %s went from %v to %v over two syncs, want failed loads at every sync", store.Name, failures, first, second)
	}
	if loaded < 1 || loaded >= synced {
		t.Errorf("%s loaded %v of %v blocks, want part of them", store.Name, loaded, synced)
	}
	if log, err := os.ReadFile(store.Proc.LogPath); err != nil || !strings.Contains(string(log), "no space left on device") {
		t.Errorf("%s's log does not say \"no space left on device\" (%v):\n%s", store.Name, err, store.Proc.Tail(20))
	}
	if err := store.Proc.WaitReady(ctx, 5*time.Second); err != nil {
		t.Errorf("the full store gateway is not ready: %v", err)
	}
	// Its querier's answer over the backfilled window: part of the points, and nothing to say so.
	const step = time.Hour
	start, end := e.windowStart.Truncate(step).Add(step), e.windowEnd.Truncate(step)
	raw := promapi.Params("max_source_resolution", "0s")
	full, err := e.query.QueryRange(ctx, `e2e_minute_of_hour`, start, end, step, raw)
	if err != nil {
		t.Fatal(err)
	}
	api := &promapi.PromAPI{Addr: querier.Site.HTTPAddr}
	partial, err := api.QueryRange(ctx, `e2e_minute_of_hour`, start, end, step, raw)
	if err != nil {
		t.Fatalf("the full store gateway's querier: %v", err)
	}
	t.Logf("over the window, the full store gateway's querier answers %d points, the stack's querier %d; warnings %q",
		points(partial.Series), points(full.Series), partial.Warnings)
	if n := points(partial.Series); n == 0 || n >= points(full.Series) {
		t.Errorf("the full store gateway's querier answers %d of the window's %d points, want part of them", n, points(full.Series))
	}
	if len(partial.Warnings) > 0 {
		t.Errorf("the full store gateway's querier warns %q: the test expects no warning, as Thanos gives none for a block it did not load", partial.Warnings)
	}
	store.Proc.Stop()
	querier.Proc.Stop()
}

// points counts the samples of every series.
func points(series []promapi.Series) int {
	n := 0
	for _, s := range series {
		n += len(s.Samples)
	}
	return n
}
