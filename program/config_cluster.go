package program

import (
	"regexp"
	"strings"
)

// stackName is a fully qualified stack name, org/project/stack, as `pulumi stack ls` and stack
// references spell it: each part letters, digits, '-', '_' and '.'. The one rule for clusterStack
// and globalViewMembers.
var stackName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// readTarget reads the target cluster's section: its name, the namespace, and how the program
// reaches it (a kubeconfig or the stack that made it) and its OIDC provider.
func readTarget(r *reader, c *Config) {
	lookup := r.lookup
	c.ClusterName = r.str("clusterName")
	switch {
	case c.ClusterName == "":
		r.fail("clusterName", "is required: the name of the Kubernetes cluster")
	case !clusterNamePattern.MatchString(c.ClusterName):
		r.fail("clusterName", "%q must be 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit", c.ClusterName)
	}
	c.Namespace = r.str("namespace")
	if !dns1123Label.MatchString(c.Namespace) {
		r.fail("namespace", "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63)", c.Namespace)
	}
	c.Region, _ = lookup("aws:region")

	c.Kubeconfig = r.str("kubeconfig")
	c.ClusterStack = r.str("clusterStack")
	c.ClusterStackKubeconfigOutput = r.str("clusterStackKubeconfigOutput")
	c.ClusterStackOidcProviderArnOutput = r.str("clusterStackOidcProviderArnOutput")
	c.ClusterStackOidcIssuerUrlOutput = r.str("clusterStackOidcIssuerUrlOutput")
	c.OIDCProviderArn = r.str("oidcProviderArn")
	c.OIDCIssuerURL = r.str("oidcIssuerUrl")
	c.SkipAwait = r.boolean("kubernetesSkipAwait")
	switch {
	case c.Kubeconfig == "" && c.ClusterStack == "":
		r.fail("kubeconfig", "no cluster: set kubeconfig (as a secret) or clusterStack")
	case c.Kubeconfig != "" && c.ClusterStack != "":
		r.fail("kubeconfig", "set either kubeconfig or clusterStack, not both")
	}
	if c.ClusterStack != "" && !stackName.MatchString(c.ClusterStack) {
		r.fail("clusterStack", "%q must be a fully qualified stack name, org/project/stack", c.ClusterStack)
	}
	if c.OIDCProviderArn != "" && !strings.HasPrefix(c.OIDCProviderArn, "arn:") {
		r.fail("oidcProviderArn", "%q is not an ARN (arn:aws:iam::<account>:oidc-provider/...)", c.OIDCProviderArn)
	}
	if issuer, err := OIDCIssuerURL(c.OIDCIssuerURL); err != nil {
		r.fail("oidcIssuerUrl", "%v", err)
	} else {
		c.OIDCIssuerURL = issuer
	}
	c.ControlPlaneMetrics = r.boolean("controlPlaneMetrics")
	c.KubeProxyMetrics = r.boolean("kubeProxyMetrics")
	// Where config names the OIDC provider; resolveCluster checks the cluster stack's again.
	if err := checkControlPlaneMetrics(clusterKindOf(c.OIDCProviderArn, c.OIDCIssuerURL), c.ControlPlaneMetrics); err != nil {
		r.errs = append(r.errs, err)
	}
}
