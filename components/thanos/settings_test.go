package thanos

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// settingErrorsOf are the SettingErrors err joins, as Setting: Name: Message lines.
func settingErrorsOf(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("not a joined error: %v", err)
	}
	for _, e := range joined.Unwrap() {
		var s *components.SettingError
		if !errors.As(e, &s) {
			t.Fatalf("not a SettingError: %v", e)
		}
		out = append(out, s.Setting+": "+s.Name+": "+s.Message)
	}
	return out
}

// Every component's Validate reports each bad setting once, under the name the caller gives it,
// and names the other settings a rule compares it with by their names too.
func TestValidateNamesEachBadSetting(t *testing.T) {
	names := components.SettingNames{"Retention.Raw": "raw", "Retention.FiveMinutes": "fiveMinutes", "Retention.OneHour": "oneHour", "DeleteDelay": "delay"}
	err := CompactorSettings{Retention: CompactorRetention{Raw: "30d", FiveMinutes: "1d", OneHour: "forever"}, DeleteDelay: "later"}.Validate(names)
	got := settingErrorsOf(t, err)
	want := []string{
		`Retention.OneHour: oneHour: "forever" is not a duration`,
		`DeleteDelay: delay: "later" is not a duration`,
		`Retention.FiveMinutes: fiveMinutes: "1d" is shorter than raw "30d"`,
		`Retention.FiveMinutes: fiveMinutes: "1d" is shorter than 10d`,
	}
	if len(got) != len(want) {
		t.Fatalf("compactor: %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("compactor error %d: %q, want it to start with %q", i, got[i], want[i])
		}
	}

	// Without names, each setting is called by its field.
	err = StoreGatewaySettings{IndexCacheSize: "64MB", SyncInterval: "0s", MaxConcurrentRequests: -1}.Validate(nil)
	got = settingErrorsOf(t, err)
	for i, prefix := range []string{
		`IndexCacheSize: IndexCacheSize: "64MB" is below 125MB`,
		"SyncInterval: SyncInterval: must be more than 0",
		"MaxConcurrentRequests: MaxConcurrentRequests: -1 is below the minimum of 1",
	} {
		if i >= len(got) || !strings.HasPrefix(got[i], prefix) {
			t.Errorf("store gateway: errors %q, want %q at %d", got, prefix, i)
		}
	}

	err = QueryFrontendSettings{SplitInterval: "1d", SlowQueryThreshold: "10s", MaxRetries: 3,
		Cache: QueryFrontendCache{Validity: "24h", InMemoryMaxSize: "lots", MemcachedAddresses: nil}}.Validate(components.SettingNames{"SplitInterval": "split"})
	got = settingErrorsOf(t, err)
	if len(got) != 2 || !strings.HasPrefix(got[0], `SplitInterval: split: "1d" is not a positive Go duration`) || !strings.HasPrefix(got[1], `Cache.InMemoryMaxSize: Cache.InMemoryMaxSize: "lots"`) {
		t.Errorf("query-frontend errors: %q", got)
	}

	if err := (QuerierSettings{Timeout: "0s"}).Validate(nil); err == nil || !strings.Contains(err.Error(), "Timeout: must be more than 0") {
		t.Errorf("querier timeout 0s: %v", err)
	}
	for _, valid := range []error{
		CompactorSettings{Retention: CompactorRetention{Raw: "0d", FiveMinutes: "0d", OneHour: "0d"}}.Validate(nil),
		StoreGatewaySettings{}.Validate(nil),
		QuerierSettings{}.Validate(nil),
		QueryFrontendSettings{}.WithDefaults().Validate(nil),
	} {
		if valid != nil {
			t.Errorf("defaults refused: %v", valid)
		}
	}
}

// One rule for every PodDisruptionBudget the program asks for.
func TestCheckPodDisruptionBudget(t *testing.T) {
	if err := components.CheckPodDisruptionBudget(1); err == nil || !strings.Contains(err.Error(), "guards nothing") {
		t.Errorf("one replica: %v", err)
	}
	if err := components.CheckPodDisruptionBudget(2); err != nil {
		t.Errorf("two replicas: %v", err)
	}
}
