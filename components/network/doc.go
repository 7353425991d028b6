// Package network fences what one `pulumi up` runs in the namespace: the NetworkPolicies of the
// Thanos workloads, the Prometheus pods and the chart's own pods, derived from the same labels and
// ports the workloads and Services use.
package network
