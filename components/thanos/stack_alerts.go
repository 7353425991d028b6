package thanos

import (
	"fmt"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The stack's own alerts: failures that make a store gateway serve part of the history while it
// stays Ready and answers without an error, which neither the Thanos mixin nor the chart's rules
// alert on. A store gateway that cannot load a block (its volume full: "no space left on device")
// leaves the block out of its answers; the querier cannot tell, so partial responses carry no
// warning either (docs/operations.md, "Partial responses"). These alerts are the only signal.
//
// Volumes: the chart's default rules (kubernetes-storage group of ChartVersion) already alert on
// every PersistentVolumeClaim, the stack's included: KubePersistentVolumeFillingUp fires critical
// below 3% free and warning below 15% free when the 6-hour trend fills the volume within 4 days.
// That suits Prometheus's volume, which fills steadily with scrapes up to its retention, and the
// claim's name ("prometheus-...-db-<pod>") names the pod: the stack adds nothing for it. It does
// not suit the two Thanos volumes, so the stack adds one rule each:
//   - a store gateway's volume holds an index-header per block it serves (docs/operations.md, "Store
//     gateway disk"); it grows in steps as blocks arrive and are compacted, not along a trend the
//     chart's 6-hour prediction sees, and it grows for as long as the longest retention (1h blocks),
//     so a plain threshold warns while there is time to grow the volume;
//   - the compactor's volume is scratch space, empty between compactions and at its fullest during
//     the largest one, for minutes: its peak over a day, not its current use, tells whether the
//     next, larger compaction fits.
//
// Both name the pod through kube-state-metrics's kube_pod_spec_volumes_persistentvolumeclaims_info
// (the chart's kube-state-metrics, scraped with honorLabels, so its pod label is the pod's), and
// keep the pods of the component's scrape job.

// StackAlertsRuleName names the PrometheusRule with the stack's own alerts (StackAlertGroups).
const StackAlertsRuleName = "thanos-stack-alerts"

// StackAlertGroupName is the rule group of the stack's own alerts.
const StackAlertGroupName = "thanos-stack"

// StackAlertSettings are what the stack's own alerts derive from.
type StackAlertSettings struct {
	// StoreSyncInterval is the store gateways' --sync-block-duration (StoreGatewaySettings.SyncInterval),
	// a Prometheus duration: a store gateway retries a block it failed to load, and re-reads the
	// bucket's block list, once per interval. Default DefaultStoreGatewaySyncInterval.
	StoreSyncInterval string
}

// Where the stack's alerts find the chart's series (ChartVersion): the kubelet's volume stats as
// the chart's kubelet ServiceMonitor scrapes them (the job and path its KubePersistentVolumeFillingUp
// selects; tests/mocks/monitoring_test.go checks them against the rendered chart), and the PVC-to-pod
// series of its kube-state-metrics.
const (
	kubeletVolumeSelector = `job="kubelet", metrics_path="/metrics"`
	podVolumeClaimsInfo   = "kube_pod_spec_volumes_persistentvolumeclaims_info"
)

// Severities, as the mixin and the chart use them: critical pages, warning is for working hours.
const (
	severityCritical = "critical"
	severityWarning  = "warning"
)

// StackAlertRunbook is where the runbook entries of the stack's alerts are, in this repository;
// each alert's "runbook" annotation is this file and the alert's anchor.
const StackAlertRunbook = "docs/operations.md"

// stackAlert is one row of the stack's alert table.
type stackAlert struct {
	name     string
	severity string
	expr     string
	// wait is the rule's `for`; 0 for none.
	wait model.Duration
	// summary and description are annotation templates; both name the pod ({{ $labels.pod }}) and
	// say what the failure does to queries.
	summary, description string
}

// VolumeFreeThreshold is the share of a Thanos volume's space below which the stack warns
// (ThanosStoreVolumeFillingUp, ThanosCompactVolumeFillingUp). With a fifth free a store gateway's
// volume holds a quarter more index-headers than it does now: weeks of new blocks, and the overlap
// while a compacted block and its sources are both loaded (docs/operations.md, "Store gateway
// disk"); a compactor's, a group a quarter larger than the day's largest.
const VolumeFreeThreshold = 0.2

// StoreRetryWindows are the range and the `for` of the alerts on a store gateway's failures at
// its bucket syncs (block loads, block list), derived from its sync interval: a failure stays in
// the range until the next sync's failure is in it (the sync interval, and half of it or two
// minutes, whichever is longer, for the scrapes around each); the `for` is longer than the range
// by half the interval, so one failed sync, which the next sync's retry clears (a bucket error, a
// block deleted while loading), never fires, and failures at two consecutive syncs, true for the
// interval and the range, do (with half an interval, at least 30s, to spare for the scrapes).
func StoreRetryWindows(syncInterval string) (window, wait model.Duration, err error) {
	if syncInterval == "" {
		syncInterval = DefaultStoreGatewaySyncInterval
	}
	s, err := model.ParseDuration(syncInterval)
	if err != nil {
		return 0, 0, fmt.Errorf("store sync interval %q: %w", syncInterval, err)
	}
	if s <= 0 {
		return 0, 0, fmt.Errorf("store sync interval %q: must be positive", syncInterval)
	}
	half := s / 2
	window = s + max(half, model.Duration(2*time.Minute))
	wait = window + half
	return window, wait, nil
}

// stackAlerts is the table of the stack's own alerts.
func stackAlerts(settings StackAlertSettings) ([]stackAlert, error) {
	window, wait, err := StoreRetryWindows(settings.StoreSyncInterval)
	if err != nil {
		return nil, err
	}
	store := stackJobSelector("store")
	free := fmt.Sprintf("%.0f%%", VolumeFreeThreshold*100)
	return []stackAlert{
		{
			// Thanos counts each failed load (pkg/store/bucket.go, addBlock), logs "loading block
			// failed" with the block and the reason, and retries the block at the next sync.
			// Critical: the store gateway replicas hold the same blocks on volumes of the same
			// size, so they fill together, and the querier then has no replica to answer from.
			name:     "ThanosStoreBlockLoadsFailing",
			severity: severityCritical,
			expr:     fmt.Sprintf("sum by (namespace, job, pod) (increase(thanos_bucket_store_block_load_failures_total{%s}[%s])) > 0", store, window),
			wait:     wait,
			summary:  "Thanos store gateway {{ $labels.pod }} cannot load some blocks: queries over their time ranges return part of the history.",
			description: fmt.Sprintf("Store gateway {{ $labels.pod }} (namespace {{ $labels.namespace }}) has failed to load blocks at its bucket syncs for %s. "+
				"It stays Ready and answers from the blocks it loaded, without an error or a warning, so queries over the failed blocks' time ranges return part of the history. "+
				`Its log's "loading block failed" lines name each block and the reason; "no space left on device" means its volume is full.`, wait),
		},
		{
			// The store gateway's meta fetcher counts a sync whose bucket listing or meta.json reads
			// fail (pkg/block/fetcher.go, registered with the "thanos_" prefix in cmd/thanos/store.go);
			// the store gateway then keeps the blocks it has and neither adds nor drops any.
			// A block load failure is not counted here (SyncBlocks only logs it): that is the
			// alert above.
			name:     "ThanosStoreBucketSyncFailing",
			severity: severityWarning,
			expr:     fmt.Sprintf("sum by (namespace, job, pod) (increase(thanos_blocks_meta_sync_failures_total{%s}[%s])) > 0", store, window),
			wait:     wait,
			summary:  "Thanos store gateway {{ $labels.pod }} cannot read the bucket's block list: blocks uploaded or compacted since are not served.",
			description: fmt.Sprintf("Store gateway {{ $labels.pod }} (namespace {{ $labels.namespace }}) has failed its bucket syncs for %s. "+
				"It serves the blocks it had and none uploaded, compacted or downsampled since: once Prometheus's local retention has passed them, queries over their time ranges return part of the history, "+
				`and blocks the compactor deletes meanwhile fail the queries that read them. Its log's "syncing blocks failed" lines give the reason (bucket credentials, network, a corrupt meta.json).`, wait),
		},
		{
			// No trend: a threshold, held for 15 minutes so that a block's index-header being
			// built (its downloaded parts are temporary files in the same volume) does not fire it.
			name:     "ThanosStoreVolumeFillingUp",
			severity: severityWarning,
			expr:     volumeFreeExpr("", "store"),
			wait:     model.Duration(15 * time.Minute),
			summary:  fmt.Sprintf("Thanos store gateway {{ $labels.pod }} has less than %s of its volume free: once it is full, new blocks fail to load and part of the history is not served.", free),
			description: fmt.Sprintf("The volume {{ $labels.persistentvolumeclaim }} of store gateway {{ $labels.pod }} (namespace {{ $labels.namespace }}) has less than %s free. "+
				"It holds an index-header for every block the store gateway serves, and grows with every block the sidecars upload and the compactor writes. "+
				"Once full, the store gateway stays Ready but cannot load new blocks, and queries over their time ranges return part of the history without an error. Grow the volume, or set storeStorageSize, before then.", free),
		},
		{
			// The day's lowest free space: a compaction fills the volume for minutes, then the
			// compactor deletes its files. No `for`: the peak is what the rule is about, and the
			// day's window keeps it firing long enough to be seen.
			name:     "ThanosCompactVolumeFillingUp",
			severity: severityWarning,
			expr:     volumeFreeExpr("1d", "compact"),
			summary:  fmt.Sprintf("Thanos compactor {{ $labels.pod }} had less than %s of its volume free during the last day: a larger compaction will not fit.", free),
			description: fmt.Sprintf("The volume {{ $labels.persistentvolumeclaim }} of compactor {{ $labels.pod }} (namespace {{ $labels.namespace }}) had less than %s free at its fullest in the last day, during a compaction or downsampling. "+
				"A compaction that does not fit fails: the compactor halts or retries, and compaction, downsampling and retention stop, so the bucket grows and long-range queries read raw blocks. Grow the volume (compactorStorageSize).", free),
		},
	}, nil
}

// volumeFreeExpr is the share of free space (the kubelet's available bytes, what a non-root
// process may still write) of the volumes of component's pods, below VolumeFreeThreshold,
// labelled with the claim and the pod. With lowestOver ("1d") it is the lowest share over that
// range. The pods are those of component's scrape job (stackJobSelector): the claims' and the
// StatefulSet's names are not needed, so a StatefulSet under a new name (a new volume size) is
// covered too.
func volumeFreeExpr(lowestOver, component string) string {
	available := fmt.Sprintf("kubelet_volume_stats_available_bytes{%s}", kubeletVolumeSelector)
	if lowestOver != "" {
		available = fmt.Sprintf("min_over_time(%s[%s])", available, lowestOver)
	}
	return fmt.Sprintf(`(
  max by (namespace, persistentvolumeclaim) (%s)
/
  max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{%s})
< %g
)
* on (namespace, persistentvolumeclaim) group_left (pod)
  max by (namespace, persistentvolumeclaim, pod) (%s)
and on (namespace, pod)
  up{%s}
`, available, kubeletVolumeSelector, VolumeFreeThreshold, podVolumeClaimsInfo, stackJobSelector(component))
}

// StackAlertGroups are the stack's own alert groups: one, StackAlertGroupName.
func StackAlertGroups(settings StackAlertSettings) ([]monitoringv1.RuleGroup, error) {
	alerts, err := stackAlerts(settings)
	if err != nil {
		return nil, fmt.Errorf("stack alerts: %w", err)
	}
	group := monitoringv1.RuleGroup{Name: StackAlertGroupName}
	for _, a := range alerts {
		r := monitoringv1.Rule{
			Alert:  a.name,
			Expr:   intstr.FromString(a.expr),
			Labels: map[string]string{"severity": a.severity},
			Annotations: map[string]string{
				"summary":     a.summary,
				"description": a.description,
				"runbook":     StackAlertRunbook + "#" + RunbookAnchor(a.name),
			},
		}
		if a.wait > 0 {
			d := monitoringv1.Duration(a.wait.String())
			r.For = &d
		}
		group.Rules = append(group.Rules, r)
	}
	return []monitoringv1.RuleGroup{group}, nil
}

// RunbookAnchor is the anchor of an alert's runbook entry: its heading, lower case, as GitHub and
// most Markdown renderers make it ("ThanosStoreBlockLoadsFailing" -> "thanosstoreblockloadsfailing").
func RunbookAnchor(alert string) string { return strings.ToLower(alert) }

// StackAlertsRuleSpec is the spec of the PrometheusRule with the stack's own alerts.
func StackAlertsRuleSpec(settings StackAlertSettings) (monitoringv1.PrometheusRuleSpec, error) {
	groups, err := StackAlertGroups(settings)
	if err != nil {
		return monitoringv1.PrometheusRuleSpec{}, err
	}
	return monitoringv1.PrometheusRuleSpec{Groups: groups}, nil
}
