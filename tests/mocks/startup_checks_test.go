package mocks

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// thanosWorkloads are the program's workload of each thanos command.
var thanosWorkloads = map[string][2]string{
	"compact":        {"kubernetes:apps/v1:StatefulSet", "thanos-compact"},
	"store":          {"kubernetes:apps/v1:StatefulSet", "thanos-store"},
	"query":          {"kubernetes:apps/v1:Deployment", "thanos-query"},
	"query-frontend": {"kubernetes:apps/v1:Deployment", "thanos-query-frontend"},
}

// TestConfigRefusesWhatThanosRefusesAtStart: for each start-up check of the pinned Thanos
// (harness.ThanosStartupChecks, run against the real binary by the end-to-end suite), the value
// that fails it is refused in config, naming the key and before any resource, and the value just
// inside the boundary reaches the command's flag unchanged.
func TestConfigRefusesWhatThanosRefusesAtStart(t *testing.T) {
	for _, c := range harness.ThanosStartupChecks {
		t.Run(c.Key+"="+c.Refused, func(t *testing.T) {
			config := stackConfig(t, "dev")
			for k, v := range c.Alongside {
				config["prometheus-thanos:"+k] = v
			}
			config["prometheus-thanos:"+c.Key] = c.Refused
			r := runProgram(t, "dev", config)
			if r.err == nil {
				t.Fatalf("%s = %q was accepted; thanos %s refuses it at start (%s): %q", c.Key, c.Refused, c.Command, c.Source, c.ThanosError)
			}
			for _, want := range []string{"prometheus-thanos:" + c.Key, c.ConfigError} {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error %q does not contain %q", r.err, want)
				}
			}
			if len(r.resources) != 0 {
				t.Errorf("%d resources were registered before the error", len(r.resources))
			}

			accepted := maps.Clone(config)
			accepted["prometheus-thanos:"+c.Key] = c.Accepted
			r = runProgram(t, "dev", accepted)
			if r.err != nil {
				t.Fatalf("%s = %q, inside the boundary, was refused: %v", c.Key, c.Accepted, r.err)
			}
			workload := thanosWorkloads[c.Command]
			args := strs(t, container(t, r.one(t, workload[0], workload[1]))["args"])
			if want := "--" + c.Flag + "=" + c.Accepted; !slices.Contains(args, want) {
				t.Errorf("thanos %s args %q lack %q", c.Command, args, want)
			}
		})
	}
}
