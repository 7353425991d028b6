package program

import (
	"fmt"
	"regexp"

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

// Cluster is what the program needs to know of the Kubernetes cluster.
type Cluster struct {
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
func resolveCluster(ctx *pulumi.Context, cfg Config) (Cluster, error) {
	c := Cluster{OIDCProviderArn: cfg.OIDCProviderArn, OIDCIssuerURL: cfg.OIDCIssuerURL}
	if cfg.ClusterStack == "" {
		c.Kubeconfig = pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput)
		c.Kind = clusterKindOf(c.OIDCProviderArn, c.OIDCIssuerURL)
		return c, nil
	}
	ref, err := pulumi.NewStackReference(ctx, cfg.ClusterStack, nil)
	if err != nil {
		return c, fmt.Errorf("config %s:clusterStack: %q: %w", ProjectName, cfg.ClusterStack, err)
	}
	output := func(key, name string, required bool) (string, error) {
		details, err := ref.GetOutputDetails(name)
		if err != nil {
			return "", fmt.Errorf("config %s:clusterStack: reading stack %q: %w", ProjectName, cfg.ClusterStack, err)
		}
		value := details.Value
		if value == nil {
			value = details.SecretValue
		}
		s, ok := value.(string)
		if (value == nil || s == "") && required {
			return "", fmt.Errorf("config %s:%s: stack %q has no output %q; set %s to the name of its output, or set it in config",
				ProjectName, key, cfg.ClusterStack, name, key)
		}
		if value != nil && !ok {
			return "", fmt.Errorf("config %s:%s: output %q of stack %q is not a string", ProjectName, key, name, cfg.ClusterStack)
		}
		return s, nil
	}
	kubeconfig, err := output("clusterStackKubeconfigOutput", cfg.ClusterStackKubeconfigOutput, true)
	if err != nil {
		return c, err
	}
	c.Kubeconfig = pulumi.ToSecret(pulumi.String(kubeconfig)).(pulumi.StringOutput)
	// The OIDC outputs are needed only where the program creates IRSA roles; deployBucket says so.
	if c.OIDCProviderArn == "" {
		if c.OIDCProviderArn, err = output("clusterStackOidcProviderArnOutput", cfg.ClusterStackOidcProviderArnOutput, false); err != nil {
			return c, err
		}
	}
	if c.OIDCIssuerURL == "" {
		if c.OIDCIssuerURL, err = output("clusterStackOidcIssuerUrlOutput", cfg.ClusterStackOidcIssuerUrlOutput, false); err != nil {
			return c, err
		}
	}
	c.Kind = clusterKindOf(c.OIDCProviderArn, c.OIDCIssuerURL)
	return c, checkControlPlaneMetrics(c.Kind, cfg.ControlPlaneMetrics)
}
