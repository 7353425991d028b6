//go:build tools

// Package tools pins kube-apiserver built by scripts/build-tools.sh.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
