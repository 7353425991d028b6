//go:build tools

// Package tools pins the Thanos binary built by the builder (tools/build).
package tools

import (
	_ "github.com/thanos-io/thanos/cmd/thanos"
)
