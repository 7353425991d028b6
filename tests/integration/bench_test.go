//go:build integration

package integration

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// BenchmarkPreview measures the wall time of `pulumi preview` of a new stack of the full program
// against the suite's control plane, next to the same engine's preview of an empty inline program
// (the floor: CLI start, engine, state backend, no provider). Run it alone, on an empty cluster:
//
//	go test -tags integration -run '^$' -bench Preview -benchtime 5x -count 1 ./tests/integration/
//
// Each sub-benchmark reports ns/op (the mean) and median-s (the median of its b.N previews).
func BenchmarkPreview(b *testing.B) {
	ctx := context.Background()
	full := suite.Pulumi.MustStack(ctx, b, program.ProjectName, "bench", program.Run)
	harness.MustSetConfig(ctx, b, full, kubeconfigConfig(b), mainSecrets...)
	floor := suite.Pulumi.MustStack(ctx, b, "preview-floor", "bench", func(*pulumi.Context) error { return nil })

	b.Run("program", func(b *testing.B) { benchPreview(ctx, b, full) })
	b.Run("empty-program", func(b *testing.B) { benchPreview(ctx, b, floor) })
}

func benchPreview(ctx context.Context, b *testing.B, stack auto.Stack) {
	// One untimed preview first: it warms the page cache and the plugin's first start.
	if _, err := stack.Preview(ctx); err != nil {
		b.Fatalf("preview: %v", err)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := stack.Preview(ctx); err != nil {
			b.Fatalf("preview: %v", err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	median := times[len(times)/2]
	if len(times)%2 == 0 {
		median = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	b.ReportMetric(median.Seconds(), "median-s")
	b.Logf("previews: %v", times)
}
