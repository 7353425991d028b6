package components

// Names of objects that code on both sides of a package boundary agrees on: the IAM roles of
// package bucket trust the ServiceAccounts the workloads of package thanos run as, and the mixin
// (package thanos) selects the scrape job of the PodMonitor that package chart registers.

// StoreGatewayServiceAccountName is the store gateway's ServiceAccount name; the IRSA trust policy
// names it, so it is fixed.
const StoreGatewayServiceAccountName = "thanos-store"

// CompactorServiceAccountName is the compactor's ServiceAccount name; the IRSA trust policy names it.
const CompactorServiceAccountName = "thanos-compact"

// SidecarPodMonitorName names the PodMonitor that scrapes the Thanos sidecars. Prometheus gives
// its series the job "<namespace>/thanos-sidecar", which the program's sidecar alert selector
// (job=~"[^/]+/thanos-sidecar", stackJobSelector) and the mixin's dashboards'
// (job=~".*thanos-sidecar.*") match.
const SidecarPodMonitorName = "thanos-sidecar"
