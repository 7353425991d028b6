package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/bucket"
	"github.com/prometheus-thanos/prometheus-thanos/components/network"
)

// Bucket is the bucket Thanos uses, created or existing, and the identities that reach it.
type Bucket struct {
	Name pulumi.StringOutput
	// ObjstoreConfig is Thanos's objstore YAML, secret where it holds keys.
	ObjstoreConfig pulumi.StringOutput
	// Arn and KMSKeyArn are nil for an existing bucket (the program does not own them).
	Arn, KMSKeyArn pulumi.StringInput
	// Role ARNs of the components; nil with static keys.
	SidecarRoleArn, StoreRoleArn, CompactorRoleArn pulumi.StringInput
	// ObjectStorePorts are the TCP ports the bucket workloads reach the object store (and STS,
	// with IRSA) on: what their NetworkPolicies let out.
	ObjectStorePorts []int
}

// deployBucket creates the encrypted bucket and the IRSA roles, or, with existingBucketName,
// only describes the existing bucket: then no AWS resource is registered and no AWS API called.
func deployBucket(ctx *pulumi.Context, cfg Config, cluster ClusterAccess) (Bucket, error) {
	if e := cfg.ExistingBucket; e != nil {
		return existingBucket(e)
	}
	if cluster.OIDCProviderArn == "" || cluster.OIDCIssuerURL == "" {
		return Bucket{}, fmt.Errorf("config %s:oidcProviderArn and %s:oidcIssuerUrl: the IRSA roles need the cluster's OIDC provider; set both, or set clusterStack to a stack exporting them", ProjectName, ProjectName)
	}
	tags := map[string]string{"cluster": cfg.ClusterName, "stack": ctx.Stack(), "managed-by": "pulumi", "app": "thanos"}
	args := cfg.Bucket
	args.KeyAlias = kmsAliasName(cfg.ClusterName, ctx.Stack())
	args.Tags = tags
	store, err := bucket.NewObjectStore(ctx, "thanos", &args)
	if err != nil {
		return Bucket{}, err
	}
	identity, err := bucket.NewWorkloadIdentity(ctx, "thanos", &bucket.WorkloadIdentityArgs{
		OIDCProviderArn:       pulumi.String(cluster.OIDCProviderArn),
		OIDCIssuerURL:         pulumi.String(cluster.OIDCIssuerURL),
		Namespace:             pulumi.String(cfg.Namespace),
		BucketArn:             store.BucketArn,
		KMSKeyArn:             store.KMSKeyArn,
		SidecarServiceAccount: prometheusServiceAccount,
		RoleNames:             iamRoleNames(cfg.ClusterName, ctx.Stack()),
		Tags:                  tags,
	})
	if err != nil {
		return Bucket{}, err
	}
	objstore := pulumi.All(store.BucketName, store.KMSKeyArn).ApplyT(func(v []any) (string, error) {
		return components.ObjstoreConfigYAML(components.ObjstoreConfigArgs{
			Bucket:   v[0].(string),
			Endpoint: components.AWSS3Endpoint(cfg.Region),
			Region:   cfg.Region,
			KMSKeyID: v[1].(string),
		})
	}).(pulumi.StringOutput)
	ports, err := network.ObjectStorePorts(components.AWSS3Endpoint(cfg.Region), false, true)
	if err != nil {
		return Bucket{}, err
	}
	return Bucket{
		Name: store.BucketName, ObjstoreConfig: objstore, Arn: store.BucketArn, KMSKeyArn: store.KMSKeyArn,
		SidecarRoleArn: identity.SidecarRoleArn, StoreRoleArn: identity.StoreRoleArn, CompactorRoleArn: identity.CompactorRoleArn,
		ObjectStorePorts: ports,
	}, nil
}

func existingBucket(e *ExistingBucket) (Bucket, error) {
	objstore, err := components.ObjstoreConfigYAML(components.ObjstoreConfigArgs{
		Bucket: e.Name, Endpoint: e.Endpoint, Region: e.Region, KMSKeyID: e.KMSKeyID,
		Insecure: e.Insecure, AccessKey: e.AccessKey, SecretKey: e.SecretKey,
	})
	if err != nil {
		return Bucket{}, err
	}
	ports, err := network.ObjectStorePorts(e.Endpoint, e.Insecure, !e.StaticCredentials())
	if err != nil {
		return Bucket{}, err
	}
	b := Bucket{
		Name:             pulumi.String(e.Name).ToStringOutput(),
		ObjstoreConfig:   pulumi.String(objstore).ToStringOutput(),
		ObjectStorePorts: ports,
	}
	if e.StaticCredentials() {
		b.ObjstoreConfig = pulumi.ToSecret(b.ObjstoreConfig).(pulumi.StringOutput)
		return b, nil
	}
	b.SidecarRoleArn = pulumi.String(e.SidecarRoleArn)
	b.StoreRoleArn = pulumi.String(e.StoreRoleArn)
	b.CompactorRoleArn = pulumi.String(e.CompactorRoleArn)
	return b, nil
}
