package thanos

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// CompactorArgs configure the Thanos compactor. There is no replica count: the compactor is a
// singleton per bucket, always; two compactors on one bucket corrupt it with overlapping blocks.
type CompactorArgs struct {
	WorkloadArgs
	// BucketWorkloadArgs' StorageSize is the compactor's scratch volume ("100Gi"); it must hold
	// the blocks of one compaction group.
	BucketWorkloadArgs
	CompactorSettings
}

// Defaults of the compactor's settings.
const (
	// DefaultCompactorStorageSize is the compactor's scratch volume.
	DefaultCompactorStorageSize = "100Gi"
	// DefaultCompactorDeleteDelay is how long a block marked for deletion stays in the bucket:
	// Thanos's --delete-delay default.
	DefaultCompactorDeleteDelay = "48h"
	// DefaultCompactorRetentionRaw, DefaultCompactorRetentionFiveMinutes and
	// DefaultCompactorRetentionOneHour keep a month of raw samples, half a year at 5m and two
	// years at 1h.
	DefaultCompactorRetentionRaw         = "30d"
	DefaultCompactorRetentionFiveMinutes = "180d"
	DefaultCompactorRetentionOneHour     = "2y"
)

// CompactorSettings are what the compactor does to the bucket.
type CompactorSettings struct {
	// Retention per resolution. Required.
	Retention CompactorRetention
	// DeleteDelay is how long a block marked for deletion stays in the bucket before the compactor
	// deletes it (--delete-delay), a Prometheus duration. Default DefaultCompactorDeleteDelay. The
	// store gateway stops serving a marked block after half of it (IgnoreDeletionMarksDelay).
	DeleteDelay string
	// Deduplicate makes the compactor merge the Prometheus replicas' overlapping blocks into one
	// (vertical compaction on PrometheusReplicaLabel, with the penalty algorithm the querier uses
	// for HA pairs), halving the bucket. Default false: Thanos marks it experimental, and the
	// merge is irreversible.
	Deduplicate bool
}

// CompactorRetention is how long the bucket keeps each resolution, as Prometheus durations
// ("30d", "1y"); "0d" keeps that resolution forever.
type CompactorRetention struct {
	Raw, FiveMinutes, OneHour string
}

// Compactor compacts and downsamples the bucket's blocks and applies retention.
type Compactor struct {
	pulumi.ResourceState

	// ServiceAccountName is the name of the compactor's ServiceAccount (the IRSA subject).
	ServiceAccountName pulumi.StringOutput `pulumi:"serviceAccountName"`
}

// CompactorLabels is the label set of the compactor.
func CompactorLabels(instance string) components.ThanosLabels {
	return components.ThanosLabels{Component: "compact", Instance: instance}
}

// The pinned compactor downsamples (the program never turns it off) and then refuses to start when
// a resolution is kept for less than the block range the next downsampling reads
// (cmd/thanos/compact.go at ThanosVersion: downsample.ResLevel1DownsampleRange and
// ResLevel2DownsampleRange). A retention of 0 keeps a resolution forever and passes.
const (
	// MinimumRawRetention is the shortest raw retention the compactor accepts: 40h, the range of
	// raw data it downsamples to 5m.
	MinimumRawRetention = 40 * time.Hour
	// MinimumFiveMinuteRetention is the shortest 5m retention the compactor accepts: 10 days, the
	// range of 5m data it downsamples to 1h.
	MinimumFiveMinuteRetention = 10 * 24 * time.Hour
)

// MinimumDeleteDelay is the shortest delete delay that lets every store gateway drop a block
// before the compactor deletes it. The store stops serving a block IgnoreDeletionMarksDelay (half
// the delete delay) after it was marked, and only notices at its next bucket sync; a block deleted
// earlier fails every query that reaches it ("no such key") until that sync. So half the delay
// must cover one sync interval. (Thanos itself accepts any delay, 0 included, with a warning
// in --delete-delay's help that queries then fail.)
func MinimumDeleteDelay(storeSyncInterval time.Duration) time.Duration { return 2 * storeSyncInterval }

// Validate checks the settings (an empty delete delay is DefaultCompactorDeleteDelay) as the
// pinned compactor parses them, and refuses what it refuses at start, naming each bad one as names
// call it.
func (s CompactorSettings) Validate(names components.SettingNames) error {
	v := components.NewSettingErrors(names)
	r := s.Retention
	raw, rawOK := v.PrometheusDuration("Retention.Raw", r.Raw, true)
	five, fiveOK := v.PrometheusDuration("Retention.FiveMinutes", r.FiveMinutes, true)
	hour, hourOK := v.PrometheusDuration("Retention.OneHour", r.OneHour, true)
	if s.DeleteDelay != "" {
		v.PrometheusDuration("DeleteDelay", s.DeleteDelay, true)
	}
	// Downsampling needs the finer resolution while it builds the coarser one; a coarser
	// resolution kept for less time than a finer one is almost always a mistake. 0 is forever.
	forever := func(d time.Duration) time.Duration {
		if d == 0 {
			return time.Duration(1<<63 - 1)
		}
		return d
	}
	if rawOK && fiveOK && forever(five) < forever(raw) {
		v.Fail("Retention.FiveMinutes", "%q is shorter than %s %q; keep coarser resolutions at least as long", r.FiveMinutes, v.Name("Retention.Raw"), r.Raw)
	}
	if fiveOK && hourOK && forever(hour) < forever(five) {
		v.Fail("Retention.OneHour", "%q is shorter than %s %q; keep coarser resolutions at least as long", r.OneHour, v.Name("Retention.FiveMinutes"), r.FiveMinutes)
	}
	// The pinned compactor refuses these at start: it would crash-loop, and the bucket would grow
	// without compaction, downsampling or retention.
	for _, c := range []struct {
		setting, value, resolution, minimumText string
		ok                                      bool
		retention, minimum                      time.Duration
	}{
		{"Retention.Raw", r.Raw, "raw data into 5m", "40h", rawOK, raw, MinimumRawRetention},
		{"Retention.FiveMinutes", r.FiveMinutes, "5m data into 1h", "10d", fiveOK, five, MinimumFiveMinuteRetention},
	} {
		if c.ok && c.retention != 0 && c.retention < c.minimum {
			v.Fail(c.setting, "%q is shorter than %s: the compactor downsamples %s from blocks that long and refuses to start with less; use at least %s, or 0d to keep it forever",
				c.value, c.minimumText, c.resolution, c.minimumText)
		}
	}
	return v.Err()
}

// CompactorFlags are the flags of `thanos compact`, verified against ThanosVersion.
func CompactorFlags(objstoreSecretKey string, s CompactorSettings) ([]string, error) {
	if err := s.Validate(nil); err != nil {
		return nil, err
	}
	r, deleteDelay := s.Retention, s.DeleteDelay
	if deleteDelay == "" {
		deleteDelay = DefaultCompactorDeleteDelay
	}
	flags := append(logFlags(), flag("http-address", fmt.Sprintf("0.0.0.0:%d", HTTPPort)))
	flags = append(flags,
		// Run continuously instead of exiting after one pass.
		"--wait",
		flag("data-dir", dataPath("compact")),
		objstoreFlag(objstoreSecretKey),
		flag("retention.resolution-raw", r.Raw),
		flag("retention.resolution-5m", r.FiveMinutes),
		flag("retention.resolution-1h", r.OneHour),
		flag("delete-delay", deleteDelay),
	)
	if s.Deduplicate {
		// A replica label turns vertical compaction on (cmd/thanos/compact.go: "deduplication.
		// replica-label specified, enabling vertical compaction"); penalty is the algorithm made for
		// Prometheus HA pairs, whose samples are close but not identical.
		flags = append(flags,
			flag("deduplication.replica-label", components.PrometheusReplicaLabel),
			flag("deduplication.func", "penalty"),
		)
	}
	return flags, nil
}

// NewCompactor registers the compactor: ServiceAccount, a one-replica StatefulSet (a StatefulSet
// never runs two pods of one ordinal, even during a rollout, which a Deployment would), Service and
// ServiceMonitor.
func NewCompactor(ctx *pulumi.Context, name string, args *CompactorArgs, opts ...pulumi.ResourceOption) (*Compactor, error) {
	if err := args.WorkloadArgs.validate("compactor"); err != nil {
		return nil, err
	}
	if err := args.BucketWorkloadArgs.validate("compactor"); err != nil {
		return nil, err
	}
	flags, err := CompactorFlags(args.ObjstoreSecretKey, args.CompactorSettings)
	if err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	c := &Compactor{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:Compactor", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	l := CompactorLabels(args.Instance)
	objectName := l.ObjectName()

	sa, err := newBucketStatefulSet(ctx, args.WorkloadArgs, args.BucketWorkloadArgs, bucketStatefulSet{
		objectName: objectName, serviceAccount: components.CompactorServiceAccountName, labels: l,
		// Exactly one, always: not configurable on purpose.
		replicas:     1,
		singleton:    true,
		servicePorts: map[string]int{HTTPPortName: HTTPPort},
		container:    thanosContainer{Args: pulumi.ToStringArray(append([]string{"compact"}, flags...))},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	c.ServiceAccountName = sa.Metadata.Name().Elem()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"serviceAccountName": c.ServiceAccountName})
}
