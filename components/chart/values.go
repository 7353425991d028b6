package chart

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// OwnedChartValue is a kube-prometheus-stack value the program sets, or relies on, itself. Extra
// chart values may not set it, anything under it, or anything above it (which would replace it).
type OwnedChartValue struct {
	// Path of keys from the values' root.
	Path []string
	// Why the program owns it, and the config key that sets it where there is one.
	Why string
}

func prometheusSpecValue(keys ...string) []string {
	return append(slices.Clone(PrometheusSpecPath), keys...)
}

// OwnedChartValues lists every value the program owns. A test holds it equal to what
// PrometheusStackValues generates: each generated value lies under an entry here.
var OwnedChartValues = []OwnedChartValue{
	{[]string{"crds"}, "the program applies the chart's CRDs itself, on every update, and the release skips them (components/chart/crds.go)"},
	{[]string{"prometheus", "enabled"}, "the Prometheus the Thanos sidecars run beside"},
	{[]string{"prometheus", "agentMode"}, "an agent keeps no blocks and runs no Thanos sidecar"},
	{[]string{"prometheus", "serviceAccount"}, "the Prometheus ServiceAccount is the sidecar's IRSA identity (the role annotation and the name its role trusts)"},
	{[]string{"prometheus", "podDisruptionBudget"}, "set from podDisruptionBudgets"},
	{prometheusSpecValue("replicas"), "set from prometheusReplicas"},
	{prometheusSpecValue("replicaExternalLabelName"), "the querier deduplicates on it (--query.replica-label)"},
	{prometheusSpecValue("replicaExternalLabelNameClear"), "the querier deduplicates on the replica label"},
	{prometheusSpecValue("externalLabels", components.ClusterLabel), "set from clusterName"},
	{prometheusSpecValue("retention"), "set from prometheusRetention"},
	{prometheusSpecValue("storageSpec"), "set from prometheusStorageSize and storageClass"},
	{prometheusSpecValue("resources"), "set from prometheusCpuRequest, prometheusMemoryRequest, prometheusCpuLimit and prometheusMemoryLimit"},
	{prometheusSpecValue("podMetadata", "labels", components.LabelStoreAPI), "the peers Service selects the sidecars' StoreAPI by it"},
	{prometheusSpecValue("podMetadata", "labels", components.LabelComponent), "the sidecars' PodMonitor selects the Prometheus pods by it"},
	{prometheusSpecValue("podMetadata", "annotations", components.ObjstoreChecksumAnnotation), "the Prometheus pods roll when the objstore config changes"},
	{prometheusSpecValue("containers"), "the Prometheus and sidecar containers drain before they stop, so that the queriers find the replica's successor first (thanos.StoreAPIDrain)"},
	{prometheusSpecValue("thanos", "image"), "the Thanos sidecar is pinned with the other Thanos components"},
	{prometheusSpecValue("thanos", "version"), "the Thanos sidecar is pinned with the other Thanos components"},
	{prometheusSpecValue("thanos", "objectStorageConfig"), "the sidecar's object storage is the program's objstore Secret"},
	{prometheusSpecValue("thanos", "resources"), "set from sidecarCpuRequest, sidecarMemoryRequest, sidecarCpuLimit and sidecarMemoryLimit"},
	{[]string{"kubeControllerManager", "enabled"}, "set from controlPlaneMetrics: the scrape of kube-controller-manager and its rules"},
	{[]string{"kubeScheduler", "enabled"}, "set from controlPlaneMetrics: the scrape of kube-scheduler and its rules"},
	{[]string{"kubeEtcd", "enabled"}, "set from controlPlaneMetrics: the scrape of etcd and its rules"},
	{[]string{"kubeProxy", "enabled"}, "set from kubeProxyMetrics: the scrape of kube-proxy and its rules"},
	{[]string{"grafana", "additionalDataSources"}, "Grafana's default datasource is the Thanos query path (add others with grafana.additionalDataSourcesString)"},
	{[]string{"grafana", "sidecar", "datasources", "isDefaultDatasource"}, "Grafana's default datasource is the Thanos query path"},
	{OperatorInstanceNamespacesPaths[0], operatorInstanceNamespacesWhy},
	{OperatorInstanceNamespacesPaths[1], operatorInstanceNamespacesWhy},
	{OperatorInstanceNamespacesPaths[2], operatorInstanceNamespacesWhy},
	{KubeletServicePath, kubeletServiceWhy},
	{MonitorNamespaceSelectorPaths[0], monitorNamespacesWhy},
	{MonitorNamespaceSelectorPaths[1], monitorNamespacesWhy},
	{MonitorNamespaceSelectorPaths[2], monitorNamespacesWhy},
	{MonitorNamespaceSelectorPaths[3], monitorNamespacesWhy},
	{MonitorNamespaceSelectorPaths[4], monitorNamespacesWhy},
	{MonitorNamespaceSelectorPaths[5], monitorNamespacesWhy},
	{NodeExporterPortPaths[0], nodeExporterPortWhy},
	{NodeExporterPortPaths[1], nodeExporterPortWhy},
	{[]string{"prometheus-node-exporter", "namespaceOverride"}, "node-exporter runs in its own privileged namespace, so that the release's namespace enforces the restricted Pod Security level"},
	{GrafanaResourcesPath, chartResourceKeysWhy("grafana", true)},
	{GrafanaSidecarResourcesPath, chartResourceKeysWhy("grafanaSidecar", true)},
	{OperatorResourcesPath, chartResourceKeysWhy("operator", true)},
	{ConfigReloaderResourcesPath, chartResourceKeysWhy("configReloader", false)},
	{KubeStateMetricsResourcesPath, chartResourceKeysWhy("kubeStateMetrics", true)},
	{NodeExporterResourcesPath, chartResourceKeysWhy("nodeExporter", true)},
	{AdmissionWebhookJobsResourcesPath, chartResourceKeysWhy("admissionWebhookJobs", true)},
	{AlertmanagerResourcesPath, chartResourceKeysWhy("alertmanager", true)},
	{[]string{"grafana", "service", "targetPort"}, "Grafana's port, which its NetworkPolicy admits (components.GrafanaPort)"},
	{[]string{"prometheusOperator", "tls", "enabled"}, "the operator's HTTPS port, which its NetworkPolicy admits (components.OperatorPort)"},
	{[]string{"prometheusOperator", "tls", "internalPort"}, "the operator's HTTPS port, which its NetworkPolicy admits (components.OperatorPort)"},
	{[]string{"kube-state-metrics", "service", "port"}, "kube-state-metrics' port, which its NetworkPolicy admits (components.KubeStateMetricsPort)"},
	{[]string{"kube-state-metrics", "selfMonitor", "telemetryPort"}, "kube-state-metrics' telemetry port, which its NetworkPolicy admits (components.KubeStateMetricsTelemetryPort)"},
	{[]string{"kube-state-metrics", "kubeRBACProxy", "enabled"}, "kube-rbac-proxy would move kube-state-metrics' ports away from those its NetworkPolicy admits"},
	{prometheusSpecValue("serviceMonitorSelectorNilUsesHelmValues"), "Prometheus must scrape the Thanos components' ServiceMonitors"},
	{prometheusSpecValue("serviceMonitorSelector"), "Prometheus must scrape the Thanos components' ServiceMonitors"},
	{prometheusSpecValue("podMonitorSelectorNilUsesHelmValues"), "Prometheus must scrape the sidecars' PodMonitor"},
	{prometheusSpecValue("podMonitorSelector"), "Prometheus must scrape the sidecars' PodMonitor"},
	{prometheusSpecValue("ruleSelectorNilUsesHelmValues"), "Prometheus must load the program's rules"},
	{prometheusSpecValue("ruleSelector"), "Prometheus must load the program's rules"},
}

// ValuePath renders a path of keys as dotted text, quoting keys that hold a dot themselves:
// prometheus.prometheusSpec.podMetadata.labels."thanos.io/store-api".
func ValuePath(path []string) string {
	parts := make([]string, len(path))
	for i, key := range path {
		parts[i] = key
		if strings.ContainsAny(key, `."`) || key == "" {
			parts[i] = fmt.Sprintf("%q", key)
		}
	}
	return strings.Join(parts, ".")
}

// ValueLeaves lists the paths of every leaf of a values tree: scalars, lists, nulls and empty maps.
// A non-empty map is not a leaf: Helm merges it key by key.
func ValueLeaves(values map[string]any) [][]string {
	var out [][]string
	var walk func(prefix []string, v any)
	walk = func(prefix []string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(append(slices.Clone(prefix), k), m[k])
			}
			return
		}
		out = append(out, prefix)
	}
	for _, k := range sortedKeys(values) {
		walk([]string{k}, values[k])
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func hasPrefix(path, prefix []string) bool {
	return len(path) >= len(prefix) && slices.Equal(path[:len(prefix)], prefix)
}

// OwnerOf returns the owned value that a value at path would set, replace or change, if any.
func OwnerOf(path []string) (OwnedChartValue, bool) {
	for _, o := range OwnedChartValues {
		if hasPrefix(path, o.Path) || hasPrefix(o.Path, path) {
			return o, true
		}
	}
	return OwnedChartValue{}, false
}

// CheckExtraChartValues returns one message per value of extra that touches a value the program
// owns, naming the value and why the program owns it.
func CheckExtraChartValues(extra map[string]any) []string {
	var problems []string
	for _, leaf := range ValueLeaves(extra) {
		if owner, ok := OwnerOf(leaf); ok {
			problems = append(problems, fmt.Sprintf("%s is owned by the program (%s: %s)", ValuePath(leaf), ValuePath(owner.Path), owner.Why))
		}
	}
	return problems
}

// MergeChartValues deep-merges extra into the program's values: maps merge key by key, anything
// else in extra replaces what is there. A value the program owns is refused, never overridden.
func MergeChartValues(program, extra map[string]any) (map[string]any, error) {
	if problems := CheckExtraChartValues(extra); len(problems) > 0 {
		return nil, fmt.Errorf("extra chart values: %s", strings.Join(problems, "; "))
	}
	return MergeValues(program, extra), nil
}

// MergeValues deep-merges extra into base: a value of extra replaces the one at its path, maps merge.
func MergeValues(base, extra map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		baseMap, baseIsMap := out[k].(map[string]any)
		extraMap, extraIsMap := v.(map[string]any)
		if baseIsMap && extraIsMap {
			out[k] = MergeValues(baseMap, extraMap)
			continue
		}
		out[k] = v
	}
	return out
}

// pulumiValues converts plain values to Pulumi's, so that an output can be set at one leaf and
// the rest stays known in a preview.
func pulumiValues(v map[string]any) pulumi.Map {
	out := pulumi.Map{}
	for k, e := range v {
		out[k] = pulumiValue(e)
	}
	return out
}

func pulumiValue(v any) pulumi.Input {
	switch e := v.(type) {
	case map[string]any:
		return pulumiValues(e)
	case []any:
		arr := pulumi.Array{}
		for _, item := range e {
			arr = append(arr, pulumiValue(item))
		}
		return arr
	case string:
		return pulumi.String(e)
	case bool:
		return pulumi.Bool(e)
	case int:
		return pulumi.Int(e)
	case float64:
		return pulumi.Float64(e)
	case nil:
		return nil
	}
	return pulumi.Any(v)
}

// setValue sets an input at a path of a Pulumi values map, creating the maps on the way.
func setValue(values pulumi.Map, path []string, value pulumi.Input) {
	m := values
	for _, key := range path[:len(path)-1] {
		next, ok := m[key].(pulumi.Map)
		if !ok {
			next = pulumi.Map{}
			m[key] = next
		}
		m = next
	}
	m[path[len(path)-1]] = value
}

// valueLeaves are the paths of the leaves of values below prefix, sorted; a list is one leaf.
func valueLeaves(values map[string]any, prefix []string) [][]string {
	var out [][]string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		path := append(slices.Clone(prefix), k)
		if m, ok := values[k].(map[string]any); ok && len(m) > 0 {
			out = append(out, valueLeaves(m, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// valueAt is the value at path in values.
func valueAt(values map[string]any, path []string) any {
	var v any = values
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// CommonLeaves are the dotted paths of b's leaves that a sets too: the same leaf, a value inside
// it, or a value around it. Merged, one would silently replace the other.
func CommonLeaves(a, b map[string]any) []string {
	var inA []string
	for _, path := range valueLeaves(a, nil) {
		inA = append(inA, strings.Join(path, ".")+".")
	}
	var out []string
	for _, path := range valueLeaves(b, nil) {
		key := strings.Join(path, ".") + "."
		if slices.ContainsFunc(inA, func(k string) bool { return strings.HasPrefix(k, key) || strings.HasPrefix(key, k) }) {
			out = append(out, strings.TrimSuffix(key, "."))
		}
	}
	return out
}
