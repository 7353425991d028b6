//go:build tools

// Package tools pins the Prometheus binaries built by the builder (tools/build).
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
