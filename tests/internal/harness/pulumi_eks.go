package harness

import (
	"encoding/json"
	"strings"
)

// PulumiEKSVersion is the pulumi-eks release whose Cluster outputs PulumiEKSClusterOutputs has the
// shape of: provider/cmd/pulumi-resource-eks/schema.json (their types) and
// nodejs/eks/cluster/cluster.ts (their values) at that tag.
const PulumiEKSVersion = "v4.3.0"

// PulumiEKSClusterOutputs are a pulumi-eks Cluster's outputs as a cluster stack exports them, each
// under its own name (`export const kubeconfig = cluster.kubeconfig`, and so on): `kubeconfig` is an
// object (the schema's pulumi.json#/Any, not secret), `kubeconfigJson` the same as a JSON string,
// `oidcProviderArn` the IAM OIDC provider's ARN, `oidcProviderUrl` the issuer with https:// and
// `oidcIssuer` the same without it. issuerURL is given with https://.
func PulumiEKSClusterOutputs(kubeconfig map[string]any, issuerURL, providerArn string) (map[string]any, error) {
	raw, err := json.Marshal(kubeconfig)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"kubeconfig":      kubeconfig,
		"kubeconfigJson":  string(raw),
		"oidcProviderArn": providerArn,
		"oidcProviderUrl": issuerURL,
		// cluster.ts: oidcIssuerUrl.apply((url) => url.replace("https://", "")).
		"oidcIssuer": strings.Replace(issuerURL, "https://", "", 1),
	}, nil
}

// PulumiEKSKubeconfig is the kubeconfig object pulumi-eks generates for a cluster
// (generateKubeconfig in cluster.ts: the AWS CLI's `eks get-token` as the exec credential plugin).
func PulumiEKSKubeconfig(clusterName, endpoint, region, caData string) map[string]any {
	args := []any{"--region", region, "eks", "get-token", "--cluster-name", clusterName, "--output", "json"}
	return map[string]any{
		"apiVersion": "v1",
		"clusters": []any{map[string]any{
			"cluster": map[string]any{"server": endpoint, "certificate-authority-data": caData},
			"name":    "kubernetes",
		}},
		"contexts":        []any{map[string]any{"context": map[string]any{"cluster": "kubernetes", "user": "aws"}, "name": "aws"}},
		"current-context": "aws",
		"kind":            "Config",
		"users": []any{map[string]any{
			"name": "aws",
			"user": map[string]any{"exec": map[string]any{
				"apiVersion": "client.authentication.k8s.io/v1beta1",
				"command":    "aws",
				"args":       args,
				"env":        []any{map[string]any{"name": "KUBERNETES_EXEC_INFO", "value": `{"apiVersion": "client.authentication.k8s.io/v1beta1"}`}},
			}},
		}},
	}
}
