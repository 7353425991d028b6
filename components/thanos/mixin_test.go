package thanos

import (
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// TestMixinIsFromTheDeployedThanos: the embedded alerts and dashboards were copied from the Thanos
// the stack runs (the e2e suite compares the bytes with that module).
func TestMixinIsFromTheDeployedThanos(t *testing.T) {
	if got := MixinVersion(); got != components.ThanosVersion {
		t.Fatalf("components/mixin is from Thanos %s, the stack runs %s: run scripts/sync-thanos-mixin.sh", got, components.ThanosVersion)
	}
}

func TestScrapeJobsAreTheMonitorsJobs(t *testing.T) {
	want := map[string]string{
		"query":          "thanos-query",
		"query-frontend": "thanos-query-frontend",
		"store":          "thanos-store",
		"compact":        "thanos-compact",
		"sidecar":        "monitoring/thanos-sidecar",
	}
	got := ScrapeJobs("monitoring")
	if len(got) != len(want) {
		t.Fatalf("ScrapeJobs = %v, want %v", got, want)
	}
	for c, job := range want {
		if got[c] != job {
			t.Errorf("job of %s = %q, want %q", c, got[c], job)
		}
	}
}

// TestAlertGroupsAreThoseOfTheStacksComponents: the groups of the components the stack runs, and
// no alert about a component it does not run (it would fire "is down" forever).
func TestAlertGroupsAreThoseOfTheStacksComponents(t *testing.T) {
	groups, err := MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	alerts := map[string]bool{}
	for _, g := range groups {
		names = append(names, g.Name)
		for _, r := range g.Rules {
			if r.Alert == "" || r.Labels["severity"] == "" {
				t.Errorf("group %s: rule %q is not an alert with a severity", g.Name, r.Alert)
			}
			alerts[r.Alert] = true
			for _, absent := range []string{"receive", "thanos-rule", "bucket-replicate"} {
				if strings.Contains(r.Expr.String(), absent) {
					t.Errorf("alert %s is about %s, which the stack does not run", r.Alert, absent)
				}
			}
		}
	}
	slices.Sort(names)
	if want := []string{"thanos-compact", "thanos-component-absent", "thanos-query", "thanos-sidecar", "thanos-store"}; !slices.Equal(names, want) {
		t.Errorf("groups = %v, want %v", names, want)
	}
	for _, a := range []string{"ThanosCompactIsDown", "ThanosQueryIsDown", "ThanosSidecarIsDown", "ThanosStoreIsDown",
		"ThanosCompactHalted", "ThanosCompactHasNotRun", "ThanosCompactMultipleRunning",
		"ThanosSidecarBucketOperationsFailed", "ThanosSidecarNoConnectionToStartedPrometheus"} {
		if !alerts[a] {
			t.Errorf("alert %s missing", a)
		}
	}
}

// TestEveryAlertSelectsJobsThisStackProduces: each alert's job selectors match the job of one of
// the stack's scrape targets, or the alert could never fire.
func TestEveryAlertSelectsJobsThisStackProduces(t *testing.T) {
	groups, err := MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	// Upstream alerts without a job selector, with why they still fire only for this stack.
	noJobSelector := map[string]string{
		"ThanosQueryOverload": "its metrics, thanos_query_concurrent_gate_*, only the querier exports",
	}
	jobs := ScrapeJobs("monitoring")
	for _, g := range groups {
		for _, r := range g.Rules {
			expr := r.Expr.String()
			if len(JobRegexes(expr)) == 0 && noJobSelector[r.Alert] == "" {
				t.Errorf("alert %s selects no job: %s", r.Alert, expr)
			}
			unmatched, err := UnmatchedJobRegexes(expr, jobs)
			if err != nil {
				t.Fatal(err)
			}
			if len(unmatched) > 0 {
				t.Errorf("alert %s: job selectors %q match none of the stack's jobs %v", r.Alert, unmatched, jobs)
			}
		}
	}
}

// mixinGroups are the groups of the embedded mixin file, as upstream wrote them.
func mixinGroups(t *testing.T) map[string]monitoringv1.RuleGroup {
	t.Helper()
	raw, err := mixinFiles.ReadFile("mixin/alerts/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(raw, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]monitoringv1.RuleGroup{}
	for _, g := range file.Groups {
		out[g.Name] = g
	}
	return out
}

// mixinRule is the upstream rule of the deployed one: same group, same alert.
func mixinRule(t *testing.T, upstream map[string]monitoringv1.RuleGroup, group string, alert string) monitoringv1.Rule {
	t.Helper()
	for _, r := range upstream[group].Rules {
		if r.Alert == alert {
			return r
		}
	}
	t.Fatalf("the mixin's group %s has no alert %s", group, alert)
	return monitoringv1.Rule{}
}

// intendedRule is the upstream rule as the stack means to deploy it: its expression fixed where
// mixinExprFixes says (for the expression the mixin has), nothing else changed.
func intendedRule(t *testing.T, upstream map[string]monitoringv1.RuleGroup, group string, alert string) monitoringv1.Rule {
	t.Helper()
	r := mixinRule(t, upstream, group, alert)
	if fix, ok := mixinExprFixes[alert]; ok {
		if r.Expr.String() != fix.Upstream {
			t.Fatalf("alert %s: the mixin's expression %q, the fix was written for %q", alert, r.Expr.String(), fix.Upstream)
		}
		r.Expr = intstr.FromString(fix.Deployed())
	}
	return r
}

// TestEachAlertSelectsOnlyItsComponentsJob: each job selector of each alert matches the job of the
// component the mixin's selector names (job=~".*thanos-<component>.*") and no other job of the
// stack, whatever the namespace is called: the mixin's ".*thanos-query.*" also matches the
// query-frontend's job, and would match every job of a namespace named "thanos-query".
func TestEachAlertSelectsOnlyItsComponentsJob(t *testing.T) {
	groups, err := MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	upstream := mixinGroups(t)
	for _, g := range groups {
		for _, r := range g.Rules {
			mixin := intendedRule(t, upstream, g.Name, r.Alert)
			theirs := JobRegexes(mixin.Expr.String())
			ours := JobRegexes(r.Expr.String())
			if len(ours) != len(theirs) {
				t.Errorf("alert %s: job selectors %q, the mixin's %q", r.Alert, ours, theirs)
				continue
			}
			for i, re := range ours {
				component := strings.TrimSuffix(strings.TrimPrefix(theirs[i], ".*thanos-"), ".*")
				for _, namespace := range []string{"monitoring", "thanos-query"} {
					jobs := ScrapeJobs(namespace)
					if jobs[component] == "" {
						t.Fatalf("alert %s: the mixin's selector %q names no component of the stack %v", r.Alert, theirs[i], jobs)
					}
					anchored := regexp.MustCompile("^(?:" + re + ")$")
					var matched []string
					for _, job := range jobs {
						if anchored.MatchString(job) {
							matched = append(matched, job)
						}
					}
					slices.Sort(matched)
					if !slices.Equal(matched, []string{jobs[component]}) {
						t.Errorf("alert %s: job selector %q matches %q in namespace %s, want only %s's job %q", r.Alert, re, matched, namespace, component, jobs[component])
					}
				}
			}
		}
	}
}

// TestAlertsAreTheMixinsButForTheirJobSelectors: each deployed group and alert is the mixin's,
// field for field, but for the regexes of its job selectors and the expressions mixinExprFixes
// fixes (TestOnlyTheFixedAlertsGainAGuard holds those to the mixin's).
func TestAlertsAreTheMixinsButForTheirJobSelectors(t *testing.T) {
	groups, err := MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	upstream := mixinGroups(t)
	masked := func(r monitoringv1.Rule) monitoringv1.Rule {
		r.Expr = intstr.FromString(jobMatcher.ReplaceAllString(r.Expr.String(), `job=~"<regex>"`))
		return r
	}
	for _, g := range groups {
		theirs := upstream[g.Name]
		ours := g
		ours.Rules, theirs.Rules = nil, nil
		if !reflect.DeepEqual(ours, theirs) {
			t.Errorf("group %s: %+v, the mixin's %+v", g.Name, ours, theirs)
		}
		for _, r := range g.Rules {
			if got, want := masked(r), masked(intendedRule(t, upstream, g.Name, r.Alert)); !reflect.DeepEqual(got, want) {
				t.Errorf("alert %s differs from the mixin's beyond its job selectors:\n%+v\n%+v", r.Alert, got, want)
			}
		}
	}
}

// TestOnlyTheFixedAlertsGainAGuard: the alerts whose expression differs from the mixin's file
// beyond job selectors are exactly those of mixinExprFixes, and each is the file's expression,
// unchanged, with "and on (job)" and its guard after it: the fix only ever silences the upstream
// alert, where the guard does not hold.
func TestOnlyTheFixedAlertsGainAGuard(t *testing.T) {
	groups, err := MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	upstream := mixinGroups(t)
	mask := func(expr string) string { return jobMatcher.ReplaceAllString(expr, `job=~"<regex>"`) }
	var changed []string
	for _, g := range groups {
		for _, r := range g.Rules {
			mixin := mixinRule(t, upstream, g.Name, r.Alert)
			theirs := mixin.Expr.String()
			ours := r.Expr.String()
			if mask(ours) == mask(theirs) {
				continue
			}
			changed = append(changed, r.Alert)
			fix, ok := mixinExprFixes[r.Alert]
			if !ok {
				t.Errorf("alert %s: expression %q, the mixin's %q, and no fix says so", r.Alert, ours, theirs)
				continue
			}
			if fix.Upstream != theirs {
				t.Errorf("alert %s: the fix was written for %q, the mixin's file has %q", r.Alert, fix.Upstream, theirs)
			}
			if want := mask(theirs) + " and on (job) " + mask(fix.Guard); mask(ours) != want {
				t.Errorf("alert %s: deployed %q, want the mixin's expression and its guard %q", r.Alert, ours, want)
			}
			if fix.Why == "" {
				t.Errorf("alert %s: the fix does not say why", r.Alert)
			}
		}
	}
	slices.Sort(changed)
	if want := slices.Sorted(maps.Keys(mixinExprFixes)); !slices.Equal(changed, want) {
		t.Errorf("alerts changed beyond their job selectors %v, want those of mixinExprFixes %v", changed, want)
	}
}

// TestFixWrittenForAnotherExpressionFails: a fix whose expression is not the mixin's (upstream
// changed the rule) fails MixinAlertGroups instead of deploying a fix for another rule.
func TestFixWrittenForAnotherExpressionFails(t *testing.T) {
	saved := mixinExprFixes["ThanosCompactHasNotRun"]
	t.Cleanup(func() { mixinExprFixes["ThanosCompactHasNotRun"] = saved })
	changed := saved
	changed.Upstream = strings.Replace(saved.Upstream, "> 24", "> 48", 1)
	mixinExprFixes["ThanosCompactHasNotRun"] = changed
	if _, err := MixinAlertGroups(); err == nil || !strings.Contains(err.Error(), "ThanosCompactHasNotRun") {
		t.Errorf("MixinAlertGroups with a fix for another expression: %v, want an error naming the alert", err)
	}
}

// TestEveryDashboardSelectsJobsThisStackProduces: every literal job selector of every dashboard
// (the $job variable's query among them) matches a job of the stack.
func TestEveryDashboardSelectsJobsThisStackProduces(t *testing.T) {
	dashboards, err := MixinDashboards()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for file, text := range dashboards {
		files = append(files, file)
		unmatched, err := UnmatchedJobRegexes(text, ScrapeJobs("monitoring"))
		if err != nil {
			t.Fatal(err)
		}
		if len(unmatched) > 0 {
			t.Errorf("%s: job selectors %q match none of the stack's jobs", file, unmatched)
		}
		// The overview sums over every job; each component's dashboard selects its own.
		if file != "overview.json" && len(JobRegexes(text)) == 0 {
			t.Errorf("%s selects no job", file)
		}
	}
	slices.Sort(files)
	if want := []string{"compact.json", "overview.json", "query-frontend.json", "query.json", "sidecar.json", "store.json"}; !slices.Equal(files, want) {
		t.Errorf("dashboards = %v, want %v", files, want)
	}
}

// TestUnmatchedJobRegexesAnchorsLikePromQL: PromQL anchors regexes, so "thanos-query" does not match
// the job "thanos-query-frontend", and ".*thanos-query.*" does.
func TestUnmatchedJobRegexesAnchorsLikePromQL(t *testing.T) {
	jobs := map[string]string{"x": "thanos-query-frontend"}
	for text, wantUnmatched := range map[string]bool{
		`up{job=~"thanos-query"}`:       true,
		`up{job=~".*thanos-query.*"}`:   false,
		`up{job=~\".*thanos-store.*\"}`: true,
	} {
		unmatched, err := UnmatchedJobRegexes(text, jobs)
		if err != nil {
			t.Fatal(err)
		}
		if (len(unmatched) > 0) != wantUnmatched {
			t.Errorf("%s: unmatched = %v, want unmatched %v", text, unmatched, wantUnmatched)
		}
	}
}
