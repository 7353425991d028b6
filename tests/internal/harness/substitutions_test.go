package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSubstitutionsDocumented checks that docs/substitutions.md lists exactly the substitutions the
// suites make.
func TestSubstitutionsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(RepoRoot(), "docs", "substitutions.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, table := range []struct{ name, head, body string }{
		{"substitution table", "| Component | Key |", SubstitutionTable()},
		{"table of the alerts substitutions cause", "| Alert | Caused by |", SubstitutionAlertTable()},
	} {
		if strings.Contains(text, table.body) {
			continue
		}
		if os.Getenv("UPDATE_DOCS") == "" {
			t.Errorf("docs/substitutions.md does not carry the %s; run UPDATE_DOCS=1 go test ./tests/internal/harness", table.name)
			continue
		}
		start := strings.Index(text, table.head)
		if start < 0 {
			t.Fatalf("docs/substitutions.md has no %s to update", table.name)
		}
		end := strings.Index(text[start:], "\n\n")
		rest := ""
		if end >= 0 {
			rest = text[start+end+1:]
		}
		text = text[:start] + table.body + rest
	}
	if os.Getenv("UPDATE_DOCS") != "" {
		if err := os.WriteFile(filepath.Join(RepoRoot(), "docs", "substitutions.md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpandEnvAsTheKubeletDoes(t *testing.T) {
	env := map[string]string{"OBJSTORE_CONFIG": "type: S3", "POD_NAME": "p-0"}
	for in, want := range map[string]string{
		"--objstore.config=$(OBJSTORE_CONFIG)": "--objstore.config=type: S3",
		"$(POD_NAME)/$(UNKNOWN)":               "p-0/$(UNKNOWN)",
		"$$(POD_NAME)":                         "$(POD_NAME)",
		"cost: $5":                             "cost: $5",
	} {
		if got := ExpandEnv(in, env); got != want {
			t.Errorf("ExpandEnv(%q) = %q, want %q", in, got, want)
		}
	}
}
