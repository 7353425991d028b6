package mocks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestAPulumiEKSClusterStackPlugsIn: a cluster stack made with pulumi-eks (harness.PulumiEKSVersion)
// that exports its Cluster's outputs as they are plugs in with the output names set: its
// `kubeconfig` object reaches the kubernetes provider as the JSON of that object (the string
// `kubeconfigJson` holds), and its issuer, with https:// (`oidcProviderUrl`) or without
// (`oidcIssuer`), gives the same IRSA trust policies; the cluster is known to be EKS.
func TestAPulumiEKSClusterStackPlugsIn(t *testing.T) {
	issuer := strings.TrimPrefix(pulumiEKSIssuer, "https://")
	want := pulumiEKSStackOutputs(t)
	for _, issuerOutput := range []string{"oidcProviderUrl", "oidcIssuer"} {
		t.Run(issuerOutput, func(t *testing.T) {
			config := stackConfig(t, "dev")
			config["prometheus-thanos:clusterStack"] = pulumiEKSStack
			config["prometheus-thanos:clusterStackOidcIssuerUrlOutput"] = issuerOutput
			r := runProgram(t, "dev", config)
			if r.err != nil {
				t.Fatal(r.err)
			}
			provider := r.one(t, "pulumi:providers:kubernetes", "cluster")
			var got map[string]any
			if err := json.Unmarshal([]byte(fmt.Sprint(provider.Inputs["kubeconfig"])), &got); err != nil {
				t.Fatalf("the provider's kubeconfig is not JSON: %v", err)
			}
			if !reflect.DeepEqual(got, want["kubeconfig"]) {
				t.Errorf("the provider's kubeconfig %v is not the cluster stack's object %v", got, want["kubeconfig"])
			}
			for _, role := range r.all("aws:iam/role:Role") {
				trust := policy(t, role.Inputs["assumeRolePolicy"]).Statement
				if len(trust) != 1 || trust[0].Principal["Federated"] != want["oidcProviderArn"] {
					t.Errorf("%s trusts %+v, want the stack's provider %v", role.Name, trust, want["oidcProviderArn"])
					continue
				}
				if _, ok := trust[0].Condition["StringEquals"][issuer+":aud"]; !ok {
					t.Errorf("%s trust conditions %v are not on the issuer %s", role.Name, trust[0].Condition, issuer)
				}
			}
		})
	}
	config := stackConfig(t, "dev")
	config["prometheus-thanos:clusterStack"] = pulumiEKSStack
	config["prometheus-thanos:clusterStackOidcIssuerUrlOutput"] = "oidcIssuer"
	config["prometheus-thanos:controlPlaneMetrics"] = "true"
	if r := runProgram(t, "dev", config); r.err == nil || !strings.Contains(r.err.Error(), "prometheus-thanos:controlPlaneMetrics") {
		t.Errorf("controlPlaneMetrics on the pulumi-eks cluster: %v, want refused (the cluster is EKS)", r.err)
	}
}
