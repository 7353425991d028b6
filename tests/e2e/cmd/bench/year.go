//go:build e2e

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/e2e"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// yearSettings is the bucket-bytes benchmark's data set.
type yearSettings struct {
	days, series, replicas int
	interval               time.Duration
	cacheDir               string
	scenarios              []yearScenario
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

// yearResult is a scenario's bucket after the compactor's first iteration over the year.
type yearResult struct {
	blocks      int
	live        map[int64]int64 // bytes of the blocks not marked for deletion, by resolution
	all         int64           // every block's bytes, marked ones included
	uploaded    int64
	compactTime time.Duration
}

// yearBench uploads a year of every replica's blocks into a fresh bucket per scenario, lets the
// real compactor (as generated, or with deduplication) run its first iteration over it, and
// reports the bytes that remain: what a year of history costs under the stack's retention.
func yearBench(ctx context.Context, w io.Writer, tools harness.Tools, d *e2e.Deployment, ports *harness.Ports, site harness.S3Site, s yearSettings) error {
	if s.replicas < 1 || s.replicas > len(d.Prometheus.Pods) {
		return fmt.Errorf("-replicas %d: the %s stack runs %d Prometheus replicas", s.replicas, e2e.StackName, len(d.Prometheus.Pods))
	}
	// Aligned like the compactor's largest level, ending a day ago: the last blocks are complete.
	_, end := e2e.CompactionWindow(time.Now(), 24*time.Hour)
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
		r, err := yearRun(ctx, tools, d, ports, site, sets, sc)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		logger.Printf("year: %s: %+v", sc.name, r)
		results = append(results, r)
	}
	yearReport(w, sets, d.Config.CompactorRetention, s.scenarios, results)
	return nil
}

func yearRun(ctx context.Context, tools harness.Tools, d *e2e.Deployment, ports *harness.Ports, site harness.S3Site, sets []replicaData, sc yearScenario) (yearResult, error) {
	res := yearResult{live: map[int64]int64{}}
	dir, err := os.MkdirTemp("", "e2e-bench-year-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	c, procs, err := freshBucket(ctx, tools, d, ports, site, sets, dir)
	defer procs.StopAll()
	if err != nil {
		return res, err
	}
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		return res, err
	}
	for _, b := range blocks {
		res.uploaded += b.Bytes()
	}
	if sc.compactor {
		start := c.StartCompactor
		if sc.dedup {
			start = c.StartDedupCompactor
		}
		if res.compactTime, blocks, err = compactOnce(ctx, c, start, 6*time.Hour); err != nil {
			return res, err
		}
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

func yearReport(w io.Writer, sets []replicaData, retention components.CompactorRetention, scenarios []yearScenario, rs []yearResult) {
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
	fmt.Fprintf(w, "| Scenario | Live blocks | Live bytes | raw | 5m | 1h | All objects (marked ones awaiting --delete-delay) | Compactor's first iteration |\n|---|---|---|---|---|---|---|---|\n")
	for i, r := range rs {
		total := r.live[0] + r.live[300000] + r.live[3600000]
		took := "-"
		if r.compactTime > 0 {
			took = r.compactTime.Round(time.Second).String()
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", scenarios[i].name, r.blocks, mib(total),
			mib(r.live[0]), mib(r.live[300000]), mib(r.live[3600000]), mib(r.all), took)
	}
}
