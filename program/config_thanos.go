package program

import (
	"errors"
	"strings"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// The Thanos workloads' sections of the configuration: each reads its keys into the component's
// settings type, and the component's Validate checks them; these maps name the config key each
// setting is read from, so that its errors name the key.
var (
	querierKeys = components.SettingNames{
		"Timeout": "querierTimeout",
	}
	queryFrontendKeys = components.SettingNames{
		"SplitInterval":            "queryFrontendSplitInterval",
		"SlowQueryThreshold":       "queryFrontendSlowQueryThreshold",
		"Cache.InMemoryMaxSize":    "queryFrontendCacheSize",
		"Cache.Validity":           "queryFrontendCacheValidity",
		"Cache.MemcachedAddresses": "queryFrontendMemcachedAddresses",
	}
	storeGatewayKeys = components.SettingNames{
		"IndexCacheSize":        "storeIndexCacheSize",
		"SyncInterval":          "storeSyncInterval",
		"MaxConcurrentRequests": "storeMaxConcurrentRequests",
	}
	compactorKeys = components.SettingNames{
		"Retention.Raw":         "compactorRetentionRaw",
		"Retention.FiveMinutes": "compactorRetention5m",
		"Retention.OneHour":     "compactorRetention1h",
		"DeleteDelay":           "compactorDeleteDelay",
	}
)

// QuerierConfig is the querier's configuration.
type QuerierConfig struct {
	Replicas  int
	Settings  thanos.QuerierSettings
	Resources components.Resources
}

// QueryFrontendConfig is the query-frontend's configuration.
type QueryFrontendConfig struct {
	Replicas  int
	Settings  thanos.QueryFrontendSettings
	Resources components.Resources
}

// StoreGatewayConfig is the store gateways' configuration.
type StoreGatewayConfig struct {
	Replicas int
	// Settings' Limits are the configured limits, or those derived from the memory limit; their
	// IgnoreDeletionMarksDelay follows compactorDeleteDelay.
	Settings    thanos.StoreGatewaySettings
	StorageSize string
	Resources   components.Resources
}

// CompactorConfig is the compactor's configuration.
type CompactorConfig struct {
	Settings    thanos.CompactorSettings
	StorageSize string
	Resources   components.Resources
}

// checkSettings reports a component's validation errors under the config keys that names give
// its settings. A setting without a key is a programming error, which every test run catches.
func (r *reader) checkSettings(err error, names components.SettingNames) {
	var walk func(error)
	walk = func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
			return
		}
		var setting *components.SettingError
		if !errors.As(err, &setting) {
			r.errs = append(r.errs, err)
			return
		}
		if _, ok := names[setting.Setting]; !ok {
			panic("no config key for setting " + setting.Setting)
		}
		r.fail(setting.Name, "%s", setting.Message)
	}
	if err != nil {
		walk(err)
	}
}

// readQuerier reads the querier's keys.
func readQuerier(r *reader) QuerierConfig {
	q := QuerierConfig{
		Replicas:  r.integer("querierReplicas", 1),
		Settings:  thanos.QuerierSettings{Timeout: r.str("querierTimeout")},
		Resources: r.resourcesWithStorage("querier"),
	}
	r.checkSettings(q.Settings.Validate(querierKeys), querierKeys)
	return q
}

// readQueryFrontend reads the query-frontend's keys; nil when queryFrontend is false.
func readQueryFrontend(r *reader) *QueryFrontendConfig {
	f := &QueryFrontendConfig{
		Replicas: r.integer("queryFrontendReplicas", 1),
		Settings: thanos.QueryFrontendSettings{
			SplitInterval:      r.str("queryFrontendSplitInterval"),
			SlowQueryThreshold: r.str("queryFrontendSlowQueryThreshold"),
			Cache: thanos.QueryFrontendCache{
				InMemoryMaxSize: r.str("queryFrontendCacheSize"),
				Validity:        r.str("queryFrontendCacheValidity"),
			},
		},
		Resources: r.resourcesWithStorage("queryFrontend"),
	}
	for _, address := range strings.Split(r.raw("queryFrontendMemcachedAddresses"), ",") {
		if address = strings.TrimSpace(address); address != "" {
			f.Settings.Cache.MemcachedAddresses = append(f.Settings.Cache.MemcachedAddresses, address)
		}
	}
	enabled := r.boolean("queryFrontend")
	settings := f.Settings.WithDefaults()
	r.checkSettings(settings.Validate(queryFrontendKeys), queryFrontendKeys)
	if len(settings.Cache.MemcachedAddresses) == 0 {
		size, err := settings.Cache.InMemoryCacheBytes()
		if limit, errLimit := resource.ParseQuantity(f.Resources.MemoryLimit); err == nil && f.Resources.MemoryLimit != "" && errLimit == nil && size > uint64(limit.Value())/2 {
			r.fail("queryFrontendCacheSize", "%q is more than half of queryFrontendMemoryLimit %q; the cache would leave too little memory for the queries it serves", settings.Cache.InMemoryMaxSize, f.Resources.MemoryLimit)
		}
	}
	if !enabled {
		return nil
	}
	return f
}

// readStoreGateway reads the store gateways' keys.
func readStoreGateway(r *reader) StoreGatewayConfig {
	s := StoreGatewayConfig{
		Replicas: r.integer("storeReplicas", 1),
		Settings: thanos.StoreGatewaySettings{
			IndexCacheSize:        r.str("storeIndexCacheSize"),
			SyncInterval:          r.str("storeSyncInterval"),
			MaxConcurrentRequests: r.integer("storeMaxConcurrentRequests", 1),
		},
		StorageSize: r.quantity("storeStorageSize", true),
		Resources:   r.resourcesWithStorage("store"),
	}
	r.checkSettings(s.Settings.Validate(storeGatewayKeys), storeGatewayKeys)
	s.Settings.Limits = readStoreRequestLimits(r, s.Resources.MemoryLimit, s.Settings.IndexCacheSize, s.Settings.MaxConcurrentRequests)
	return s
}

// readStoreRequestLimits reads the store gateway's per-request limits; an unset one is derived
// from the memory limit (thanos.StoreGatewayRequestLimitsFor). Without a memory limit, nothing
// bounds the pod's memory to fit the limits to, and unset limits stay off.
func readStoreRequestLimits(r *reader, memoryLimit, indexCacheSize string, concurrentRequests int) thanos.StoreGatewayRequestLimits {
	var derived thanos.StoreGatewayRequestLimits
	if q, err := resource.ParseQuantity(memoryLimit); memoryLimit != "" && err == nil && concurrentRequests >= 1 { // else storeMaxConcurrentRequests fails
		if _, err := units.ParseBase2Bytes(indexCacheSize); err == nil { // else storeIndexCacheSize fails
			if derived, err = thanos.StoreGatewayRequestLimitsFor(q.Value(), indexCacheSize, concurrentRequests); err != nil {
				r.fail("storeMemoryLimit", "%q is too small for a store gateway with storeIndexCacheSize %q: %v", memoryLimit, indexCacheSize, err)
			}
		}
	}
	limits := thanos.StoreGatewayRequestLimits{
		Series:  r.optionalCount("storeRequestSeriesLimit", derived.Series),
		Samples: r.optionalCount("storeRequestSamplesLimit", derived.Samples),
	}
	limits.DownloadedBytes = derived.DownloadedBytes
	if v := r.raw("storeRequestDownloadedBytesLimit"); v != "" {
		if size, err := units.ParseBase2Bytes(v); err != nil || size < 0 {
			r.fail("storeRequestDownloadedBytesLimit", "%q is not a byte size such as 64MB or 1GB (0 for no limit)", v)
		} else {
			limits.DownloadedBytes = uint64(size)
		}
	}
	return limits
}

// readCompactor reads the compactor's keys.
func readCompactor(r *reader) CompactorConfig {
	c := CompactorConfig{
		Settings: thanos.CompactorSettings{
			Retention: thanos.CompactorRetention{
				Raw:         r.str("compactorRetentionRaw"),
				FiveMinutes: r.str("compactorRetention5m"),
				OneHour:     r.str("compactorRetention1h"),
			},
			DeleteDelay: r.str("compactorDeleteDelay"),
			Deduplicate: r.boolean("compactorDeduplication"),
		},
		StorageSize: r.quantity("compactorStorageSize", true),
		Resources:   r.resourcesWithStorage("compactor"),
	}
	r.checkSettings(c.Settings.Validate(compactorKeys), compactorKeys)
	return c
}

// checkDeleteDelay refuses a delete delay under thanos.MinimumDeleteDelay of the store
// gateways' sync interval, and returns the store gateways' IgnoreDeletionMarksDelay for it:
// they stop serving a block the compactor marked for deletion halfway through the delay, so that
// they have loaded its replacement before it is gone. Empty where either key is bad (reported by
// the components' checks).
func checkDeleteDelay(r *reader, deleteDelay, storeSyncInterval string) string {
	d, err1 := model.ParseDuration(deleteDelay)
	sync, err2 := model.ParseDuration(storeSyncInterval)
	if err1 != nil || err2 != nil {
		return ""
	}
	if minimum := thanos.MinimumDeleteDelay(time.Duration(sync)); time.Duration(d) < minimum {
		r.fail("compactorDeleteDelay", "%q is shorter than %s, twice storeSyncInterval %q: the store gateways stop serving a marked block after half the delay and notice only at their next sync, so a block deleted sooner fails the queries that read it",
			deleteDelay, model.Duration(minimum), storeSyncInterval)
	}
	delay, err := thanos.IgnoreDeletionMarksDelay(deleteDelay)
	if err != nil {
		return ""
	}
	return delay
}
