//go:build tools

// Package tools pins the commands the builder (tools/build) builds for the one-node cluster's images,
// in one `go build` that shares their common packages: the exporters kube-prometheus-stack
// ChartVersion deploys, and the cluster's DNS. (Alertmanager embeds a web UI its module does not
// carry, built from Elm sources with a compiler npm downloads from GitHub: it cannot be built here.)
package tools

import (
	_ "github.com/coredns/coredns/coremain" // see coredns/main.go
	_ "github.com/prometheus/node_exporter"
	_ "k8s.io/kube-state-metrics/v2"
)
