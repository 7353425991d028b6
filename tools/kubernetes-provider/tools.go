//go:build tools

// Package tools pins the kubernetes provider plugin built by the builder (tools/build).
//
// The module proxy serves one provider source (a v4 commit of 2026-01-15, whose go.mod pins Pulumi
// v3.215.0). go.mod here raises the modules the plugin shares with the Pulumi CLI (tools/pulumi) and
// the tests (the repository's go.mod) to the versions those select: Pulumi pkg and sdk v3.274.1,
// the Pulumi Kubernetes SDK v4.32.0, gRPC, OpenTelemetry, the Prometheus client, ... so that every
// package they share compiles once on a cold machine. Keep them equal when either side moves:
// compare `go list -m all` here, there and in tools/pulumi.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
)
