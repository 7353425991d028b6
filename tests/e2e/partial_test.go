//go:build e2e

package e2e

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// partialResponses: the querier's and the query-frontend's partial responses, as the program
// generates them (--query.partial-response, --query-range.partial-response; docs/operations.md,
// "Partial responses"). The chunks object of one backfilled block is removed from the bucket, so both store
// gateways, which have the block loaded, fail every request that reads it:
//   - the querier answers a day over the block from the other StoreAPIs, without an error, with
//     the store gateways' failure as a warning; asked partial_response=false, it fails with it;
//   - through the query-frontend, a range of three days over the block answers the days the store
//     gateways can serve, with the warning, and does not cache the day they cannot: with the object
//     back, the same query answers exactly as the querier does.
func (e *e2eRun) partialResponses(t *testing.T) {
	ctx, c := e.ctx, e.c
	if len(e.c.QueryFrontends) == 0 {
		t.Fatalf("stack %s runs no query-frontend", loopback.StackName)
	}
	// A raw block of the backfilled window, a week in.
	at := e.windowStart.Add(7*24*time.Hour + time.Hour)
	blocks, err := c.MinIO.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var broken *harness.Block
	for _, b := range blocks {
		if b.Meta.Thanos.Source != "sidecar" && b.Meta.Thanos.Downsample.Resolution == 0 && b.Meta.MinTime <= at.UnixMilli() && at.UnixMilli() < b.Meta.MaxTime {
			broken = b
		}
	}
	if broken == nil {
		t.Fatalf("no backfilled raw block covers %s", at)
	}
	object := broken.Meta.ULID + "/chunks/000001"
	data, err := c.MinIO.Get(ctx, object)
	if err != nil {
		t.Fatal(err)
	}
	kms, err := encrypt.NewSSEKMS(c.MinIO.S3.KMSKeyName, nil)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	restore := func() {
		once.Do(func() {
			// As Thanos uploads it: SSE-KMS under the configured key.
			if _, err := c.MinIO.Client.PutObject(ctx, c.MinIO.S3.Bucket, object, bytes.NewReader(data), int64(len(data)),
				minio.PutObjectOptions{ServerSideEncryption: kms}); err != nil {
				t.Errorf("restore %s: %v", object, err)
			}
		})
	}
	if err := c.MinIO.Client.RemoveObject(ctx, c.MinIO.S3.Bucket, object, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(restore) // the later steps read the block
	t.Logf("removed %s (%d bytes) of the block [%s, %s)", object, len(data),
		time.UnixMilli(broken.Meta.MinTime).UTC().Format(time.RFC3339), time.UnixMilli(broken.Meta.MaxTime).UTC().Format(time.RFC3339))

	raw := promapi.Params("max_source_resolution", "0s")
	day := `e2e_minute_of_hour[1d]`
	dayEnd := at.Add(12 * time.Hour)
	answer, err := e.query.Query(ctx, day, dayEnd, raw)
	if err != nil {
		t.Fatalf("a day over the broken block, the querier's default: %v; want an answer with a warning", err)
	}
	if len(answer.Warnings) == 0 {
		t.Fatalf("a day over the broken block, the querier's default: %d points and no warning; want the store gateways' failure as a warning", points(answer.Series))
	}
	if n, all := points(answer.Series), e.old.SeriesCount()*1440; n >= all {
		t.Errorf("a day over the broken block: %d points, all %d of the day; want part of them", n, all)
	}
	t.Logf("a day over the broken block, the querier's default: %d points, warnings %q", points(answer.Series), answer.Warnings)
	_, err = e.query.Query(ctx, day, dayEnd, promapi.Params("max_source_resolution", "0s", "partial_response", "false"))
	if err == nil {
		t.Fatal("a day over the broken block with partial_response=false: an answer, want the store gateways' failure")
	}
	t.Logf("with partial_response=false: %v", err)

	// Through the query-frontend: three days, split by day, the broken block in the second. A query
	// text no earlier step asked, so nothing comes from the cache but what this step put there.
	frontend := &promapi.PromAPI{Addr: c.QueryFrontends[0].Site.HTTPAddr}
	const step = time.Hour
	query := `e2e_minute_of_hour * 1`
	start := at.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	end := start.Add(3 * 24 * time.Hour)
	part, err := frontend.QueryRange(ctx, query, start, end, step, raw)
	if err != nil {
		t.Fatalf("three days through the query-frontend: %v; want an answer with a warning", err)
	}
	restore()
	whole, err := e.query.QueryRange(ctx, query, start, end, step, raw)
	if err != nil || len(whole.Warnings) > 0 {
		t.Fatalf("three days with the object back, the querier: warnings %q, %v", whole.Warnings, err)
	}
	t.Logf("three days through the query-frontend: %d of %d points, warnings %q", points(part.Series), points(whole.Series), part.Warnings)
	if len(part.Warnings) == 0 || points(part.Series) == 0 || points(part.Series) >= points(whole.Series) {
		t.Errorf("three days through the query-frontend, the block broken: %d of %d points, warnings %q; want the days it can serve and a warning",
			points(part.Series), points(whole.Series), part.Warnings)
	}
	again, err := frontend.QueryRange(ctx, query, start, end, step, raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := promapi.DiffSeries(whole.Series, again.Series); diff != "" || len(again.Warnings) > 0 {
		t.Errorf("three days through the query-frontend with the object back (warnings %q) differ from the querier's answer: %s; the partial day was served from the cache", again.Warnings, diff)
	}
}
