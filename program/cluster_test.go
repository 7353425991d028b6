package program

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

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

// TestOIDCIssuerURLTakesBothForms: the issuer as cluster stacks export it, with https:// or without
// (pulumi-eks's oidcProviderUrl and oidcIssuer), becomes one https:// URL; another scheme, a bare
// word or a query is refused with what is wanted.
func TestOIDCIssuerURLTakesBothForms(t *testing.T) {
	const want = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
	for _, in := range []string{want, "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"} {
		if got, err := OIDCIssuerURL(in); err != nil || got != want {
			t.Errorf("OIDCIssuerURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := OIDCIssuerURL(""); err != nil || got != "" {
		t.Errorf(`OIDCIssuerURL("") = %q, %v; want "" (not set)`, got, err)
	}
	for _, in := range []string{"http://oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "https://", "oidc issuer", "https://issuer.example/?id=1"} {
		if got, err := OIDCIssuerURL(in); err == nil || !strings.Contains(err.Error(), "want https://<host>/<path> or <host>/<path>") {
			t.Errorf("OIDCIssuerURL(%q) = %q, %v; want an error saying what is wanted", in, got, err)
		}
	}
}

// TestKubeconfigTextTakesStringsAndObjects: a kubeconfig output as a string is used as it is; as
// an object (pulumi-eks's `kubeconfig`) it is marshalled to the JSON its `kubeconfigJson` holds;
// anything else is refused.
func TestKubeconfigTextTakesStringsAndObjects(t *testing.T) {
	if got, err := kubeconfigText("apiVersion: v1\nkind: Config\n"); err != nil || got != "apiVersion: v1\nkind: Config\n" {
		t.Errorf("a string kubeconfig became %q, %v", got, err)
	}
	object := map[string]any{"apiVersion": "v1", "kind": "Config", "clusters": []any{map[string]any{"name": "kubernetes"}}}
	got, err := kubeconfigText(object)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(got), &back); err != nil || !reflect.DeepEqual(back, object) {
		t.Errorf("the object kubeconfig became %q (%v), which is not the object as JSON", got, err)
	}
	if _, err := kubeconfigText(42.0); err == nil || !strings.Contains(err.Error(), "want a kubeconfig as a string or an object") {
		t.Errorf("a number was taken as a kubeconfig: %v", err)
	}
}
