//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/loopback"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// TestThanosAlertsFireOnThisStacksSeries runs the real promtool (`promtool test rules`) over the
// alerts the program deploys (thanos.MixinAlertGroups and thanos.StackAlertGroups, the
// groups of its two PrometheusRules), on input
// series labelled as Prometheus labels this stack's targets: the jobs of thanos.ScrapeJobs
// (the ServiceMonitors' Services and the sidecars' PodMonitor), the namespace and pod labels the
// operator's scrape configs add. A job the mixin's selectors do not match makes the expected
// alerts missing, and the test fails.
func TestThanosAlertsFireOnThisStacksSeries(t *testing.T) {
	groups := deployedAlertGroups(t)
	s := newAlertSeries(stackNamespace(t), groups)
	promtoolTestRules(t, groups, []any{s.brokenStack(t), s.compactorIdle(t), s.compactorNew(t), s.healthyStack()})
}

// TestEachIsDownAlertFiresForItsComponentAlone runs the real promtool over the deployed alerts
// with, for each component of this stack (thanos.ScrapeJobs), its target down and the target of
// every other job up: that component's "is down" alert fires and no other "is down" alert does. A
// selector that also matches another component's job (the mixin's ".*thanos-query.*" matches
// "thanos-query-frontend") keeps its alert silent while that other job is up. The mixin has no "is
// down" alert for the query-frontend: its case checks that none fires.
func TestEachIsDownAlertFiresForItsComponentAlone(t *testing.T) {
	groups := deployedAlertGroups(t)
	s := newAlertSeries(stackNamespace(t), groups)
	var tests []any
	fired := 0
	for _, component := range slices.Sorted(maps.Keys(s.jobs)) {
		if _, ok := s.rules[isDownAlert(component)]; ok {
			fired++
		}
		tests = append(tests, s.aloneDown(t, component))
	}
	// The mixin's "is down" alerts for the components the stack runs; a new one upstream adds a case.
	if want := len(s.jobs) - 1; fired != want {
		t.Fatalf("%d components have an \"is down\" alert among the deployed rules, want %d (all but the query-frontend)", fired, want)
	}
	promtoolTestRules(t, groups, tests)
}

// deployedAlertGroups are the alert groups the program deploys for the e2e stack: the mixin's and
// the stack's own.
func deployedAlertGroups(t *testing.T) []monitoringv1.RuleGroup {
	t.Helper()
	groups, err := thanos.MixinAlertGroups()
	if err != nil {
		t.Fatal(err)
	}
	stack, err := thanos.StackAlertGroups(stackAlertSettings(t))
	if err != nil {
		t.Fatal(err)
	}
	return append(groups, stack...)
}

// stackAlertSettings are the e2e stack's settings of its own alerts (its config, or the keys'
// defaults).
func stackAlertSettings(t *testing.T) thanos.StackAlertSettings {
	t.Helper()
	config, err := harness.StackFileConfig(loopback.StackName)
	if err != nil {
		t.Fatal(err)
	}
	return thanos.StackAlertSettings{StoreSyncInterval: config["storeSyncInterval"]}
}

// promtoolTestRules runs the real promtool's rule unit tests over groups.
func promtoolTestRules(t *testing.T, groups []monitoringv1.RuleGroup, tests []any) {
	t.Helper()
	tools, err := toolenv.Read("e2e", []string{"PROMTOOL_BIN"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": groups})
	writeYAML(t, filepath.Join(dir, "tests.yaml"), map[string]any{
		"rule_files":          []string{"rules.yaml"},
		"evaluation_interval": "1m",
		"tests":               tests,
	})
	cmd := exec.Command(tools.Promtool, "test", "rules", "tests.yaml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Logf("promtool test rules:\n%s", out)
}

// isDownAlert is the mixin's name of a component's "is down" alert: "query" -> "ThanosQueryIsDown",
// "query-frontend" -> "ThanosQueryFrontendIsDown".
func isDownAlert(component string) string {
	name := "Thanos"
	for _, word := range strings.Split(component, "-") {
		name += strings.ToUpper(word[:1]) + word[1:]
	}
	return name + "IsDown"
}

// aloneDown: the target of component down for the whole test, the target of every other job up.
// Its "is down" alert, if the deployed rules have one, fires after its 5 minutes; no other does.
func (s *alertSeries) aloneDown(t *testing.T, component string) map[string]any {
	var input []any
	for _, c := range slices.Sorted(maps.Keys(s.jobs)) {
		values := "1x30"
		if c == component {
			values = "0x30"
		}
		input = append(input, series("up", s.target(c, "thanos-"+c+"-0"), values))
	}
	var tests []any
	for _, c := range slices.Sorted(maps.Keys(s.jobs)) {
		alert := isDownAlert(c)
		if _, ok := s.rules[alert]; !ok {
			continue
		}
		if c == component {
			// absent() keeps only the labels of equality matchers: the selector's is a regex.
			tests = append(tests, s.expect(t, alert, "10m", 1, map[string]string{}))
		} else {
			tests = append(tests, map[string]any{"eval_time": "10m", "alertname": alert})
		}
	}
	return promtoolTestGroup(component+" alone down", input, tests)
}

// stackNamespace is the namespace the e2e stack deploys into (its config, or the key's default).
func stackNamespace(t *testing.T) string {
	config, err := harness.StackFileConfig(loopback.StackName)
	if err != nil {
		t.Fatal(err)
	}
	if ns := config["namespace"]; ns != "" { // StackFileConfig drops the project's prefix
		return ns
	}
	return "monitoring"
}

// alertSeries builds promtool test groups from this stack's jobs and the deployed rules.
type alertSeries struct {
	namespace string
	jobs      map[string]string
	rules     map[string]monitoringv1.Rule // by alert name
}

func newAlertSeries(namespace string, groups []monitoringv1.RuleGroup) *alertSeries {
	s := &alertSeries{namespace: namespace, jobs: thanos.ScrapeJobs(namespace), rules: map[string]monitoringv1.Rule{}}
	for _, g := range groups {
		for _, r := range g.Rules {
			s.rules[r.Alert] = r
		}
	}
	return s
}

// target is the label set of one scrape target's series: job, namespace, pod, instance.
func (s *alertSeries) target(component, pod string) map[string]string {
	return map[string]string{"job": s.jobs[component], "namespace": s.namespace, "pod": pod, "instance": pod + ":10902"}
}

// series formats a promtool input series.
func series(metric string, labels map[string]string, values string) map[string]string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		pairs = append(pairs, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return map[string]string{"series": metric + "{" + strings.Join(pairs, ", ") + "}", "values": values}
}

// expect is an alert_rule_test entry: the alert fires with exactly these series labels (the rule's
// own labels added), and its annotations are the rule's templates expanded with them.
func (s *alertSeries) expect(t *testing.T, alert, evalTime string, value float64, labelSets ...map[string]string) map[string]any {
	t.Helper()
	rule, ok := s.rules[alert]
	if !ok {
		t.Fatalf("the deployed rules have no alert %s", alert)
	}
	var exp []any
	for _, l := range labelSets {
		labels := maps.Clone(l)
		maps.Copy(labels, rule.Labels)
		exp = append(exp, map[string]any{"exp_labels": labels, "exp_annotations": expandAnnotations(t, rule, l, value)})
	}
	return map[string]any{"eval_time": evalTime, "alertname": alert, "exp_alerts": exp}
}

// expandAnnotations expands the rule's annotation templates as Prometheus does (text/template with
// $labels and $value defined), without Prometheus's template functions: an alert this test expects
// must not need them. A label the series lack shows as "<no value>", and fails the test.
func expandAnnotations(t *testing.T, rule monitoringv1.Rule, labels map[string]string, value float64) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, text := range rule.Annotations {
		tmpl, err := template.New(k).Option("missingkey=default").Parse("{{$labels := .Labels}}{{$value := .Value}}" + text)
		if err != nil {
			t.Fatalf("alert %s annotation %s: %v", rule.Alert, k, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, map[string]any{"Labels": labels, "Value": value}); err != nil {
			t.Fatalf("alert %s annotation %s: %v", rule.Alert, k, err)
		}
		if strings.Contains(b.String(), "<no value>") {
			t.Errorf("alert %s annotation %s refers to a label this stack's series lack: %q", rule.Alert, k, text)
		}
		out[k] = b.String()
	}
	return out
}

func onlyJob(labels map[string]string) map[string]string {
	return map[string]string{"job": labels["job"]}
}

// brokenStack: two compactors, one halted; a sidecar whose bucket calls fail and one that lost its
// (started) Prometheus; the store gateway down; no querier target at all.
func (s *alertSeries) brokenStack(t *testing.T) map[string]any {
	compact0, compact1 := s.target("compact", "thanos-compact-0"), s.target("compact", "thanos-compact-1")
	sidecar0 := s.target(sidecarName, "prometheus-kube-prometheus-stack-prometheus-0")
	sidecar1 := s.target(sidecarName, "prometheus-kube-prometheus-stack-prometheus-1")
	store := s.target("store", "thanos-store-0")
	// The chart's Prometheus, in the sidecar's pod: the alert joins on namespace and pod.
	prometheus1 := map[string]string{"job": "kube-prometheus-stack-prometheus", "namespace": s.namespace, "pod": sidecar1["pod"], "instance": sidecar1["pod"] + ":9090"}
	return promtoolTestGroup("broken stack",
		[]any{
			series("up", compact0, "1x30"),
			series("up", compact1, "1x30"),
			series("thanos_compact_halted", compact0, "1x30"),
			series("up", sidecar0, "1x30"),
			series("up", sidecar1, "1x30"),
			series("thanos_objstore_bucket_operation_failures_total", sidecar0, "0+3x30"),
			series("thanos_sidecar_prometheus_up", sidecar1, "0x30"),
			series("prometheus_tsdb_data_replay_duration_seconds", prometheus1, "4x30"),
			series("up", store, "0x30"),
		},
		[]any{
			s.expect(t, "ThanosCompactMultipleRunning", "10m", 2, onlyJob(compact0)),
			s.expect(t, "ThanosCompactHalted", "10m", 1, compact0),
			s.expect(t, "ThanosSidecarBucketOperationsFailed", "10m", 0.05, map[string]string{"job": sidecar0["job"], "instance": sidecar0["instance"]}),
			s.expect(t, "ThanosSidecarNoConnectionToStartedPrometheus", "10m", 0, sidecar1),
			s.expect(t, "ThanosStoreIsDown", "10m", 1, map[string]string{}),
			s.expect(t, "ThanosQueryIsDown", "10m", 1, map[string]string{}),
		})
}

// compactorIdle: a compactor running since the start whose last upload was 25 hours ago (at
// time 0); 23 hours is not yet late.
func (s *alertSeries) compactorIdle(t *testing.T) map[string]any {
	compact := s.target("compact", "thanos-compact-0")
	return promtoolTestGroup("compactor has not run",
		[]any{
			series("up", compact, "1x1500"),
			series("process_start_time_seconds", compact, "0x1500"),
			series("thanos_objstore_bucket_last_successful_upload_time", compact, "0x1500"),
		},
		[]any{
			map[string]any{"eval_time": "23h", "alertname": "ThanosCompactHasNotRun"},
			s.expect(t, "ThanosCompactHasNotRun", "25h", 25, onlyJob(compact)),
		})
}

// compactorNew: the compactor of a new stack, scraped from 23 hours into the test, that has
// uploaded nothing yet (its last upload time is 0, as Thanos reports it until the first upload).
// promtool's clock starts at 0, so the mixin's rule, which compares the time with that 0, fires
// from 24 hours on here (from the first minute on a real clock): at 25 hours, 2 hours after the
// compactor started, it would. ThanosCompactHasNotRun does not fire there, nor until the compactor
// has run 24 hours; 25 hours after its start, still without an upload, it fires.
func (s *alertSeries) compactorNew(t *testing.T) map[string]any {
	compact := s.target("compact", "thanos-compact-0")
	const started = 23 * 60 // minutes into the test
	absentFor := func(n int) string { return strings.TrimSpace(strings.Repeat("_ ", n)) }
	return promtoolTestGroup("new compactor has not uploaded yet",
		[]any{
			series("up", compact, absentFor(started)+fmt.Sprintf(" 1x%d", 25*60)),
			series("process_start_time_seconds", compact, absentFor(started)+fmt.Sprintf(" %dx%d", started*60, 25*60)),
			series("thanos_objstore_bucket_last_successful_upload_time", compact, absentFor(started)+fmt.Sprintf(" 0x%d", 25*60)),
		},
		[]any{
			map[string]any{"eval_time": "23h1m", "alertname": "ThanosCompactHasNotRun"},
			map[string]any{"eval_time": "25h", "alertname": "ThanosCompactHasNotRun"},
			map[string]any{"eval_time": "46h59m", "alertname": "ThanosCompactHasNotRun"},
			s.expect(t, "ThanosCompactHasNotRun", "48h", 48, onlyJob(compact)),
		})
}

// promtoolTestGroup is one entry of a promtool test file's "tests", its series one minute apart.
func promtoolTestGroup(name string, inputSeries, alertRuleTests []any) map[string]any {
	return map[string]any{"name": name, "interval": "1m", "input_series": inputSeries, "alert_rule_test": alertRuleTests}
}

// healthyStack: every component up and well, uploads current, no block load or bucket sync
// failing, the store gateway's and the compactor's volumes half free: no alert of the deployed
// rules fires.
func (s *alertSeries) healthyStack() map[string]any {
	var input []any
	for _, component := range slices.Sorted(maps.Keys(s.jobs)) {
		target := s.target(component, "thanos-"+component+"-0")
		input = append(input, series("up", target, "1x120"))
		switch component {
		case "compact":
			input = append(input,
				series("thanos_compact_halted", target, "0x120"),
				series("thanos_objstore_bucket_last_successful_upload_time", target, "0+60x120"))
		case sidecarName:
			input = append(input,
				series("thanos_sidecar_prometheus_up", target, "1x120"),
				series("thanos_objstore_bucket_operation_failures_total", target, "0x120"))
		case "store":
			input = append(input,
				series("thanos_bucket_store_block_load_failures_total", target, "0x120"),
				series("thanos_blocks_meta_sync_failures_total", target, "0x120"))
		}
		if component == "store" || component == "compact" {
			input = append(input, s.volume(target["pod"], free(0.5, 120), 120)...)
		}
	}
	var tests []any
	for _, alert := range slices.Sorted(maps.Keys(s.rules)) {
		tests = append(tests, map[string]any{"eval_time": "1h", "alertname": alert})
	}
	return promtoolTestGroup("healthy stack", input, tests)
}

// sidecarName is the sidecar as thanos.ScrapeJobs names it.
const sidecarName = "sidecar"

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMixinIsThePinnedThanos: every file in components/mixin is byte for byte the file of the
// Thanos module at the version the program deploys (scripts/sync-thanos-mixin.sh copies them).
func TestMixinIsThePinnedThanos(t *testing.T) {
	dir, err := kube.ModuleDir("github.com/thanos-io/thanos", components.ThanosVersion)
	if err != nil {
		t.Fatal(err)
	}
	upstream := map[string]string{"alerts/alerts.yaml": "examples/alerts/alerts.yaml"}
	dashboards, err := thanos.MixinDashboards()
	if err != nil {
		t.Fatal(err)
	}
	for file := range dashboards {
		upstream["dashboards/"+file] = "examples/dashboards/" + file
	}
	for ours, theirs := range upstream {
		got, err := os.ReadFile(filepath.Join("..", "..", "components", "thanos", "mixin", ours))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, theirs))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("components/thanos/mixin/%s differs from %s of thanos@%s: run scripts/sync-thanos-mixin.sh", ours, theirs, components.ThanosVersion)
		}
	}
}

// TestStackAlertsFireOnTheirFailures runs the real promtool over the deployed alerts (the mixin's
// and the stack's own, as in TestThanosAlertsFireOnThisStacksSeries) with the stack's own
// alerts' failures, on series labelled as this stack's targets, the kubelet's volume stats and
// kube-state-metrics's claim of each pod are: each alert fires for the failing pod alone, with
// exactly its labels (the pod's among them) and its annotations expanded, after its `for` and not
// before, and stays silent on a failure its `for` is meant to let pass.
func TestStackAlertsFireOnTheirFailures(t *testing.T) {
	groups := deployedAlertGroups(t)
	s := newAlertSeries(stackNamespace(t), groups)
	settings := stackAlertSettings(t)
	if settings.StoreSyncInterval == "" {
		settings.StoreSyncInterval = thanos.DefaultStoreGatewaySyncInterval
	}
	sync := mustDuration(t, settings.StoreSyncInterval)
	window, wait, err := thanos.StoreRetryWindows(settings.StoreSyncInterval)
	if err != nil {
		t.Fatal(err)
	}
	retry := storeRetry{sync: sync, window: time.Duration(window), wait: time.Duration(wait)}
	t.Logf("store gateway syncs every %v: the sync alerts' range is %v, their for %v", sync, retry.window, retry.wait)
	var tests []any
	for _, c := range []struct{ alert, metric string }{
		{"ThanosStoreBlockLoadsFailing", "thanos_bucket_store_block_load_failures_total"},
		{"ThanosStoreBucketSyncFailing", "thanos_blocks_meta_sync_failures_total"},
	} {
		tests = append(tests,
			s.storeSyncFailures(t, c.alert, c.metric, retry, 0),
			s.storeSyncFailures(t, c.alert, c.metric, retry, 1),
			s.storeSyncFailures(t, c.alert, c.metric, retry, 2),
		)
	}
	tests = append(tests, s.volumesFilling(t))
	promtoolTestRules(t, groups, tests)
}

// storeRetry are the store gateway's sync interval and the range and `for` of the alerts on its
// failures at each sync.
type storeRetry struct{ sync, window, wait time.Duration }

// minutes formats a duration for promtool (whole minutes).
func minutes(d time.Duration) string { return fmt.Sprintf("%dm", int(d.Minutes())) }

// storeSyncFailures: two store gateways; thanos-store-0 fails (3 failures, as many blocks) at every
// sync from the 5th minute on (failedSyncs 0), or at that sync only (1), or at two consecutive
// ones (2); thanos-store-1 never. Every sync failing: the alert fires for thanos-store-0 once its
// `for` has passed since the first failure, and not before. One failed sync: it never fires. Two:
// it fires, and is resolved once the second failure has left the range.
func (s *alertSeries) storeSyncFailures(t *testing.T, alert, metric string, r storeRetry, failedSyncs int) map[string]any {
	t.Helper()
	const first = 5 * time.Minute
	end := first + r.sync*6 + r.wait
	failing, healthy := s.target("store", "thanos-store-0"), s.target("store", "thanos-store-1")
	var values []string
	count := 0
	for m := time.Duration(0); m <= end; m += time.Minute {
		if m >= first && (m-first)%r.sync == 0 && (failedSyncs == 0 || int((m-first)/r.sync) < failedSyncs) {
			count += 3
		}
		values = append(values, fmt.Sprint(count))
	}
	quiet := func(at time.Duration) map[string]any {
		return map[string]any{"eval_time": minutes(at), "alertname": alert}
	}
	labels := map[string]string{"job": failing["job"], "namespace": failing["namespace"], "pod": failing["pod"]}
	var checks []any
	name := fmt.Sprintf("%s: %s fails at every sync", alert, failing["pod"])
	switch failedSyncs {
	case 0:
		checks = append(checks, quiet(first+r.wait-2*time.Minute), s.expect(t, alert, minutes(first+r.wait+2*time.Minute), 0, labels))
	case 1:
		name = fmt.Sprintf("%s: %s fails at one sync", alert, failing["pod"])
		for at := first; at <= first+r.window+r.wait; at += time.Minute {
			checks = append(checks, quiet(at))
		}
	case 2:
		name = fmt.Sprintf("%s: %s fails at two consecutive syncs", alert, failing["pod"])
		checks = append(checks, s.expect(t, alert, minutes(first+r.wait+time.Minute), 0, labels), quiet(first+r.sync+r.window+2*time.Minute))
	}
	return promtoolTestGroup(name,
		[]any{
			series("up", failing, fmt.Sprintf("1x%d", len(values))),
			series("up", healthy, fmt.Sprintf("1x%d", len(values))),
			series(metric, failing, strings.Join(values, " ")),
			series(metric, healthy, fmt.Sprintf("0x%d", len(values))),
		}, checks)
}

// volumeCapacity is the size of every volume in the tests' series.
const volumeCapacity = 100 << 30

// volume is the series of one pod's "data" volume over n+1 minutes: the kubelet's stats of its
// claim (volumeCapacity; available, promtool values of its available bytes) and kube-state-metrics's
// claim of the pod.
func (s *alertSeries) volume(pod, available string, n int) []any {
	claim := "data-" + pod
	kubelet := map[string]string{"job": "kubelet", "metrics_path": "/metrics", "namespace": s.namespace, "persistentvolumeclaim": claim, "instance": "10.0.0.1:10250", "node": "node-1"}
	info := map[string]string{"job": "kube-state-metrics", "namespace": s.namespace, "pod": pod, "persistentvolumeclaim": claim, "volume": "data", "uid": "uid-" + pod}
	return []any{
		series("kubelet_volume_stats_capacity_bytes", kubelet, fmt.Sprintf("%dx%d", int64(volumeCapacity), n)),
		series("kubelet_volume_stats_available_bytes", kubelet, available),
		series("kube_pod_spec_volumes_persistentvolumeclaims_info", info, fmt.Sprintf("1x%d", n)),
	}
}

// free is promtool values for a volume with share of volumeCapacity available, n+1 minutes.
func free(share float64, n int) string { return fmt.Sprintf("%dx%d", int64(share*volumeCapacity), n) }

// volumesFilling: thanos-store-0's volume 10% free, thanos-store-1's half; the compactor's half free
// but for 10 minutes of a compaction at 5%; Prometheus's volume 1% free (the chart's rule is
// Prometheus's: the stack's alerts must not fire for it). ThanosStoreVolumeFillingUp fires for
// thanos-store-0 after its 15 minutes, not before; ThanosCompactVolumeFillingUp for the compactor
// from the compaction on, 12 hours later still, and no more a day after it.
func (s *alertSeries) volumesFilling(t *testing.T) map[string]any {
	t.Helper()
	const n = 26 * 60
	x := fmt.Sprintf("x%d", n)
	store0, store1 := s.target("store", "thanos-store-0"), s.target("store", "thanos-store-1")
	compact := s.target("compact", "thanos-compact-0")
	prometheus := map[string]string{"job": "kube-prometheus-stack-prometheus", "namespace": s.namespace, "pod": "prometheus-kube-prometheus-stack-prometheus-0", "instance": "10.0.0.9:9090"}
	input := []any{
		series("up", store0, "1"+x), series("up", store1, "1"+x), series("up", compact, "1"+x), series("up", prometheus, "1"+x),
	}
	input = append(input, s.volume(store0["pod"], free(0.1, n), n)...)
	input = append(input, s.volume(store1["pod"], free(0.5, n), n)...)
	input = append(input, s.volume(prometheus["pod"], free(0.01, n), n)...)
	// The compactor: half free, 5% free from minute 30 to 39, half free again.
	input = append(input, s.volume(compact["pod"], free(0.5, 29)+" "+free(0.05, 9)+" "+free(0.5, n-40), n)...)
	storeLabels := map[string]string{"namespace": s.namespace, "persistentvolumeclaim": "data-" + store0["pod"], "pod": store0["pod"]}
	compactLabels := map[string]string{"namespace": s.namespace, "persistentvolumeclaim": "data-" + compact["pod"], "pod": compact["pod"]}
	return promtoolTestGroup("volumes filling up", input, []any{
		map[string]any{"eval_time": "10m", "alertname": "ThanosStoreVolumeFillingUp"},
		s.expect(t, "ThanosStoreVolumeFillingUp", "20m", 0.1, storeLabels),
		map[string]any{"eval_time": "20m", "alertname": "ThanosCompactVolumeFillingUp"},
		s.expect(t, "ThanosCompactVolumeFillingUp", "35m", 0.05, compactLabels),
		s.expect(t, "ThanosCompactVolumeFillingUp", "12h", 0.05, compactLabels),
		map[string]any{"eval_time": "25h", "alertname": "ThanosCompactVolumeFillingUp"},
	})
}
