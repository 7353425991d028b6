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
	if table := SubstitutionTable(); !strings.Contains(string(doc), table) {
		t.Errorf("docs/substitutions.md does not carry the substitution table; paste this in:\n%s", table)
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
