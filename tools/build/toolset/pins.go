package toolset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// HelperDir is the helper module whose go.mod pins the tool, relative to the repository root; ""
// for a Debian tool.
func (t Tool) HelperDir() string {
	switch {
	case t.Kind == Debian:
		return ""
	case t.Source != "":
		return filepath.Join("tools", t.Source)
	default:
		return filepath.Join("tools", t.Name)
	}
}

// ReadPins reads a tool's pins from its helper module under root (the repository root). Every
// module the table names must be required there, and the tool's own rules must hold; the error
// names the go.mod.
func ReadPins(root string, t Tool) (Pins, error) {
	dir := t.HelperDir()
	if dir == "" {
		return Pins{}, nil
	}
	gomod := filepath.Join(dir, "go.mod")
	raw, err := os.ReadFile(filepath.Join(root, gomod))
	if err != nil {
		return Pins{}, fmt.Errorf("%s: %w", t.Name, err)
	}
	mod, err := modfile.Parse(gomod, raw, nil)
	if err != nil {
		return Pins{}, err
	}
	p := Pins{Versions: map[string]string{}, Replaced: map[string]string{}}
	for _, r := range mod.Require {
		p.Versions[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range mod.Replace {
		if r.New.Version != "" {
			p.Replaced[r.Old.Path] = r.New.Version
		}
	}
	for _, m := range t.Modules {
		if p.Of(m) == "" {
			return Pins{}, fmt.Errorf("%s does not require %s, which the %s tool is built from", gomod, m, t.Name)
		}
	}
	if t.Kind == GoBuild {
		sum, err := os.ReadFile(filepath.Join(root, dir, "go.sum"))
		if err != nil {
			return Pins{}, fmt.Errorf("%s: a helper module needs its go.sum: %w", t.Name, err)
		}
		h := sha256.Sum256(sum)
		p.SumKey = hex.EncodeToString(h[:])[:8]
	}
	if t.Check != nil {
		if err := t.Check(p); err != nil {
			return Pins{}, fmt.Errorf("%s: %w", gomod, err)
		}
	}
	return p, nil
}

// ModuleVersion is the version the named tool's helper module requires of a module: the one place
// a tool's version is written, read by the tests that hold it equal to what the program deploys.
func ModuleVersion(root, tool, module string) (string, error) {
	t, ok := Named(tool)
	if !ok {
		return "", fmt.Errorf("no tool %q in the table", tool)
	}
	p, err := ReadPins(root, t)
	if err != nil {
		return "", err
	}
	if v := p.Of(module); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%s/go.mod does not require %s", t.HelperDir(), module)
}
