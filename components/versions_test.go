package components

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestToolVersionsMatchThePins holds the versions the test tools are built at equal to what the
// program deploys: the end-to-end suite must run the very Thanos and Prometheus the stack pins,
// and the integration suite the Pulumi engine of the SDK in go.mod.
func TestToolVersionsMatchThePins(t *testing.T) {
	script, err := os.ReadFile("../scripts/build-tools.sh")
	if err != nil {
		t.Fatal(err)
	}
	pinned := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `=(\S+)`).FindSubmatch(script)
		if m == nil {
			t.Fatalf("scripts/build-tools.sh does not pin %s", name)
		}
		return string(m[1])
	}
	if got := pinned("THANOS_VERSION"); got != ThanosVersion {
		t.Errorf("build-tools.sh builds Thanos %s, the stack deploys %s", got, ThanosVersion)
	}
	if got := "v" + pinned("PROMETHEUS_VERSION"); got != PrometheusVersion {
		t.Errorf("build-tools.sh builds Prometheus %s, the chart deploys %s", got, PrometheusVersion)
	}
	if got := pinned("PROMETHEUS_OPERATOR_VERSION"); got != PrometheusOperatorVersion {
		t.Errorf("build-tools.sh builds prometheus-operator %s, the chart deploys %s", got, PrometheusOperatorVersion)
	}
	// Each helper module requires what the script says it builds.
	for dir, pin := range map[string]struct{ module, version string }{
		"thanos":              {"github.com/thanos-io/thanos", pinned("THANOS_VERSION")},
		"prometheus-operator": {"github.com/prometheus-operator/prometheus-operator", pinned("PROMETHEUS_OPERATOR_VERSION")},
		"prometheus":          {"github.com/prometheus/prometheus", pinned("PROMETHEUS_MODULE_VERSION")},
		"kubernetes":          {"k8s.io/kubernetes", pinned("KUBERNETES_VERSION")},
		"pulumi":              {"github.com/pulumi/pulumi/pkg/v3", pinned("PULUMI_VERSION")},
		"minio":               {"github.com/minio/minio", pinned("MINIO_VERSION")},
	} {
		raw, err := os.ReadFile("../tools/" + dir + "/go.mod")
		if err != nil {
			t.Fatal(err)
		}
		mod, err := modfile.Parse(dir, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range mod.Require {
			if r.Mod.Path == pin.module {
				found = true
				if r.Mod.Version != pin.version {
					t.Errorf("tools/%s/go.mod requires %s %s, build-tools.sh pins %s", dir, pin.module, r.Mod.Version, pin.version)
				}
			}
		}
		if !found {
			t.Errorf("tools/%s/go.mod does not require %s", dir, pin.module)
		}
	}
	raw, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mod.Require {
		if r.Mod.Path == "github.com/pulumi/pulumi/sdk/v3" && r.Mod.Version != pinned("PULUMI_VERSION") {
			t.Errorf("build-tools.sh builds the Pulumi CLI %s, go.mod's SDK is %s", pinned("PULUMI_VERSION"), r.Mod.Version)
		}
	}
	if !strings.HasPrefix(ThanosImage(), "quay.io/thanos/thanos:v") {
		t.Errorf("Thanos image %s", ThanosImage())
	}
}
