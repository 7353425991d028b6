package components

// Kubernetes label keys and well-known label values, defined once. Every Service, ServiceMonitor,
// PodDisruptionBudget and anti-affinity term derives its selector from here, so they cannot drift
// from the pods' labels.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelVersion   = "app.kubernetes.io/version"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"

	// LabelStoreAPI marks a pod that serves the Thanos StoreAPI on its "grpc" port: the Prometheus
	// pods (their Thanos sidecar) and the store gateways. The peers Service selects on it, so the
	// namespace is the scope of one installation.
	LabelStoreAPI = "thanos.io/store-api"

	// LabelGoverningService marks the headless Service that governs a StatefulSet (its pods' DNS
	// names). The ServiceMonitors select Services without it, so the pods are scraped once,
	// through their client-facing Service.
	LabelGoverningService = "thanos.io/governing-service"

	// PrometheusReplicaLabel is the external label that tells Prometheus replicas apart. The program
	// sets it as the Prometheus resource's replicaExternalLabelName (the operator's default, made
	// explicit) and the querier deduplicates on it, so the two can never disagree.
	PrometheusReplicaLabel = "prometheus_replica"
	// ClusterLabel is the external label naming the Kubernetes cluster a series came from.
	ClusterLabel = "cluster"
)

// ExternalLabels are the external labels of every series of a stack's Prometheus replicas besides
// PrometheusReplicaLabel: what tells one cluster's series from another's in a global view.
func ExternalLabels(clusterName string) map[string]string {
	return map[string]string{ClusterLabel: clusterName}
}

// ThanosLabels is the identity of one Thanos workload: the standard app.kubernetes.io label set.
type ThanosLabels struct {
	// Component is the Thanos component ("query", "store", "compact").
	Component string
	// Instance names this installation; it keeps two installations in one namespace apart.
	Instance string
}

// Selector is the label set a workload's selector, Service, PodDisruptionBudget and anti-affinity
// use. It leaves out the version: workload selectors are immutable, and a version in them would
// make every upgrade a replacement.
func (l ThanosLabels) Selector() map[string]string {
	return map[string]string{
		LabelName:      "thanos-" + l.Component,
		LabelInstance:  l.Instance,
		LabelComponent: l.Component,
	}
}

// ObjectName names the workload's Kubernetes objects (its Deployment or StatefulSet, Service,
// ServiceMonitor, PodDisruptionBudget): "thanos-<component>". Prometheus gives the series it scrapes
// through the ServiceMonitor this name as their job, which the program's alert selectors
// (job=~"thanos-<component>", stackJobSelector) match exactly and the mixin's dashboards'
// (job=~".*thanos-<component>.*") among others.
func (l ThanosLabels) ObjectName() string { return "thanos-" + l.Component }

// Pod is the full label set of the workload's pods and objects: the selector plus version and
// ownership labels.
func (l ThanosLabels) Pod() map[string]string {
	labels := l.Selector()
	labels[LabelVersion] = ThanosVersion
	labels[LabelPartOf] = "thanos"
	labels[LabelManagedBy] = "pulumi"
	return labels
}

// StoreAPISelector selects every pod in the namespace that serves the StoreAPI: Prometheus
// sidecars and store gateways, never the querier or the compactor. It is a single label of its own
// because the operator owns the app.kubernetes.io name, instance and managed-by labels of the
// Prometheus pods.
func StoreAPISelector() map[string]string {
	return map[string]string{LabelStoreAPI: "true"}
}

// PrometheusPodLabels are the labels the program gives the Prometheus pods through the chart's
// podMetadata: the StoreAPI label (the peers Service selects them) and the component label the
// sidecars' PodMonitor selects them by. prometheus-operator v0.93.1 copies podMetadata's labels onto
// the pods and sets none of these keys itself (pkg/prometheus/promcfg.go, BuildPodMetadata;
// pkg/prometheus/server/operator.go, makeSelectorLabels).
func PrometheusPodLabels() map[string]string {
	return WithLabels(StoreAPISelector(), map[string]string{LabelComponent: PrometheusComponent})
}

// PrometheusComponent is the app.kubernetes.io/component of the Prometheus pods.
const PrometheusComponent = "prometheus"

// WithLabels returns a copy of base with extra merged in.
func WithLabels(base map[string]string, extra map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
