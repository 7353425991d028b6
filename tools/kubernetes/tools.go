//go:build tools

// Package tools pins the Kubernetes commands the builder (tools/build) builds, in one `go build`
// that shares every common package: the control plane (kube-apiserver, kube-controller-manager,
// kube-scheduler) and the node's agents (kubelet, kube-proxy).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
