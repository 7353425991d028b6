package harness

// ThanosStartupCheck is one check a Thanos command of the pinned version makes at start that a
// value of the program's config could fail, with the config error that keeps such a value from
// ever reaching it. The unit suite checks that the config refuses Refused and passes Accepted
// through to Flag; the end-to-end suite runs the pinned binary with each and checks that it refuses
// Refused with ThanosError and starts with Accepted.
type ThanosStartupCheck struct {
	// Command is the thanos subcommand: compact, store, query or query-frontend.
	Command string
	// Source is where the check is, in the Thanos tree at components.ThanosVersion.
	Source string
	// ThanosError is part of what the command prints when it refuses to start.
	ThanosError string
	// Key is the config key that sets Flag.
	Key, Flag string
	// Refused and Accepted are values either side of the check's boundary.
	Refused, Accepted string
	// ConfigError is part of the config error for Key = Refused.
	ConfigError string
	// Alongside are other config keys set in both runs, where the program's own rules need them.
	Alongside map[string]string
}

// ThanosStartupChecks is every such check.
var ThanosStartupChecks = []ThanosStartupCheck{
	{
		Command: "compact", Source: "cmd/thanos/compact.go (runCompact: downsample.ResLevel1DownsampleRange)",
		ThanosError: "raw resolution must be higher than the minimum block size after which 5m resolution downsampling will occur (40 hours)",
		Key:         "compactorRetentionRaw", Flag: "retention.resolution-raw", Refused: "39h", Accepted: "40h",
		ConfigError: `"39h" is shorter than 40h`,
	},
	{
		Command: "compact", Source: "cmd/thanos/compact.go (runCompact: downsample.ResLevel2DownsampleRange)",
		ThanosError: "5m resolution retention must be higher than the minimum block size after which 1h resolution downsampling will occur (10 days)",
		Key:         "compactorRetention5m", Flag: "retention.resolution-5m", Refused: "9d", Accepted: "10d",
		ConfigError: `"9d" is shorter than 10d`,
		// The program keeps a coarser resolution at least as long as a finer one.
		Alongside: map[string]string{"compactorRetentionRaw": "40h"},
	},
	{
		Command: "store", Source: "pkg/store/cache/inmemory.go (NewInMemoryIndexCacheWithConfig: MaxItemSize 125MiB)",
		ThanosError: "cannot be bigger than overall cache size",
		Key:         "storeIndexCacheSize", Flag: "index-cache-size", Refused: "124MB", Accepted: "125MB",
		ConfigError: `"124MB" is below 125MB`,
	},
	{
		Command: "query-frontend", Source: "pkg/queryfrontend/config.go (Config.Validate, with the response cache the program always configures)",
		ThanosError: "split queries or split threshold interval should be greater than 0 when caching is enabled",
		Key:         "queryFrontendSplitInterval", Flag: "query-range.split-interval", Refused: "0s", Accepted: "1s",
		ConfigError: `"0s" is not a positive Go duration`,
	},
}
