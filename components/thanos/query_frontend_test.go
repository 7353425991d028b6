package thanos

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestQueryFrontendFlags(t *testing.T) {
	settings := QueryFrontendSettings{}.WithDefaults()
	flags, err := QueryFrontendFlags(QuerierURL("monitoring"), settings)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"--log.level=info",
		"--log.format=logfmt",
		"--http-address=0.0.0.0:10902",
		"--query-frontend.downstream-url=http://thanos-query.monitoring.svc.cluster.local:9090",
		"--query-frontend.compress-responses",
		"--query-frontend.log-queries-longer-than=10s",
		"--query-range.split-interval=24h",
		"--query-range.max-retries-per-request=3",
		"--query.max-retries-per-request=3",
		"--query-range.request-downsampled",
		"--query-range.response-cache-config=type: IN-MEMORY\nconfig:\n    max_size: 256MB\n    validity: 24h\n",
		"--query-range.partial-response",
		"--labels.partial-response",
	}
	if !slices.Equal(flags, want) {
		t.Fatalf("query-frontend flags:\n got %q\nwant %q", flags, want)
	}
}

func TestQueryFrontendCacheConfig(t *testing.T) {
	memcached := QueryFrontendCache{MemcachedAddresses: []string{"memcached.cache:11211", "dns+memcached-b.cache.svc:11211"}, Validity: "12h"}
	raw, err := ResponseCacheConfig(memcached)
	if err != nil {
		t.Fatal(err)
	}
	// The shape Thanos parses (pkg/queryfrontend.CacheProviderConfig, strictly for memcached).
	var parsed struct {
		Type   string `yaml:"type"`
		Config struct {
			Addresses  []string `yaml:"addresses"`
			Expiration string   `yaml:"expiration"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(raw), &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.Type != "MEMCACHED" || !slices.Equal(parsed.Config.Addresses, memcached.MemcachedAddresses) || parsed.Config.Expiration != "12h" {
		t.Errorf("memcached cache config %q parses to %+v", raw, parsed)
	}
	ports, err := memcached.MemcachedPorts()
	if err != nil || !slices.Equal(ports, []int{11211, 11211}) {
		t.Errorf("memcached ports %v, %v", ports, err)
	}
	for _, bad := range []string{"dnssrv+_memcache._tcp.memcached", "memcached", "memcached:port"} {
		if _, err := (QueryFrontendCache{MemcachedAddresses: []string{bad}}).MemcachedPorts(); err == nil {
			t.Errorf("memcached address %q accepted", bad)
		}
	}
	if n, err := (QueryFrontendCache{InMemoryMaxSize: "256MiB"}).InMemoryCacheBytes(); err != nil || n != 256<<20 {
		t.Errorf("256MiB = %d bytes, %v", n, err)
	}
}

func TestQueryFrontendSettingsRefuseWhatThanosRefuses(t *testing.T) {
	for name, s := range map[string]QueryFrontendSettings{
		// Go durations: Thanos's kingpin flags and yaml.v2 know no "d".
		"split interval in days":     {SplitInterval: "1d"},
		"zero split interval":        {SplitInterval: "0s"},
		"slow query threshold":       {SlowQueryThreshold: "slow"},
		"cache validity in days":     {Cache: QueryFrontendCache{Validity: "7d"}},
		"cache size":                 {Cache: QueryFrontendCache{InMemoryMaxSize: "big"}},
		"negative retries":           {MaxRetries: -1},
		"memcached address with srv": {Cache: QueryFrontendCache{MemcachedAddresses: []string{"dnssrv+_x._tcp.memcached"}}},
	} {
		if _, err := QueryFrontendFlags("http://thanos-query:9090", s.WithDefaults()); err == nil {
			t.Errorf("%s: accepted %+v", name, s)
		}
	}
	if _, err := QueryFrontendFlags("thanos-query:9090", QueryFrontendSettings{}.WithDefaults()); err == nil || !strings.Contains(err.Error(), "downstream URL") {
		t.Errorf("a downstream URL without a scheme: %v", err)
	}
}
