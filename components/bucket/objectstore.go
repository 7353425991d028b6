package bucket

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ObjectStoreArgs configure the S3 bucket that holds Thanos's blocks.
type ObjectStoreArgs struct {
	// BucketName is the bucket's exact name. Default: Pulumi auto-names it from the resource name.
	BucketName string
	// KeyAlias is the KMS alias name, alias/<name>, unique in the account and region. Required.
	KeyAlias string
	// Versioning keeps old object versions, expired after NoncurrentVersionExpirationDays, and
	// then their delete markers. Default false: the compactor deletes blocks on purpose, and
	// versions would keep paying for them.
	Versioning bool
	// NoncurrentVersionExpirationDays expires old versions when Versioning is on. Default 30.
	NoncurrentVersionExpirationDays int
	// AbortIncompleteUploadDays aborts multipart uploads a crashed writer left behind. Default 7.
	AbortIncompleteUploadDays int
	// ForceDestroy lets `pulumi destroy` delete a bucket that still holds blocks. Default false.
	ForceDestroy bool
	// Protect protects the bucket and its key from deletion by Pulumi. Default false; prod sets it.
	Protect bool
	// KeyDeletionWindowDays is KMS's waiting period before a deleted key is gone. Default 30.
	KeyDeletionWindowDays int
	// Tags are added to the bucket and the key.
	Tags map[string]string
}

// ObjectStore is an S3 bucket encrypted with its own KMS key: SSE-KMS by default with bucket keys,
// public access blocked, ACLs disabled, TLS required, incomplete uploads aborted.
type ObjectStore struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	BucketArn  pulumi.StringOutput `pulumi:"bucketArn"`
	KMSKeyArn  pulumi.StringOutput `pulumi:"kmsKeyArn"`
}

func (a *ObjectStoreArgs) withDefaults() ObjectStoreArgs {
	out := *a
	if out.NoncurrentVersionExpirationDays == 0 {
		out.NoncurrentVersionExpirationDays = 30
	}
	if out.AbortIncompleteUploadDays == 0 {
		out.AbortIncompleteUploadDays = 7
	}
	if out.KeyDeletionWindowDays == 0 {
		out.KeyDeletionWindowDays = 30
	}
	return out
}

// NewObjectStore registers the bucket, its key and their policies.
func NewObjectStore(ctx *pulumi.Context, name string, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*ObjectStore, error) {
	a := args.withDefaults()
	if !strings.HasPrefix(a.KeyAlias, "alias/") {
		return nil, fmt.Errorf("object store: KeyAlias %q must be alias/<name>", a.KeyAlias)
	}
	o := &ObjectStore{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:aws:ObjectStore", name, o, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(o)
	// Data-bearing resources: `pulumi destroy` must not lose them where Protect is set.
	keep := []pulumi.ResourceOption{parent, pulumi.Protect(a.Protect)}
	tags := pulumi.ToStringMap(a.Tags)

	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.Sprintf("Thanos blocks in bucket of %s", name),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(a.KeyDeletionWindowDays),
		Tags:                 tags,
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	if _, err := kms.NewAlias(ctx, name, &kms.AliasArgs{
		Name:        pulumi.String(a.KeyAlias),
		TargetKeyId: key.KeyId,
	}, parent); err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}

	bucketArgs := &s3.BucketV2Args{ForceDestroy: pulumi.Bool(a.ForceDestroy), Tags: tags}
	if a.BucketName != "" {
		bucketArgs.Bucket = pulumi.String(a.BucketName)
	}
	bucket, err := s3.NewBucketV2(ctx, name, bucketArgs, keep...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	if err := newBucketSettings(ctx, name, a, bucket, key, parent); err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}

	o.BucketName = bucket.Bucket
	o.BucketArn = bucket.Arn
	o.KMSKeyArn = key.Arn
	return o, ctx.RegisterResourceOutputs(o, pulumi.Map{
		"bucketName": o.BucketName, "bucketArn": o.BucketArn, "kmsKeyArn": o.KMSKeyArn,
	})
}

// newBucketSettings registers what the bucket is configured with: default SSE-KMS with bucket
// keys, the public access block, BucketOwnerEnforced, the TLS-only policy, versioning where asked
// and the lifecycle rules. Children of the bucket depend on it through its ID; they hold no data
// themselves.
func newBucketSettings(ctx *pulumi.Context, name string, a ObjectStoreArgs, bucket *s3.BucketV2, key *kms.Key, parent pulumi.ResourceOption) error {
	_, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: key.Arn,
			},
			// Bucket keys cut KMS requests (and their cost) by orders of magnitude.
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, parent)
	if err != nil {
		return err
	}
	publicAccess, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return err
	}
	policy := bucket.Arn.ApplyT(TLSOnlyPolicy).(pulumi.StringOutput)
	// S3 rejects a policy while the public access block is being written: order them.
	if _, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy},
		parent, pulumi.DependsOn([]pulumi.Resource{publicAccess})); err != nil {
		return err
	}

	var lifecycleDeps []pulumi.Resource
	if a.Versioning {
		versioning, err := s3.NewBucketVersioningV2(ctx, name, &s3.BucketVersioningV2Args{
			Bucket:                  bucket.ID(),
			VersioningConfiguration: s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
		}, parent)
		if err != nil {
			return err
		}
		lifecycleDeps = append(lifecycleDeps, versioning)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  lifecycleRules(a),
	}, parent, pulumi.DependsOn(lifecycleDeps)); err != nil {
		return err
	}

	return nil
}

// lifecycleRules are the bucket's lifecycle rules, each over the whole bucket: incomplete multipart
// uploads aborted; with versioning, old versions expired, then the delete markers left alone once
// their versions are gone (each block the compactor deletes leaves one per object, which S3 would
// otherwise keep forever and every listing would page through). S3 refuses ExpiredObjectDeleteMarker
// beside Days or Date in one Expiration, so that Expiration holds nothing else.
func lifecycleRules(a ObjectStoreArgs) s3.BucketLifecycleConfigurationV2RuleArray {
	rules := s3.BucketLifecycleConfigurationV2RuleArray{s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String("abort-incomplete-multipart-uploads"),
		Status: pulumi.String("Enabled"),
		Filter: s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
		AbortIncompleteMultipartUpload: s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(a.AbortIncompleteUploadDays),
		},
	}}
	if !a.Versioning {
		return rules
	}
	return append(rules,
		s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-noncurrent-versions"),
			Status: pulumi.String("Enabled"),
			Filter: s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
			NoncurrentVersionExpiration: s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(a.NoncurrentVersionExpirationDays),
			},
		},
		s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-delete-markers"),
			Status: pulumi.String("Enabled"),
			Filter: s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
			Expiration: s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
				ExpiredObjectDeleteMarker: pulumi.Bool(true),
			},
		},
	)
}
