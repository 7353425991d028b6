//go:build cluster

package cluster

import (
	"context"
	"testing"
	"time"
)

// TestLocalStack runs the local stack as the README's "Try it locally" says, on the one-node
// cluster: MinIO from deploy/local/minio.yaml, then `pulumi up`, then every pod Ready.
func TestLocalStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	deployLocalMinIO(ctx, t)
	namespace := "monitoring"
	config := localStackConfig(t, namespace, nil)
	s := newStack(ctx, t, "local", config)
	start := time.Now()
	if _, err := s.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("pulumi up of the local stack took %v", time.Since(start).Round(time.Second))
	pods := waitPodsReady(ctx, t, namespace, 5*time.Minute)
	for _, p := range pods {
		t.Log(podState(p))
	}
	t.Logf("up to every pod Ready: %v", time.Since(start).Round(time.Second))
}
