// Package thanos runs the Thanos workloads beside the chart's Prometheus: the querier, the
// query-frontend, the store gateway, the compactor and the peers Service the querier discovers
// StoreAPIs through, each with its flags built by a pure function; and the monitoring of them,
// the Thanos mixin of the pinned Thanos and the stack's own alerts.
package thanos
