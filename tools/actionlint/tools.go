//go:build tools

// Package tools pins actionlint, the linter scripts/test.sh runs over .github/workflows in its
// unit step (`go run` from this module: a small compile, cached after the first run).
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
