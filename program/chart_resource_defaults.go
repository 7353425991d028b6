package program

import "github.com/prometheus-thanos/prometheus-thanos/components"

// The defaults of the resource keys of the chart's own workloads: one constant per default, in one
// table. They are PROVISIONAL: conservative figures from upstream guidance, named beside each, not
// yet measured. Replace each with the peak measured on the one-node cluster under the suites' load
// plus a stated margin, and say so here. Memory limits are set well above the upstream figures
// (a memory limit that is too low is an OOM kill; a request that is too high only a reserved
// share), and no CPU limit is set, as for the Thanos containers (a CPU limit throttles).
//
// Upstream figures: prometheus-operator's jsonnet (jsonnet/prometheus-operator/
// prometheus-operator.libsonnet at v0.93.1, read from the module: requests 100m/100Mi, limits
// 200m/200Mi); kube-prometheus's jsonnet components, which this repository does not pin
// (kube-state-metrics requests 10m/190Mi, limits 100m/250Mi; node-exporter requests 102m/180Mi,
// limits 250m/180Mi; Alertmanager requests 4m/100Mi, limits 100m/100Mi; Grafana requests
// 100m/100Mi, limits 200m/200Mi: check them against its release when measuring); the commented examples in the chart's values
// (ChartVersion: the Grafana sidecars requests 50m/50Mi, limit 100Mi; the config reloader 200m/50Mi)
// and prometheus-operator v0.93.1's own config-reloader default (cmd/operator/main.go: 10m, 50Mi
// as request and limit), which the chart overrides with no resources at all.
const (
	// Grafana's grafana container. Its SQLite database and the dashboards the sidecars write are on
	// emptyDir volumes, which count as its pod's ephemeral storage.
	defaultGrafanaCPURequest              = "100m"
	defaultGrafanaMemoryRequest           = "128Mi"
	defaultGrafanaMemoryLimit             = "512Mi"
	defaultGrafanaEphemeralStorageRequest = "128Mi"
	defaultGrafanaEphemeralStorageLimit   = "512Mi"

	// Each of Grafana's two k8s-sidecar containers (dashboards, datasources; Python).
	defaultGrafanaSidecarCPURequest              = "50m"
	defaultGrafanaSidecarMemoryRequest           = "64Mi"
	defaultGrafanaSidecarMemoryLimit             = "256Mi"
	defaultGrafanaSidecarEphemeralStorageRequest = "64Mi"
	defaultGrafanaSidecarEphemeralStorageLimit   = "256Mi"

	// prometheus-operator. Its memory grows with the objects it watches (Secrets, ConfigMaps).
	defaultOperatorCPURequest              = "100m"
	defaultOperatorMemoryRequest           = "128Mi"
	defaultOperatorMemoryLimit             = "512Mi"
	defaultOperatorEphemeralStorageRequest = "64Mi"
	defaultOperatorEphemeralStorageLimit   = "256Mi"

	// The config reloaders the operator adds to the Prometheus and Alertmanager pods (CPU and
	// memory only: the operator's flags have no ephemeral storage). It holds the whole
	// configuration and rule files while it renders them.
	defaultConfigReloaderCPURequest    = "10m"
	defaultConfigReloaderMemoryRequest = "64Mi"
	defaultConfigReloaderMemoryLimit   = "128Mi"

	// kube-state-metrics. Its memory grows with the cluster's objects.
	defaultKubeStateMetricsCPURequest              = "50m"
	defaultKubeStateMetricsMemoryRequest           = "128Mi"
	defaultKubeStateMetricsMemoryLimit             = "512Mi"
	defaultKubeStateMetricsEphemeralStorageRequest = "64Mi"
	defaultKubeStateMetricsEphemeralStorageLimit   = "256Mi"

	// node-exporter, on every node: its request is reserved on each.
	defaultNodeExporterCPURequest              = "50m"
	defaultNodeExporterMemoryRequest           = "64Mi"
	defaultNodeExporterMemoryLimit             = "180Mi"
	defaultNodeExporterEphemeralStorageRequest = "64Mi"
	defaultNodeExporterEphemeralStorageLimit   = "256Mi"

	// Each admission webhook hook Job (kube-webhook-certgen: creates a certificate, patches two
	// objects, exits).
	defaultAdmissionWebhookJobsCPURequest              = "10m"
	defaultAdmissionWebhookJobsMemoryRequest           = "32Mi"
	defaultAdmissionWebhookJobsMemoryLimit             = "128Mi"
	defaultAdmissionWebhookJobsEphemeralStorageRequest = "64Mi"
	defaultAdmissionWebhookJobsEphemeralStorageLimit   = "256Mi"

	// Alertmanager's alertmanager container. Its notification log and silences are on an emptyDir
	// unless the chart's storage is set.
	defaultAlertmanagerCPURequest              = "25m"
	defaultAlertmanagerMemoryRequest           = "64Mi"
	defaultAlertmanagerMemoryLimit             = "256Mi"
	defaultAlertmanagerEphemeralStorageRequest = "64Mi"
	defaultAlertmanagerEphemeralStorageLimit   = "256Mi"
)

// chartResourceKeys are the resource keys of the chart's own workloads, in the form of the Thanos
// ones (resourceKeys, and the ephemeral-storage keys where the chart passes them on).
var chartResourceKeys = concat(
	resourceKeys("grafana", "the chart's Grafana container", defaultGrafanaCPURequest, defaultGrafanaMemoryRequest, "", defaultGrafanaMemoryLimit),
	chartEphemeralStorageKeys("grafana", "the chart's Grafana container", defaultGrafanaEphemeralStorageRequest, defaultGrafanaEphemeralStorageLimit),
	resourceKeys("grafanaSidecar", "each of the Grafana pod's two sidecars (dashboards, datasources)", defaultGrafanaSidecarCPURequest, defaultGrafanaSidecarMemoryRequest, "", defaultGrafanaSidecarMemoryLimit),
	chartEphemeralStorageKeys("grafanaSidecar", "each of the Grafana pod's two sidecars", defaultGrafanaSidecarEphemeralStorageRequest, defaultGrafanaSidecarEphemeralStorageLimit),
	resourceKeys("operator", "prometheus-operator", defaultOperatorCPURequest, defaultOperatorMemoryRequest, "", defaultOperatorMemoryLimit),
	chartEphemeralStorageKeys("operator", "prometheus-operator", defaultOperatorEphemeralStorageRequest, defaultOperatorEphemeralStorageLimit),
	resourceKeys("configReloader", "each config reloader the operator runs beside Prometheus and Alertmanager (and its init container)", defaultConfigReloaderCPURequest, defaultConfigReloaderMemoryRequest, "", defaultConfigReloaderMemoryLimit),
	resourceKeys("kubeStateMetrics", "kube-state-metrics", defaultKubeStateMetricsCPURequest, defaultKubeStateMetricsMemoryRequest, "", defaultKubeStateMetricsMemoryLimit),
	chartEphemeralStorageKeys("kubeStateMetrics", "kube-state-metrics", defaultKubeStateMetricsEphemeralStorageRequest, defaultKubeStateMetricsEphemeralStorageLimit),
	resourceKeys("nodeExporter", "node-exporter on each node", defaultNodeExporterCPURequest, defaultNodeExporterMemoryRequest, "", defaultNodeExporterMemoryLimit),
	chartEphemeralStorageKeys("nodeExporter", "node-exporter on each node", defaultNodeExporterEphemeralStorageRequest, defaultNodeExporterEphemeralStorageLimit),
	resourceKeys("admissionWebhookJobs", "each of the admission webhook's hook Jobs (kube-webhook-certgen)", defaultAdmissionWebhookJobsCPURequest, defaultAdmissionWebhookJobsMemoryRequest, "", defaultAdmissionWebhookJobsMemoryLimit),
	chartEphemeralStorageKeys("admissionWebhookJobs", "each of the admission webhook's hook Jobs", defaultAdmissionWebhookJobsEphemeralStorageRequest, defaultAdmissionWebhookJobsEphemeralStorageLimit),
	resourceKeys("alertmanager", "each Alertmanager container", defaultAlertmanagerCPURequest, defaultAlertmanagerMemoryRequest, "", defaultAlertmanagerMemoryLimit),
	chartEphemeralStorageKeys("alertmanager", "each Alertmanager container", defaultAlertmanagerEphemeralStorageRequest, defaultAlertmanagerEphemeralStorageLimit),
)

// chartEphemeralStorageKeys are ephemeralStorageKeys with defaults of their own.
func chartEphemeralStorageKeys(prefix, who, request, limit string) []configKey {
	keys := ephemeralStorageKeys(prefix, who)
	keys[0].Default, keys[1].Default = request, limit
	return keys
}

// readChartResources reads chartResourceKeys.
func readChartResources(r *reader) components.ChartResources {
	return components.ChartResources{
		Grafana:              r.thanosResources("grafana"),
		GrafanaSidecar:       r.thanosResources("grafanaSidecar"),
		Operator:             r.thanosResources("operator"),
		ConfigReloader:       r.resources("configReloader"),
		KubeStateMetrics:     r.thanosResources("kubeStateMetrics"),
		NodeExporter:         r.thanosResources("nodeExporter"),
		AdmissionWebhookJobs: r.thanosResources("admissionWebhookJobs"),
		Alertmanager:         r.thanosResources("alertmanager"),
	}
}
