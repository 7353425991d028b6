//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

const operatorModule = "github.com/prometheus-operator/prometheus-operator"

// assembleChart copies the stand-in chart (testdata/chart) to dir/kube-prometheus-stack and adds
// the CRDs subchart's crds/ (charts/crds/crds, where the real chart has them): the real
// monitoring.coreos.com CRDs of the operator version the pinned chart ships.
func assembleChart(ctx context.Context, dir string) (string, error) {
	chart := filepath.Join(dir, "kube-prometheus-stack")
	if err := copyTree("testdata/chart", chart); err != nil {
		return "", err
	}
	crds, err := operatorCRDs(ctx, dir)
	if err != nil {
		return "", err
	}
	crdDir := filepath.Join(chart, "charts", "crds", "crds")
	if err := os.MkdirAll(crdDir, 0o755); err != nil {
		return "", err
	}
	for _, src := range crds {
		raw, err := os.ReadFile(src)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(crdDir, filepath.Base(src)), raw, 0o644); err != nil {
			return "", err
		}
	}
	return chart, nil
}

// operatorCRDs finds the CRD files of components.PrometheusOperatorVersion in the Go module cache,
// downloading the module through the module proxy if needed. It runs outside this module so that
// go.mod and go.sum stay untouched.
func operatorCRDs(ctx context.Context, scratch string) ([]string, error) {
	modDir := filepath.Join(scratch, "gomod")
	if err := os.MkdirAll(modDir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", operatorModule+"@"+components.PrometheusOperatorVersion)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s@%s: %w\n%s", operatorModule, components.PrometheusOperatorVersion, err, out)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return nil, fmt.Errorf("go mod download gave no module directory: %s %v", out, err)
	}
	crds, err := filepath.Glob(filepath.Join(mod.Dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(crds)
	var names []string
	for _, c := range crds {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(c), "monitoring.coreos.com_"), ".yaml"))
	}
	for _, want := range []string{"prometheuses", "servicemonitors"} {
		if !contains(names, want) {
			return nil, fmt.Errorf("%s@%s has no CRD %q under example/prometheus-operator-crd (found %v)", operatorModule, components.PrometheusOperatorVersion, want, names)
		}
	}
	return crds, nil
}

// crdNames are the names of the CRDs the assembled chart installs ("prometheuses.monitoring.coreos.com").
func crdNames(chart string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(chart, "charts", "crds", "crds", "monitoring.coreos.com_*.yaml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		plural := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "monitoring.coreos.com_"), ".yaml")
		names = append(names, plural+".monitoring.coreos.com")
	}
	sort.Strings(names)
	return names, nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, raw, 0o644)
	})
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
