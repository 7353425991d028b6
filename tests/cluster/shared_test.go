//go:build cluster

package cluster

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// The suite's stacks run side by side on the one cluster (each test is t.Parallel), as two stacks
// of a platform team can: each in its own namespace, with its own chartReleaseName,
// nodeExporterPort and monitorNamespaces. What they share is here.

// besideProdShaped is the node's second lane: the prod-shaped stack's test runs throughout the
// suite, and the other tests take turns beside it (the suite runs with -parallel 3, so that the
// prod-shaped stack never waits for a lane): two stacks' tests at a time are what the node's two
// cores carry without the timings of the drills suffering.
var besideProdShapedLane = make(chan struct{}, 1)

// besideProdShaped waits for the second lane and holds it until the test ends.
func besideProdShaped(t *testing.T) {
	t.Helper()
	start := time.Now()
	besideProdShapedLane <- struct{}{}
	t.Cleanup(func() { <-besideProdShapedLane })
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %v for the lane beside the prod-shaped stack", waited.Round(time.Second))
	}
}

// sharedMinIO is deploy/local/minio.yaml's MinIO, which every stack's bucket lives in: deployed
// once, by the first stack to come up. A stack holds it (a read lock) from its up to its destroy;
// a step that stops MinIO takes it whole (the write lock), so that it waits for every other stack
// to be gone rather than fail their uploads.
var sharedMinIO struct {
	deploy   sync.Mutex
	deployed bool
	inUse    sync.RWMutex
}

// holdMinIO deploys MinIO if no stack has yet and holds it for the stack.
func (p *stackRun) holdMinIO(ctx context.Context, t *testing.T) {
	t.Helper()
	sharedMinIO.deploy.Lock()
	defer sharedMinIO.deploy.Unlock()
	if !sharedMinIO.deployed {
		deployLocalMinIO(ctx, t)
		sharedMinIO.deployed = true
	}
	sharedMinIO.inUse.RLock()
	p.holdsMinIO = true
}

// releaseMinIO lets MinIO go for a stack that holds it.
func (p *stackRun) releaseMinIO() {
	if p.holdsMinIO {
		p.holdsMinIO = false
		sharedMinIO.inUse.RUnlock()
	}
}

// withMinIOAlone runs stop (a step stopping MinIO) once no other stack holds MinIO, and holds it
// again for the stack afterwards.
func (p *stackRun) withMinIOAlone(t *testing.T, stop func()) {
	t.Helper()
	p.releaseMinIO()
	t.Log("waiting for the other stacks to let MinIO go")
	sharedMinIO.inUse.Lock()
	defer func() {
		sharedMinIO.inUse.Unlock()
		sharedMinIO.inUse.RLock()
		p.holdsMinIO = true
	}()
	stop()
}

// stackNamespaces are the namespaces of every stack up on the cluster, by stack.
var stackNamespaces struct {
	sync.Mutex
	byStack map[string][]string
}

// namespaces are the stack's own namespaces: its release's and node-exporter's.
func (p *stackRun) namespaces() []string {
	return []string{p.namespace, p.namespace + "-node-exporter"}
}

// registerNamespaces records the stack's namespaces for the rest of the suite: another stack's
// Prometheus may still hold an alert about them for a while after its destroy.
func (p *stackRun) registerNamespaces() {
	stackNamespaces.Lock()
	defer stackNamespaces.Unlock()
	if stackNamespaces.byStack == nil {
		stackNamespaces.byStack = map[string][]string{}
	}
	stackNamespaces.byStack[p.name] = p.namespaces()
}

// otherStackOwns says whether namespace is another stack's: the chart's kube-state-metrics of each
// stack reports every pod of the cluster, so each stack's Prometheus sees the other stacks' pods
// starting and their drills; those alerts are the other stack's test's to hold.
func (p *stackRun) otherStackOwns(namespace string) bool {
	stackNamespaces.Lock()
	defer stackNamespaces.Unlock()
	for stack, namespaces := range stackNamespaces.byStack {
		if stack != p.name && slices.Contains(namespaces, namespace) {
			return true
		}
	}
	return false
}
