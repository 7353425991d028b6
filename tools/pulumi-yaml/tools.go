//go:build tools

// Package tools pins Pulumi YAML's language host, built by the builder (tools/build) for the
// README's YAML example. It is a module of its own: pulumi-yaml v1.25.0 builds against the
// Pulumi packages of its own go.mod, not against the CLI's newer ones.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
