package components_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const (
	module           = "github.com/prometheus-thanos/prometheus-thanos/"
	awsSDK           = "github.com/pulumi/pulumi-aws/"
	kubernetesSDK    = "github.com/pulumi/pulumi-kubernetes/"
	componentsImport = module + "components"
)

// importsOf lists what the non-test files of the package in dir import.
func importsOf(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			seen[path] = true
		}
	}
	var out []string
	for path := range seen {
		out = append(out, path)
	}
	sort.Strings(out)
	return out
}

// TestAWSAndKubernetesMeetOnlyInTheProgram holds the layout package components' doc describes:
// bucket is the only package with AWS code and has no Kubernetes code of its own; chart and
// thanos import only the shared package; network, around both, imports no AWS code; nothing
// imports bucket but the program.
func TestAWSAndKubernetesMeetOnlyInTheProgram(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	mayImport := map[string][]string{
		".":       nil,
		"bucket":  {componentsImport},
		"chart":   {componentsImport},
		"thanos":  {componentsImport},
		"network": {componentsImport, componentsImport + "/chart", componentsImport + "/thanos"},
	}
	dirs := []string{"."}
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(e.Name(), "doc.go")); err == nil {
				dirs = append(dirs, e.Name())
			}
		}
	}
	for _, dir := range dirs {
		allowed, known := mayImport[dir]
		if !known {
			t.Errorf("package %s is not in this test's layout: add it, with what it may import, and to the package doc", dir)
			continue
		}
		var aws, kubernetes bool
		for _, imp := range importsOf(t, dir) {
			aws = aws || strings.HasPrefix(imp, awsSDK)
			kubernetes = kubernetes || strings.HasPrefix(imp, kubernetesSDK)
			if strings.HasPrefix(imp, module) && !slices.Contains(allowed, imp) {
				t.Errorf("package %s imports %s; it may import only %v", dir, imp, allowed)
			}
		}
		if aws != (dir == "bucket") {
			t.Errorf("package %s: imports the AWS SDK %v; only bucket may, and it must", dir, aws)
		}
		if dir == "bucket" && kubernetes {
			t.Errorf("package bucket imports the Kubernetes SDK: Kubernetes objects belong to chart, thanos or network")
		}
	}
}
