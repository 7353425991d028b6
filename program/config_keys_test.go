package program

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// projectFile is the part of Pulumi.yaml this test holds equal to configKeys.
type projectFile struct {
	Name   string                      `yaml:"name"`
	Config map[string]projectConfigKey `yaml:"config"`
}

type projectConfigKey struct {
	Type        string `yaml:"type"`
	Default     any    `yaml:"default"`
	Secret      bool   `yaml:"secret"`
	Description string `yaml:"description"`
}

// TestPulumiYAMLDeclaresEveryKey holds Pulumi.yaml's config schema equal to the program's key
// table: every key the program reads is declared with the same type, default, secrecy and
// description, and nothing else is. Run with UPDATE_PULUMI_YAML=1 to print the block to paste.
func TestPulumiYAMLDeclaresEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var project projectFile
	if err := yaml.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	if project.Name != ProjectName {
		t.Fatalf("Pulumi.yaml name %q, program expects %q", project.Name, ProjectName)
	}
	if os.Getenv("UPDATE_PULUMI_YAML") != "" {
		fmt.Print(configBlock())
	}
	seen := map[string]bool{}
	for _, k := range configKeys {
		seen[k.Name] = true
		got, ok := project.Config[k.Name]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %q", k.Name)
			continue
		}
		// No key is marked secret in Pulumi.yaml: the CLI applies an unset key's default as
		// plaintext and then rejects it for not being encrypted, so an optional secret key would
		// fail every stack that leaves it unset. checkSecretKeys enforces secrecy instead.
		if got.Type != k.Type || got.Secret || got.Description != k.Description {
			t.Errorf("Pulumi.yaml %q = %+v; program declares type %s, not secret in Pulumi.yaml, description %q", k.Name, got, k.Type, k.Description)
		}
		if want := typedDefault(k); fmt.Sprint(got.Default) != fmt.Sprint(want) {
			t.Errorf("Pulumi.yaml %q default %v (%T); program default %v (%T)", k.Name, got.Default, got.Default, want, want)
		}
	}
	for name := range project.Config {
		if !seen[name] {
			t.Errorf("Pulumi.yaml declares %q, which the program never reads", name)
		}
	}
}

// typedDefault is the default as Pulumi.yaml types it; nil where the key is required.
func typedDefault(k configKey) any {
	if k.Default == "" && k.Name == "clusterName" {
		return nil
	}
	switch k.Type {
	case "integer":
		n, _ := strconv.Atoi(k.Default)
		return n
	case "boolean":
		b, _ := strconv.ParseBool(k.Default)
		return b
	}
	return k.Default
}

func configBlock() string {
	var buf bytes.Buffer
	buf.WriteString("config:\n")
	for _, k := range configKeys {
		entry := map[string]any{"type": k.Type, "description": k.Description}
		if d := typedDefault(k); d != nil {
			entry["default"] = d
		}
		out, _ := yaml.Marshal(map[string]any{k.Name: entry})
		for _, line := range bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n")) {
			buf.WriteString("  ")
			buf.Write(line)
			buf.WriteString("\n")
		}
	}
	return buf.String()
}

// TestConfigurationDocDocumentsEveryKey holds the config reference in docs/configuration.md equal
// to the key table. Run with UPDATE_DOCS=1 to rewrite the table in place.
func TestConfigurationDocDocumentsEveryKey(t *testing.T) {
	const path = "../docs/configuration.md"
	const start, end = "<!-- config-table:start -->\n", "<!-- config-table:end -->"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatal("docs/configuration.md lacks the config-table markers")
	}
	want := configTable()
	if got := doc[i+len(start) : j]; got != want {
		if os.Getenv("UPDATE_DOCS") != "" {
			if err := os.WriteFile(path, []byte(doc[:i+len(start)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/configuration.md's config table is out of date; run UPDATE_DOCS=1 go test ./program")
	}
}

func configTable() string {
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
	for _, k := range configKeys {
		def := "`" + k.Default + "`"
		switch {
		case k.Name == "clusterName":
			def = "required"
		case k.Default == "":
			def = "none"
		}
		if k.Secret {
			def += " (secret)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.Name, k.Type, def, strings.ReplaceAll(k.Description, "|", "\\|"))
	}
	return b.String()
}
