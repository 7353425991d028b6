//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// compactorDeduplicates: a compactor with deduplication on (the flags the program adds for
// compactorDeduplication, harness.CompactDedupFlags) merges the blocks both replicas' sidecars
// uploaded, each under its own replica label, into blocks without it; those blocks alone answer
// the series the querier's deduplication of the replicas' blocks answers, scrape for scrape, each
// sample one a replica recorded.
func (e *e2eRun) compactorDeduplicates(t *testing.T) {
	ctx, c, query, lts := e.ctx, e.c, e.query, e.lts
	replicaLabel := e.d.Prometheus.ReplicaLabel
	if lts.series == nil {
		t.Fatal("nothing was captured from the replicas' uploads")
	}
	// Query-time deduplication, before: both replicas are stopped, the store gateways answer from
	// the blocks each replica uploaded.
	before, err := query.Query(ctx, lts.query, lts.at, promapi.Params("dedup", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(lts.series) / len(c.Replicas); len(before.Series) != want {
		t.Fatalf("query-time deduplication: %d series, want %d (one per replica pair)", len(before.Series), want)
	}
	all, err := c.MinIO.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uploaded := sidecarBlocks(all, c.Replicas)

	if err := c.StartDedupCompactor(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", c.Compactor.Name, strings.Join(procs.QuoteArgs(c.Compactor.Args), " "))
	if err := c.Compactor.WaitIteration(ctx, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mergedLabels := maps.Clone(c.Replicas[0].Labels())
	delete(mergedLabels, replicaLabel)
	checkReplicasMerged(t, blocks, uploaded, mergedLabels, lts)

	// The merged blocks alone: the store gateways still serve the replicas' own blocks until
	// --ignore-deletion-marks-delay has passed, so the query selects the series without a replica
	// label, and does not deduplicate.
	merged := strings.Replace(lts.query, "{", fmt.Sprintf(`{%s="",`, replicaLabel), 1)
	var diff string
	harness.WaitFor(ctx, t, time.Minute, "the merged blocks' series", func() (bool, string) {
		after, err := query.Query(ctx, merged, lts.at, promapi.Params("dedup", "false"))
		if err != nil {
			return false, err.Error()
		}
		diff = diffDeduplicated(before.Series, after.Series, lts.series, replicaLabel, e.interval)
		return diff == "", diff
	})
	samples := 0
	for _, s := range before.Series {
		samples += len(s.Samples)
	}
	t.Logf("%d series over [%s, %s): the merged blocks answer the series the querier's deduplication of %d replicas' %d samples answers (%d samples), scrape for scrape",
		len(before.Series), lts.from.Format("15:04:05"), lts.to.Format("15:04:05"), len(c.Replicas), lts.samples, samples)
}

// diffDeduplicated compares the merged blocks' series with the querier's deduplication of the
// replicas' (both without the replica label) and returns the differences, "" if none. Both pick,
// scrape by scrape, one replica's sample with the penalty algorithm, but not necessarily the same
// replica's: the compactor runs it per block and per set of overlapping chunks, the querier over
// the whole range. So they must have the same series; every merged sample must be one a replica
// recorded (timestamp and value); and each answer must have a sample within one scrape interval
// of every sample of the other (the same scrapes, none lost, none added).
func diffDeduplicated(querier, merged, replicas []promapi.Series, replicaLabel string, interval time.Duration) string {
	recorded := map[string]map[promapi.Sample]bool{}
	for _, s := range replicas {
		key := s.Key(replicaLabel)
		if recorded[key] == nil {
			recorded[key] = map[promapi.Sample]bool{}
		}
		for _, p := range s.Samples {
			recorded[key][p] = true
		}
	}
	byKey := map[string]promapi.Series{}
	for _, s := range merged {
		byKey[s.Key()] = s
	}
	var diffs []string
	if len(merged) != len(querier) {
		diffs = append(diffs, fmt.Sprintf("%d series, the querier's deduplication %d", len(merged), len(querier)))
	}
	for _, q := range querier {
		m, ok := byKey[q.Key()]
		if !ok {
			diffs = append(diffs, q.Key()+": missing")
			continue
		}
		for _, p := range m.Samples {
			if !recorded[q.Key()][p] {
				diffs = append(diffs, fmt.Sprintf("%s: sample %v is none a replica recorded", q.Key(), p))
				break
			}
		}
		if t, ok := uncovered(q.Samples, m.Samples, interval); !ok {
			diffs = append(diffs, fmt.Sprintf("%s: the querier's sample at %d has no merged sample within %v", q.Key(), t, interval))
		}
		if t, ok := uncovered(m.Samples, q.Samples, interval); !ok {
			diffs = append(diffs, fmt.Sprintf("%s: the merged sample at %d has none of the querier's within %v", q.Key(), t, interval))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}

// uncovered returns the timestamp of the first sample of a with no sample of b closer than d
// (both in time order), and false; or 0 and true if every sample of a has one.
func uncovered(a, b []promapi.Sample, d time.Duration) (int64, bool) {
	j := 0
	for _, p := range a {
		for j < len(b) && b[j].T <= p.T-d.Milliseconds() {
			j++
		}
		if j == len(b) || b[j].T >= p.T+d.Milliseconds() {
			return p.T, false
		}
	}
	return 0, true
}

// checkReplicasMerged checks that every block a replica uploaded over the captured range, where
// all replicas' blocks overlap, is a source of a block the compactor made with the replicas'
// labels less the replica label, from blocks of every replica, and is marked for deletion.
func checkReplicasMerged(t *testing.T, blocks map[string]*harness.Block, uploaded map[string][]*harness.Block, mergedLabels map[string]string, lts ltsCapture) {
	t.Helper()
	replicaOf := map[string]string{}
	uploadedBlock := map[string]*harness.Block{}
	for pod, bs := range uploaded {
		for _, b := range bs {
			replicaOf[b.Meta.ULID] = pod
			uploadedBlock[b.Meta.ULID] = b
		}
	}
	mergedInto := map[string]string{}
	for _, b := range harness.SortedBlocks(blocks, func(b *harness.Block) bool {
		return b.Meta.Thanos.Source == "compactor" && b.Meta.Thanos.Downsample.Resolution == 0 && maps.Equal(b.Meta.Thanos.Labels, mergedLabels)
	}) {
		from := map[string]int{}
		var sourceSamples uint64
		var sourceBytes int64
		for _, source := range b.Meta.Compaction.Sources {
			if pod, ok := replicaOf[source]; ok {
				from[pod]++
				mergedInto[source] = b.Meta.ULID
				sourceSamples += uploadedBlock[source].Meta.Stats.NumSamples
				sourceBytes += uploadedBlock[source].Bytes()
			}
		}
		if len(from) == 0 {
			continue
		}
		t.Logf("merged block %s [%s, %s), level %d: %d samples, %d bytes, from %v blocks by replica with %d samples, %d bytes", b.Meta.ULID,
			time.UnixMilli(b.Meta.MinTime).Format("15:04:05"), time.UnixMilli(b.Meta.MaxTime).Format("15:04:05"),
			b.Meta.Compaction.Level, b.Meta.Stats.NumSamples, b.Bytes(), from, sourceSamples, sourceBytes)
		if len(from) != len(uploaded) {
			t.Errorf("merged block %s has sources from %d replicas, want all %d: %v", b.Meta.ULID, len(from), len(uploaded), from)
		}
	}
	pods := make([]string, 0, len(uploaded))
	for pod := range uploaded {
		pods = append(pods, pod)
	}
	sort.Strings(pods)
	for _, pod := range pods {
		n := 0
		for _, b := range uploaded[pod] {
			if b.Meta.MaxTime <= lts.from.UnixMilli() || b.Meta.MinTime >= lts.to.UnixMilli() {
				continue
			}
			n++
			into := mergedInto[b.Meta.ULID]
			if into == "" {
				t.Errorf("%s's block %s [%s, %s) is a source of no merged block", pod, b.Meta.ULID,
					time.UnixMilli(b.Meta.MinTime).Format("15:04:05"), time.UnixMilli(b.Meta.MaxTime).Format("15:04:05"))
				continue
			}
			if now, ok := blocks[b.Meta.ULID]; ok && !now.DeletionMarked {
				t.Errorf("%s's block %s was merged into %s but is not marked for deletion", pod, b.Meta.ULID, into)
			}
		}
		t.Logf("%s: %d uploaded blocks over the captured range", pod, n)
	}
}
