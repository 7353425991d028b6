//go:build tools

// Package tools pins the MinIO server built by scripts/build-tools.sh.
package tools

import (
	_ "github.com/minio/minio"
)
