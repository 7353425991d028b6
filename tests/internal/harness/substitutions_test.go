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
	table := SubstitutionTable()
	if strings.Contains(string(doc), table) {
		return
	}
	if os.Getenv("UPDATE_DOCS") != "" {
		text := string(doc)
		start := strings.Index(text, "| Component | Key |")
		if start < 0 {
			t.Fatal("docs/substitutions.md has no table to update")
		}
		end := strings.Index(text[start:], "\n\n")
		rest := ""
		if end >= 0 {
			rest = text[start+end+1:]
		}
		if err := os.WriteFile(filepath.Join(RepoRoot(), "docs", "substitutions.md"), []byte(text[:start]+table+rest), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/substitutions.md does not carry the substitution table; run UPDATE_DOCS=1 go test ./tests/internal/harness")
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
