package program

import "testing"

// TestClusterKindOfOIDCProvider: EKS's issuers (an ARN or a URL, AWS's China partition too) make
// the cluster EKS; another OIDC provider, or none (the local stack), a generic cluster.
func TestClusterKindOfOIDCProvider(t *testing.T) {
	for _, c := range []struct {
		arn, url string
		want     ClusterKind
	}{
		{"arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "", ClusterEKS},
		{"", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123", ClusterEKS},
		{"", "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC123", ClusterEKS},
		{"arn:aws:iam::123456789012:oidc-provider/my-kops-issuer.s3.amazonaws.com", "https://my-kops-issuer.s3.amazonaws.com", ClusterGeneric},
		{"", "", ClusterGeneric},
	} {
		if got := clusterKindOf(c.arn, c.url); got != c.want {
			t.Errorf("clusterKindOf(%q, %q) = %s, want %s", c.arn, c.url, got, c.want)
		}
	}
}
