package bucket

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// WorkloadIdentityArgs configure the IRSA roles of the Thanos components that touch the bucket.
type WorkloadIdentityArgs struct {
	// OIDCProviderArn is the ARN of the EKS cluster's IAM OIDC provider. Required.
	OIDCProviderArn pulumi.StringInput
	// OIDCIssuerURL is the cluster's OIDC issuer URL (https://oidc.eks...). Required.
	OIDCIssuerURL pulumi.StringInput
	// Namespace the ServiceAccounts live in. Required.
	Namespace pulumi.StringInput
	// BucketArn and KMSKeyArn scope every permission. Required.
	BucketArn, KMSKeyArn pulumi.StringInput
	// SidecarServiceAccount is the Prometheus pods' ServiceAccount (their Thanos sidecar uploads
	// blocks). Required.
	SidecarServiceAccount string
	// RoleNames are the roles' names, unique in the account (IAM names are account-wide). Required.
	RoleNames IRSARoleNames
	// Tags are added to every role.
	Tags map[string]string
}

// IRSARoleNames are the names of the three IRSA roles.
type IRSARoleNames struct {
	Sidecar, Store, Compactor string
}

// All are the names, the sidecar's first.
func (n IRSARoleNames) All() []string { return []string{n.Sidecar, n.Store, n.Compactor} }

// WorkloadIdentity holds one IAM role per Thanos component, each trusted by that component's
// ServiceAccount alone and allowed only what the component does with the bucket.
type WorkloadIdentity struct {
	pulumi.ResourceState

	SidecarRoleArn   pulumi.StringOutput `pulumi:"sidecarRoleArn"`
	StoreRoleArn     pulumi.StringOutput `pulumi:"storeRoleArn"`
	CompactorRoleArn pulumi.StringOutput `pulumi:"compactorRoleArn"`
}

// irsaRole is one component's role: who assumes it and what it may do.
type irsaRole struct {
	name           string
	roleName       string
	serviceAccount string
	access         Access
}

// NewWorkloadIdentity registers the three roles and their inline policies.
func NewWorkloadIdentity(ctx *pulumi.Context, name string, args *WorkloadIdentityArgs, opts ...pulumi.ResourceOption) (*WorkloadIdentity, error) {
	if args.OIDCProviderArn == nil || args.OIDCIssuerURL == nil || args.Namespace == nil ||
		args.BucketArn == nil || args.KMSKeyArn == nil || args.SidecarServiceAccount == "" || slices.Contains(args.RoleNames.All(), "") {
		return nil, fmt.Errorf("workload identity: OIDCProviderArn, OIDCIssuerURL, Namespace, BucketArn, KMSKeyArn, SidecarServiceAccount and RoleNames are required")
	}
	w := &WorkloadIdentity{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:aws:WorkloadIdentity", name, w, opts...); err != nil {
		return nil, err
	}
	roles := []irsaRole{
		{name: "sidecar", roleName: args.RoleNames.Sidecar, serviceAccount: args.SidecarServiceAccount, access: ReadWrite},
		{name: "store", roleName: args.RoleNames.Store, serviceAccount: components.StoreGatewayServiceAccountName, access: ReadOnly},
		{name: "compactor", roleName: args.RoleNames.Compactor, serviceAccount: components.CompactorServiceAccountName, access: ReadWriteDelete},
	}
	arns := make([]pulumi.StringOutput, len(roles))
	for i, r := range roles {
		trust := pulumi.All(args.OIDCProviderArn, args.OIDCIssuerURL, args.Namespace).ApplyT(func(v []any) (string, error) {
			return IRSATrustPolicy(v[0].(string), v[1].(string), v[2].(string), r.serviceAccount)
		}).(pulumi.StringOutput)
		role, err := iam.NewRole(ctx, name+"-"+r.name, &iam.RoleArgs{
			Name:             pulumi.String(r.roleName),
			Description:      pulumi.String("Thanos " + r.name + ": bucket access through IRSA"),
			AssumeRolePolicy: trust,
			Tags:             pulumi.ToStringMap(args.Tags),
		}, pulumi.Parent(w))
		if err != nil {
			return nil, fmt.Errorf("workload identity %s: %w", r.name, err)
		}
		policy := pulumi.All(args.BucketArn, args.KMSKeyArn).ApplyT(func(v []any) (string, error) {
			return AccessPolicy(r.access, v[0].(string), v[1].(string))
		}).(pulumi.StringOutput)
		if _, err := iam.NewRolePolicy(ctx, name+"-"+r.name, &iam.RolePolicyArgs{
			Role:   role.ID(),
			Name:   pulumi.String("thanos-bucket"),
			Policy: policy,
		}, pulumi.Parent(w)); err != nil {
			return nil, fmt.Errorf("workload identity %s: %w", r.name, err)
		}
		arns[i] = role.Arn
	}
	w.SidecarRoleArn, w.StoreRoleArn, w.CompactorRoleArn = arns[0], arns[1], arns[2]
	return w, ctx.RegisterResourceOutputs(w, pulumi.Map{
		"sidecarRoleArn": w.SidecarRoleArn, "storeRoleArn": w.StoreRoleArn, "compactorRoleArn": w.CompactorRoleArn,
	})
}
