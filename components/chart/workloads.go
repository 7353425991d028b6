package chart

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// The workloads of kube-prometheus-stack (ChartVersion) besides Prometheus: what they are called,
// the labels their pods carry, the ports they listen on, and the chart values that size them. The
// NetworkPolicies (network_policies.go) and the chart values (prometheus_stack_values.go) take
// them from here; tests/mocks/chart_render_test.go renders the real chart with the program's values and
// holds every selector and port below to the pods it renders.

// WorkloadResources are the requests and limits of the chart's own workloads. Every container the
// chart renders gets one of them.
type WorkloadResources struct {
	// Grafana is the grafana container of the Grafana pod (grafana.resources).
	Grafana components.Resources
	// GrafanaSidecar is each of the Grafana pod's two k8s-sidecar containers, which load
	// dashboards and datasources from ConfigMaps (grafana.sidecar.resources).
	GrafanaSidecar components.Resources
	// Operator is prometheus-operator (prometheusOperator.resources).
	Operator components.Resources
	// ConfigReloader is the config-reloader and init-config-reloader containers the operator adds
	// to the Prometheus and Alertmanager pods (prometheusOperator.prometheusConfigReloader.resources,
	// which the chart passes to the operator's --config-reloader-* flags: CPU and memory only, no
	// ephemeral storage).
	ConfigReloader components.Resources
	// KubeStateMetrics is kube-state-metrics (kube-state-metrics.resources).
	KubeStateMetrics components.Resources
	// NodeExporter is node-exporter on every node (prometheus-node-exporter.resources).
	NodeExporter components.Resources
	// AdmissionWebhookJobs is each of the two hook Jobs (kube-webhook-certgen) that create the
	// admission webhook's certificate and patch the webhook configurations
	// (prometheusOperator.admissionWebhooks.patch.resources).
	AdmissionWebhookJobs components.Resources
	// Alertmanager is the alertmanager container of the Alertmanager pods
	// (alertmanager.alertmanagerSpec.resources).
	Alertmanager components.Resources
}

// chartResourceValue is one chart value of WorkloadResources.
type chartResourceValue struct {
	path      []string
	resources components.Resources
}

// paths are the chart values each of WorkloadResources' fields sets.
func (c WorkloadResources) paths() []chartResourceValue {
	return []chartResourceValue{
		{GrafanaResourcesPath, c.Grafana},
		{GrafanaSidecarResourcesPath, c.GrafanaSidecar},
		{OperatorResourcesPath, c.Operator},
		{ConfigReloaderResourcesPath, c.ConfigReloader},
		{KubeStateMetricsResourcesPath, c.KubeStateMetrics},
		{NodeExporterResourcesPath, c.NodeExporter},
		{AdmissionWebhookJobsResourcesPath, c.AdmissionWebhookJobs},
		{AlertmanagerResourcesPath, c.Alertmanager},
	}
}

// Paths of the chart values that size the chart's workloads (values.yaml of ChartVersion and of
// its grafana, kube-state-metrics and prometheus-node-exporter subcharts).
var (
	GrafanaResourcesPath              = []string{"grafana", "resources"}
	GrafanaSidecarResourcesPath       = []string{"grafana", "sidecar", "resources"}
	OperatorResourcesPath             = []string{"prometheusOperator", "resources"}
	ConfigReloaderResourcesPath       = []string{"prometheusOperator", "prometheusConfigReloader", "resources"}
	KubeStateMetricsResourcesPath     = []string{"kube-state-metrics", "resources"}
	NodeExporterResourcesPath         = []string{"prometheus-node-exporter", "resources"}
	AdmissionWebhookJobsResourcesPath = []string{"prometheusOperator", "admissionWebhooks", "patch", "resources"}
	AlertmanagerResourcesPath         = []string{"alertmanager", "alertmanagerSpec", "resources"}
)

// chartResourceKeysWhy is why the program owns the chart value that the resource keys of prefix
// set (program/chart_resource_defaults.go).
func chartResourceKeysWhy(prefix string, ephemeralStorage bool) string {
	keys := []string{"CpuRequest", "MemoryRequest", "CpuLimit", "MemoryLimit"}
	if ephemeralStorage {
		keys = append(keys, "EphemeralStorageRequest", "EphemeralStorageLimit")
	}
	for i, k := range keys {
		keys[i] = prefix + k
	}
	return "set from " + strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

// chartResourceValues sets the path of every set field of WorkloadResources in values, each as the
// chart's `resources:` mapping (requests and limits, Kubernetes quantities).
func chartResourceValues(values map[string]any, c WorkloadResources) error {
	for _, p := range c.paths() {
		if p.resources == (components.Resources{}) {
			continue
		}
		requirements, err := p.resources.Requirements()
		if err != nil {
			return fmt.Errorf("%s: %w", ValuePath(p.path), err)
		}
		untyped, err := components.ToUntyped(requirements)
		if err != nil {
			return err
		}
		SetValueAt(values, p.path, untyped)
	}
	return nil
}

// SetValueAt sets value at path in a plain values tree (valueAt's twin), creating the maps on the
// way.
func SetValueAt(values map[string]any, path []string, value any) {
	m := values
	for _, key := range path[:len(path)-1] {
		next, ok := m[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[key] = next
		}
		m = next
	}
	m[path[len(path)-1]] = value
}

// Ports of the chart's pods (ChartVersion with the program's values; the values they come from are
// owned, OwnedChartValues, so that chartValues cannot move a port away from its NetworkPolicy).
const (
	// GrafanaPort is Grafana's HTTP port (grafana.service.targetPort), behind the Service's 80.
	GrafanaPort = 3000
	// OperatorPort is prometheus-operator's HTTPS port (prometheusOperator.tls.internalPort): its
	// metrics and, on the same listener, the admission webhook the API server calls.
	OperatorPort = 10250
	// KubeStateMetricsPort serves the cluster's object metrics (kube-state-metrics.service.port);
	// KubeStateMetricsTelemetryPort its own (kube-state-metrics.selfMonitor.telemetryPort).
	KubeStateMetricsPort          = 8080
	KubeStateMetricsTelemetryPort = 8081
	// AlertmanagerWebPort is Alertmanager's UI and API, where Prometheus sends alerts;
	// AlertmanagerClusterPort the gossip between Alertmanager replicas, over TCP and UDP
	// (prometheus-operator v0.93.1, pkg/alertmanager/statefulset.go). The config reloader beside
	// it serves its metrics on ReloaderWebPort.
	AlertmanagerWebPort     = 9093
	AlertmanagerClusterPort = 9094
)

// Pods select the pods of the chart's workloads in the release's namespace, as the chart
// (ChartVersion) and prometheus-operator label them. A nil selector: that workload is off.
// node-exporter is not here: it runs in the host's network namespace, where NetworkPolicies do
// not apply.
type Pods struct {
	// Grafana: the Grafana pods (GrafanaPodLabels).
	Grafana map[string]string
	// Operator: the prometheus-operator pod (its Deployment's selector).
	Operator map[string]string
	// KubeStateMetrics: the kube-state-metrics pods (the subchart's selector labels).
	KubeStateMetrics map[string]string
	// Alertmanager: the Alertmanager pods the operator runs for the chart's Alertmanager resource
	// (the operator's selector labels, as the chart's Alertmanager Service selects them).
	Alertmanager map[string]string
	// AdmissionWebhookJobs: the values of the `app` label of the hook Jobs' pods that create the
	// webhook's certificate and patch the webhook configurations. They serve nothing.
	AdmissionWebhookJobs []string
}

// chartEnabled reads a boolean toggle of the chart's values at path; def where it is unset.
func chartEnabled(values map[string]any, def bool, path ...string) bool {
	if v, set := valueAt(values, path).(bool); set {
		return v
	}
	return def
}

func stringValue(values map[string]any, path ...string) string {
	s, _ := valueAt(values, path).(string)
	return s
}

// chartName is "kube-prometheus-stack.name" (templates/_helpers.tpl of ChartVersion): nameOverride
// or the chart's name, at most 50 characters.
func chartName(values map[string]any) string {
	name := stringValue(values, "nameOverride")
	if name == "" {
		name = components.ChartName
	}
	return truncName(name, 50)
}

// Fullname is "kube-prometheus-stack.fullname", the prefix of the release's objects' names:
// fullnameOverride; else the release's name if
// it contains the chart's name, else "<release>-<name>"; at most 26 characters.
func Fullname(values map[string]any, releaseName string) string {
	if override := stringValue(values, "fullnameOverride"); override != "" {
		return truncName(override, 26)
	}
	name := stringValue(values, "nameOverride")
	if name == "" {
		name = components.ChartName
	}
	if strings.Contains(releaseName, name) {
		return truncName(releaseName, 26)
	}
	return truncName(releaseName+"-"+name, 26)
}

// truncName is Helm's `trunc n | trimSuffix "-"`.
func truncName(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimSuffix(s, "-")
}

// PodsOf derives Pods from the chart's merged values and the release's name.
func PodsOf(values map[string]any, releaseName string) Pods {
	var pods Pods
	pods.Grafana = GrafanaPodLabels(values, releaseName)
	name := chartName(values)
	if chartEnabled(values, true, "prometheusOperator", "enabled") {
		// templates/prometheus-operator/deployment.yaml: spec.selector.matchLabels.
		pods.Operator = map[string]string{"app": name + "-operator", "release": releaseName}
		if chartEnabled(values, true, "prometheusOperator", "admissionWebhooks", "enabled") &&
			chartEnabled(values, true, "prometheusOperator", "admissionWebhooks", "patch", "enabled") {
			// templates/prometheus-operator/admission-webhooks/job-patch/job-*.yaml.
			pods.AdmissionWebhookJobs = []string{name + "-admission-create", name + "-admission-patch"}
		}
	}
	if chartEnabled(values, true, "kubeStateMetrics", "enabled") {
		// charts/kube-state-metrics/templates/_helpers.tpl, "kube-state-metrics.selectorLabels".
		ksmName := stringValue(values, "kube-state-metrics", "nameOverride")
		if ksmName == "" {
			ksmName = "kube-state-metrics"
		}
		pods.KubeStateMetrics = map[string]string{components.LabelName: ksmName, components.LabelInstance: releaseName}
	}
	if chartEnabled(values, true, "alertmanager", "enabled") {
		// "kube-prometheus-stack.alertmanager.crname", and the labels the operator gives its pods
		// (pkg/alertmanager/operator.go, makeSelectorLabels), which the chart's Service selects.
		crName := Fullname(values, releaseName) + "-alertmanager"
		if chartEnabled(values, false, "cleanPrometheusOperatorObjectNames") {
			crName = Fullname(values, releaseName)
		}
		pods.Alertmanager = map[string]string{"alertmanager": crName, components.LabelName: "alertmanager"}
	}
	slices.Sort(pods.AdmissionWebhookJobs)
	return pods
}
