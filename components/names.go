package components

import "regexp"

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

// DNSName matches a host name of letters, digits and inner hyphens per label, without a trailing
// dot: the one rule for the hosts the program's config names (an object store endpoint, a TLS
// server name, a remote StoreAPI's host).
var DNSName = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
