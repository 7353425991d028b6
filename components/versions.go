package components

// Every version the program deploys is pinned here, in one place. A change to one of them is a
// deliberate upgrade: bump it and the helper module under tools/ that pins the same version for the
// suites (TestToolVersionsMatchThePins holds them equal), then run the end-to-end suite, which
// builds that version and runs it with the generated flags.
const (
	// ThanosVersion is the tag of every Thanos image the program deploys: the sidecar the operator
	// injects, the querier, the store gateway and the compactor. It is the version kube-prometheus-stack
	// ChartVersion ships as its default sidecar, so the operator and this program agree.
	ThanosVersion = "v0.42.4"
	// ThanosImageRepository is the upstream image repository of Thanos.
	ThanosImageRepository = "quay.io/thanos/thanos"

	// ChartRepository is the Helm repository of kube-prometheus-stack, today's packaging of
	// prometheus-operator with Prometheus.
	ChartRepository = "https://prometheus-community.github.io/helm-charts"
	// ChartName is the chart installed from ChartRepository.
	ChartName = "kube-prometheus-stack"
	// ChartVersion is the pinned chart version. It ships PrometheusOperatorVersion and
	// PrometheusVersion below.
	ChartVersion = "88.5.3"
	// ChartSHA256 is the sha256 of the package ChartRepository serves at ChartVersion, which the
	// repository keeps at ChartPackage (scripts/update-chart.sh replaces both on a version bump).
	ChartSHA256 = "567dea88b5536fc8ae94f82f4f2b56bdf19b5df53f2b6f6ece6a9746f22ffb7f"
	// PrometheusOperatorVersion is the operator version ChartVersion ships; its CRDs define the
	// Prometheus and ServiceMonitor resources this program writes.
	PrometheusOperatorVersion = "v0.93.1"
	// PrometheusVersion is the Prometheus version ChartVersion deploys.
	PrometheusVersion = "v3.14.0"
)

// ChartPackage is where the repository keeps the chart package of ChartVersion, relative to its
// root: every suite renders and installs these bytes, and chartPath deploys them.
func ChartPackage() string { return "charts/" + ChartName + "-" + ChartVersion + ".tgz" }

// ThanosImage is the fully qualified, pinned Thanos image.
func ThanosImage() string { return ThanosImageRepository + ":" + ThanosVersion }
