package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
)

// TestSubstitutionsDocumented checks that docs/substitutions.md lists exactly the substitutions the
// suites make, and the alerts they cause.
func TestSubstitutionsDocumented(t *testing.T) {
	holdDocTables(t, "substitutions.md", []docTable{
		{"substitution table", "| Component | Key |", SubstitutionTable()},
		{"table of the alerts substitutions cause", "| Alert | Caused by |", SubstitutionAlertTable()},
	})
}

// TestChartLintAcceptedDocumented checks that docs/security.md lists exactly the kube-score findings
// the integration suite accepts on the chart's and the operator's objects.
func TestChartLintAcceptedDocumented(t *testing.T) {
	holdDocTables(t, "security.md", []docTable{
		{"table of accepted kube-score findings", "| Check | Objects | Containers | Reason |", ChartLintAcceptedTable()},
	})
}

// docTable is a Markdown table a doc carries: its name, its first line's start, and its text.
type docTable struct{ name, head, body string }

// holdDocTables fails unless docs/<file> carries each table; with UPDATE_DOCS set it rewrites them
// in place (each table ends at the first blank line after its head).
func holdDocTables(t *testing.T, file string, tables []docTable) {
	t.Helper()
	path := filepath.Join(RepoRoot(), "docs", file)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	update := os.Getenv("UPDATE_DOCS") != ""
	for _, table := range tables {
		if strings.Contains(text, table.body) {
			continue
		}
		if !update {
			t.Errorf("docs/%s does not carry the %s; run UPDATE_DOCS=1 go test ./tests/internal/harness", file, table.name)
			continue
		}
		start := strings.Index(text, table.head)
		if start < 0 {
			t.Fatalf("docs/%s has no %s to update", file, table.name)
		}
		end := strings.Index(text[start:], "\n\n")
		rest := ""
		if end >= 0 {
			rest = text[start+end+1:]
		}
		text = text[:start] + table.body + rest
	}
	if update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
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
		if got := kube.ExpandEnv(in, env); got != want {
			t.Errorf("ExpandEnv(%q) = %q, want %q", in, got, want)
		}
	}
}
