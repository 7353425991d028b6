package thanos

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// stackAlertNames are the stack's own alerts (docs/operations.md, "Alerts, dashboards and Grafana").
var stackAlertNames = []string{"ThanosStoreBlockLoadsFailing", "ThanosStoreBucketSyncFailing", "ThanosStoreVolumeFillingUp", "ThanosCompactVolumeFillingUp"}

// TestStackAlertsNameThePodAndTheirRunbook: one group of the four alerts, each with a severity, a
// summary and a description that name the pod, and a runbook entry that exists.
func TestStackAlertsNameThePodAndTheirRunbook(t *testing.T) {
	groups, err := StackAlertGroups(StackAlertSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Name != StackAlertGroupName {
		t.Fatalf("groups %+v, want one, %s", groups, StackAlertGroupName)
	}
	runbook, err := os.ReadFile("../../" + StackAlertRunbook)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range groups[0].Rules {
		names = append(names, r.Alert)
		if s := r.Labels["severity"]; s != severityCritical && s != severityWarning {
			t.Errorf("%s: severity %q", r.Alert, s)
		}
		for _, a := range []string{"summary", "description"} {
			if !strings.Contains(r.Annotations[a], "{{ $labels.pod }}") {
				t.Errorf("%s: %s %q does not name the pod", r.Alert, a, r.Annotations[a])
			}
		}
		// The pod label: kept by the aggregation, or brought by the join with kube-state-metrics.
		if expr := r.Expr.String(); !strings.Contains(expr, "by (namespace, job, pod)") && !strings.Contains(expr, "group_left (pod)") {
			t.Errorf("%s: the expression keeps no pod label: %s", r.Alert, expr)
		}
		want := StackAlertRunbook + "#" + strings.ToLower(r.Alert)
		if r.Annotations["runbook"] != want {
			t.Errorf("%s: runbook %q, want %q", r.Alert, r.Annotations["runbook"], want)
		}
		if !regexp.MustCompile(`(?m)^#+ ` + r.Alert + `$`).Match(runbook) {
			t.Errorf("%s has no heading %q in %s", r.Alert, r.Alert, StackAlertRunbook)
		}
	}
	if !slices.Equal(names, stackAlertNames) {
		t.Errorf("alerts %v, want %v", names, stackAlertNames)
	}
}

// TestStoreRetryWindowsFireOnTwoFailedSyncsNotOne: a failure at one sync stays in the range until
// the next sync's (with two 30s scrapes to spare); the `for` outlasts one failure's range, so a
// lone failed sync never fires; failures at two consecutive syncs (from a minute's interval up)
// stay in the range for the interval and the range, longer than the `for`.
func TestStoreRetryWindowsFireOnTwoFailedSyncsNotOne(t *testing.T) {
	const scrape = model.Duration(30 * time.Second)
	for _, interval := range []string{"10s", "20s", "1m", "2m", "15m", "1h"} {
		s, _ := model.ParseDuration(interval)
		window, wait, err := StoreRetryWindows(interval)
		if err != nil {
			t.Fatal(err)
		}
		if window < s+2*scrape {
			t.Errorf("sync every %s: range %s leaves a gap between two syncs' failures", interval, window)
		}
		if wait <= window {
			t.Errorf("sync every %s: for %s, not longer than one failure's range %s", interval, wait, window)
		}
		if s >= model.Duration(time.Minute) && wait >= s+window {
			t.Errorf("sync every %s: for %s, two consecutive failed syncs (true for %s) never fire", interval, wait, s+window)
		}
	}
	window, wait, err := StoreRetryWindows("")
	if err != nil || window.String() != "22m30s" || wait.String() != "30m" {
		t.Errorf("default (15m): range %s, for %s, %v; want 22m30s and 30m", window, wait, err)
	}
	for _, bad := range []string{"15 minutes", "0s"} {
		if _, _, err := StoreRetryWindows(bad); err == nil {
			t.Errorf("sync interval %q accepted", bad)
		}
	}
	// The rules use them.
	groups, err := StackAlertGroups(StackAlertSettings{StoreSyncInterval: "5m"})
	if err != nil {
		t.Fatal(err)
	}
	window, wait, _ = StoreRetryWindows("5m")
	for _, r := range groups[0].Rules {
		if !strings.HasPrefix(r.Alert, "ThanosStoreB") {
			continue
		}
		if !strings.Contains(r.Expr.String(), "["+window.String()+"]") || r.For == nil || string(*r.For) != wait.String() {
			t.Errorf("%s with a 5m sync: %s for %v, want range %s and for %s", r.Alert, r.Expr.String(), r.For, window, wait)
		}
	}
}

// TestStackAlertsSelectOnlyTheirComponents: the store gateway's alerts select the store gateway's
// job, the compactor's the compactor's, and no other job of the stack, in any namespace. The
// volume alerts keep the pods of that job: a volume of another pod never fires them.
func TestStackAlertsSelectOnlyTheirComponents(t *testing.T) {
	groups, err := StackAlertGroups(StackAlertSettings{})
	if err != nil {
		t.Fatal(err)
	}
	component := map[string]string{
		"ThanosStoreBlockLoadsFailing": "store", "ThanosStoreBucketSyncFailing": "store",
		"ThanosStoreVolumeFillingUp": "store", "ThanosCompactVolumeFillingUp": "compact",
	}
	for _, r := range groups[0].Rules {
		expr := r.Expr.String()
		regexes := JobRegexes(expr)
		if len(regexes) != 1 || component[r.Alert] == "" {
			t.Fatalf("%s: job selectors %q, want one, of %q", r.Alert, regexes, component[r.Alert])
		}
		if strings.Contains(expr, "group_left") && !strings.HasSuffix(strings.TrimSpace(expr), "and on (namespace, pod)\n  up{"+stackJobSelector(component[r.Alert])+"}") {
			t.Errorf("%s: the volume join does not end with the pods of %s's job: %s", r.Alert, component[r.Alert], expr)
		}
		for _, namespace := range []string{"monitoring", "thanos-store"} {
			jobs := ScrapeJobs(namespace)
			anchored := regexp.MustCompile("^(?:" + regexes[0] + ")$")
			for c, job := range jobs {
				if anchored.MatchString(job) != (c == component[r.Alert]) {
					t.Errorf("%s: job selector %q matches %s's job %q: %v", r.Alert, regexes[0], c, job, anchored.MatchString(job))
				}
			}
		}
	}
}
