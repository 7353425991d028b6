package program

import "github.com/prometheus-thanos/prometheus-thanos/components/chart"

// The defaults of the resource keys of the chart's own workloads: one constant per default, in one
// table. Memory limits are set well above what is needed (a memory limit that is too low is an OOM
// kill; a request that is too high only a reserved share), and no CPU limit is set, as for the
// Thanos containers (a CPU limit throttles).
//
// Sources. prometheus-operator's jsonnet (jsonnet/prometheus-operator/prometheus-operator.libsonnet
// at v0.93.1, read from the module: requests 100m/100Mi, limits 200m/200Mi) and its config-reloader
// default (cmd/operator/main.go: 10m, 50Mi as request and limit), which the chart overrides with
// no resources at all; the commented examples in the chart's values (ChartVersion: the Grafana
// sidecars requests 50m/50Mi, limit 100Mi; the config reloader 200m/50Mi).
//
// Measured on the one-node cluster (2026-12-06, the prod-shaped stack under the cluster suite's
// drills, peak over 30 minutes of the pod's working set and 1-minute CPU rate, from the kubelet's
// cAdvisor series the chart's Prometheus scrapes): the operator 24.0 MiB and 35.5m,
// kube-state-metrics 18.7 MiB and 3.8m, node-exporter 11.3 MiB and 11.7m. That cluster holds a few
// hundred objects; the operator's and kube-state-metrics' memory grows with the objects they
// watch, so their defaults keep a margin of more than 5x over those peaks (requests) and 15x
// (limits). Grafana, its sidecars, Alertmanager and the admission Jobs do not run there (their
// images cannot be built here: docs/substitutions.md); their figures are the sources' above,
// rounded up, and are not measured.
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
func readChartResources(r *reader) chart.WorkloadResources {
	return chart.WorkloadResources{
		Grafana:              r.resourcesWithStorage("grafana"),
		GrafanaSidecar:       r.resourcesWithStorage("grafanaSidecar"),
		Operator:             r.resourcesWithStorage("operator"),
		ConfigReloader:       r.resources("configReloader"),
		KubeStateMetrics:     r.resourcesWithStorage("kubeStateMetrics"),
		NodeExporter:         r.resourcesWithStorage("nodeExporter"),
		AdmissionWebhookJobs: r.resourcesWithStorage("admissionWebhookJobs"),
		Alertmanager:         r.resourcesWithStorage("alertmanager"),
	}
}
