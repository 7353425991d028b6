package components

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// TestToolVersionsMatchThePins holds the versions the test tools are built at (their helper
// modules' go.mod, read through the builder's table) equal to what the program deploys: the
// end-to-end suite must run the very Thanos and Prometheus the stack pins, and the integration
// suite the Pulumi engine of the SDK in go.mod.
func TestToolVersionsMatchThePins(t *testing.T) {
	built := func(tool, module string) string {
		t.Helper()
		v, err := toolset.ModuleVersion("..", tool, module)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := built("thanos", toolset.ThanosModule); got != ThanosVersion {
		t.Errorf("the suites build Thanos %s, the stack deploys %s", got, ThanosVersion)
	}
	// Prometheus 3 publishes release 3.XY.Z as module v0.3XY.Z.
	if got, want := built("prometheus", toolset.PrometheusModule), "v0.3"+strings.Join(strings.SplitN(strings.TrimPrefix(PrometheusVersion, "v3."), ".", 2), "."); got != want {
		t.Errorf("the suites build Prometheus module %s, the chart deploys Prometheus %s (module %s)", got, PrometheusVersion, want)
	}
	if got := built("prometheus-operator", toolset.PrometheusOperatorModule); got != PrometheusOperatorVersion {
		t.Errorf("the suites build prometheus-operator %s, the chart deploys %s", got, PrometheusOperatorVersion)
	}
	raw, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	cli := built("pulumi", toolset.PulumiModule)
	for _, r := range mod.Require {
		if r.Mod.Path == toolset.PulumiSDKModule && r.Mod.Version != cli {
			t.Errorf("the suites build the Pulumi CLI %s, go.mod's SDK is %s", cli, r.Mod.Version)
		}
	}
	if !strings.HasPrefix(ThanosImage(), "quay.io/thanos/thanos:v") {
		t.Errorf("Thanos image %s", ThanosImage())
	}
}
