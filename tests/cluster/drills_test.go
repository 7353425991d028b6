//go:build cluster

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// watch polls check every 200ms until stop is closed and returns every distinct observation, in
// order: what was seen during an update.
func watch(stop <-chan struct{}, check func() string) []string {
	var seen []string
	for {
		if s := check(); len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		select {
		case <-stop:
			return seen
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// logChanges wraps a check so that each change of its answer is logged with the time (UTC), to
// be read beside the components' logs.
func logChanges(t *testing.T, check func() string) func() string {
	last := ""
	return func() string {
		s := check()
		if s != last {
			t.Logf("%s %s", time.Now().UTC().Format("15:04:05.000"), s)
			last = s
		}
		return s
	}
}

// drainWatch follows the pods of one StatefulSet (by name prefix, "<set>-") through their
// deletion: when each was deleted (its deletionTimestamp less its grace period) and when it was
// last seen. Pods are told apart by UID: a StatefulSet's new pod takes the old one's name.
type drainWatch struct {
	statefulSet       string
	names             map[string]string // by UID
	deleted, lastSeen map[string]time.Time
}

func newDrainWatch(statefulSet string) *drainWatch {
	return &drainWatch{statefulSet: statefulSet, names: map[string]string{}, deleted: map[string]time.Time{}, lastSeen: map[string]time.Time{}}
}

// poll records the StatefulSet's pods as they are now.
func (d *drainWatch) poll(ctx context.Context, namespace string) error {
	pods, err := suite.cluster.Client.List(ctx, fmt.Sprintf("/api/v1/namespaces/%s/pods", namespace))
	if err != nil {
		return err
	}
	now := time.Now()
	for _, pod := range pods {
		name, uid := podName(pod), objects.Str(pod, "metadata", "uid")
		if !strings.HasPrefix(name, d.statefulSet+"-") {
			continue
		}
		d.names[uid], d.lastSeen[uid] = name, now
		if _, known := d.deleted[uid]; known {
			// Only the first deletion counts: once the containers have stopped, the kubelet deletes
			// the pod again with a grace period of 0, and the API server writes both fields anew
			// (deletion now, grace 0) just before it removes the pod.
			continue
		}
		if at, err := time.Parse(time.RFC3339, objects.Str(pod, "metadata", "deletionTimestamp")); err == nil {
			// The deletion timestamp is when the grace period ends.
			grace, _ := objects.Field(pod, "metadata", "deletionGracePeriodSeconds").(float64)
			d.deleted[uid] = at.Add(-time.Duration(grace) * time.Second)
		}
	}
	return nil
}

// check fails unless `want` pods were seen deleted and each then alive for at least drain: the
// preStop sleep that keeps a deleted StoreAPI pod serving ran on the kubelet, and a watch beside
// it did not pass by timing alone.
func (d *drainWatch) check(t *testing.T, want int, drain time.Duration) {
	t.Helper()
	if len(d.deleted) != want {
		t.Errorf("%d pods of %s seen deleted, want %d", len(d.deleted), d.statefulSet, want)
	}
	for uid, deleted := range d.deleted {
		// Seconds: the deletion timestamp has no finer resolution.
		lived := d.lastSeen[uid].Sub(deleted).Truncate(time.Second)
		t.Logf("%s (%s): seen %v after its deletion (drain %v)", d.names[uid], uid, lived, drain)
		if lived < drain-time.Second {
			t.Errorf("%s (%s) was gone %v after its deletion, before its drain of %v", d.names[uid], uid, lived, drain)
		}
	}
}

// upWhileWatching changes the stack's config, runs `pulumi up`, and returns what check saw during it.
func (p *stackRun) upWhileWatching(t *testing.T, config map[string]string, check func() string) []string {
	t.Helper()
	// Pulumi's await returns once the rollout is done; watch the end of it settle too.
	var upDone time.Time
	return p.upWatchingUntil(t, config, check, 10*time.Second, func() (bool, string) {
		if upDone.IsZero() {
			upDone = time.Now()
		}
		return time.Since(upDone) >= 2*time.Second, "settling"
	})
}

// upWatchingUntil changes the stack's config, runs `pulumi up`, goes on until done holds (within
// timeout after up; for what an operator does after up returns), and returns what check saw.
func (p *stackRun) upWatchingUntil(t *testing.T, config map[string]string, check func() string, timeout time.Duration, done func() (bool, string)) []string {
	t.Helper()
	harness.MustSetConfig(p.ctx, t, p.stack, config)
	stop := make(chan struct{})
	var seen []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); seen = watch(stop, check) }()
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer halt() // also when a failure below ends the test
	if _, err := p.stack.Up(p.ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	harness.WaitFor(p.ctx, t, timeout, "the change done", done)
	halt()
	return seen
}

// prometheusRollout: a sidecar setting changed (its CPU request). The operator rolls the
// Prometheus StatefulSet after `up`, one replica at a time; a querier lists a sidecar throughout,
// which needs each old pod to serve for thanos.StoreAPIDrain after its deletion (a replica's new
// pod has a new IP, which the queriers learn from DNS only later).
func (p *stackRun) prometheusRollout(t *testing.T) {
	replicas := p.replicas(t, "prometheusReplicas")
	before := map[string]bool{}
	for _, pod := range p.prometheusPods(t) {
		before[objects.Str(pod, "metadata", "uid")] = true
	}
	drain, start := newDrainWatch("prometheus-"+p.prometheus), time.Now()
	seen := p.upWatchingUntil(t, map[string]string{"sidecarCpuRequest": "25m"}, logChanges(t, func() string {
		if err := drain.poll(p.ctx, p.namespace); err != nil {
			return "error: " + err.Error()
		}
		return p.storeAPIsServing(t, "sidecar", "sidecars")
	}), 10*time.Minute, func() (bool, string) {
		replaced := 0
		for _, pod := range p.prometheusPods(t) {
			if !before[objects.Str(pod, "metadata", "uid")] {
				replaced++
			}
		}
		return replaced == replicas, fmt.Sprintf("%d of %d replicas replaced and Ready", replaced, replicas)
	})
	p.servedThroughout(t, "the Prometheus rollout", seen, start)
	drain.check(t, replicas, thanos.StoreAPIDrain)
}

func (p *stackRun) querierRollout(t *testing.T) {
	ctx := p.ctx
	before := readyPods(ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector())
	seen := p.upWhileWatching(t, map[string]string{"querierTimeout": "4m"}, func() string {
		n, err := readyEndpoints(ctx, p.namespace, "thanos-query")
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%d ready endpoints", n)
	})
	t.Logf("the querier Service during the rollout: %v", seen)
	for _, s := range seen {
		if s == "0 ready endpoints" || strings.HasPrefix(s, "error") {
			t.Errorf("the querier Service had %s during the rollout (maxUnavailable 0 must keep one)", s)
		}
	}
	after := readyPods(ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector())
	if len(after) != 2 {
		t.Fatalf("%d queriers Ready after the rollout, want 2", len(after))
	}
	for _, pod := range after {
		if slices.ContainsFunc(before, func(b map[string]any) bool { return podName(b) == podName(pod) }) {
			t.Errorf("querier %s was not replaced", podName(pod))
		}
		if !slices.Contains(containerArgs(pod, "thanos"), "--query.timeout=4m") {
			t.Errorf("querier %s runs without the new flag: %v", podName(pod), containerArgs(pod, "thanos"))
		}
	}
}

func (p *stackRun) compactorRollout(t *testing.T) {
	ctx := p.ctx
	labels := thanos.CompactorLabels("thanos").Selector()
	most := 0
	seen := p.upWhileWatching(t, map[string]string{"compactorDeleteDelay": "24h"}, func() string {
		pods := listPods(ctx, t, p.namespace, labels)
		most = max(most, len(pods))
		var names []string
		for _, pod := range pods {
			state := "running"
			if objects.Field(pod, "metadata", "deletionTimestamp") != nil {
				state = "terminating"
			}
			names = append(names, podName(pod)+" "+objects.Str(pod, "metadata", "uid")[:8]+" "+state)
		}
		return strings.Join(names, ", ")
	})
	t.Logf("compactor pods during the rollout: %q", seen)
	if most > 1 {
		t.Errorf("%d compactor pods existed at once during the rollout: two compactors corrupt the bucket", most)
	}
	harness.WaitFor(ctx, t, 3*time.Minute, "the new compactor Ready", func() (bool, string) {
		pods := readyPods(ctx, t, p.namespace, labels)
		return len(pods) == 1 && slices.Contains(containerArgs(pods[0], "thanos"), "--delete-delay=24h"), fmt.Sprintf("%d Ready", len(pods))
	})
}

func (p *stackRun) evictions(t *testing.T) {
	ctx := p.ctx
	for _, group := range []struct {
		what   string
		labels map[string]string
	}{
		{"store gateways", thanos.StoreGatewayLabels("thanos").Selector()},
		{"Prometheus", p.prometheusSelector()},
		{"queriers", thanos.QuerierLabels("thanos").Selector()},
	} {
		// Both replicas healthy first: the drills before this one delete and restart pods.
		waitPodsReady(ctx, t, p.namespace, 5*time.Minute)
		pods := waitReplicasReady(ctx, t, p.namespace, group.labels, 2, group.what)
		// The disruption controller's view: every budget sees its pods healthy again.
		harness.WaitFor(ctx, t, 2*time.Minute, "every PodDisruptionBudget allowing one disruption", func() (bool, string) {
			pdbs, err := suite.cluster.Client.List(ctx, "/apis/policy/v1/namespaces/"+p.namespace+"/poddisruptionbudgets")
			if err != nil {
				return false, err.Error()
			}
			var states []string
			// Prometheus, the queriers, the query-frontends and the store gateways.
			ok := len(pdbs) == 4
			for _, pdb := range pdbs {
				allowed := fmt.Sprint(objects.Field(pdb, "status", "disruptionsAllowed"))
				states = append(states, objects.Str(pdb, "metadata", "name")+": "+allowed)
				ok = ok && allowed == "1"
			}
			return ok, strings.Join(states, ", ")
		})
		if status := evict(ctx, t, p.namespace, podName(pods[0])); status != 201 {
			t.Errorf("evicting %s (both %s healthy): %d, want 201", podName(pods[0]), group.what, status)
		}
		if status := evict(ctx, t, p.namespace, podName(pods[1])); status != 429 {
			t.Errorf("evicting %s while %s is gone: %d, want 429 (the budget refuses)", podName(pods[1]), podName(pods[0]), status)
		} else {
			t.Logf("%s: the second eviction was refused by the PodDisruptionBudget", group.what)
		}
		waitReplicasReady(ctx, t, p.namespace, group.labels, 2, group.what)
		waitPodsReady(ctx, t, p.namespace, 5*time.Minute)
	}
}

// tsdbBlocks are the blocks Prometheus cut from its head (compaction level 1, not empty) in a
// pod's volume, read on the node (the cluster's volumes are local directories), by ULID: the
// blocks the sidecar ships (Thanos v0.42.4, pkg/shipper). Blocks Prometheus compacts locally are
// left out: with the operator's --storage.tsdb.delay-compact-file.path it compacts only blocks
// the shipper has uploaded, and the sidecar never ships a compacted block (its sources are in the
// bucket already).
func (p *stackRun) tsdbBlocks(t *testing.T, pod string) []string {
	t.Helper()
	claim := "prometheus-" + p.prometheus + "-db-" + pod // the operator's volume claim template
	pvc, found, err := suite.cluster.Client.Get(p.ctx, fmt.Sprintf("/api/v1/namespaces/%s/persistentvolumeclaims/%s", p.namespace, claim))
	if err != nil || !found {
		t.Fatalf("claim %s: found %v, %v", claim, found, err)
	}
	pv, _, err := suite.cluster.Client.Get(p.ctx, "/api/v1/persistentvolumes/"+objects.Str(pvc, "spec", "volumeName"))
	if err != nil {
		t.Fatal(err)
	}
	// The operator mounts the volume's prometheus-db directory as the TSDB.
	dir := filepath.Join(objects.Str(pv, "spec", "local", "path"), "prometheus-db")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := harness.ULIDTime(e.Name()); err != nil || !e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "meta.json"))
		if err != nil {
			continue // a block being written
		}
		var meta struct {
			Compaction struct {
				Level int `json:"level"`
			} `json:"compaction"`
			Stats struct {
				NumSamples uint64 `json:"numSamples"`
			} `json:"stats"`
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			t.Fatalf("%s/meta.json: %v", e.Name(), err)
		}
		if meta.Compaction.Level == 1 && meta.Stats.NumSamples > 0 {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func (p *stackRun) bucketOutage(t *testing.T) {
	p.withMinIOAlone(t, func() { p.stopMinIO(t) })
}

// stopMinIO stops MinIO for minutes and checks that every block cut meanwhile reaches the bucket.
func (p *stackRun) stopMinIO(t *testing.T) {
	ctx := p.ctx
	const outage = 3 * time.Minute
	start := time.Now()
	scale(ctx, t, "minio", "minio", 0)
	harness.WaitFor(ctx, t, 2*time.Minute, "MinIO stopped", func() (bool, string) {
		n := len(listPods(ctx, t, "minio", nil))
		return n == 0, fmt.Sprintf("%d pods", n)
	})
	time.Sleep(outage - time.Since(start))
	cut := map[string][]string{}
	for _, pod := range p.prometheusPods(t) {
		for _, id := range p.tsdbBlocks(t, podName(pod)) {
			if created, _ := harness.ULIDTime(id); created.After(start) {
				cut[podName(pod)] = append(cut[podName(pod)], id)
			}
		}
	}
	scale(ctx, t, "minio", "minio", 1)
	if err := suite.cluster.WaitDeploymentReady(ctx, "minio", "minio", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("MinIO was down for %v; blocks cut meanwhile: %v", time.Since(start).Round(time.Second), cut)
	if len(cut) != 2 {
		t.Fatalf("blocks cut during the outage by %d replicas, want both", len(cut))
	}
	// The pod's address may have changed.
	minioPods := readyPods(ctx, t, "minio", map[string]string{"app.kubernetes.io/name": "minio"})
	site := p.minio.S3
	site.Endpoint = podIP(minioPods[0]) + ":9000"
	var err error
	if p.minio, err = harness.ConnectMinIO(site, p.minio.Region); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(ctx, t, 5*time.Minute, "every block cut during the outage in the bucket", func() (bool, string) {
		blocks, err := p.minio.Blocks(ctx)
		if err != nil {
			return false, err.Error()
		}
		var missing []string
		for pod, ids := range cut {
			for _, id := range ids {
				if _, ok := blocks[id]; !ok {
					missing = append(missing, pod+"/"+id)
				}
			}
		}
		return len(missing) == 0, fmt.Sprintf("missing %v", missing)
	})
}

func (p *stackRun) destroy(t *testing.T) {
	ctx := p.ctx
	defer p.releaseMinIO()
	if p.stack.Name() == "" {
		t.Log("nothing to destroy: the stack was never created")
		return
	}
	if _, err := p.stack.Destroy(ctx); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	for _, ns := range []string{p.namespace, p.namespace + "-node-exporter"} {
		harness.WaitFor(ctx, t, 3*time.Minute, "namespace "+ns+" gone", func() (bool, string) {
			_, found, err := suite.cluster.Client.Get(ctx, "/api/v1/namespaces/"+ns)
			return err == nil && !found, fmt.Sprintf("found %v, %v", found, err)
		})
	}
	if left, err := harness.ReleaseRBACLeft(ctx, suite.cluster.Client, p.release); err != nil || len(left) > 0 {
		t.Errorf("the release's RBAC left after destroy: %v (%v)", left, err)
	}
	// The chart's webhook configurations ("<fullname>-admission"); another stack's stay.
	webhooks := chart.Fullname(nil, p.release) + "-admission"
	for _, kind := range []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"} {
		names, err := suite.cluster.Client.Names(ctx, "/apis/admissionregistration.k8s.io/v1/"+kind)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(names, webhooks) {
			t.Errorf("%s %s left after destroy", kind, webhooks)
		}
	}
	// MinIO is the environment's, not the stack's: it stays, with the blocks, and never restarted
	// under the stacks' load (deploy/local/minio.yaml's memory limit and GOMEMLIMIT).
	if len(readyPods(ctx, t, "minio", nil)) != 1 {
		t.Error("MinIO is gone after the stack's destroy")
	}
	for _, pod := range listPods(ctx, t, "minio", minioLabels) {
		for _, c := range objects.List(pod, "status", "containerStatuses") {
			if n := objects.Field(c, "restartCount"); n != float64(0) {
				t.Errorf("MinIO's container %s restarted %v times; last state %v", podName(pod), n, objects.Field(c, "lastState"))
			}
		}
	}
}
