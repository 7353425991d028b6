package thanos

import (
	"embed"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// The Thanos mixin's alerts and dashboards, copied unchanged from the Thanos Go module at
// ThanosVersion by scripts/sync-thanos-mixin.sh (mixin/VERSION records which). They are never
// retyped: the e2e suite compares them with the module.
//
//go:embed mixin/VERSION mixin/alerts/alerts.yaml mixin/dashboards/*.json
var mixinFiles embed.FS

// MixinVersion is the Thanos version the embedded mixin files were copied from.
func MixinVersion() string {
	b, err := mixinFiles.ReadFile("mixin/VERSION")
	if err != nil {
		panic(err) // embedded at build time
	}
	return strings.TrimSpace(string(b))
}

// sidecarMixinComponent is the mixin's name of the Thanos sidecar (its jobs match
// ".*thanos-sidecar.*"); the other components are named like the workloads' labels.
const sidecarMixinComponent = "sidecar"

// ScrapeJobs maps each Thanos component this stack runs, as the mixin names it, to the job label
// Prometheus gives the series it scrapes from it in namespace. prometheus-operator v0.93.1 sets a
// ServiceMonitor target's job to the Service's name and a PodMonitor target's to
// "<namespace>/<PodMonitor name>" (pkg/prometheus/promcfg.go: generateServiceMonitorConfig,
// generatePodMonitorConfig), when no jobLabel is set, as here. With namespace "" a PodMonitor's
// job is "/<PodMonitor name>".
func ScrapeJobs(namespace string) map[string]string {
	jobs := map[string]string{sidecarMixinComponent: namespace + "/" + components.SidecarPodMonitorName}
	for _, l := range []components.ThanosLabels{QuerierLabels(""), QueryFrontendLabels(""), StoreGatewayLabels(""), CompactorLabels("")} {
		jobs[l.Component] = l.ObjectName()
	}
	return jobs
}

// mixinJobSelector is how the mixin selects a component's series: job=~".*thanos-<component>.*"
// (the default of <component>.selector in its config.libsonnet).
func mixinJobSelector(component string) string {
	return fmt.Sprintf(`job=~".*thanos-%s.*"`, component)
}

// stackJobSelector selects the series of component's job in this stack and of no other job:
// job=~"thanos-query", job=~"[^/]+/thanos-sidecar" (a PodMonitor's job, in whatever namespace
// the stack runs). The mixin's selectors are broader than this stack's jobs allow: ".*thanos-query.*"
// also matches "thanos-query-frontend", so ThanosQueryIsDown could not fire while the frontend is
// up; and any of them matches every PodMonitor job of a namespace named after it.
func stackJobSelector(component string) string {
	return fmt.Sprintf("job=~%q", stackJobRegex(component)) // PromQL strings take Go's escapes
}

// stackJobRegex is the regex of stackJobSelector: component's job, in any namespace.
func stackJobRegex(component string) string {
	job := ScrapeJobs("")[component]
	re := regexp.QuoteMeta(job)
	if strings.HasPrefix(job, "/") {
		re = "[^/]+" + re
	}
	return re
}

// mixinComponentsWithoutAlerts are the components this stack runs that the pinned mixin has no
// alert group for (its query-frontend has a dashboard only).
var mixinComponentsWithoutAlerts = []string{"query-frontend"}

// mixinAbsentGroup is the mixin's group of "<component> is down" alerts, one per component.
const mixinAbsentGroup = "thanos-component-absent"

// MixinAlertGroups are the mixin's alert groups for the components this stack runs: the groups
// "thanos-<component>" whole, and of the component-absent group the alerts about those
// components. Receive, rule and bucket-replicate are not deployed, so their alerts would only be
// noise ("component is down" forever). Each component's job selector is replaced by
// stackJobSelector's, as a jsonnet user of the mixin would set <component>.selector, and the
// alerts of mixinExprFixes get their fix; nothing else of the mixin's rules changes.
func MixinAlertGroups() ([]monitoringv1.RuleGroup, error) {
	raw, err := mixinFiles.ReadFile("mixin/alerts/alerts.yaml")
	if err != nil {
		return nil, err
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(raw, &file); err != nil {
		return nil, fmt.Errorf("thanos mixin alerts: %w", err)
	}
	components := slices.Sorted(maps.Keys(ScrapeJobs("")))
	var out []monitoringv1.RuleGroup
	for _, g := range file.Groups {
		switch {
		case g.Name == mixinAbsentGroup:
			var rules []monitoringv1.Rule
			for _, r := range g.Rules {
				for _, c := range components {
					if strings.Contains(r.Expr.String(), mixinJobSelector(c)) {
						rules = append(rules, r)
						break
					}
				}
			}
			g.Rules = rules
			out = append(out, g)
		case strings.HasPrefix(g.Name, "thanos-") && slices.Contains(components, strings.TrimPrefix(g.Name, "thanos-")):
			out = append(out, g)
		}
	}
	// A renamed or dropped group upstream must not silently thin out the alerts.
	if len(out) != len(components)-len(mixinComponentsWithoutAlerts)+1 {
		var names []string
		for _, g := range out {
			names = append(names, g.Name)
		}
		return nil, fmt.Errorf("thanos mixin alerts: want the groups of %v and %s, found %v", components, mixinAbsentGroup, names)
	}
	if err := fixMixinExprs(out); err != nil {
		return nil, fmt.Errorf("thanos mixin alerts: %w", err)
	}
	if err := narrowJobSelectors(out, components); err != nil {
		return nil, fmt.Errorf("thanos mixin alerts: %w", err)
	}
	return out, nil
}

// mixinExprFix changes the expression of one of the mixin's alerts. Upstream is the expression as
// the pinned mixin writes it (its job selectors included); Deployed is Upstream, "and on (job)",
// and Guard: the alert fires only where Guard holds too. Both use the mixin's job selectors,
// which narrowJobSelectors then narrows as everywhere else.
type mixinExprFix struct {
	Upstream, Guard, Why string
}

// Deployed is the expression the stack deploys.
func (f mixinExprFix) Deployed() string { return f.Upstream + " and on (job) " + f.Guard }

// mixinExprFixes are the mixin's alerts whose expression the stack changes, by alert name. Each
// fix names the expression it was written for: where the pinned mixin's differs, MixinAlertGroups
// fails, and the fix is looked at again rather than applied to a rule it was not written for.
var mixinExprFixes = map[string]mixinExprFix{
	"ThanosCompactHasNotRun": {
		Upstream: `(time() - max by (job) (max_over_time(thanos_objstore_bucket_last_successful_upload_time{job=~".*thanos-compact.*"}[24h]))) / 60 / 60 > 24`,
		Guard:    `(time() - min by (job) (min_over_time(process_start_time_seconds{job=~".*thanos-compact.*"}[24h]))) / 60 / 60 > 24`,
		Why: "thanos_objstore_bucket_last_successful_upload_time is 0 until the compactor first uploads a block, " +
			"hours after a new stack starts (its first 2h blocks compacted to 8h), and the rule has no `for`: " +
			"it fired from the first minute. The guard keeps it to compactors of the job that have run for more " +
			"than 24 hours: the earliest start among the job's processes seen in the last day is over a day old. " +
			"Restarts do not reset that (a restarted pod's predecessor is still in the day's range), so a compactor " +
			"that restarts and then never uploads still fires, 24 hours after its last upload as before, which a " +
			"guard of `last upload > 0` would miss once the old pod's series leaves the range.",
	},
}

// fixMixinExprs applies mixinExprFixes to groups, the mixin's groups with its job selectors.
func fixMixinExprs(groups []monitoringv1.RuleGroup) error {
	applied := map[string]bool{}
	for _, g := range groups {
		for i, r := range g.Rules {
			fix, ok := mixinExprFixes[r.Alert]
			if !ok {
				continue
			}
			if got := r.Expr.String(); got != fix.Upstream {
				return fmt.Errorf("alert %s: the mixin's expression is %q, the stack's fix was written for %q: look at the fix again", r.Alert, got, fix.Upstream)
			}
			g.Rules[i].Expr = intstr.FromString(fix.Deployed())
			applied[r.Alert] = true
		}
	}
	for alert := range mixinExprFixes {
		if !applied[alert] {
			return fmt.Errorf("alert %s, which the stack fixes, is not among the mixin's alerts", alert)
		}
	}
	return nil
}

// narrowJobSelectors replaces, in every rule of groups, each component's mixin job selector by
// stackJobSelector's. A job selector of another shape upstream must not stay as broad as it came.
func narrowJobSelectors(groups []monitoringv1.RuleGroup, components []string) error {
	narrowed := map[string]bool{}
	for _, c := range components {
		narrowed[stackJobRegex(c)] = true
	}
	for _, g := range groups {
		for i, r := range g.Rules {
			expr := r.Expr.String()
			for _, c := range components {
				expr = strings.ReplaceAll(expr, mixinJobSelector(c), stackJobSelector(c))
			}
			for _, re := range JobRegexes(expr) {
				if !narrowed[re] {
					return fmt.Errorf("alert %s: job selector %q is none of the mixin's component selectors", r.Alert, re)
				}
			}
			g.Rules[i].Expr = intstr.FromString(expr)
		}
	}
	return nil
}

// MixinDashboards are the mixin's Grafana dashboards for the components this stack runs, by file
// name ("query.json"), as the JSON the mixin ships.
func MixinDashboards() (map[string]string, error) {
	entries, err := mixinFiles.ReadDir("mixin/dashboards")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := mixinFiles.ReadFile(path.Join("mixin/dashboards", e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}

// jobMatcher finds the job regexes a PromQL expression uses: job=~"<regex>" (in dashboards' JSON the
// quotes are escaped).
var jobMatcher = regexp.MustCompile(`job=~\\?"([^"\\$]*)\\?"`)

// JobRegexes returns every literal job regex in text (template variables like "$job" excluded).
func JobRegexes(text string) []string {
	var out []string
	for _, m := range jobMatcher.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// UnmatchedJobRegexes returns the job regexes in text that match none of jobs, fully anchored as
// PromQL anchors them.
func UnmatchedJobRegexes(text string, jobs map[string]string) ([]string, error) {
	var out []string
	for _, re := range JobRegexes(text) {
		compiled, err := regexp.Compile("^(?:" + re + ")$")
		if err != nil {
			return nil, fmt.Errorf("job regex %q: %w", re, err)
		}
		matched := false
		for _, job := range jobs {
			if compiled.MatchString(job) {
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, re)
		}
	}
	return out, nil
}
