//go:build tools

// Package tools pins the Thanos binary built by scripts/build-tools.sh.
package tools

import (
	_ "github.com/thanos-io/thanos/cmd/thanos"
)
