package thanos

import (
	"fmt"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// StoreGatewayArgs configure the Thanos store gateway.
type StoreGatewayArgs struct {
	WorkloadArgs
	BucketWorkloadArgs
	// Replicas of the store gateway. Default 1. Every replica serves every block (no sharding),
	// so 2 or more make it HA; the querier deduplicates their identical answers.
	Replicas int
	StoreGatewaySettings
	// PodDisruptionBudget guards the replicas during voluntary disruptions. Default false.
	PodDisruptionBudget bool
}

// StoreGateway serves the blocks in the bucket over the StoreAPI. Its pods carry the StoreAPI
// label, so the querier finds them through the peers Service.
type StoreGateway struct {
	pulumi.ResourceState

	// ServiceAccountName is the name of the store gateway's ServiceAccount (the IRSA subject).
	ServiceAccountName pulumi.StringOutput `pulumi:"serviceAccountName"`
}

// StoreGatewayLabels is the label set of the store gateway.
func StoreGatewayLabels(instance string) components.ThanosLabels {
	return components.ThanosLabels{Component: "store", Instance: instance}
}

// StoreGatewayIndexCacheMinBytes is the smallest in-memory index cache the store gateway starts with:
// Thanos keeps its default largest item, 125MiB, and refuses a cache smaller than that ("max item
// size (131072000) cannot be bigger than overall cache size"; ThanosVersion's
// pkg/store/cache/inmemory.go, DefaultInMemoryIndexCacheConfig and NewInMemoryIndexCacheWithConfig).
const StoreGatewayIndexCacheMinBytes = 125 * units.MiB

// StoreGatewaySettings are the store gateway's tunables.
type StoreGatewaySettings struct {
	// IndexCacheSize is the in-memory index cache size, in Thanos's byte units ("250MB"), at least
	// StoreGatewayIndexCacheMinBytes. Default DefaultStoreGatewayIndexCacheSize.
	IndexCacheSize string
	// SyncInterval is how often the store gateway re-reads the bucket's list of blocks
	// (--sync-block-duration), a Prometheus duration. Default DefaultStoreGatewaySyncInterval.
	SyncInterval string
	// MaxConcurrentRequests is how many Series requests the store gateway serves at once
	// (--store.grpc.series-max-concurrency); more wait. Default DefaultStoreGatewayMaxConcurrentRequests.
	MaxConcurrentRequests int
	// Limits bound what one Series request may load. Zero fields are no limit (Thanos's default);
	// StoreGatewayRequestLimitsFor derives limits that fit a memory limit.
	Limits StoreGatewayRequestLimits
	// IgnoreDeletionMarksDelay is how long the store gateway keeps serving a block the compactor
	// marked for deletion (--ignore-deletion-marks-delay), a Prometheus duration: half the
	// compactor's delete delay, IgnoreDeletionMarksDelay, so that a block's replacement is loaded
	// before the block goes. Default: half DefaultCompactorDeleteDelay.
	IgnoreDeletionMarksDelay string
}

// StoreGatewayRequestLimits bound one Series request to the store gateway (one querier fan-out to it).
// A request over a limit fails with gRPC ResourceExhausted ("exceeded series limit", "exceeded
// chunks limit", "exceeded bytes limit"), which the querier returns to the client; the store
// gateway keeps serving.
type StoreGatewayRequestLimits struct {
	// Series is the most series one request may touch (--store.limits.request-series).
	Series uint64
	// Samples is the most samples one request may load (--store.limits.request-samples); Thanos
	// counts them as chunks of at most 120 samples.
	Samples uint64
	// DownloadedBytes is the most index and chunk bytes one request may fetch or touch
	// (--store.grpc.downloaded-bytes-limit), counting both; the request's memory is up to about
	// twice that.
	DownloadedBytes uint64
}

// DefaultStoreGatewaySyncInterval is how often a store gateway re-reads the bucket's list of blocks and
// retries the blocks it failed to load by default: Thanos's --sync-block-duration default.
const DefaultStoreGatewaySyncInterval = "15m"

// DefaultStoreGatewayIndexCacheSize is each store gateway's in-memory index cache by default.
const DefaultStoreGatewayIndexCacheSize = "250MB"

// DefaultStoreGatewayStorageSize is each store gateway's volume by default: its index-headers.
const DefaultStoreGatewayStorageSize = "10Gi"

// DefaultStoreGatewayMaxConcurrentRequests is how many Series requests a store gateway serves at once by
// default (--store.grpc.series-max-concurrency; Thanos's default, set explicitly because
// StoreGatewayRequestLimitsFor divides the memory budget by it). More wait.
const DefaultStoreGatewayMaxConcurrentRequests = 20

// Assumptions behind StoreGatewayRequestLimitsFor: a request's peak resident memory, measured by
// `tests/e2e/cmd/bench -store-memory` (docs/e2e.md) on the pinned Thanos and rounded up.
// Concurrent 30-day raw requests of 288,400 chunks each grew a store gateway by 581 to 645 bytes a
// chunk; one-day requests of 50,000 chunks by 663 to 729 bytes (series included); series requests
// by 1,057 to 1,093 bytes a series; all of them by 1.36 to 1.71 bytes for each byte the
// downloaded-bytes limit counts. The Go heap grows to twice what is live before it collects
// (GOGC=100), and that is in these figures.
const (
	// storeBaselineMemory is what a store gateway uses besides its index cache and its requests:
	// the Go runtime, the blocks' index-headers it keeps mapped, and gRPC buffers (88 MiB resident
	// with the benchmark's 54 blocks mapped).
	storeBaselineMemory = 256 * units.MiB
	// storeBytesPerChunk is the memory one loaded chunk of up to 120 samples costs a request.
	storeBytesPerChunk = 700
	// storeBytesPerSeries is the memory one series costs a request that loads no chunks: its
	// labels and chunk references, per block it is in.
	storeBytesPerSeries = 1200
	// storeMemoryPerCountedByte is the memory one byte the downloaded-bytes limit counts costs a
	// request. The limit counts postings, series and chunks both touched and fetched (every
	// BytesLimiter.ReserveWithType in ThanosVersion's pkg/store/bucket.go), fetched chunk ranges
	// with the gaps the partitioner merges into them.
	storeMemoryPerCountedByte = 2
	// samplesPerChunk is Thanos's chunk size (pkg/store.MaxSamplesPerChunk).
	samplesPerChunk = 120
)

// StoreGatewayRequestLimitsFor derives the per-request limits that keep a store gateway within
// memoryLimit bytes: what the index cache and the baseline leave is shared by concurrentRequests
// requests (the store gateway's MaxConcurrentRequests), and each request may fetch, load chunks and
// touch series up to what fits in that share.
func StoreGatewayRequestLimitsFor(memoryLimit int64, indexCacheSize string, concurrentRequests int) (StoreGatewayRequestLimits, error) {
	if concurrentRequests < 1 {
		return StoreGatewayRequestLimits{}, fmt.Errorf("%d concurrent requests: at least 1", concurrentRequests)
	}
	indexCache, err := units.ParseBase2Bytes(indexCacheSize)
	if err != nil {
		return StoreGatewayRequestLimits{}, fmt.Errorf("index cache size %q: %w", indexCacheSize, err)
	}
	budget := memoryLimit - int64(indexCache) - int64(storeBaselineMemory)
	if budget <= 0 {
		return StoreGatewayRequestLimits{}, fmt.Errorf("a memory limit of %d bytes leaves nothing for requests after the index cache (%s) and the store gateway's baseline (%s)",
			memoryLimit, indexCacheSize, storeBaselineMemory)
	}
	perRequest := uint64(budget) / uint64(concurrentRequests)
	return StoreGatewayRequestLimits{
		Series:          perRequest / storeBytesPerSeries,
		Samples:         perRequest / storeBytesPerChunk * samplesPerChunk,
		DownloadedBytes: perRequest / storeMemoryPerCountedByte,
	}, nil
}

// IgnoreDeletionMarksDelay is the store gateway's --ignore-deletion-marks-delay for the
// compactor's delete delay: half of it, as Thanos's store documentation prescribes.
func IgnoreDeletionMarksDelay(deleteDelay string) (string, error) {
	d, err := model.ParseDuration(deleteDelay)
	if err != nil {
		return "", fmt.Errorf("delete delay %q: %w", deleteDelay, err)
	}
	return (d / 2).String(), nil
}

// withDefaults fills the unset settings with the defaults.
func (s StoreGatewaySettings) withDefaults() StoreGatewaySettings {
	if s.IndexCacheSize == "" {
		s.IndexCacheSize = DefaultStoreGatewayIndexCacheSize
	}
	if s.SyncInterval == "" {
		s.SyncInterval = DefaultStoreGatewaySyncInterval
	}
	if s.IgnoreDeletionMarksDelay == "" {
		// Half of a constant that parses (TestStoreGatewayFlags holds the default flag).
		s.IgnoreDeletionMarksDelay, _ = IgnoreDeletionMarksDelay(DefaultCompactorDeleteDelay)
	}
	if s.MaxConcurrentRequests == 0 {
		s.MaxConcurrentRequests = DefaultStoreGatewayMaxConcurrentRequests
	}
	return s
}

// Validate checks the settings (defaults filled where unset) as the pinned store gateway parses
// them, and refuses what it refuses at start, naming each bad one as names call it.
func (s StoreGatewaySettings) Validate(names components.SettingNames) error {
	v := components.NewSettingErrors(names)
	s = s.withDefaults()
	// The same parser Thanos uses for this flag (kingpin's Bytes).
	if size, err := units.ParseBase2Bytes(s.IndexCacheSize); err != nil || size <= 0 {
		v.Fail("IndexCacheSize", "%q is not a byte size such as 250MB or 1GB", s.IndexCacheSize)
	} else if size < StoreGatewayIndexCacheMinBytes {
		v.Fail("IndexCacheSize", "%q is below 125MB: the store gateway refuses an index cache smaller than its largest item (125MiB)", s.IndexCacheSize)
	}
	v.PrometheusDuration("SyncInterval", s.SyncInterval, false)
	v.PrometheusDuration("IgnoreDeletionMarksDelay", s.IgnoreDeletionMarksDelay, true)
	if s.MaxConcurrentRequests < 1 { // 0 is the default
		v.Fail("MaxConcurrentRequests", "%d is below the minimum of 1", s.MaxConcurrentRequests)
	}
	return v.Err()
}

// StoreGatewayFlags are the flags of `thanos store`, verified against ThanosVersion.
func StoreGatewayFlags(objstoreSecretKey string, settings StoreGatewaySettings) ([]string, error) {
	if err := settings.Validate(nil); err != nil {
		return nil, err
	}
	settings = settings.withDefaults()
	indexCacheSize, syncInterval, ignoreDeletionMarksDelay := settings.IndexCacheSize, settings.SyncInterval, settings.IgnoreDeletionMarksDelay
	concurrency := settings.MaxConcurrentRequests
	flags := append(logFlags(), listenFlags()...)
	return append(flags,
		flag("data-dir", dataPath("store")),
		objstoreFlag(objstoreSecretKey),
		flag("index-cache-size", indexCacheSize),
		flag("sync-block-duration", syncInterval),
		flag("ignore-deletion-marks-delay", ignoreDeletionMarksDelay),
		// Map a block's index-header only when a query needs it, and release it when idle: a
		// bucket of many blocks then costs memory for the blocks queried, not for all of them.
		"--store.enable-index-header-lazy-reader",
		flag("store.grpc.series-max-concurrency", concurrency),
		flag("store.limits.request-series", settings.Limits.Series),
		flag("store.limits.request-samples", settings.Limits.Samples),
		// Thanos's byte units (kingpin's Bytes): a plain number is bytes.
		flag("store.grpc.downloaded-bytes-limit", fmt.Sprintf("%dB", settings.Limits.DownloadedBytes)),
	), nil
}

// NewStoreGateway registers the store gateway: ServiceAccount, StatefulSet with a persistent
// volume, Service, ServiceMonitor and, when asked, a PodDisruptionBudget.
func NewStoreGateway(ctx *pulumi.Context, name string, args *StoreGatewayArgs, opts ...pulumi.ResourceOption) (*StoreGateway, error) {
	if err := args.WorkloadArgs.validate("store gateway"); err != nil {
		return nil, err
	}
	if args.Replicas < 1 {
		return nil, fmt.Errorf("store gateway: Replicas must be at least 1, got %d", args.Replicas)
	}
	if args.PodDisruptionBudget {
		if err := components.CheckPodDisruptionBudget(args.Replicas); err != nil {
			return nil, fmt.Errorf("store gateway: %w", err)
		}
	}
	if err := args.BucketWorkloadArgs.validate("store gateway"); err != nil {
		return nil, err
	}
	flags, err := StoreGatewayFlags(args.ObjstoreSecretKey, args.StoreGatewaySettings)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	s := &StoreGateway{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:StoreGateway", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	l := StoreGatewayLabels(args.Instance)
	objectName := l.ObjectName()

	sa, err := newBucketStatefulSet(ctx, args.WorkloadArgs, args.BucketWorkloadArgs, bucketStatefulSet{
		objectName: objectName, serviceAccount: components.StoreGatewayServiceAccountName, labels: l, replicas: args.Replicas,
		// The StoreAPI label puts the pods behind the peers Service.
		extraPodLabels: components.StoreAPISelector(),
		servicePorts:   map[string]int{GRPCPortName: GRPCPort, HTTPPortName: HTTPPort},
		container:      thanosContainer{Args: pulumi.ToStringArray(append([]string{"store"}, flags...)), ServesGRPC: true, Drain: StoreAPIDrain},
		spread:         true,
		// Replicas are independent caches of the same bucket: start them together.
		parallel: true,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	if args.PodDisruptionBudget {
		if _, err := newPodDisruptionBudget(ctx, objectName, args.WorkloadArgs, l, parent); err != nil {
			return nil, fmt.Errorf("store gateway: %w", err)
		}
	}
	s.ServiceAccountName = sa.Metadata.Name().Elem()
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{"serviceAccountName": s.ServiceAccountName})
}
