//go:build e2e

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// yearSettings is the bucket-bytes benchmark's data set.
type yearSettings struct {
	days, series, replicas int
	interval               time.Duration
	cacheDir               string
	scenarios              []yearScenario
	// sliceDays: the compactor scenarios' blocks arrive sliceDays at a time, the compactor running
	// one iteration after each slice; 0: all at once, one iteration over the whole backlog.
	sliceDays int
}

// yearScenario is one way of keeping the year: how the bucket looks after it.
type yearScenario struct {
	key, name string
	// compactor: none, the generated one, or the generated one with compactorDeduplication's
	// flags (harness.CompactDedupFlags).
	compactor, dedup bool
}

var yearScenarios = []yearScenario{
	{key: "none", name: "no compactor: every replica's 2h blocks, kept forever"},
	{key: "compactor", name: "the compactor as generated (compaction, downsampling, retention)", compactor: true},
	{key: "dedup", name: "the compactor with compactorDeduplication", compactor: true, dedup: true},
}

// parseYearScenarios turns -year-scenarios' comma-separated keys into scenarios, in the order given.
func parseYearScenarios(list string) ([]yearScenario, error) {
	var out []yearScenario
	var keys []string
	for _, sc := range yearScenarios {
		keys = append(keys, sc.key)
	}
next:
	for _, key := range strings.Split(list, ",") {
		for _, sc := range yearScenarios {
			if sc.key == strings.TrimSpace(key) {
				out = append(out, sc)
				continue next
			}
		}
		return nil, fmt.Errorf("-year-scenarios: unknown scenario %q (allowed: %s)", key, strings.Join(keys, ", "))
	}
	return out, nil
}

// yearResult is a scenario's bucket once the year has arrived (and, with a compactor, been
// compacted slice by slice).
type yearResult struct {
	blocks int
	live   map[int64]int64 // bytes of the blocks not marked for deletion, by resolution
	all    int64           // every block's bytes, marked ones included
	// compactTime is the compactor's iterations' time, summed over slices.
	compactTime time.Duration
	slices      int
}

// yearBench uploads a year of every replica's blocks into a fresh bucket per scenario, lets the
// real compactor (as generated, or with deduplication) run its first iteration over it, and
// reports the bytes that remain: what a year of history costs under the stack's retention.
func yearBench(ctx context.Context, w io.Writer, tools toolenv.Tools, d *loopback.Generated, ports *procs.Ports, site harness.S3Site, s yearSettings) error {
	if s.replicas < 1 || s.replicas > len(d.Prometheus.Pods) {
		return fmt.Errorf("-replicas %d: the %s stack runs %d Prometheus replicas", s.replicas, loopback.StackName, len(d.Prometheus.Pods))
	}
	// Aligned like the compactor's largest level, ending a day ago: the last blocks are complete.
	_, end := loopback.CompactionWindow(time.Now(), 24*time.Hour)
	start := end.Add(-time.Duration(s.days) * 24 * time.Hour)
	var sets []replicaData
	for r := range s.replicas {
		data := dataset(start, end, s.series/2, s.series-s.series/2, s.interval, phase(r, s.interval))
		dir := filepath.Join(s.cacheDir, fmt.Sprintf("year-%s-%dd-%ds-%s-replica%d", start.Format("20060102"), s.days, s.series, s.interval, r))
		if err := generateBlocks(ctx, tools.Promtool, data, dir); err != nil {
			return err
		}
		sets = append(sets, replicaData{data: data, blocks: dir, labels: d.Prometheus.Pods[r].ExternalLabels()})
	}
	var results []yearResult
	for _, sc := range s.scenarios {
		logger.Printf("year: %s", sc.name)
		r, err := yearRun(ctx, tools, d, ports, site, sets, sc, s.sliceDays)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		logger.Printf("year: %s: %+v", sc.name, r)
		results = append(results, r)
	}
	yearReport(w, sets, d.Config.Compactor.Settings.Retention, s, results)
	return nil
}

// yearRun fills a fresh bucket with the year and, for a compactor scenario, runs the compactor:
// once over everything (sliceDays 0) or once after each slice of sliceDays arrives, as a compactor
// that keeps up sees the blocks. Between slices the blocks the compactor marked for deletion are
// deleted, by the real `thanos tools bucket cleanup` (the compactor's own cleaner, pkg/compact's
// BlocksCleaner): a slice later is days later, past the compactor's --delete-delay, after which it
// deletes them itself.
func yearRun(ctx context.Context, tools toolenv.Tools, d *loopback.Generated, ports *procs.Ports, site harness.S3Site, sets []replicaData, sc yearScenario, sliceDays int) (yearResult, error) {
	res := yearResult{live: map[int64]int64{}}
	dir, err := os.MkdirTemp("", "e2e-bench-year-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	c, processes, err := emptyBucket(ctx, tools, d, ports, site, dir)
	defer processes.StopAll()
	if err != nil {
		return res, err
	}
	start := c.StartCompactor
	if sc.dedup {
		start = c.StartDedupCompactor
	}
	data := sets[0].data
	slice := data.End.Sub(data.Start)
	if sc.compactor && sliceDays > 0 {
		slice = time.Duration(sliceDays) * 24 * time.Hour
	}
	// Slices are aligned like the compactor's levels: the data set starts on a 14-day boundary,
	// less the replica's phase.
	from := data.Start.Truncate(time.Hour)
	for ; from.Before(data.End); from = from.Add(slice) {
		if res.slices > 0 {
			// --consistency-delay as the compactor's (harness.Substitutions): the blocks are
			// minutes old, and the default 30m would skip them.
			if _, err := procs.Run(ctx, tools.Thanos, "tools", "bucket", "cleanup", "--objstore.config-file="+c.ObjstoreFile, "--delete-delay=0s", "--consistency-delay=0s"); err != nil {
				return res, fmt.Errorf("cleanup before the slice from %s: %w", from.Format(time.DateOnly), err)
			}
		}
		for _, set := range sets {
			if err := uploadSlice(ctx, c, set, from, from.Add(slice), filepath.Join(dir, "slice")); err != nil {
				return res, err
			}
		}
		res.slices++
		if !sc.compactor {
			continue
		}
		took, _, err := compactOnce(ctx, c, start, 6*time.Hour)
		if err != nil {
			return res, fmt.Errorf("the slice from %s: %w", from.Format(time.DateOnly), err)
		}
		c.Compactor.Proc.Stop()
		res.compactTime += took
		if res.slices%5 == 0 {
			logger.Printf("year: %s: %d slices, compactor %v so far", sc.key, res.slices, res.compactTime.Round(time.Second))
		}
	}
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		return res, err
	}
	for _, b := range blocks {
		res.all += b.Bytes()
		if !b.DeletionMarked {
			res.blocks++
			res.live[b.Meta.Thanos.Downsample.Resolution] += b.Bytes()
		}
	}
	return res, nil
}

// uploadSlice uploads the replica's blocks that start in [from, to), through a directory of hard
// links to them (workDir, emptied before and after).
func uploadSlice(ctx context.Context, c *loopback.Loopback, set replicaData, from, to time.Time, workDir string) error {
	if err := os.RemoveAll(workDir); err != nil {
		return err
	}
	defer os.RemoveAll(workDir)
	entries, err := os.ReadDir(set.blocks)
	if err != nil {
		return err
	}
	linked := 0
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(set.blocks, e.Name(), "meta.json"))
		if !e.IsDir() || os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		var meta harness.BlockMeta
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		if meta.MinTime < from.UnixMilli() || meta.MinTime >= to.UnixMilli() {
			continue
		}
		if err := linkTree(filepath.Join(set.blocks, e.Name()), filepath.Join(workDir, e.Name())); err != nil {
			return err
		}
		linked++
	}
	if linked == 0 {
		return fmt.Errorf("no block of %s starts in [%s, %s)", set.blocks, from.Format(time.DateTime), to.Format(time.DateTime))
	}
	return uploadBlocks(ctx, c, workDir, set.labels)
}

// linkTree recreates src's directories at dst and hard-links its files there.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(path, filepath.Join(dst, rel))
	})
}

func yearReport(w io.Writer, sets []replicaData, retention thanos.CompactorRetention, s yearSettings, rs []yearResult) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	data := sets[0].data
	var samples int64
	for _, set := range sets {
		samples += set.data.SampleCount()
	}
	fmt.Fprintf(w, "\nBucket bytes for %.0f days of history: %d replicas, each %d series (%d counters, %d gauges), one sample every %v, %s to %s (%.0f days), %d samples in all; retention raw %s, 5m %s, 1h %s\n\n",
		data.End.Sub(data.Start).Hours()/24, len(sets), data.SeriesCount(), len(data.Families[0].Series), len(data.Families[1].Series), data.Step,
		data.Start.Format("2006-01-02"), data.End.Format("2006-01-02"), data.End.Sub(data.Start).Hours()/24, samples,
		retention.Raw, retention.FiveMinutes, retention.OneHour)
	if s.sliceDays > 0 {
		fmt.Fprintf(w, "With a compactor, the blocks arrive %d days at a time, the compactor running one iteration after each slice; marked blocks are deleted before the next slice (`thanos tools bucket cleanup --delete-delay=0s`: the delete delay has passed)\n\n", s.sliceDays)
	} else {
		fmt.Fprintf(w, "With a compactor, the blocks arrive all at once: one compactor iteration over the whole backlog\n\n")
	}
	fmt.Fprintf(w, "| Scenario | Live blocks | Live bytes | raw | 5m | 1h | All objects (marked ones awaiting --delete-delay) | Compactor |\n|---|---|---|---|---|---|---|---|\n")
	for i, r := range rs {
		total := r.live[0] + r.live[300000] + r.live[3600000]
		took := "-"
		if r.compactTime > 0 {
			took = fmt.Sprintf("%v in %d iterations (one per slice)", r.compactTime.Round(time.Second), r.slices)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", s.scenarios[i].name, r.blocks, mib(total),
			mib(r.live[0]), mib(r.live[300000]), mib(r.live[3600000]), mib(r.all), took)
	}
}
