package components

import (
	"fmt"

	"github.com/alecthomas/units"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const storeDataPath = "/var/thanos/store"

// StoreGatewayArgs configure the Thanos store gateway.
type StoreGatewayArgs struct {
	ThanosWorkloadArgs
	// Replicas of the store gateway. Default 1. Every replica serves every block (no sharding),
	// so 2 or more make it HA; the querier deduplicates their identical answers.
	Replicas int
	// ObjstoreSecret is the Secret holding the objstore config under ObjstoreSecretKey. Required.
	ObjstoreSecret pulumi.StringInput
	// ObjstoreSecretKey is the key of the objstore config in ObjstoreSecret. Required.
	ObjstoreSecretKey string
	// IndexCacheSize is the in-memory index cache size, in Thanos's byte units ("250MB").
	// Default "250MB".
	IndexCacheSize string
	// StorageSize is the size of each replica's persistent volume for index headers ("10Gi").
	// Required.
	StorageSize string
	// StorageClass of the persistent volume. Default: the cluster's default class.
	StorageClass string
	// RoleArn is the IAM role its ServiceAccount assumes through IRSA. Optional (static keys).
	RoleArn pulumi.StringInput
	// Resources of the store container.
	Resources Resources
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

// StoreFlags are the flags of `thanos store`, verified against ThanosVersion.
func StoreFlags(objstoreSecretKey, indexCacheSize string) ([]string, error) {
	if indexCacheSize == "" {
		indexCacheSize = "250MB"
	}
	// The same parser Thanos uses for this flag (kingpin's Bytes).
	if _, err := units.ParseBase2Bytes(indexCacheSize); err != nil {
		return nil, fmt.Errorf("index cache size %q: %w", indexCacheSize, err)
	}
	flags := append(logFlags(), listenFlags()...)
	return append(flags,
		flag("data-dir", storeDataPath),
		objstoreFlag(objstoreSecretKey),
		flag("index-cache-size", indexCacheSize),
	), nil
}

// NewStoreGateway registers the store gateway: ServiceAccount, StatefulSet with a persistent
// volume, Service, ServiceMonitor and, when asked, a PodDisruptionBudget.
func NewStoreGateway(ctx *pulumi.Context, name string, args *StoreGatewayArgs, opts ...pulumi.ResourceOption) (*StoreGateway, error) {
	if err := args.validate("store gateway"); err != nil {
		return nil, err
	}
	if args.Replicas < 1 {
		return nil, fmt.Errorf("store gateway: Replicas must be at least 1, got %d", args.Replicas)
	}
	if args.ObjstoreSecret == nil || args.ObjstoreSecretKey == "" || args.StorageSize == "" {
		return nil, fmt.Errorf("store gateway: ObjstoreSecret, ObjstoreSecretKey and StorageSize are required")
	}
	flags, err := StoreFlags(args.ObjstoreSecretKey, args.IndexCacheSize)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	s := &StoreGateway{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:StoreGateway", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	l := StoreLabels(args.Instance)
	objectName := "thanos-store"

	sa, err := newServiceAccount(ctx, StoreServiceAccountName, args.ThanosWorkloadArgs, l.Pod(), args.RoleArn, parent)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	svc, err := newService(ctx, objectName, args.ThanosWorkloadArgs, l, map[string]int{GRPCPortName: GRPCPort, HTTPPortName: HTTPPort}, parent)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	// The StoreAPI label puts the pods behind the peers Service.
	podLabels := withLabels(l.Pod(), StoreAPISelector())
	_, err = appsv1.NewStatefulSet(ctx, objectName, &appsv1.StatefulSetArgs{
		Metadata: args.metadata(objectName, l.Pod(), args.workloadAnnotations()),
		Spec: appsv1.StatefulSetSpecArgs{
			Replicas:    pulumi.Int(args.Replicas),
			ServiceName: svc.Metadata.Name().Elem(),
			Selector:    metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.Selector())},
			// Replicas are independent caches of the same bucket: start them together.
			PodManagementPolicy: pulumi.String("Parallel"),
			Template: corev1.PodTemplateSpecArgs{
				Metadata: metav1.ObjectMetaArgs{Labels: pulumi.ToStringMap(podLabels)},
				Spec: thanosPodSpec(StoreServiceAccountName, thanosContainer{
					Args:      pulumi.ToStringArray(append([]string{"store"}, flags...)),
					Resources: args.Resources, ServesGRPC: true,
					DataPath: storeDataPath, ObjstoreSecret: args.ObjstoreSecret,
				}, l.Selector(), nil),
			},
			VolumeClaimTemplates: persistentVolumeClaims(args.StorageSize, args.StorageClass),
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("store gateway: %w", err)
	}
	if _, err := newServiceMonitor(ctx, objectName, args.ThanosWorkloadArgs, l, parent); err != nil {
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

// persistentVolumeClaims is the one "data" volume claim of a Thanos StatefulSet.
func persistentVolumeClaims(size, storageClass string) corev1.PersistentVolumeClaimTypeArray {
	spec := corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources:   corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(size)}},
	}
	if storageClass != "" {
		spec.StorageClassName = pulumi.String(storageClass)
	}
	return corev1.PersistentVolumeClaimTypeArray{corev1.PersistentVolumeClaimTypeArgs{
		Metadata: metav1.ObjectMetaArgs{Name: pulumi.String(dataVolume)},
		Spec:     spec,
	}}
}
