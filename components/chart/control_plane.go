package chart

// ControlPlaneTargets says which of the chart's scrape targets beyond the kubelets and the API
// server the cluster serves metrics on, where Prometheus can reach them. The chart scrapes all of
// them by default and alerts when they are absent or down (KubeControllerManagerDown,
// KubeSchedulerDown, KubeProxyDown, the etcd group, TargetDown): on a cluster that does not serve
// them, those alerts fire from the first hour and never stop. The zero value scrapes none.
type ControlPlaneTargets struct {
	// ControlPlane: kube-controller-manager, kube-scheduler and etcd serve metrics on their nodes'
	// addresses (kubeadm, kind and minikube bind them to 127.0.0.1 unless told otherwise; EKS
	// exposes none of them to the chart's ServiceMonitors, which scrape the nodes' addresses).
	ControlPlane bool
	// KubeProxy: kube-proxy serves metrics on the node's address (metricsBindAddress
	// 0.0.0.0:10249); EKS's kube-proxy add-on, kind and minikube bind them to 127.0.0.1.
	KubeProxy bool
}

// ControlPlaneSwitches are the chart's switches of those targets (values.yaml of ChartVersion),
// by the ControlPlaneTargets field that sets them. Each <key>.enabled gates, in the chart, the
// target's Service, Endpoints, ServiceMonitor and Grafana dashboard, and its rule groups: the
// templates of templates/prometheus/rules-1.14 render kubernetes-system-controller-manager,
// kubernetes-system-scheduler, kube-scheduler.rules, etcd and kubernetes-system-kube-proxy only
// where both <key>.enabled and their defaultRules.rules.<group> are true. So one value per target
// turns off its scrape and its rules together, and leaves defaultRules to the user.
var ControlPlaneSwitches = map[string][]string{
	"ControlPlane": {"kubeControllerManager", "kubeScheduler", "kubeEtcd"},
	"KubeProxy":    {"kubeProxy"},
}

// controlPlaneValues are the chart values of t: each switch of ControlPlaneSwitches, on or off.
// Both are written, so that the program owns the value whichever it is.
func controlPlaneValues(t ControlPlaneTargets) map[string]any {
	values := map[string]any{}
	for field, on := range map[string]bool{"ControlPlane": t.ControlPlane, "KubeProxy": t.KubeProxy} {
		for _, key := range ControlPlaneSwitches[field] {
			values[key] = map[string]any{"enabled": on}
		}
	}
	return values
}
