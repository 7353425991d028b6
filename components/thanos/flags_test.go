package thanos

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

func TestQuerierFlagsDiscoverPeersBySRVAndDeduplicate(t *testing.T) {
	peers := PeersSRVAddress("thanos-peers", "monitoring")
	if peers != "dnssrvnoa+_grpc._tcp.thanos-peers.monitoring.svc.cluster.local" {
		t.Fatalf("peers address = %q", peers)
	}
	flags, err := QuerierFlags(peers, RemoteStoreAPIs{}, QuerierSettings{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"--log.level=info",
		"--log.format=logfmt",
		"--grpc-address=0.0.0.0:10901",
		"--http-address=0.0.0.0:10902",
		"--endpoint.sd-config=endpoints:\n    - address: dnssrvnoa+_grpc._tcp.thanos-peers.monitoring.svc.cluster.local\n",
		"--store.sd-dns-interval=10s",
		"--query.replica-label=prometheus_replica",
		"--query.auto-downsampling",
		"--query.timeout=5m",
		"--query.partial-response",
	}
	if !slices.Equal(flags, want) {
		t.Fatalf("query flags:\n got %q\nwant %q", flags, want)
	}
	for _, f := range flags {
		// Gossip and the static --store/--endpoint flags are gone or deprecated in ThanosVersion.
		for _, old := range []string{"--cluster.", "--store=", "--endpoint="} {
			if strings.HasPrefix(f, old) {
				t.Errorf("flag %q is removed or deprecated in Thanos %s", f, components.ThanosVersion)
			}
		}
	}
	// The sd-config is YAML Thanos parses into its EndpointConfig.
	var sd EndpointSDConfig
	value := strings.TrimPrefix(flags[4], "--endpoint.sd-config=")
	if err := yaml.Unmarshal([]byte(value), &sd); err != nil || len(sd.Endpoints) != 1 || sd.Endpoints[0].Address != peers {
		t.Fatalf("sd-config %q parses to %+v, %v", value, sd, err)
	}
	if _, err := QuerierFlags("", RemoteStoreAPIs{}, QuerierSettings{}); err == nil {
		t.Fatal("QuerierFlags accepted an empty peers address")
	}
	if flags, _ := QuerierFlags(peers, RemoteStoreAPIs{}, QuerierSettings{Timeout: "2m"}); !slices.Contains(flags, "--query.timeout=2m") {
		t.Errorf("query flags %q lack the configured timeout", flags)
	}
	if _, err := QuerierFlags(peers, RemoteStoreAPIs{}, QuerierSettings{Timeout: "soon"}); err == nil {
		t.Fatal("QuerierFlags accepted timeout \"soon\"")
	}
}

func TestStoreGatewayFlags(t *testing.T) {
	flags, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{IndexCacheSize: "1GB"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--data-dir=/var/thanos/store",
		"--objstore.config-file=/etc/thanos/objstore/thanos.yaml",
		"--index-cache-size=1GB",
		"--grpc-address=0.0.0.0:10901",
		"--http-address=0.0.0.0:10902",
	} {
		if !slices.Contains(flags, want) {
			t.Errorf("store flags %q lack %q", flags, want)
		}
	}
	if flags, _ := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{SyncInterval: "30s"}); !slices.Contains(flags, "--sync-block-duration=30s") {
		t.Errorf("configured sync interval missing: %q", flags)
	}
	if _, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{SyncInterval: "often"}); err == nil {
		t.Error("StoreGatewayFlags accepted sync interval \"often\"")
	}
	if flags, _ := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{}); !slices.Contains(flags, "--index-cache-size=250MB") || !slices.Contains(flags, "--sync-block-duration=15m") {
		t.Errorf("default index cache size missing: %q", flags)
	}
	if _, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{IndexCacheSize: "64MB"}); err == nil {
		t.Error("StoreGatewayFlags accepted an index cache below Thanos's largest item (the store gateway would exit at start)")
	}
	if _, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{IndexCacheSize: "lots"}); err == nil {
		t.Error("StoreGatewayFlags accepted index cache size \"lots\"")
	}
	limited, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{
		Limits:                   StoreGatewayRequestLimits{Series: 1000, Samples: 120000, DownloadedBytes: 64 << 20},
		IgnoreDeletionMarksDelay: "1d",
		MaxConcurrentRequests:    8,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--store.limits.request-series=1000",
		"--store.limits.request-samples=120000",
		"--store.grpc.downloaded-bytes-limit=67108864B",
		"--store.grpc.series-max-concurrency=8",
		"--store.enable-index-header-lazy-reader",
		"--ignore-deletion-marks-delay=1d",
	} {
		if !slices.Contains(limited, want) {
			t.Errorf("store flags %q lack %q", limited, want)
		}
	}
	if flags, _ := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{}); !slices.Contains(flags, "--store.grpc.series-max-concurrency=20") {
		t.Errorf("store flags %q: want Thanos's default concurrency, 20, set explicitly", flags)
	}
	if _, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{MaxConcurrentRequests: -1}); err == nil {
		t.Error("StoreGatewayFlags accepted -1 concurrent requests")
	}
	if _, err := StoreGatewayFlags(components.ObjstoreSecretKey, StoreGatewaySettings{IgnoreDeletionMarksDelay: "half"}); err == nil {
		t.Error("StoreGatewayFlags accepted ignore deletion marks delay \"half\"")
	}
}

func TestCompactorFlags(t *testing.T) {
	retention := CompactorRetention{Raw: "30d", FiveMinutes: "180d", OneHour: "2y"}
	flags, err := CompactorFlags(components.ObjstoreSecretKey, CompactorSettings{Retention: retention})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"--log.level=info",
		"--log.format=logfmt",
		"--http-address=0.0.0.0:10902",
		"--wait",
		"--data-dir=/var/thanos/compact",
		"--objstore.config-file=/etc/thanos/objstore/thanos.yaml",
		"--retention.resolution-raw=30d",
		"--retention.resolution-5m=180d",
		"--retention.resolution-1h=2y",
		"--delete-delay=48h",
	}
	if !slices.Equal(flags, want) {
		t.Fatalf("compact flags:\n got %q\nwant %q", flags, want)
	}
	if _, err := CompactorFlags(components.ObjstoreSecretKey, CompactorSettings{Retention: CompactorRetention{Raw: "a month", FiveMinutes: "1y", OneHour: "1y"}}); err == nil {
		t.Fatal("CompactorFlags accepted retention \"a month\"")
	}
	if _, err := CompactorFlags(components.ObjstoreSecretKey, CompactorSettings{Retention: retention, DeleteDelay: "later"}); err == nil {
		t.Fatal("CompactorFlags accepted delete delay \"later\"")
	}
	// Deduplication: off unless asked; on, vertical compaction over the replica label the querier
	// deduplicates on, with the penalty algorithm.
	for _, f := range flags {
		if strings.HasPrefix(f, "--deduplication.") || strings.HasPrefix(f, "--compact.enable-vertical-compaction") {
			t.Errorf("deduplication is on by default: %q", f)
		}
	}
	dedup, err := CompactorFlags(components.ObjstoreSecretKey, CompactorSettings{Retention: retention, Deduplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := dedup[len(flags):]; !slices.Equal(got, []string{"--deduplication.replica-label=prometheus_replica", "--deduplication.func=penalty"}) {
		t.Errorf("deduplication flags = %q", got)
	}
}

func TestStoreGatewayRequestLimitsFitTheMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	// 2GiB less the 250MiB index cache and the 256MiB baseline, shared by the concurrent requests.
	const budget = 2*gib - 250<<20 - 256<<20
	for _, concurrency := range []int{DefaultStoreGatewayMaxConcurrentRequests, 8, 1} {
		limits, err := StoreGatewayRequestLimitsFor(2*gib, "250MB", concurrency)
		if err != nil {
			t.Fatal(err)
		}
		perRequest := uint64(budget) / uint64(concurrency)
		if limits.DownloadedBytes != perRequest/storeMemoryPerCountedByte {
			t.Errorf("%d requests: downloaded bytes limit %d, want %d", concurrency, limits.DownloadedBytes, perRequest/storeMemoryPerCountedByte)
		}
		// The concurrent requests at any one limit fit the budget, at the measured memory per unit.
		for what, need := range map[string]uint64{
			"samples":          limits.Samples / samplesPerChunk * storeBytesPerChunk,
			"series":           limits.Series * storeBytesPerSeries,
			"downloaded bytes": limits.DownloadedBytes * storeMemoryPerCountedByte,
		} {
			if all := uint64(concurrency) * need; all > budget || all < budget*99/100 {
				t.Errorf("%d concurrent requests at the %s limit need %d bytes, want just within the budget %d", concurrency, what, all, uint64(budget))
			}
		}
		if limits.Series == 0 || limits.Samples == 0 {
			t.Errorf("limits %+v: a zero limit is no limit", limits)
		}
		bigger, err := StoreGatewayRequestLimitsFor(8*gib, "250MB", concurrency)
		if err != nil || bigger.Samples <= limits.Samples || bigger.Series <= limits.Series {
			t.Errorf("a bigger memory limit gives %+v (%v), not more than %+v", bigger, err, limits)
		}
	}
	if _, err := StoreGatewayRequestLimitsFor(512<<20, "500MB", DefaultStoreGatewayMaxConcurrentRequests); err == nil {
		t.Error("StoreGatewayRequestLimitsFor accepted a memory limit the index cache alone fills")
	}
	if _, err := StoreGatewayRequestLimitsFor(2*gib, "250MB", 0); err == nil {
		t.Error("StoreGatewayRequestLimitsFor accepted 0 concurrent requests")
	}
}

func TestIgnoreDeletionMarksDelayIsHalfTheDeleteDelay(t *testing.T) {
	for deleteDelay, want := range map[string]string{"48h": "1d", "2d": "1d", "1h": "30m", "0s": "0s"} {
		got, err := IgnoreDeletionMarksDelay(deleteDelay)
		if err != nil || got != want {
			t.Errorf("IgnoreDeletionMarksDelay(%q) = %q, %v; want %q", deleteDelay, got, err, want)
		}
	}
	if _, err := IgnoreDeletionMarksDelay("soon"); err == nil {
		t.Error("IgnoreDeletionMarksDelay accepted \"soon\"")
	}
}

func TestSelectorsLeaveOutTheVersion(t *testing.T) {
	for _, l := range []components.ThanosLabels{QuerierLabels("thanos"), QueryFrontendLabels("thanos"), StoreGatewayLabels("thanos"), CompactorLabels("thanos")} {
		sel, pod := l.Selector(), l.Pod()
		if _, ok := sel[components.LabelVersion]; ok {
			t.Errorf("%s selector %v carries the version: selectors are immutable", l.Component, sel)
		}
		if pod[components.LabelVersion] != components.ThanosVersion {
			t.Errorf("%s pod labels %v lack version %s", l.Component, pod, components.ThanosVersion)
		}
		for k, v := range sel {
			if pod[k] != v {
				t.Errorf("%s selector %s=%s does not match its pods' labels %v", l.Component, k, v, pod)
			}
		}
	}
}
