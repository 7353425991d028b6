// Package charts holds the chart package the program pins (README.md here), embedded so that the
// program reads the CRDs of exactly these bytes wherever it runs.
package charts

import "embed"

//go:embed *.tgz
var packages embed.FS

// Package returns the bytes of the package file name of this directory.
func Package(name string) ([]byte, error) { return packages.ReadFile(name) }
