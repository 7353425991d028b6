//go:build cluster

package cluster

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
)

// prometheusWebPort is the Prometheus container's web port (the operator's "http-web").
const prometheusWebPort = 9090

// mixinLoaded: the PrometheusRule the program deploys passed the chart's admission webhook (it is
// there after `up`), the operator handed it to Prometheus, which loaded every group healthy; and
// Prometheus scrapes a target of every job the alerts select (thanos.ScrapeJobs), up.
func (p *stackRun) mixinLoaded(t *testing.T) {
	want, err := thanos.MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, pod := range p.prometheusPods(t) {
		api := &promapi.PromAPI{Addr: fmt.Sprintf("%s:%d", podIP(pod), prometheusWebPort)}
		harness.WaitFor(p.ctx, t, 4*time.Minute, podName(pod)+" to load the Thanos mixin's alerts", func() (bool, string) {
			var rules struct {
				Groups []struct {
					Name  string `json:"name"`
					Rules []struct {
						Name   string `json:"name"`
						Health string `json:"health"`
					} `json:"rules"`
				} `json:"groups"`
			}
			if err := api.Get(p.ctx, "/api/v1/rules", &rules); err != nil {
				return false, err.Error()
			}
			loaded := map[string]int{}
			for _, g := range rules.Groups {
				for _, r := range g.Rules {
					if r.Health != "err" {
						loaded[g.Name]++
					}
				}
			}
			for _, g := range want {
				if loaded[g.Name] != len(g.Rules) {
					return false, fmt.Sprintf("group %s: %d healthy rules loaded, want %d (loaded: %v)", g.Name, loaded[g.Name], len(g.Rules), loaded)
				}
			}
			return true, ""
		})
		jobs := thanos.ScrapeJobs(p.namespace)
		for _, component := range slices.Sorted(maps.Keys(jobs)) {
			query := fmt.Sprintf("up{job=%q} == 1", jobs[component])
			harness.WaitFor(p.ctx, t, 3*time.Minute, podName(pod)+" to scrape "+jobs[component], func() (bool, string) {
				res, err := api.Query(p.ctx, query, time.Now(), nil)
				if err != nil {
					return false, err.Error()
				}
				return len(res.Series) > 0, query + " is empty"
			})
		}
	}
}
