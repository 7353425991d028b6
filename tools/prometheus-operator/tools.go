//go:build tools

// Package tools pins the prometheus-operator commands the builder (tools/build) builds in one
// `go build`: the operator and its config reloader, at the version kube-prometheus-stack ChartVersion
// ships (components.PrometheusOperatorVersion).
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/cmd/operator"
	_ "github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader"
)
