//go:build tools

// Package tools pins kube-score, the manifest linter the integration suite runs over the objects
// the program creates (the builder (tools/build) builds it).
package tools

import (
	_ "github.com/zegl/kube-score/cmd/kube-score"
)
