package components

import (
	"fmt"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StoreGatewayArgs configure the Thanos store gateway.
type StoreGatewayArgs struct {
	ThanosWorkloadArgs
	BucketWorkloadArgs
	// Replicas of the store gateway. Default 1. Every replica serves every block (no sharding),
	// so 2 or more make it HA; the querier deduplicates their identical answers.
	Replicas int
	StoreSettings
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

// StoreLabels is the label set of the store gateway.
func StoreLabels(instance string) ThanosLabels {
	return ThanosLabels{Component: "store", Instance: instance}
}

// StoreServiceAccountName is the store gateway's ServiceAccount name; the IRSA trust policy
// names it, so it is fixed.
const StoreServiceAccountName = "thanos-store"

// StoreIndexCacheMinBytes is the smallest in-memory index cache the store gateway starts with:
// Thanos keeps its default largest item, 125MiB, and refuses a cache smaller than that ("max item
// size (131072000) cannot be bigger than overall cache size"; ThanosVersion's
// pkg/store/cache/inmemory.go, DefaultInMemoryIndexCacheConfig and NewInMemoryIndexCacheWithConfig).
const StoreIndexCacheMinBytes = 125 * units.MiB

// StoreSettings are the store gateway's tunables.
type StoreSettings struct {
	// IndexCacheSize is the in-memory index cache size, in Thanos's byte units ("250MB"), at least
	// StoreIndexCacheMinBytes. Default "250MB".
	IndexCacheSize string
	// SyncInterval is how often the store gateway re-reads the bucket's list of blocks
	// (--sync-block-duration), a Prometheus duration. Default "15m", Thanos's.
	SyncInterval string
}

// StoreFlags are the flags of `thanos store`, verified against ThanosVersion.
func StoreFlags(objstoreSecretKey string, settings StoreSettings) ([]string, error) {
	indexCacheSize, syncInterval := settings.IndexCacheSize, settings.SyncInterval
	if indexCacheSize == "" {
		indexCacheSize = "250MB"
	}
	if syncInterval == "" {
		syncInterval = "15m"
	}
	if _, err := model.ParseDuration(syncInterval); err != nil {
		return nil, fmt.Errorf("sync interval %q: %w", syncInterval, err)
	}
	// The same parser Thanos uses for this flag (kingpin's Bytes).
	size, err := units.ParseBase2Bytes(indexCacheSize)
	if err != nil {
		return nil, fmt.Errorf("index cache size %q: %w", indexCacheSize, err)
	}
	if size < StoreIndexCacheMinBytes {
		return nil, fmt.Errorf("index cache size %q is below Thanos's largest cache item, %s", indexCacheSize, StoreIndexCacheMinBytes)
	}
	flags := append(logFlags(), listenFlags()...)
	return append(flags,
		flag("data-dir", dataPath("store")),
		objstoreFlag(objstoreSecretKey),
		flag("index-cache-size", indexCacheSize),
		flag("sync-block-duration", syncInterval),
	), nil
}

// NewStoreGateway registers the store gateway: ServiceAccount, StatefulSet with a persistent
// volume, Service, ServiceMonitor and, when asked, a PodDisruptionBudget.
func NewStoreGateway(ctx *pulumi.Context, name string, args *StoreGatewayArgs, opts ...pulumi.ResourceOption) (*StoreGateway, error) {
	if err := args.ThanosWorkloadArgs.validate("store gateway"); err != nil {
		return nil, err
	}
	if args.Replicas < 1 {
		return nil, fmt.Errorf("store gateway: Replicas must be at least 1, got %d", args.Replicas)
	}
	if err := args.BucketWorkloadArgs.validate("store gateway"); err != nil {
		return nil, err
	}
	flags, err := StoreFlags(args.ObjstoreSecretKey, args.StoreSettings)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	s := &StoreGateway{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:StoreGateway", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	l := StoreLabels(args.Instance)
	objectName := l.ObjectName()

	sa, err := newBucketStatefulSet(ctx, args.ThanosWorkloadArgs, args.BucketWorkloadArgs, bucketStatefulSet{
		objectName: objectName, serviceAccount: StoreServiceAccountName, labels: l, replicas: args.Replicas,
		// The StoreAPI label puts the pods behind the peers Service.
		extraPodLabels: StoreAPISelector(),
		servicePorts:   map[string]int{GRPCPortName: GRPCPort, HTTPPortName: HTTPPort},
		container:      thanosContainer{Args: pulumi.ToStringArray(append([]string{"store"}, flags...)), ServesGRPC: true},
		spread:         true,
		// Replicas are independent caches of the same bucket: start them together.
		parallel: true,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	if args.PodDisruptionBudget {
		if _, err := newPodDisruptionBudget(ctx, objectName, args.ThanosWorkloadArgs, l, parent); err != nil {
			return nil, fmt.Errorf("store gateway: %w", err)
		}
	}
	s.ServiceAccountName = sa.Metadata.Name().Elem()
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{"serviceAccountName": s.ServiceAccountName})
}
