//go:build cluster

package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// volumeSize is the size of the cluster's volumes: the largest claim of the stacks and of
// deploy/local/minio.yaml (MinIO's 10Gi), which volumeSizeFitsEveryClaim holds.
const volumeSize = "10Gi"

// smallVolumeSize is the size of the cluster's small volumes (tmpfs), which the store volume steps
// claim: the smallest volume that fits a claim binds it.
const smallVolumeSize = "64Mi"

// smallVolumes: enough for the prod-shaped stack's two store gateways, and one spare.
const smallVolumes = 3

// storeAPIsServing is how many StoreAPIs of a type ("store", "sidecar") the queriers list as
// healthy (their /api/v1/stores), as "<n> <what> serving": the fewest any Ready querier lists.
func (p *stackRun) storeAPIsServing(t *testing.T, typ, what string) string {
	pods := readyPods(p.ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector())
	if len(pods) == 0 {
		return "no querier Ready"
	}
	fewest := -1
	for _, pod := range pods {
		api := &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(pod), thanos.HTTPPort)}
		_, byType, err := healthyStores(p.ctx, api)
		if err != nil {
			return podName(pod) + " error: " + err.Error()
		}
		if n := len(byType[typ]); fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fmt.Sprintf("%d %s serving", fewest, what)
}

// servedThroughout fails on every observation of storeAPIsServing that is not a StoreAPI serving,
// and then logs what the queriers' logs say of their endpoints since start.
func (p *stackRun) servedThroughout(t *testing.T, during string, seen []string, start time.Time) {
	t.Helper()
	t.Logf("a querier's StoreAPIs during %s: %v", during, seen)
	gap := false
	for _, s := range seen {
		if strings.HasPrefix(s, "0 ") || strings.Contains(s, "error") || strings.HasPrefix(s, "no ") {
			t.Errorf("during %s: %s (one must serve throughout)", during, s)
			gap = true
		}
	}
	if gap {
		p.logQueriersEndpoints(t, time.Since(start))
	}
}

// logQueriersEndpoints logs the lines of the queriers' logs of the last `since` that speak of
// their endpoints and DNS: what a querier saw when it listed none. It reads the kubelet's log
// files on the node, under /var/log/containers: this cluster's API server has no credentials to
// read logs through the kubelet.
func (p *stackRun) logQueriersEndpoints(t *testing.T, since time.Duration) {
	t.Helper()
	for _, pod := range readyPods(p.ctx, t, p.namespace, thanos.QuerierLabels("thanos").Selector()) {
		files, _ := filepath.Glob(fmt.Sprintf("/var/log/containers/%s_%s_*.log", podName(pod), p.namespace))
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Logf("%s: %v", podName(pod), err)
				continue
			}
			for _, line := range strings.Split(string(raw), "\n") {
				at, err := time.Parse(time.RFC3339Nano, strings.SplitN(line, " ", 2)[0])
				if err != nil || time.Since(at) > since {
					continue
				}
				if strings.Contains(line, "endpoint") || strings.Contains(line, "lookup") || strings.Contains(line, "adding new") {
					t.Logf("%s: %s", podName(pod), line)
				}
			}
		}
	}
}

// claimsOf lists the PersistentVolumeClaims of a StatefulSet's pods (named "<claim>-<set>-<i>").
func (p *stackRun) claimsOf(t *testing.T, statefulSet string) []map[string]any {
	t.Helper()
	claims, err := suite.cluster.Client.List(p.ctx, fmt.Sprintf("/api/v1/namespaces/%s/persistentvolumeclaims", p.namespace))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, c := range claims {
		if strings.HasSuffix(strings.TrimRight(objects.Str(c, "metadata", "name"), "0123456789"), "-"+statefulSet+"-") {
			out = append(out, c)
		}
	}
	return out
}

// storeVolumeResized: storeStorageSize changed on the running stack (to the small volumes' size).
// Kubernetes refuses to change a StatefulSet's volume claims; `up` creates the store gateways' new
// StatefulSet, with claims of the new size, and deletes the old one and its claims once the new
// one is Ready. A querier lists a healthy store gateway throughout, the old claims are gone, and
// the new store gateways alone answer the uploaded range as before.
func (p *stackRun) storeVolumeResized(t *testing.T) {
	labels := thanos.StoreGatewayLabels("thanos")
	oldSet := p.statefulSetPath(t, labels)
	oldName := oldSet[strings.LastIndex(oldSet, "/")+1:]
	oldClaims := p.claimsOf(t, oldName)
	if len(oldClaims) != p.replicas(t, "storeReplicas") {
		t.Fatalf("%d claims of %s, want one per store gateway", len(oldClaims), oldName)
	}
	drain, start := newDrainWatch(oldName), time.Now()
	seen := p.upWhileWatching(t, map[string]string{"storeStorageSize": smallVolumeSize}, logChanges(t, func() string {
		if err := drain.poll(p.ctx, p.namespace); err != nil {
			return "error: " + err.Error()
		}
		return p.storeAPIsServing(t, "store", "store gateways")
	}))
	p.servedThroughout(t, "the volume change", seen, start)
	newSet := p.statefulSetPath(t, labels)
	newName := newSet[strings.LastIndex(newSet, "/")+1:]
	if newName == oldName {
		t.Fatalf("the store gateways' StatefulSet is still %s after the volume change", oldName)
	}
	drain.check(t, p.replicas(t, "storeReplicas"), thanos.StoreAPIDrain)
	harness.WaitFor(p.ctx, t, 2*time.Minute, "the old StatefulSet's claims deleted with it", func() (bool, string) {
		left := p.claimsOf(t, oldName)
		return len(left) == 0, fmt.Sprintf("%d claims of %s left", len(left), oldName)
	})
	newClaims := p.claimsOf(t, newName)
	if len(newClaims) != p.replicas(t, "storeReplicas") {
		t.Fatalf("%d claims of %s, want one per store gateway", len(newClaims), newName)
	}
	for _, c := range newClaims {
		if got := objects.Str(c, "spec", "resources", "requests", "storage"); got != smallVolumeSize || objects.Str(c, "status", "phase") != "Bound" {
			t.Errorf("claim %s requests %s (%s), want %s, Bound", objects.Str(c, "metadata", "name"), got, objects.Str(c, "status", "phase"), smallVolumeSize)
		}
	}
	stores := waitReplicasReady(p.ctx, t, p.namespace, labels.Selector(), p.replicas(t, "storeReplicas"), "store gateways")
	p.sameAnswer(t, "the new store gateways' answer", onlyFrom(stores))
}

// volumePath is the node directory of the local volume bound to a claim.
func (p *stackRun) volumePath(t *testing.T, claim map[string]any) string {
	t.Helper()
	pv := p.get(t, "/api/v1/persistentvolumes/"+objects.Str(claim, "spec", "volumeName"))
	path := objects.Str(pv, "spec", "local", "path")
	if path == "" {
		t.Fatalf("claim %s is bound to %s, which is not a local volume", objects.Str(claim, "metadata", "name"), objects.Str(pv, "metadata", "name"))
	}
	return path
}

// fillUp writes zeros into dir until its filesystem has no space left, and returns the file.
func fillUp(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filled-by-the-test")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// alertsOf are the ALERTS series of alertname in state on a Prometheus pod now.
func alertsOf(ctx context.Context, t *testing.T, api *promapi.PromAPI, alertname, state string) ([]promapi.Series, error) {
	r, err := api.Query(ctx, fmt.Sprintf(`ALERTS{alertname=%q, alertstate=%q}`, alertname, state), time.Now(), nil)
	return r.Series, err
}

// storeVolumeFull: one store gateway's volume fills up (written full on the node, as anything in
// it would). The blocks uploaded since fail to load there ("no space left on device"), the store
// gateway stays Ready, and ThanosStoreBlockLoadsFailing fires naming that pod and no other, with
// ThanosStoreVolumeFillingUp pending for it (its `for` is 15 minutes). Once the space is freed, the
// next syncs load the blocks and the alert ends.
func (p *stackRun) storeVolumeFull(t *testing.T) {
	labels := thanos.StoreGatewayLabels("thanos")
	stores := readyPods(p.ctx, t, p.namespace, labels.Selector())
	if len(stores) == 0 {
		t.Fatal("no store gateway Ready")
	}
	full := stores[0]
	var claim map[string]any
	for _, v := range objects.List(full, "spec", "volumes") {
		if name := objects.Str(v, "persistentVolumeClaim", "claimName"); name != "" {
			claim = p.get(t, fmt.Sprintf("/api/v1/namespaces/%s/persistentvolumeclaims/%s", p.namespace, name))
		}
	}
	if claim == nil {
		t.Fatalf("store gateway %s has no volume claim", podName(full))
	}
	filled := fillUp(t, p.volumePath(t, claim))
	defer os.Remove(filled)
	t.Logf("filled the volume of %s (claim %s)", podName(full), objects.Str(claim, "metadata", "name"))

	api := &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(p.prometheusPods(t)[0]), prometheusWebPort)}
	onlyFor := func(series []promapi.Series) (bool, string) {
		var pods []string
		for _, s := range series {
			pods = append(pods, s.Labels["pod"])
		}
		return len(pods) == 1 && pods[0] == podName(full), fmt.Sprintf("for pods %v, want %s alone", pods, podName(full))
	}
	_, wait, err := thanos.StoreRetryWindows(p.config["storeSyncInterval"])
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ alertname, state string }{
		{"ThanosStoreVolumeFillingUp", "pending"},
		{"ThanosStoreBlockLoadsFailing", "firing"},
	} {
		harness.WaitFor(p.ctx, t, time.Duration(wait)+5*time.Minute, a.alertname+" "+a.state+" for "+podName(full), func() (bool, string) {
			series, err := alertsOf(p.ctx, t, api, a.alertname, a.state)
			if err != nil {
				return false, err.Error()
			}
			return onlyFor(series)
		})
	}
	if !podReady(p.get(t, fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", p.namespace, podName(full)))) {
		t.Errorf("store gateway %s is not Ready with its volume full: the test expects the silent case the alert is for", podName(full))
	}

	if err := os.Remove(filled); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(p.ctx, t, time.Duration(wait)+3*time.Minute, "ThanosStoreBlockLoadsFailing to end once the space is freed", func() (bool, string) {
		series, err := alertsOf(p.ctx, t, api, "ThanosStoreBlockLoadsFailing", "firing")
		if err != nil {
			return false, err.Error()
		}
		return len(series) == 0, fmt.Sprintf("%d firing", len(series))
	})
}

// volumeSizeFitsEveryClaim: every claim the suite's stacks (Pulumi.local.yaml with the cluster's
// substitutions) and deploy/local/minio.yaml make fits volumeSize; a larger one would stay
// Pending on this cluster, and the stack would never come up.
func volumeSizeFitsEveryClaim() error {
	limit := resource.MustParse(volumeSize)
	site, err := stackSite(nil, "monitoring", chart.DefaultReleaseName)
	if err != nil {
		return err
	}
	file, err := harness.StackFileConfig("local")
	if err != nil {
		return err
	}
	config, err := harness.ApplyClusterStackConfig(site, file)
	if err != nil {
		return err
	}
	claims := map[string]string{}
	for _, key := range []string{"prometheusStorageSize", "storeStorageSize", "compactorStorageSize"} {
		if config[key] == "" {
			return fmt.Errorf("Pulumi.local.yaml sets no %s, whose claim volumeSizeFitsEveryClaim checks", key)
		}
		claims["config "+key] = config[key]
	}
	minio, err := localMinIOObjects()
	if err != nil {
		return err
	}
	for _, o := range minio {
		if objects.Str(o, "kind") == "PersistentVolumeClaim" {
			claims["deploy/local/minio.yaml claim "+objects.Str(o, "metadata", "name")] = objects.Str(o, "spec", "resources", "requests", "storage")
		}
	}
	for what, size := range claims {
		q, err := resource.ParseQuantity(size)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if q.Cmp(limit) > 0 {
			return fmt.Errorf("%s claims %s, more than the cluster's volumes of %s (volumeSize)", what, size, volumeSize)
		}
	}
	return nil
}
