//go:build tools

// Package tools pins kube-router, the NetworkPolicy controller of the one-node cluster: the cluster
// suite runs it with only its firewall on, so the program's NetworkPolicies are enforced there.
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
