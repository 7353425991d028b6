//go:build tools

// Package tools pins the Pulumi CLI and the kubernetes provider plugin, which the builder
// (tools/build) builds in one `go build` from this one module: they share the Pulumi packages
// (pkg and sdk), gRPC, OpenTelemetry and more, and in one module graph each of those compiles
// once, at one version.
//
// The module proxy serves one provider source (a v4 commit of 2026-01-15, whose go.mod pins Pulumi
// v3.215.0); here it builds against the CLI's Pulumi v3.274.1, with the one adaptation the builder
// applies (toolset.patchKubernetesProvider). The repository's go.mod selects the same Pulumi SDK
// and Kubernetes SDK versions for the tests.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
