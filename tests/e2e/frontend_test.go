//go:build e2e

package e2e

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// The results cache's counters (Thanos's embedded Cortex cache, internal/cortex/chunk/cache:
// instrumented.go), summed over the frontend's caches.
const (
	cacheFetchedKeys = "cortex_cache_fetched_keys_total"
	cacheHits        = "cortex_cache_hits_total"
)

// componentMetric reads a metric from a component's /metrics; a missing one fails the test.
func componentMetric(t *testing.T, ctx context.Context, c *loopback.Component, name string) float64 {
	t.Helper()
	v, found, err := promapi.Metric(ctx, c.Site.HTTPAddr, name)
	if err != nil || !found {
		t.Fatalf("%s on %s: found %v, %v", name, c.Name, found, err)
	}
	return v
}

// frontendCaches: a 30-day range query through the query-frontend answers exactly what the
// querier answers; repeated, every one of its split day-queries is served from the results cache.
func (e *e2eRun) frontendCaches(t *testing.T) {
	ctx := e.ctx
	if len(e.c.QueryFrontends) == 0 {
		t.Fatalf("stack %s runs no query-frontend", loopback.StackName)
	}
	frontend := e.c.QueryFrontends[0]
	api := &promapi.PromAPI{Addr: frontend.Site.HTTPAddr}
	// Hour-aligned, so that the frontend's alignment to the step changes nothing, and ended long
	// ago, so that every split query is cacheable (the newest minute never is).
	const step = time.Hour
	end := e.windowEnd.Truncate(step)
	start := end.Add(-30 * 24 * time.Hour)
	query := `e2e_minute_of_hour`

	direct, err := e.query.QueryRange(ctx, query, start, end, step, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(direct.Series) != e.old.SeriesCount() {
		t.Fatalf("the querier answers %d series over the window, want %d", len(direct.Series), e.old.SeriesCount())
	}
	metric := func(name string) float64 { return componentMetric(t, ctx, frontend, name) }
	fetched0, hits0 := metric(cacheFetchedKeys), metric(cacheHits)
	cold, err := api.QueryRange(ctx, query, start, end, step, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := promapi.DiffSeries(direct.Series, cold.Series); diff != "" {
		t.Fatalf("the query-frontend's answer differs from the querier's: %s", diff)
	}
	fetched1, hits1 := metric(cacheFetchedKeys), metric(cacheHits)
	cached, err := api.QueryRange(ctx, query, start, end, step, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := promapi.DiffSeries(direct.Series, cached.Series); diff != "" {
		t.Fatalf("the cached answer differs from the querier's: %s", diff)
	}
	fetched2, hits2 := metric(cacheFetchedKeys), metric(cacheHits)
	t.Logf("30-day range, step %v: cold %v keys fetched, %v hits; repeated %v keys fetched, %v hits",
		step, fetched1-fetched0, hits1-hits0, fetched2-fetched1, hits2-hits1)
	// Split by day: 30 days are 30 or 31 day-queries, each one cache key.
	if keys := fetched2 - fetched1; keys < 30 {
		t.Errorf("the repeated query looked up %v cache keys, want one per day (30 or more)", keys)
	}
	if hits := hits2 - hits1; hits != fetched2-fetched1 {
		t.Errorf("the repeated query hit the cache %v times of %v lookups: not served from the cache", hits, fetched2-fetched1)
	}
	if hits1 != hits0 {
		t.Errorf("the first query hit the cache %v times: the cache was not cold", hits1-hits0)
	}
}

// frontendKeysDashboardQueriesByResolution: the query-frontend keys a query without
// max_source_resolution (which the querier auto-downsamples) as raw, so an explicitly raw query hits
// the entries frontendCaches left; a query with the Grafana datasource's parameters
// (chart.ThanosDatasourceQueryParameters) answers as the querier does with them and is cached
// apart: it misses those entries, then hits its own.
func (e *e2eRun) frontendKeysDashboardQueriesByResolution(t *testing.T) {
	ctx := e.ctx
	frontend := e.c.QueryFrontends[0]
	api := &promapi.PromAPI{Addr: frontend.Site.HTTPAddr}
	datasource, err := url.ParseQuery(chart.ThanosDatasourceQueryParameters)
	if err != nil {
		t.Fatalf("the datasource's query parameters %q: %v", chart.ThanosDatasourceQueryParameters, err)
	}
	// frontendCaches' query and step, over the part of its range that has data from its first
	// step on: an auto-downsampled answer that starts later would make the query-frontend ask the
	// rest again at 5m and 1h (pkg/queryfrontend/downsampled.go), looking up more keys.
	const step = time.Hour
	end := e.windowEnd.Truncate(step)
	start := e.windowStart.Truncate(step).Add(step)
	query := `e2e_minute_of_hour`
	metric := func(name string) float64 { return componentMetric(t, ctx, frontend, name) }
	for i, q := range []struct {
		name   string
		params url.Values
		hit    bool
	}{
		{"max_source_resolution=0s", promapi.Params("max_source_resolution", "0s"), true},
		{chart.ThanosDatasourceQueryParameters, datasource, false},
		{chart.ThanosDatasourceQueryParameters + ", repeated", datasource, true},
	} {
		direct, err := e.query.QueryRange(ctx, query, start, end, step, q.params)
		if err != nil {
			t.Fatal(err)
		}
		fetched0, hits0 := metric(cacheFetchedKeys), metric(cacheHits)
		r, err := api.QueryRange(ctx, query, start, end, step, q.params)
		if err != nil {
			t.Fatal(err)
		}
		fetched, hits := metric(cacheFetchedKeys)-fetched0, metric(cacheHits)-hits0
		t.Logf("query %d, %s: %v keys fetched, %v hits", i+1, q.name, fetched, hits)
		if diff := promapi.DiffSeries(direct.Series, r.Series); diff != "" {
			t.Fatalf("%s: the query-frontend's answer differs from the querier's: %s", q.name, diff)
		}
		// 13 days or more of the 14-day window, one key a day.
		if want := map[bool]float64{true: fetched, false: 0}[q.hit]; fetched < 13 || hits != want {
			t.Errorf("%s: %v hits of %v cache keys, want %v", q.name, hits, fetched, want)
		}
	}
}

// storeLimits: a query over a store gateway's per-request limit fails with Thanos's limit error,
// and the store gateway keeps serving the queries within it. The store gateway runs the generated
// flags with a small samples limit (harness.StoreLimitFlags), behind a querier of its own.
func (e *e2eRun) storeLimits(t *testing.T) {
	ctx := e.ctx
	store, querier, err := e.c.StartLimitedStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := &promapi.PromAPI{Addr: querier.Site.HTTPAddr}
	raw := promapi.Params("max_source_resolution", "0s")
	oneDay := func() {
		t.Helper()
		r, err := api.Query(ctx, `e2e_minute_of_hour[1d]`, e.windowStart.Add(7*24*time.Hour+30*time.Minute), raw)
		if err != nil {
			t.Fatalf("one day, within the limit: %v", err)
		}
		if len(r.Series) != e.old.SeriesCount() {
			t.Fatalf("one day, within the limit: %d series, want %d", len(r.Series), e.old.SeriesCount())
		}
	}
	oneDay()
	// Without partial responses the query fails with the limit error; with them (the querier's
	// generated --query.partial-response, Thanos's default) it answers what the other StoreAPIs
	// have, with the limit error as a warning.
	fourteenDays := `e2e_minute_of_hour[14d]`
	_, err = api.Query(ctx, fourteenDays, e.windowEnd, promapi.Params("max_source_resolution", "0s", "partial_response", "false"))
	if err == nil || !strings.Contains(err.Error(), "exceeded") || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("14 days over the samples limit %s: error %v, want Thanos's limit error", harness.TestStoreSamplesLimit, err)
	}
	t.Logf("over the limit: %v", err)
	partial, err := api.Query(ctx, fourteenDays, e.windowEnd, raw)
	if err != nil || !slices.ContainsFunc(partial.Warnings, func(w string) bool { return strings.Contains(w, "exceeded") }) {
		t.Fatalf("14 days with partial responses: warnings %q, error %v; want the limit error as a warning", partial.Warnings, err)
	}
	if exited, err := store.Proc.Exited(); exited {
		t.Fatalf("the store gateway exited: %v\n%s", err, store.Proc.Tail(20))
	}
	oneDay()
	refused, _, err := promapi.Metric(ctx, store.Site.HTTPAddr, "thanos_bucket_store_queries_dropped_total")
	if err != nil || refused < 1 {
		t.Errorf("the store gateway counted %v refused requests (thanos_bucket_store_queries_dropped_total), %v", refused, err)
	}
}
