//go:build tools

// Package tools pins the Prometheus binaries built by scripts/build-tools.sh.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
