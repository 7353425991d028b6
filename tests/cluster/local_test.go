//go:build cluster

package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/steps"
)

// TestLocalStack runs the local stack as the README's "Try it locally" says, on the one-node
// cluster: MinIO from deploy/local/minio.yaml, `pulumi up`, every pod Ready, the querier finding
// the sidecar and the store gateway, Prometheus loading the Thanos mixin's alerts and scraping the
// jobs they select, ten minutes later no alert but the always-on ones, then `pulumi destroy`. It
// runs beside TestProdShapedStack, as a second stack of the cluster, in its turn of the lane
// beside it (shared_test.go).
func TestLocalStack(t *testing.T) {
	t.Parallel()
	besideProdShaped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	// Beside the prod-shaped stack, it loads the monitors and rules of its namespace only.
	p := &stackRun{ctx: ctx, name: "local", namespace: "monitoring", release: chart.DefaultReleaseName,
		overrides: map[string]string{"monitorNamespaces": "monitoring"}}
	steps.Run(t, []steps.Step{
		{Name: "up: every pod of the program and the chart Ready", Run: p.up},
		{Name: "the querier finds the sidecar and the store gateway through DNS SRV", Run: p.discovery},
		{Name: "Prometheus loads the Thanos alerts and scrapes every job they select", Run: p.mixinLoaded},
		{Name: "settled: no alert but the always-on ones, every target up", Run: p.settled},
		{Name: "destroy removes everything of the stack", Run: p.destroy, Always: true},
	})
}
