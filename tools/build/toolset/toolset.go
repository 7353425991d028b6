// Package toolset declares, once, every tool the tagged test suites run: where its version is
// pinned, how it is built or installed, the binaries it yields and the environment variables that
// name them for the suites. The builder (tools/build) builds from this table and the test harness
// reads its variables through it; nothing else lists the tools.
//
// A Go tool's version lives in its helper module's go.mod (tools/<name>/go.mod), the only place it
// is written: the table names the module, and Read takes the version from there.
package toolset

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind says how a tool is obtained.
type Kind int

const (
	// GoBuild tools are compiled with `go build` from their helper module tools/<Name>.
	GoBuild Kind = iota
	// Debian tools are installed from Debian packages (the suites run their own instances).
	Debian
	// CSource tools are compiled with gcc from a C file in a Go module's source.
	CSource
)

// Suite names a tagged test suite. Suites are cumulative: e2e needs every integration tool, cluster
// every e2e tool.
type Suite string

// The tagged suites, in the order each adds to the one before.
const (
	Integration Suite = "integration"
	E2E         Suite = "e2e"
	Cluster     Suite = "cluster"
)

// Suites lists the tagged suites, each needing its own tools and those of the ones before it.
var Suites = []Suite{Integration, E2E, Cluster}

// Binary is one file a tool yields.
type Binary struct {
	// Name is the file's name in the tool's bin directory (or the command on PATH, for Debian).
	Name string
	// Package is the Go package built into it (GoBuild tools).
	Package string
	// Smoke are the arguments a fresh binary is run with before it goes into the cache (a Debian
	// tool's, when found); its first line of output is logged.
	Smoke []string
	// Plugin marks a Pulumi plugin, which has no version flag: started alone, it prints the port it
	// serves on, and that is its smoke test.
	Plugin bool
	// Env is the variable --print-env sets to the binary's path; empty when only DirEnv names it.
	Env string
}

// Tool is one entry of the table.
type Tool struct {
	// Name is the tool's name on the command line, its helper module's directory under tools/
	// (GoBuild) and the first part of its cache directory.
	Name string
	// Suite is the first suite that needs the tool.
	Suite Suite
	Kind  Kind
	// Modules are the modules whose versions, in tools/<Name>/go.mod, are the tool's version; the
	// first is the tool's own.
	Modules []string
	// Tags are the build tags, as upstream's release builds set them (part of the cache key).
	Tags []string
	// LDFlags stamps the version as upstream's release builds do (without -s -w, which every
	// build adds).
	LDFlags func(Pins) string
	// CacheVersion is the version part of the cache directory; nil means the first module's version.
	CacheVersion func(Pins) string
	// Binaries are the files the tool yields, built in one `go build` so shared packages compile once.
	Binaries []Binary
	// DirEnv is the variable --print-env sets to the tool's bin directory (for a Debian tool, to
	// Dir), if any.
	DirEnv string
	// Dir is the directory of a Debian tool that DirEnv names.
	Dir string
	// Source is the helper module whose go.mod pins a CSource tool's module (its directory under
	// tools/).
	Source string
	// Versions are further variables --print-env sets: the versions images built from the tool are
	// tagged with.
	Versions []VersionVar
	// Packages are the Debian packages that provide a Debian tool.
	Packages []string
	// ExpectVersion is the version a Debian tool should report (warned about, not enforced: Debian
	// decides).
	ExpectVersion string
	// SmokeEnv are extra environment variables for the smoke test.
	SmokeEnv []string
	// ColdMinutes is the tool's cold build, measured alone on 2 cores: the builder starts the
	// longest first, so that two builds side by side end together.
	ColdMinutes int
	// Check verifies rules of the helper module beyond its pins (e.g. staging modules in step).
	Check func(Pins) error
	// ModulePatch, when set, builds from a writable copy of PatchedModule (default: the first
	// module) with this applied to the copy's directory: for a module whose build needs files its
	// Makefile generates, or one adaptation to the versions the helper module selects.
	ModulePatch func(dir string) error
	// PatchedModule is the module ModulePatch applies to; empty means the first.
	PatchedModule string
}

// PatchTarget is the module ModulePatch applies to.
func (t Tool) PatchTarget() string {
	if t.PatchedModule != "" {
		return t.PatchedModule
	}
	return t.Modules[0]
}

// VersionVar is a version --print-env sets for the suites (the cluster's images are tagged with
// them).
type VersionVar struct {
	Env string
	// From derives it from the helper module's pins; nil when the builder reads it from the tool's
	// source (the pause image's tag).
	From func(Pins) (string, error)
}

// Pins are the versions a helper module's go.mod selects, by module path, and a short hash of its
// go.sum (a dependency raised there must rebuild the tool).
type Pins struct {
	Versions map[string]string
	// Replaced are the modules the go.mod replaces with another version, to that version.
	Replaced map[string]string
	SumKey   string
}

// Of is the version the go.mod requires of module, or "" when it does not.
func (p Pins) Of(module string) string { return p.Versions[module] }

// Version is the tool's own version: that of its first module.
func (t Tool) Version(p Pins) string {
	if len(t.Modules) == 0 {
		return ""
	}
	return p.Of(t.Modules[0])
}

// CacheDir is the tool's directory name in the cache: name, version, build tags and the go.sum
// hash, so that any of them changing builds into a new directory.
func (t Tool) CacheDir(p Pins) string {
	v := t.Version(p)
	if t.CacheVersion != nil {
		v = t.CacheVersion(p)
	}
	parts := []string{t.Name, v}
	parts = append(parts, t.Tags...)
	if p.SumKey != "" {
		parts = append(parts, "deps-"+p.SumKey)
	}
	return strings.Join(parts, "-")
}

// For lists the tools a suite needs, in table order.
func For(s Suite) ([]Tool, error) {
	idx := -1
	for i, known := range Suites {
		if known == s {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("unknown suite %q (allowed: %s)", s, suiteNames())
	}
	var out []Tool
	for _, t := range Table {
		for _, earlier := range Suites[:idx+1] {
			if t.Suite == earlier {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// Named finds a tool of the table.
func Named(name string) (Tool, bool) {
	for _, t := range Table {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// EnvNames lists every variable --print-env sets for a suite's tools.
func EnvNames(s Suite) ([]string, error) {
	tools, err := For(s)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range tools {
		if t.DirEnv != "" {
			names = append(names, t.DirEnv)
		}
		for _, b := range t.Binaries {
			if b.Env != "" {
				names = append(names, b.Env)
			}
		}
		for _, v := range t.Versions {
			names = append(names, v.Env)
		}
	}
	return names, nil
}

func suiteNames() string {
	names := make([]string, len(Suites))
	for i, s := range Suites {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// stampVersion is the -X flag that sets a string variable to a version.
func stampVersion(variable, version string) string { return "-X " + variable + "=" + version }

// withoutV drops a version's leading "v", as prometheus/common's version string has it.
func withoutV(v string) string { return strings.TrimPrefix(v, "v") }

// prometheusRelease is the Prometheus release of a module version: Prometheus 3 publishes its Go
// module as v0.3XY.Z for release 3.XY.Z.
func prometheusRelease(module string) (string, error) {
	m := regexp.MustCompile(`^v0\.3(\d\d)\.(\d+)$`).FindStringSubmatch(module)
	if m == nil {
		return "", fmt.Errorf("github.com/prometheus/prometheus %s is not a Prometheus 3 module version (v0.3XY.Z)", module)
	}
	return fmt.Sprintf("3.%d.%s", atoi(m[1]), m[2]), nil
}

// minioRelease is the MinIO release a pseudo-version's commit is tagged with: MinIO tags each
// release RELEASE.<commit time>, and the pseudo-version carries that time.
func minioRelease(pseudo string) (string, error) {
	m := regexp.MustCompile(`^v0\.0\.0-(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)-[0-9a-f]{12}$`).FindStringSubmatch(pseudo)
	if m == nil {
		return "", fmt.Errorf("github.com/minio/minio %s is not a pseudo-version of a release commit", pseudo)
	}
	return fmt.Sprintf("RELEASE.%s-%s-%sT%s-%s-%sZ", m[1], m[2], m[3], m[4], m[5], m[6]), nil
}

// kubeStaging is the version of the k8s.io staging modules that go with a Kubernetes release
// (v1.36.3 -> v0.36.3).
func kubeStaging(v string) string { return "v0." + strings.TrimPrefix(v, "v1.") }

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
