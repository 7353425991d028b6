package chart

import (
	"fmt"
	"slices"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	k8scorev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// PrometheusValues are the settings of the Prometheus that kube-prometheus-stack deploys.
type PrometheusValues struct {
	// Namespace is the release's: the chart's operator manages the Prometheus, Alertmanager and
	// ThanosRuler resources of this namespace only (OperatorInstanceNamespacesPaths), so that
	// another stack's operator in the same cluster manages its own. Required.
	Namespace string
	// Replicas of Prometheus. Each replica scrapes everything; the querier deduplicates them.
	Replicas int
	// ClusterName becomes the `cluster` external label of every series.
	ClusterName string
	// Retention is Prometheus's local retention ("24h"); blocks are shipped every 2h, so this only
	// bounds how much recent data survives a bucket outage. At least 6h.
	Retention string
	// StorageSize of each replica's volume ("50Gi"). Empty: an emptyDir (data lost on restart).
	StorageSize string
	// StorageClass of the volume. Default: the cluster's default class.
	StorageClass string
	// ServiceAccountName of the Prometheus pods: the IRSA subject of the sidecar's role. Its role
	// annotation is not a value here: NewPrometheusStack adds it as an output, so that only that one
	// value is unknown in the preview of a new stack.
	ServiceAccountName string
	// ObjstoreSecretName names the Secret with the objstore config under ObjstoreSecretKey.
	ObjstoreSecretName string
	// PrometheusResources and SidecarResources are the containers' requests and limits.
	PrometheusResources, SidecarResources components.Resources
	// Drain keeps a deleted Prometheus pod serving that long before its containers get SIGTERM
	// (a preStop sleep of the prometheus and thanos-sidecar containers), so that the queriers find
	// the replica that replaced it before it goes: thanos.StoreAPIDrain. Zero: none. It must be
	// shorter than the operator's termination grace period of 600 s.
	Drain time.Duration
	// PodDisruptionBudget keeps all but one replica up during voluntary disruptions. Default false;
	// it needs Replicas of at least 2.
	PodDisruptionBudget bool
	// ControlPlaneTargets are the control-plane targets the chart scrapes, and loads the rules of.
	// The zero value: none of them (kube-controller-manager, kube-scheduler, etcd, kube-proxy).
	ControlPlaneTargets ControlPlaneTargets
	// GlobalViewURL is the Prometheus-compatible URL of the Thanos query path (the
	// query-frontend's QueryFrontendURL, or without one the querier's QuerierURL). Set, the chart's Grafana gets a Thanos datasource for it as its default, and the
	// chart's own Prometheus datasource stays for the live view of one replica. Empty: none.
	GlobalViewURL string
	// NodeExporterNamespace is where the chart's node-exporter runs (its namespaceOverride): it
	// needs the host's network, PID namespace and filesystem, which the restricted Pod Security
	// level of the release's namespace forbids. It must exist. Empty: the release's namespace.
	NodeExporterNamespace string
	// NodeExporterPort is the port node-exporter listens on, on each node's network, and its
	// Service targets (DefaultNodeExporterPort, at least MinNodeExporterPort). Required with
	// NodeExporterNamespace.
	NodeExporterPort int
	// MonitorNamespaces are the namespaces whose ServiceMonitors, PodMonitors, Probes,
	// ScrapeConfigs and PrometheusRules the Prometheus loads, and whose AlertmanagerConfigs the
	// Alertmanager does, with Namespace and NodeExporterNamespace (node-exporter's ServiceMonitor
	// is there) always among them (MonitorNamespaceSelectorPaths). Empty: every namespace's, the
	// chart's default.
	MonitorNamespaces []string
	// WorkloadResources size the chart's other workloads (Grafana, the operator, its config reloaders,
	// kube-state-metrics, node-exporter, the admission webhook's Jobs, Alertmanager). An empty
	// field leaves the chart's default: no requests and no limits.
	ChartResources WorkloadResources
}

// OperatorInstanceNamespacesPaths are the chart values that limit its operator to the Prometheus,
// Alertmanager and ThanosRuler resources of the namespaces they list (the operator's
// --prometheus-instance-namespaces, --alertmanager-instance-namespaces and
// --thanos-ruler-instance-namespaces).
var OperatorInstanceNamespacesPaths = [][]string{
	{"prometheusOperator", "prometheusInstanceNamespaces"},
	{"prometheusOperator", "alertmanagerInstanceNamespaces"},
	{"prometheusOperator", "thanosRulerInstanceNamespaces"},
}

const operatorInstanceNamespacesWhy = "the operator manages the instances of the release's namespace only: another stack's operator in the cluster manages its own"

// KubeletServicePath is the chart value naming the kube-system Service through which the
// release's operator lists every node's kubelet (its --kubelet-service), and which the chart's
// kubelet ServiceMonitor finds by labels every operator gives it.
var KubeletServicePath = []string{"prometheusOperator", "kubeletService", "name"}

// KubeletService is that Service's name for every stack: the chart's default for the default
// release ("<fullname>-kubelet"), so that a stack of one cluster keeps the Service it had. One per
// cluster, kept alike by every stack's operator: with one per release, each stack's kubelet
// ServiceMonitor would select every release's and scrape each kubelet once per stack, doubling
// every kubelet and cAdvisor series (and the sums over them) beside a second stack.
const KubeletService = DefaultReleaseName + "-kubelet"

const kubeletServiceWhy = "one kubelet Service per cluster, whatever the release: every stack's kubelet ServiceMonitor selects every such Service (KubeletService)"

// MonitorNamespaceSelectorPaths are the chart values that select the namespaces whose monitors,
// rules and AlertmanagerConfigs the release's Prometheus and Alertmanager load.
var MonitorNamespaceSelectorPaths = [][]string{
	prometheusSpecValue("serviceMonitorNamespaceSelector"),
	prometheusSpecValue("podMonitorNamespaceSelector"),
	prometheusSpecValue("probeNamespaceSelector"),
	prometheusSpecValue("scrapeConfigNamespaceSelector"),
	prometheusSpecValue("ruleNamespaceSelector"),
	{"alertmanager", "alertmanagerSpec", "alertmanagerConfigNamespaceSelector"},
}

const monitorNamespacesWhy = "set from monitorNamespaces: the namespaces whose monitors and rules the stack loads"

// NamespaceNameLabel is the label Kubernetes gives every namespace, its name (1.22 and later).
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// monitorNamespaceSelector selects the stack's own namespaces (the release's, and node-exporter's,
// where the subchart puts its ServiceMonitor) and the ones listed.
func monitorNamespaceSelector(own, listed []string) map[string]any {
	var names []any
	seen := map[string]bool{}
	for _, n := range append(slices.Clone(own), listed...) {
		if n == "" {
			continue
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return map[string]any{"matchExpressions": []any{map[string]any{
		"key": NamespaceNameLabel, "operator": "In", "values": names,
	}}}
}

// Node-exporter's port on each node's network: the chart's default, and the lowest a process
// that is not root may listen on (node-exporter runs as nobody, without capabilities).
const (
	DefaultNodeExporterPort = 9100
	MinNodeExporterPort     = 1024
)

// NodeExporterPortPaths are the chart values of node-exporter's port: the port it listens on
// (and, on the host's network, takes on the node) and the one its Service sends to, which the
// subchart does not derive from it (prometheus-node-exporter's values.yaml: service.targetPort
// 9100).
var NodeExporterPortPaths = [][]string{
	{"prometheus-node-exporter", "service", "port"},
	{"prometheus-node-exporter", "service", "targetPort"},
}

const nodeExporterPortWhy = "set from nodeExporterPort: node-exporter's port on the node, which its Service must target too"

// ThanosDatasourceName and ThanosDatasourceUID identify the Grafana datasource of the global view.
const (
	ThanosDatasourceName = "Thanos"
	ThanosDatasourceUID  = "thanos"
)

// ThanosDatasourceQueryParameters are the query parameters the Thanos datasource adds to every
// query (Grafana's customQueryParameters). max_source_resolution=auto makes the query-frontend
// treat a dashboard's query as auto-downsampled (ThanosVersion's pkg/queryfrontend,
// queryrange_codec.go): its results cache then keys it by the resolution step/5 allows, where a
// query without the parameter is keyed as raw and shares entries with explicitly raw queries; and
// an empty answer is asked again at 5m and then 1h (downsampled.go), which fills a panel over data
// whose raw blocks retention has deleted. The querier treats "auto" as its --query.auto-downsampling
// does.
const ThanosDatasourceQueryParameters = "max_source_resolution=auto"

// grafanaValues point the chart's Grafana at the deduplicated, long-term view by default. The keys
// are the chart's (values.yaml of ChartVersion: grafana.additionalDataSources, passed to Grafana's
// datasource provisioning; grafana.sidecar.datasources.isDefaultDatasource, which otherwise makes
// the chart's Prometheus datasource the default, and Grafana refuses two defaults).
func grafanaValues(globalViewURL string) map[string]any {
	return map[string]any{
		"sidecar": map[string]any{"datasources": map[string]any{"isDefaultDatasource": false}},
		"additionalDataSources": []any{map[string]any{
			"name":      ThanosDatasourceName,
			"uid":       ThanosDatasourceUID,
			"type":      "prometheus",
			"access":    "proxy",
			"url":       globalViewURL,
			"isDefault": true,
			"editable":  false,
			"jsonData": map[string]any{
				// Grafana's Prometheus datasource then knows the Thanos query API (no exemplars, etc.).
				"prometheusType":        "Thanos",
				"customQueryParameters": ThanosDatasourceQueryParameters,
			},
		}},
	}
}

// Paths of the chart values the program builds and the tests read.
var (
	// ServiceAccountAnnotationsPath holds the Prometheus ServiceAccount's annotations: the sidecar's
	// IRSA role.
	ServiceAccountAnnotationsPath = []string{"prometheus", "serviceAccount", "annotations"}
	// PrometheusSpecPath holds what the chart copies into the Prometheus resource's spec.
	PrometheusSpecPath = []string{"prometheus", "prometheusSpec"}
	// PrometheusPodAnnotationsPath holds the annotations the operator puts on the Prometheus pods:
	// the objstore config's checksum.
	PrometheusPodAnnotationsPath = []string{"prometheus", "prometheusSpec", "podMetadata", "annotations"}
)

// PrometheusStackValues builds the kube-prometheus-stack values that turn its Prometheus into a
// Thanos-shipping, HA pair. The Thanos sidecar spec, pod metadata and storage are prometheus-
// operator's own Go types, so a misspelt field does not compile; the keys around them are the
// chart's (values.yaml of ChartVersion), and a test renders the real chart with them and checks each
// one arrives in the Prometheus resource.
func PrometheusStackValues(v PrometheusValues) (map[string]any, error) {
	if v.Namespace == "" || v.Replicas < 1 || v.ClusterName == "" || v.Retention == "" || v.ServiceAccountName == "" || v.ObjstoreSecretName == "" {
		return nil, fmt.Errorf("prometheus values: Namespace, Replicas (>= 1), ClusterName, Retention, ServiceAccountName and ObjstoreSecretName are required")
	}
	if v.PodDisruptionBudget {
		if err := components.CheckPodDisruptionBudget(v.Replicas); err != nil {
			return nil, fmt.Errorf("prometheus values: %w", err)
		}
	}
	prometheusSpec, err := prometheusSpecValues(v)
	if err != nil {
		return nil, err
	}
	prometheus := map[string]any{
		"serviceAccount": map[string]any{"create": true, "name": v.ServiceAccountName},
		"prometheusSpec": prometheusSpec,
	}
	if v.PodDisruptionBudget {
		// The chart always renders its minAvailable default (1) beside whatever is set here, so
		// "all but one" is written as minAvailable rather than maxUnavailable.
		prometheus["podDisruptionBudget"] = map[string]any{"enabled": true, "minAvailable": v.Replicas - 1}
	}
	values := map[string]any{"prometheus": prometheus}
	for key, value := range controlPlaneValues(v.ControlPlaneTargets) {
		values[key] = value
	}
	// The chart's default, an operator managing every namespace's instances, has two stacks'
	// operators in one cluster both reconcile every Prometheus. Its ServiceMonitors and rules come
	// from any namespace unless MonitorNamespaces lists them.
	for _, path := range OperatorInstanceNamespacesPaths {
		SetValueAt(values, path, []any{v.Namespace})
	}
	SetValueAt(values, KubeletServicePath, KubeletService)
	if len(v.MonitorNamespaces) > 0 {
		for _, path := range MonitorNamespaceSelectorPaths {
			SetValueAt(values, path, monitorNamespaceSelector([]string{v.Namespace, v.NodeExporterNamespace}, v.MonitorNamespaces))
		}
	}
	if v.NodeExporterNamespace != "" {
		if v.NodeExporterPort < MinNodeExporterPort || v.NodeExporterPort > 65535 {
			return nil, fmt.Errorf("prometheus values: node-exporter port %d is not within %d-65535", v.NodeExporterPort, MinNodeExporterPort)
		}
		values["prometheus-node-exporter"] = map[string]any{"namespaceOverride": v.NodeExporterNamespace}
		for _, path := range NodeExporterPortPaths {
			SetValueAt(values, path, v.NodeExporterPort)
		}
	}
	if v.GlobalViewURL != "" {
		values["grafana"] = grafanaValues(v.GlobalViewURL)
	}
	if err := chartResourceValues(values, v.ChartResources); err != nil {
		return nil, fmt.Errorf("prometheus values: %w", err)
	}
	return values, nil
}

// prometheusSpecValues are the chart's prometheus.prometheusSpec: the replicas with their external
// labels, the Thanos sidecar with its object storage, the pods' labels, resources and storage.
func prometheusSpecValues(v PrometheusValues) (map[string]any, error) {
	sidecarResources, err := v.SidecarResources.Requirements()
	if err != nil {
		return nil, fmt.Errorf("prometheus values: sidecar resources: %w", err)
	}
	prometheusResources, err := v.PrometheusResources.Requirements()
	if err != nil {
		return nil, fmt.Errorf("prometheus values: prometheus resources: %w", err)
	}
	image, version := components.ThanosImage(), components.ThanosVersion
	thanos, err := components.ToUntyped(monitoringv1.ThanosSpec{Image: &image, Version: &version, Resources: sidecarResources})
	if err != nil {
		return nil, err
	}
	// The chart does not pass the operator's objectStorageConfig through: its Prometheus template
	// (templates/prometheus/prometheus.yaml of ChartVersion, the `thanos:` block) omits the key and
	// writes spec.thanos.objectStorageConfig back only from `existingSecret: {name, key}`. Given
	// the operator's own shape, the sidecar runs without --objstore.config and uploads nothing.
	// With the object storage set, the operator runs the sidecar's shipper and coordinates
	// Prometheus's local compaction with it (operator v0.93.1 with Prometheus >= 3.9 and Thanos
	// >= 0.41: --storage.tsdb.delay-compact-file.path).
	thanos["objectStorageConfig"] = map[string]any{
		"existingSecret": map[string]any{"name": v.ObjstoreSecretName, "key": components.ObjstoreSecretKey},
	}
	podMetadata, err := components.ToUntyped(monitoringv1.EmbeddedObjectMetadata{Labels: components.PrometheusPodLabels()})
	if err != nil {
		return nil, err
	}
	resources, err := components.ToUntyped(prometheusResources)
	if err != nil {
		return nil, err
	}
	prometheusSpec := map[string]any{
		"replicas": v.Replicas,
		// The operator's default, made explicit: the querier deduplicates on this label.
		"replicaExternalLabelName": components.PrometheusReplicaLabel,
		"externalLabels":           valuesOf(components.ExternalLabels(v.ClusterName)),
		"retention":                v.Retention,
		"podMetadata":              podMetadata,
		"thanos":                   thanos,
		"resources":                resources,
		// Select every ServiceMonitor, PodMonitor and rule, not only the chart's own: the Thanos
		// components' monitors carry no release label.
		"serviceMonitorSelectorNilUsesHelmValues": false,
		"podMonitorSelectorNilUsesHelmValues":     false,
		"ruleSelectorNilUsesHelmValues":           false,
	}
	if v.Drain >= prometheusTerminationGracePeriod {
		return nil, fmt.Errorf("prometheus values: drain %v must be shorter than the pods' termination grace period of %v", v.Drain, prometheusTerminationGracePeriod)
	}
	if v.Drain > 0 {
		prometheusSpec["containers"] = drainingContainers(v.Drain)
	}
	if v.StorageSize != "" {
		storage, err := storageSpec(v.StorageSize, v.StorageClass)
		if err != nil {
			return nil, fmt.Errorf("prometheus values: %w", err)
		}
		prometheusSpec["storageSpec"] = storage
	}
	return prometheusSpec, nil
}

// Containers of the operator's Prometheus pods (operator v0.93.1, pkg/prometheus/server/statefulset.go),
// which the Prometheus resource's spec.containers patches by name.
const (
	PrometheusContainer = "prometheus"
	SidecarContainer    = "thanos-sidecar"
)

// prometheusTerminationGracePeriod is the operator's default for the Prometheus pods (operator
// v0.93.1, pkg/prometheus/common.go DefaultTerminationGracePeriodSeconds), which the program keeps.
const prometheusTerminationGracePeriod = 600 * time.Second

// drainingContainers patch the Prometheus and sidecar containers with a preStop sleep of d: the
// sidecar answers the queriers from a Prometheus that is still up until both stop. The kubelet's
// own sleep action (Kubernetes 1.30 and later), so the images need no shell.
func drainingContainers(d time.Duration) []any {
	var containers []any
	for _, name := range []string{PrometheusContainer, SidecarContainer} {
		containers = append(containers, map[string]any{
			"name":      name,
			"lifecycle": map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": int(d.Seconds())}}},
		})
	}
	return containers
}

func storageSpec(size, storageClass string) (map[string]any, error) {
	quantity, err := resource.ParseQuantity(size)
	if err != nil {
		return nil, fmt.Errorf("storage size %q: %w", size, err)
	}
	claim := k8scorev1.PersistentVolumeClaimSpec{
		AccessModes: []k8scorev1.PersistentVolumeAccessMode{k8scorev1.ReadWriteOnce},
		Resources:   k8scorev1.VolumeResourceRequirements{Requests: k8scorev1.ResourceList{k8scorev1.ResourceStorage: quantity}},
	}
	if storageClass != "" {
		claim.StorageClassName = &storageClass
	}
	spec, err := components.ToUntyped(monitoringv1.StorageSpec{VolumeClaimTemplate: monitoringv1.EmbeddedPersistentVolumeClaim{Spec: claim}})
	if err != nil {
		return nil, err
	}
	// Drop the empty status and metadata the upstream structs always marshal.
	if tmpl, ok := spec["volumeClaimTemplate"].(map[string]any); ok {
		delete(tmpl, "status")
		delete(tmpl, "metadata")
	}
	return spec, nil
}

// GrafanaAdminSecret names the Secret with the Grafana admin credentials that the chart creates
// from values (the chart's merged values) in release releaseName: grafana.admin.existingSecret when
// set, else the Grafana subchart's fullname (charts/grafana/templates/_helpers.tpl of ChartVersion,
// "grafana.fullname": the release name if it contains the chart's name ("grafana" or
// nameOverride), else "<release>-<name>"; fullnameOverride replaces both). Empty when grafana.enabled is false.
func GrafanaAdminSecret(values map[string]any, releaseName string) string {
	grafana, enabled := grafanaValuesOf(values)
	if !enabled {
		return ""
	}
	if admin, ok := grafana["admin"].(map[string]any); ok {
		if existing, ok := admin["existingSecret"].(string); ok && existing != "" {
			return existing
		}
	}
	if override, ok := grafana["fullnameOverride"].(string); ok && override != "" {
		return override
	}
	name := grafanaName(grafana)
	if strings.Contains(releaseName, name) {
		return releaseName
	}
	return releaseName + "-" + name
}

// GrafanaPodLabels are the selector labels of the chart's Grafana pods in release releaseName
// (charts/grafana/templates/_helpers.tpl of ChartVersion, "grafana.selectorLabels": the chart's
// name and the release). Nil when grafana.enabled is false.
func GrafanaPodLabels(values map[string]any, releaseName string) map[string]string {
	grafana, enabled := grafanaValuesOf(values)
	if !enabled {
		return nil
	}
	return map[string]string{components.LabelName: grafanaName(grafana), components.LabelInstance: releaseName}
}

// grafanaValuesOf returns the Grafana subchart's values and whether it is enabled (the chart's
// default).
func grafanaValuesOf(values map[string]any) (map[string]any, bool) {
	grafana, _ := values["grafana"].(map[string]any)
	enabled, ok := grafana["enabled"].(bool)
	return grafana, !ok || enabled
}

// grafanaName is the Grafana subchart's name: nameOverride, else "grafana" ("grafana.name").
func grafanaName(grafana map[string]any) string {
	if override, ok := grafana["nameOverride"].(string); ok && override != "" {
		return override
	}
	return "grafana"
}

// valuesOf is a string map as chart values: a map of any, as YAML decodes them and MergeValues
// walks them.
func valuesOf(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
