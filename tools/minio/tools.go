//go:build tools

// Package tools pins the MinIO server built by the builder (tools/build).
package tools

import (
	_ "github.com/minio/minio"
)
