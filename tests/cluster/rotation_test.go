//go:build cluster

package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"

	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// minioLabels select the pod of deploy/local/minio.yaml.
var minioLabels = map[string]string{"app.kubernetes.io/name": "minio"}

// minioAdmin is MinIO's admin API as its root user (the keys of deploy/local/minio.yaml).
func (p *stackRun) minioAdmin(t *testing.T) *madmin.AdminClient {
	t.Helper()
	pods := readyPods(p.ctx, t, "minio", minioLabels)
	if len(pods) == 0 {
		t.Fatal("MinIO is not running")
	}
	access, secret := minioCredentials(t)
	admin, err := madmin.New(podIP(pods[0])+":9000", access, secret, false)
	if err != nil {
		t.Fatal(err)
	}
	return admin
}

// makeBucket creates a bucket in the cluster's MinIO, as MinIO's root user, and returns its name.
func (p *stackRun) makeBucket(t *testing.T, name string) string {
	t.Helper()
	pods := readyPods(p.ctx, t, "minio", minioLabels)
	if len(pods) == 0 {
		t.Fatal("MinIO is not running")
	}
	site := harness.S3Site{Endpoint: podIP(pods[0]) + ":9000", Bucket: name}
	site.AccessKey, site.SecretKey = minioCredentials(t)
	m, err := harness.ConnectMinIO(site, p.config["existingBucketRegion"])
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Client.MakeBucket(p.ctx, name, minio.MakeBucketOptions{Region: m.Region}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// addBucketUser creates a MinIO user named name that may read and write the buckets (MinIO's
// canned readwrite policy), as a platform team would create the stack's bucket credentials, and
// returns its keys.
func (p *stackRun) addBucketUser(t *testing.T, name string) (access, secret string) {
	t.Helper()
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	access, secret = name, hex.EncodeToString(random)
	admin := p.minioAdmin(t)
	if err := admin.AddUser(p.ctx, access, secret); err != nil {
		t.Fatalf("add MinIO user %s: %v", access, err)
	}
	if _, err := admin.AttachPolicy(p.ctx, madmin.PolicyAssociationReq{Policies: []string{"readwrite"}, User: access}); err != nil {
		t.Fatalf("attach readwrite to %s: %v", access, err)
	}
	return access, secret
}

// podUIDs are the UIDs of the pods of each group, by pod name.
func (p *stackRun) podUIDs(t *testing.T, groups map[string]map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for what, labels := range groups {
		for _, pod := range listPods(p.ctx, t, p.namespace, labels) {
			out[what+" "+podName(pod)] = objects.Str(pod, "metadata", "uid")
		}
	}
	return out
}

// objstoreReaders are the stack's pods that read the objstore config; objstoreBystanders some
// that do not.
func (p *stackRun) objstoreReaders() map[string]map[string]string {
	return map[string]map[string]string{
		"Prometheus":    p.prometheusSelector(),
		"store gateway": thanos.StoreGatewayLabels("thanos").Selector(),
		"compactor":     thanos.CompactorLabels("thanos").Selector(),
	}
}

var (
	objstoreBystanders = map[string]map[string]string{
		"querier":        thanos.QuerierLabels("thanos").Selector(),
		"query-frontend": thanos.QueryFrontendLabels("thanos").Selector(),
	}
)

// bucketCredentialsRotated rotates the stack's bucket keys as a user does: a new MinIO user,
// `pulumi up` with its keys, the old user removed once the rollout is done. Every pod that reads
// the objstore config rolls in that same update and no other does; the querier answers without a
// gap throughout; afterwards each Prometheus replica keeps shipping blocks, every block it cut is
// in the bucket, and no sidecar or store gateway counts a failed bucket operation.
func (p *stackRun) bucketCredentialsRotated(t *testing.T) {
	ctx := p.ctx
	waitPodsReady(ctx, t, p.namespace, 5*time.Minute)
	readersBefore, bystandersBefore := p.podUIDs(t, p.objstoreReaders()), p.podUIDs(t, objstoreBystanders)
	oldUser := p.config["existingBucketAccessKey"]
	access, secret := p.addBucketUser(t, p.name+"-rotated")
	keys := map[string]string{"existingBucketAccessKey": access, "existingBucketSecretKey": secret}
	harness.MustSetConfig(ctx, t, p.stack, keys, stackSecrets...)
	maps.Copy(p.config, keys)

	from := time.Now().Add(-20 * time.Second).Truncate(10 * time.Second)
	start := time.Now()
	if _, err := p.stack.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("pulumi up with the new keys took %v", time.Since(start).Round(time.Second))
	// `up` returns once the Prometheus resource is updated; the operator rolls its pods after
	// that, one at a time. The old key goes only once every reader runs with the new one, as
	// the README tells users to do (Bring your own bucket).
	harness.WaitFor(ctx, t, 8*time.Minute, "every objstore reader replaced and Ready", func() (bool, string) {
		var old []string
		for pod, uid := range p.podUIDs(t, p.objstoreReaders()) {
			if readersBefore[pod] == uid {
				old = append(old, pod)
			}
		}
		slices.Sort(old)
		return len(old) == 0 && len(readyPods(ctx, t, p.namespace, p.prometheusSelector())) == 2, fmt.Sprintf("not replaced yet: %v", old)
	})
	waitPodsReady(ctx, t, p.namespace, 5*time.Minute)
	t.Logf("every reader rolled %v after up began", time.Since(start).Round(time.Second))
	if err := p.minioAdmin(t).RemoveUser(ctx, oldUser); err != nil {
		t.Fatalf("remove the old MinIO user %s: %v", oldUser, err)
	}
	removed := time.Now()
	if bystandersAfter := p.podUIDs(t, objstoreBystanders); !maps.Equal(bystandersBefore, bystandersAfter) {
		t.Errorf("pods that never read the objstore config were replaced: before %v, after %v", bystandersBefore, bystandersAfter)
	}

	p.blocksKeepArriving(t, removed)
	p.noBucketFailures(t)
	// One series per job, whichever pods were scraped (the drills before this one replaced some):
	// each point needs a Prometheus replica that scraped it and a sidecar that serves it.
	p.waitScrapedSince(t, "thanos-query.*", time.Now())
	p.noGap(t, `count by (job) (up{job=~"thanos-query.*"})`, from, time.Now().Truncate(scrapeCheckStep), "the rotation's rollout")
}

// blocksKeepArriving waits until each Prometheus replica has shipped a block it cut after since,
// and every block it cut (its volume's level-1 blocks) is in the bucket.
func (p *stackRun) blocksKeepArriving(t *testing.T, since time.Time) {
	t.Helper()
	harness.WaitFor(p.ctx, t, 6*time.Minute, "a block cut after the old key's removal from each replica, and every block cut in the bucket", func() (bool, string) {
		blocks, err := p.minio.Blocks(p.ctx)
		if err != nil {
			return false, err.Error()
		}
		var state []string
		done := true
		for _, pod := range p.prometheusPods(t) {
			var newer int
			var missing []string
			for _, id := range p.tsdbBlocks(t, podName(pod)) {
				if _, ok := blocks[id]; !ok {
					missing = append(missing, id)
				} else if created, _ := harness.ULIDTime(id); created.After(since) {
					newer++
				}
			}
			done = done && newer > 0 && len(missing) == 0
			state = append(state, fmt.Sprintf("%s: %d shipped since, not in the bucket %v", podName(pod), newer, missing))
		}
		return done, strings.Join(state, "; ")
	})
}

// noBucketFailures: no sidecar upload and no bucket operation of a sidecar or store gateway has
// failed since its pod started (every one of them started with the new keys).
func (p *stackRun) noBucketFailures(t *testing.T) {
	t.Helper()
	for _, c := range []struct {
		what   string
		pods   []map[string]any
		metric string
	}{
		{"sidecar", p.prometheusPods(t), "thanos_shipper_upload_failures_total"},
		{"sidecar", p.prometheusPods(t), "thanos_objstore_bucket_operation_failures_total"},
		{"store gateway", readyPods(p.ctx, t, p.namespace, thanos.StoreGatewayLabels("thanos").Selector()), "thanos_objstore_bucket_operation_failures_total"},
	} {
		for _, pod := range c.pods {
			addr := fmt.Sprintf("%s:%d", podIP(pod), thanos.HTTPPort)
			v, found, err := promapi.Metric(p.ctx, addr, c.metric)
			if err != nil || !found {
				t.Fatalf("%s %s: %s: found %v, %v", c.what, podName(pod), c.metric, found, err)
			}
			if v != 0 {
				t.Errorf("%s %s: %s = %v since it started with the new keys", c.what, podName(pod), c.metric, v)
			}
		}
	}
}

// noGap: the deduplicated range query over [from, to] through the querier has a point at every
// step for every series, across what happened meanwhile (during).
func (p *stackRun) noGap(t *testing.T, query string, from, to time.Time, during string) {
	t.Helper()
	step := scrapeCheckStep
	r, err := querier(p.ctx, t, p.namespace).QueryRange(p.ctx, query, from, to, step, promapi.Params("dedup", "true"))
	if err != nil {
		t.Fatal(err)
	}
	steps := int(to.Sub(from)/step) + 1
	if len(r.Series) == 0 {
		t.Fatal("the range query answered nothing")
	}
	var short []string
	for _, s := range r.Series {
		if len(s.Samples) < steps {
			short = append(short, fmt.Sprintf("%s: %d of %d steps", s.Key(), len(s.Samples), steps))
		}
	}
	slices.Sort(short)
	for _, s := range short {
		t.Errorf("%s over %s", s, during)
	}
	t.Logf("%d series with a point at each of %d steps over %s", len(r.Series), steps, during)
}

// scrapeCheckStep is the step of noGap's range queries, and what its range ends are aligned to.
const scrapeCheckStep = 10 * time.Second

// waitScrapedSince waits until every Ready Prometheus pod has scraped each of its active targets
// of the jobs jobPattern matches (a regular expression) at or after since: the event a range
// check's end waits for, as each point of it needs a replica that scraped it. The targets, not the
// series: a restarted replica's head keeps the series of targets gone while it was down, with no
// staleness marker, for the query lookback.
func (p *stackRun) waitScrapedSince(t *testing.T, jobPattern string, since time.Time) {
	t.Helper()
	jobs := regexp.MustCompile("^(?:" + jobPattern + ")$")
	what := fmt.Sprintf("every Prometheus pod to scrape the targets of %s after %s", jobPattern, since.Format(time.TimeOnly))
	harness.WaitFor(p.ctx, t, 3*time.Minute, what, func() (bool, string) {
		pods := p.prometheusPods(t)
		if len(pods) == 0 {
			return false, "no Prometheus pod Ready"
		}
		var behind []string
		for _, pod := range pods {
			targets, err := p.activeTargets(&promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(pod), prometheusWebPort)})
			if err != nil {
				return false, err.Error()
			}
			matched := 0
			for _, target := range targets {
				if !jobs.MatchString(target.Labels["job"]) {
					continue
				}
				matched++
				if target.LastScrape.Before(since) {
					behind = append(behind, podName(pod)+": "+target.ScrapeURL)
				}
			}
			if matched == 0 {
				behind = append(behind, podName(pod)+": no target")
			}
		}
		slices.Sort(behind)
		return len(behind) == 0, fmt.Sprintf("not scraped since: %v", behind)
	})
}
