package main

import (
	"os/exec"
	"strings"
	"testing"
)

func TestSelectTools(t *testing.T) {
	tools, err := selectTools([]string{"thanos", "integration"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools {
		names = append(names, tool.Name)
	}
	if got, want := strings.Join(names, " "), "pulumi pulumi-yaml kubernetes etcd prometheus-operator kube-score thanos"; got != want {
		t.Errorf("selected %q, want %q", got, want)
	}
	for _, bad := range [][]string{nil, {"unit"}, {"thanos", "nope"}} {
		if _, err := selectTools(bad); err == nil {
			t.Errorf("selectTools(%q) accepted it", bad)
		}
	}
}

// TestShellQuoteRoundTrips evaluates the quoted values in a real shell, as test.sh does.
func TestShellQuoteRoundTrips(t *testing.T) {
	for _, v := range []string{"/plain/path", "with space", "it's", "$HOME", "", "a\"b"} {
		out, err := exec.Command("sh", "-c", "x="+shellQuote(v)+"; printf %s \"$x\"").Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != v {
			t.Errorf("shellQuote(%q) evaluates to %q", v, out)
		}
	}
}
