package toolset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const root = "../../.."

// TestEveryToolReadsItsPins reads every tool's versions from its helper module, as the builder
// does, and holds the cache key to its parts: a version, tag or go.sum change must give a new
// directory.
func TestEveryToolReadsItsPins(t *testing.T) {
	for _, tool := range Table {
		p, err := ReadPins(root, tool)
		if err != nil {
			t.Errorf("%s: %v", tool.Name, err)
			continue
		}
		if len(tool.Binaries) == 0 {
			t.Errorf("%s yields no binary", tool.Name)
		}
		switch tool.Kind {
		case GoBuild:
			if _, err := os.Stat(filepath.Join(root, tool.HelperDir(), "go.sum")); err != nil {
				t.Errorf("%s: %v", tool.Name, err)
			}
			dir := tool.CacheDir(p)
			for _, part := range append([]string{tool.Name, "deps-" + p.SumKey}, tool.Tags...) {
				if !strings.Contains(dir, part) {
					t.Errorf("%s: cache directory %s lacks %s", tool.Name, dir, part)
				}
			}
			if tool.CacheVersion == nil && !strings.Contains(dir, tool.Version(p)) {
				t.Errorf("%s: cache directory %s lacks the version %s", tool.Name, dir, tool.Version(p))
			}
			for _, b := range tool.Binaries {
				if b.Package == "" {
					t.Errorf("%s: binary %s has no package", tool.Name, b.Name)
				}
			}
		case Debian:
			if len(tool.Packages) == 0 {
				t.Errorf("%s names no Debian package", tool.Name)
			}
		}
	}
}

func TestCacheDirectoriesKeepTheirLayout(t *testing.T) {
	p := Pins{Versions: map[string]string{PrometheusModule: "v0.314.0", ThanosModule: "v0.42.4"}, SumKey: "0123abcd"}
	for name, want := range map[string]string{
		"prometheus": "prometheus-v3.14.0-remove_all_sd-enable_kubernetes_sd-deps-0123abcd",
		"thanos":     "thanos-v0.42.4-netgo-slicelabels-deps-0123abcd",
	} {
		tool, _ := Named(name)
		if got := tool.CacheDir(p); got != want {
			t.Errorf("%s: cache directory %s, want %s", name, got, want)
		}
	}
	pause, _ := Named("pause")
	if got := pause.CacheDir(Pins{Versions: map[string]string{KubernetesModule: "v1.36.3"}}); got != "pause-v1.36.3" {
		t.Errorf("pause: cache directory %s", got)
	}
}

func TestVersionsDerivedFromModules(t *testing.T) {
	if got, err := prometheusRelease("v0.314.0"); err != nil || got != "3.14.0" {
		t.Errorf("prometheusRelease(v0.314.0) = %q, %v", got, err)
	}
	if got, err := prometheusRelease("v0.305.2"); err != nil || got != "3.5.2" {
		t.Errorf("prometheusRelease(v0.305.2) = %q, %v", got, err)
	}
	if _, err := prometheusRelease("v2.53.0"); err == nil {
		t.Error("prometheusRelease accepted a Prometheus 2 version")
	}
	if got, err := minioRelease("v0.0.0-20250907161309-07c3a429bfed"); err != nil || got != "RELEASE.2025-09-07T16-13-09Z" {
		t.Errorf("minioRelease = %q, %v", got, err)
	}
	if _, err := minioRelease("v1.0.0"); err == nil {
		t.Error("minioRelease accepted a tagged version")
	}
	if got := kubeStaging("v1.36.3"); got != "v0.36.3" {
		t.Errorf("kubeStaging = %s", got)
	}
}

func TestKubernetesStagingModulesInStep(t *testing.T) {
	tool, _ := Named("kubernetes")
	p := Pins{Versions: map[string]string{KubernetesModule: "v1.36.3"}, Replaced: map[string]string{"k8s.io/api": "v0.36.3", "k8s.io/client-go": "v0.35.0"}}
	if err := tool.Check(p); err == nil || !strings.Contains(err.Error(), "k8s.io/client-go => v0.35.0") {
		t.Errorf("a staging module behind the release passed: %v", err)
	}
}

// TestSuitesAreCumulative: each suite needs its own tools and those of the suites before it, and
// no variable is printed twice.
func TestSuitesAreCumulative(t *testing.T) {
	var before []Tool
	for _, s := range Suites {
		tools, err := For(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(tools) <= len(before) {
			t.Errorf("%s adds no tool", s)
		}
		have := map[string]bool{}
		for _, tool := range tools {
			have[tool.Name] = true
		}
		for _, tool := range before {
			if !have[tool.Name] {
				t.Errorf("%s lacks %s, which an earlier suite needs", s, tool.Name)
			}
		}
		before = tools
		names, _ := EnvNames(s)
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("%s: variable %s printed twice", s, n)
			}
			seen[n] = true
		}
	}
	if _, err := For("unit"); err == nil {
		t.Error("For accepted a suite without tools")
	}
}
