//go:build cluster

package cluster

import (
	"context"
	"testing"
	"time"
)

// TestLocalStack runs the local stack as the README's "Try it locally" says, on the one-node
// cluster: MinIO from deploy/local/minio.yaml, `pulumi up`, every pod Ready, the querier finding
// the sidecar and the store gateway, Prometheus loading the Thanos mixin's alerts and scraping the
// jobs they select, ten minutes later no alert but the always-on ones, then `pulumi destroy`.
func TestLocalStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	p := &stackRun{ctx: ctx, name: "local", namespace: "monitoring"}
	runSteps(t, []step{
		{"up: every pod of the program and the chart Ready", p.up},
		{"the querier finds the sidecar and the store gateway through DNS SRV", p.discovery},
		{"Prometheus loads the Thanos alerts and scrapes every job they select", p.mixinLoaded},
		{"settled: no alert but the always-on ones, every target up", p.settled},
		{"destroy removes everything of the stack", p.destroy},
	})
}
