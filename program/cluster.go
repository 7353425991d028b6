package program

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ClusterKind is what the program knows the cluster to be.
type ClusterKind string

const (
	// ClusterEKS is an Amazon EKS cluster: its control plane (kube-controller-manager,
	// kube-scheduler, etcd) runs outside the cluster's nodes, where no ServiceMonitor of the chart
	// reaches it.
	ClusterEKS ClusterKind = "eks"
	// ClusterGeneric is any other cluster: kind, minikube, kubeadm, the one-node cluster of the
	// tests, whose control plane may serve metrics on its nodes where it is configured to.
	ClusterGeneric ClusterKind = "generic"
)

// eksOIDCProvider matches EKS's IAM OIDC issuers, in an issuer URL or a provider ARN:
// oidc.eks.<region>.amazonaws.com[.cn]/id/<cluster id>. EKS creates the issuer for every cluster;
// other clusters with an OIDC provider for IAM (kops, self-hosted issuers) have their own hosts.
var eksOIDCProvider = regexp.MustCompile(`(^|[/:])oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/[A-Za-z0-9]+$`)

// clusterKindOf infers the cluster's kind from its OIDC provider: EKS where the provider ARN or
// the issuer URL is EKS's (what pulumi-eks exports as oidcProviderArn and oidcIssuerUrl, and the
// cluster stacks of this project), generic otherwise, the local stack among them (no OIDC
// provider). Nothing in the program depends on more than this: both kinds scrape no control-plane
// target by default, and EKS refuses controlPlaneMetrics.
func clusterKindOf(oidcProviderArn, oidcIssuerURL string) ClusterKind {
	for _, s := range []string{oidcProviderArn, oidcIssuerURL} {
		if eksOIDCProvider.MatchString(s) {
			return ClusterEKS
		}
	}
	return ClusterGeneric
}

// checkControlPlaneMetrics refuses controlPlaneMetrics on EKS: the chart's ServiceMonitors for
// kube-controller-manager, kube-scheduler and etcd scrape the nodes' addresses, where EKS runs none
// of them, and the chart's alerts on them would fire from the first hour and never stop.
func checkControlPlaneMetrics(kind ClusterKind, controlPlaneMetrics bool) error {
	if kind == ClusterEKS && controlPlaneMetrics {
		return fmt.Errorf("config %s:controlPlaneMetrics: is true on an EKS cluster (its OIDC provider is EKS's), whose control plane "+
			"serves no kube-controller-manager, kube-scheduler or etcd metrics to the chart's scrapes; set it to false", ProjectName)
	}
	return nil
}

// ClusterAccess is what the program needs to know of the Kubernetes cluster.
type ClusterAccess struct {
	// Kubeconfig is secret.
	Kubeconfig pulumi.StringInput
	// OIDCProviderArn and OIDCIssuerURL identify the cluster's IAM OIDC provider; empty where
	// neither config nor the cluster stack gives them.
	OIDCProviderArn, OIDCIssuerURL string
	// Kind is inferred from the OIDC provider (clusterKindOf).
	Kind ClusterKind
}

// resolveCluster takes the kubeconfig and OIDC provider from config, or from the cluster stack's
// outputs. Explicit config wins over the stack's outputs. A missing output fails with the config key
// that names it.
func resolveCluster(ctx *pulumi.Context, cfg Config) (ClusterAccess, error) {
	c := ClusterAccess{OIDCProviderArn: cfg.OIDCProviderArn, OIDCIssuerURL: cfg.OIDCIssuerURL}
	if cfg.ClusterStack == "" {
		c.Kubeconfig = pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput)
		c.Kind = clusterKindOf(c.OIDCProviderArn, c.OIDCIssuerURL)
		return c, nil
	}
	ref, err := pulumi.NewStackReference(ctx, cfg.ClusterStack, nil)
	if err != nil {
		return c, fmt.Errorf("config %s:clusterStack: %q: %w", ProjectName, cfg.ClusterStack, err)
	}
	// output reads the cluster stack's output name, which config key names; a required one must be
	// there and not empty.
	output := func(key, name string, required bool) (any, error) {
		details, err := ref.GetOutputDetails(name)
		if err != nil {
			return nil, fmt.Errorf("config %s:clusterStack: reading stack %q: %w", ProjectName, cfg.ClusterStack, err)
		}
		value := details.Value
		if value == nil {
			value = details.SecretValue
		}
		if required && (value == nil || value == "") {
			return nil, fmt.Errorf("config %s:%s: stack %q has no output %q; set %s to the name of its output, or set it in config",
				ProjectName, key, cfg.ClusterStack, name, key)
		}
		return value, nil
	}
	// text reads an output that must be a string where it is set.
	text := func(key, name string) (string, error) {
		value, err := output(key, name, false)
		if s, ok := value.(string); err != nil || ok || value == nil {
			return s, err
		}
		return "", fmt.Errorf("config %s:%s: output %q of stack %q is not a string", ProjectName, key, name, cfg.ClusterStack)
	}
	value, err := output("clusterStackKubeconfigOutput", cfg.ClusterStackKubeconfigOutput, true)
	if err != nil {
		return c, err
	}
	kubeconfig, err := kubeconfigText(value)
	if err != nil {
		return c, fmt.Errorf("config %s:clusterStackKubeconfigOutput: output %q of stack %q: %w", ProjectName, cfg.ClusterStackKubeconfigOutput, cfg.ClusterStack, err)
	}
	c.Kubeconfig = pulumi.ToSecret(pulumi.String(kubeconfig)).(pulumi.StringOutput)
	// The OIDC outputs are needed only where the program creates IRSA roles; deployBucket says so.
	if c.OIDCProviderArn == "" {
		if c.OIDCProviderArn, err = text("clusterStackOidcProviderArnOutput", cfg.ClusterStackOidcProviderArnOutput); err != nil {
			return c, err
		}
	}
	if c.OIDCIssuerURL == "" {
		issuer, err := text("clusterStackOidcIssuerUrlOutput", cfg.ClusterStackOidcIssuerUrlOutput)
		if err != nil {
			return c, err
		}
		if c.OIDCIssuerURL, err = OIDCIssuerURL(issuer); err != nil {
			return c, fmt.Errorf("config %s:clusterStackOidcIssuerUrlOutput: output %q of stack %q: %w", ProjectName, cfg.ClusterStackOidcIssuerUrlOutput, cfg.ClusterStack, err)
		}
	}
	c.Kind = clusterKindOf(c.OIDCProviderArn, c.OIDCIssuerURL)
	return c, checkControlPlaneMetrics(c.Kind, cfg.ControlPlaneMetrics)
}

// kubeconfigText is the kubeconfig the kubernetes provider takes, from a cluster stack's output: a
// string as it is (YAML or JSON), or an object marshalled to JSON, as pulumi-eks exports it
// (its Cluster's `kubeconfig` output is an object; `kubeconfigJson` is the same as a string).
func kubeconfigText(value any) (string, error) {
	switch v := value.(type) {
	case string:
		return v, nil
	case map[string]any:
		raw, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("marshal the kubeconfig object: %w", err)
		}
		return string(raw), nil
	default:
		return "", fmt.Errorf("is a %T; want a kubeconfig as a string or an object", value)
	}
}

// OIDCIssuerURL is an OIDC issuer as an https:// URL. Cluster stacks export it both ways:
// pulumi-eks's `oidcProviderUrl` and terraform-aws-eks's `cluster_oidc_issuer_url` with https://,
// pulumi-eks's `oidcIssuer`, terraform-aws-eks's `oidc_provider` and the AWS provider's OIDC
// provider `url` without; the IRSA trust policy's condition keys take it without (IRSATrustPolicy).
// Any other scheme, or no host, is refused.
func OIDCIssuerURL(issuer string) (string, error) {
	if issuer == "" {
		return "", nil
	}
	given := issuer
	if !strings.Contains(issuer, "://") {
		issuer = "https://" + issuer
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an OIDC issuer: want https://<host>/<path> or <host>/<path>, as oidc.eks.<region>.amazonaws.com/id/<id>", given)
	}
	return issuer, nil
}
