package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cluster is what the program needs to know of the Kubernetes cluster.
type Cluster struct {
	// Kubeconfig is secret.
	Kubeconfig pulumi.StringInput
	// OIDCProviderArn and OIDCIssuerURL identify the cluster's IAM OIDC provider; empty where
	// neither config nor the cluster stack gives them.
	OIDCProviderArn, OIDCIssuerURL string
}

// resolveCluster takes the kubeconfig and OIDC provider from config, or from the cluster stack's
// outputs. Explicit config wins over the stack's outputs. A missing output fails with the config key
// that names it.
func resolveCluster(ctx *pulumi.Context, cfg Config) (Cluster, error) {
	c := Cluster{OIDCProviderArn: cfg.OIDCProviderArn, OIDCIssuerURL: cfg.OIDCIssuerURL}
	if cfg.ClusterStack == "" {
		c.Kubeconfig = pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput)
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
	return c, nil
}
