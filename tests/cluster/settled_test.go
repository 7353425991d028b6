//go:build cluster

package cluster

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// settleTime is how long a stack is left alone after every pod became Ready before the settled
// step holds it to silence: longer than the `for` of every alert a starting stack could trip (the
// chart's TargetDown and the Thanos mixin's store and compactor alerts wait 10 to 15 minutes, and
// are seen pending meanwhile).
const settleTime = 10 * time.Minute

// alwaysOnAlerts fire on every healthy stack by design (the chart's general.rules of
// ChartVersion): Watchdog always, to prove the alerting pipeline; InfoInhibitor while an info
// alert fires, to silence it in Alertmanager (and that info alert would fail the step itself).
var alwaysOnAlerts = []string{"Watchdog", "InfoInhibitor"}

// activeAlert is one alert of Prometheus's /api/v1/alerts.
type activeAlert struct {
	Labels   map[string]string `json:"labels"`
	State    string            `json:"state"`
	ActiveAt time.Time         `json:"activeAt"`
}

func (a activeAlert) String() string {
	var labels []string
	for k, v := range a.Labels {
		labels = append(labels, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(labels)
	return fmt.Sprintf("%s since %s {%s}", a.State, a.ActiveAt.Format(time.TimeOnly), strings.Join(labels, ", "))
}

// allowedAlerts are the alert names the settled step lets through now: the always-on ones and the
// substitutions' whose cause holds now. Each allowance is logged when it changes.
func allowedAlerts(t *testing.T, logged map[string]bool) []string {
	allowed := slices.Clone(alwaysOnAlerts)
	for _, a := range harness.SubstitutionAlerts {
		holds, seen := a.Holds()
		if was, ok := logged[a.Alert]; !ok || was != holds {
			t.Logf("%s allowed: %v (%s)", a.Alert, holds, seen)
			logged[a.Alert] = holds
		}
		if holds {
			allowed = append(allowed, a.Alert)
		}
	}
	return allowed
}

// unexpectedAlerts are the alerts active on a Prometheus pod now (pending or firing) that are not
// allowed, from one fetch of its alerts. Alerts about another stack's namespace are that stack's
// test's to hold (otherStackOwns), and left out.
func (p *stackRun) unexpectedAlerts(t *testing.T, api *promapi.PromAPI, allowed []string) []activeAlert {
	var answer struct {
		Alerts []activeAlert `json:"alerts"`
	}
	if err := api.Get(p.ctx, "/api/v1/alerts", &answer); err != nil {
		t.Fatalf("alerts of %s: %v", api.Addr, err)
	}
	var out []activeAlert
	for _, a := range answer.Alerts {
		if !slices.Contains(allowed, a.Labels["alertname"]) && !p.otherStackOwns(a.Labels["namespace"]) {
			out = append(out, a)
		}
	}
	return out
}

// settled: the stack, left alone for settleTime after every pod became Ready, raises no alert on
// any Prometheus replica but alwaysOnAlerts and harness.SubstitutionAlerts: none fires at any
// time meanwhile (each poll fails the step at once with the alert's labels), and at the end none
// is pending either. Every target of every job, the chart's workloads' included, is up then, every
// ServiceMonitor and PodMonitor of the stack's namespaces has a target up, each kubelet endpoint
// is scraped once, and every pod of the stack is still Ready.
func (p *stackRun) settled(t *testing.T) {
	if p.readyAt.IsZero() {
		t.Fatal("the up step recorded no time at which every pod was Ready")
	}
	allowances := map[string]bool{}
	var apis []*promapi.PromAPI
	for _, pod := range p.prometheusPods(t) {
		apis = append(apis, &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(pod), prometheusWebPort)})
	}
	settledAt := p.readyAt.Add(settleTime)
	t.Logf("settling until %s (every pod Ready at %s)", settledAt.Format(time.TimeOnly), p.readyAt.Format(time.TimeOnly))
	seenPending := map[string]activeAlert{}
	for {
		allowed := allowedAlerts(t, allowances)
		for _, api := range apis {
			active := p.unexpectedAlerts(t, api, allowed)
			firing := slices.DeleteFunc(slices.Clone(active), func(a activeAlert) bool { return a.State != "firing" })
			if len(firing) > 0 {
				t.Fatalf("%s: %d alerts firing on a healthy stack %v after every pod was Ready:\n%s", api.Addr, len(firing),
					time.Since(p.readyAt).Round(time.Second), alertLines(firing))
			}
			for _, a := range active {
				if _, seen := seenPending[a.String()]; !seen {
					seenPending[a.String()] = a
					t.Logf("%s: pending while settling, %v after every pod was Ready: %s", api.Addr, time.Since(p.readyAt).Round(time.Second), a)
				}
			}
		}
		if !time.Now().Before(settledAt) {
			break
		}
		select {
		case <-p.ctx.Done():
			t.Fatal(p.ctx.Err())
		case <-time.After(min(15*time.Second, time.Until(settledAt))):
		}
	}
	allowed := allowedAlerts(t, allowances)
	for _, api := range apis {
		if active := p.unexpectedAlerts(t, api, allowed); len(active) > 0 {
			t.Errorf("%s: %d alerts active on a healthy stack %v after every pod was Ready:\n%s", api.Addr, len(active),
				settleTime, alertLines(active))
		}
		down, err := api.Query(p.ctx, "up == 0", time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range down.Series {
			t.Errorf("%s: a target is down on a healthy stack: %s", api.Addr, s.Key())
		}
		// Each kubelet endpoint once: beside another stack, a kubelet Service per release would
		// have it scraped once per stack (chart.KubeletService).
		twice, err := api.Query(p.ctx, `count by (instance, metrics_path) (up{job="kubelet"}) > 1`, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range twice.Series {
			t.Errorf("%s: a kubelet endpoint is scraped %s times: %s", api.Addr, s.Samples[0].V, s.Key())
		}
		for _, monitor := range p.monitorsWithoutTarget(t, api) {
			t.Errorf("%s: %s has no target up", api.Addr, monitor)
		}
		targets, err := api.Query(p.ctx, "count by (job) (up == 1)", time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var jobs []string
		for _, s := range targets.Series {
			jobs = append(jobs, fmt.Sprintf("%s (%s)", s.Labels["job"], s.Samples[0].V))
		}
		sort.Strings(jobs)
		t.Logf("%s: every target up, by job: %s", api.Addr, strings.Join(jobs, ", "))
	}
	for _, namespace := range []string{p.namespace, p.namespace + "-node-exporter"} {
		waitPodsReady(p.ctx, t, namespace, 0)
	}
}

func alertLines(alerts []activeAlert) string {
	var lines []string
	for _, a := range alerts {
		lines = append(lines, "  "+a.String())
	}
	return strings.Join(lines, "\n")
}

// monitorsWithoutTarget names each ServiceMonitor and PodMonitor of the stack's namespaces for
// which the Prometheus behind api has no target up: the operator names a monitor's scrape pools
// "serviceMonitor/<namespace>/<name>/<endpoint>" ("podMonitor/..."). The settled step's `up == 0`
// alone would pass a monitor the Prometheus never selected.
func (p *stackRun) monitorsWithoutTarget(t *testing.T, api *promapi.PromAPI) []string {
	t.Helper()
	targets, err := p.activeTargets(api)
	if err != nil {
		t.Fatalf("targets of %s: %v", api.Addr, err)
	}
	up := map[string]bool{}
	for _, target := range targets {
		if target.Health == "up" {
			pool := strings.Split(target.ScrapePool, "/")
			if len(pool) == 4 {
				up[strings.Join(pool[:3], "/")] = true
			}
		}
	}
	var missing []string
	for _, ns := range p.namespaces() {
		for kind, resource := range map[string]string{"serviceMonitor": "servicemonitors", "podMonitor": "podmonitors"} {
			names, err := suite.cluster.Client.Names(p.ctx, "/apis/monitoring.coreos.com/v1/namespaces/"+ns+"/"+resource)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				if pool := kind + "/" + ns + "/" + name; !up[pool] {
					missing = append(missing, pool)
				}
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// scrapeTarget is one active target of Prometheus's /api/v1/targets.
type scrapeTarget struct {
	Labels     map[string]string `json:"labels"`
	ScrapePool string            `json:"scrapePool"`
	ScrapeURL  string            `json:"scrapeUrl"`
	Health     string            `json:"health"`
	LastScrape time.Time         `json:"lastScrape"`
}

// activeTargets are the active targets of the Prometheus behind api.
func (p *stackRun) activeTargets(api *promapi.PromAPI) ([]scrapeTarget, error) {
	var answer struct {
		ActiveTargets []scrapeTarget `json:"activeTargets"`
	}
	err := api.Get(p.ctx, "/api/v1/targets?state=active", &answer)
	return answer.ActiveTargets, err
}
