package components

import (
	"fmt"

	"github.com/prometheus/common/model"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const compactDataPath = "/var/thanos/compact"

// CompactorArgs configure the Thanos compactor. There is no replica count: the compactor is a
// singleton per bucket, always; two compactors on one bucket corrupt it with overlapping blocks.
type CompactorArgs struct {
	ThanosWorkloadArgs
	// ObjstoreSecret is the Secret holding the objstore config under ObjstoreSecretKey. Required.
	ObjstoreSecret pulumi.StringInput
	// ObjstoreSecretKey is the key of the objstore config in ObjstoreSecret. Required.
	ObjstoreSecretKey string
	// Retention per resolution. Required.
	Retention CompactorRetention
	// StorageSize is the size of the compactor's scratch volume ("100Gi"); it must hold the
	// blocks of one compaction group. Required.
	StorageSize string
	// StorageClass of the persistent volume. Default: the cluster's default class.
	StorageClass string
	// RoleArn is the IAM role its ServiceAccount assumes through IRSA. Optional (static keys).
	RoleArn pulumi.StringInput
	// Resources of the compactor container.
	Resources Resources
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

// CompactLabels is the label set of the compactor.
func CompactLabels(instance string) ThanosLabels {
	return ThanosLabels{Component: "compact", Instance: instance}
}

// CompactServiceAccountName is the compactor's ServiceAccount name; the IRSA trust policy names it.
const CompactServiceAccountName = "thanos-compact"

// CompactFlags are the flags of `thanos compact`, verified against ThanosVersion.
func CompactFlags(objstoreSecretKey string, r CompactorRetention) ([]string, error) {
	for _, d := range []struct{ resolution, value string }{{"raw", r.Raw}, {"5m", r.FiveMinutes}, {"1h", r.OneHour}} {
		// The same parser Thanos uses for these flags.
		if _, err := model.ParseDuration(d.value); err != nil {
			return nil, fmt.Errorf("retention of resolution %s %q: %w", d.resolution, d.value, err)
		}
	}
	flags := append(logFlags(), flag("http-address", fmt.Sprintf("0.0.0.0:%d", HTTPPort)))
	return append(flags,
		// Run continuously instead of exiting after one pass.
		"--wait",
		flag("data-dir", compactDataPath),
		objstoreFlag(objstoreSecretKey),
		flag("retention.resolution-raw", r.Raw),
		flag("retention.resolution-5m", r.FiveMinutes),
		flag("retention.resolution-1h", r.OneHour),
	), nil
}

// NewCompactor registers the compactor: ServiceAccount, a one-replica StatefulSet (a StatefulSet
// never runs two pods of one ordinal, even during a rollout, which a Deployment would), Service and
// ServiceMonitor.
func NewCompactor(ctx *pulumi.Context, name string, args *CompactorArgs, opts ...pulumi.ResourceOption) (*Compactor, error) {
	if err := args.validate("compactor"); err != nil {
		return nil, err
	}
	if args.ObjstoreSecret == nil || args.ObjstoreSecretKey == "" || args.StorageSize == "" {
		return nil, fmt.Errorf("compactor: ObjstoreSecret, ObjstoreSecretKey and StorageSize are required")
	}
	flags, err := CompactFlags(args.ObjstoreSecretKey, args.Retention)
	if err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	c := &Compactor{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:Compactor", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	l := CompactLabels(args.Instance)
	objectName := "thanos-compact"

	sa, err := newServiceAccount(ctx, CompactServiceAccountName, args.ThanosWorkloadArgs, l.Pod(), args.RoleArn, parent)
	if err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	svc, err := newService(ctx, objectName, args.ThanosWorkloadArgs, l, map[string]int{HTTPPortName: HTTPPort}, parent)
	if err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	_, err = appsv1.NewStatefulSet(ctx, objectName, &appsv1.StatefulSetArgs{
		Metadata: args.metadata(objectName, l.Pod(), args.workloadAnnotations()),
		Spec: appsv1.StatefulSetSpecArgs{
			// Exactly one, always: not configurable on purpose.
			Replicas:    pulumi.Int(1),
			ServiceName: svc.Metadata.Name().Elem(),
			Selector:    metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.Selector())},
			Template: corev1.PodTemplateSpecArgs{
				Metadata: metav1.ObjectMetaArgs{Labels: pulumi.ToStringMap(l.Pod())},
				Spec: thanosPodSpec(CompactServiceAccountName, thanosContainer{
					Args:      pulumi.ToStringArray(append([]string{"compact"}, flags...)),
					Resources: args.Resources,
					DataPath:  compactDataPath, ObjstoreSecret: args.ObjstoreSecret,
				}, nil, nil),
			},
			VolumeClaimTemplates: persistentVolumeClaims(args.StorageSize, args.StorageClass),
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	if _, err := newServiceMonitor(ctx, objectName, args.ThanosWorkloadArgs, l, parent); err != nil {
		return nil, fmt.Errorf("compactor: %w", err)
	}
	c.ServiceAccountName = sa.Metadata.Name().Elem()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"serviceAccountName": c.ServiceAccountName})
}
