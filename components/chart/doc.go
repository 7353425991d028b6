// Package chart deploys prometheus-operator through the kube-prometheus-stack chart: the Helm
// release with the values the program owns (Prometheus with its Thanos sidecar and the sidecar's
// object storage), the chart's CRDs, which the program applies itself, the sizes of the chart's
// own workloads, and the PodMonitor that scrapes the sidecars.
package chart
