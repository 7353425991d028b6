// Package kube is the Kubernetes the suites run against: a control plane on loopback (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler) with its certificates, the one-node
// cluster around it (containerd, kubelet, kube-proxy, kube-router, CoreDNS, storage, images built
// from the tools' binaries), a small API client, and the kubelet's part for containers the suites
// run as processes (their environment and mounted files).
package kube
