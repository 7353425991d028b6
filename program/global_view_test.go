package program

import (
	"maps"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

func memberOutputs(endpoint, serverName, cluster string) map[string]any {
	out := map[string]any{OutputGlobalViewEndpoint: endpoint, OutputGlobalViewTLSServerName: serverName}
	if cluster != "" {
		out[OutputExternalLabels] = map[string]any{"cluster": cluster}
	}
	return out
}

// TestMemberOutputsNameTheStackAndTheOutput: what a global stack reads of a member, and the error
// for each output a member lacks, naming the stack, the output and the key.
func TestMemberOutputsNameTheStackAndTheOutput(t *testing.T) {
	m, err := memberFromOutputs("acme/prometheus-thanos/eu", memberOutputs("edge.eu:10901", "edge.eu", "eu-1"))
	if err != nil || m.StoreAPI != (thanos.RemoteStoreAPI{Address: "edge.eu:10901", ServerName: "edge.eu"}) || m.Cluster != "eu-1" {
		t.Fatalf("member = %+v, %v", m, err)
	}
	for name, tc := range map[string]struct {
		outputs map[string]any
		want    string
	}{
		"no endpoint":       {memberOutputs("", "edge.eu", "eu-1"), `has no output "globalViewEndpoint"`},
		"no server name":    {memberOutputs("edge.eu:10901", "", "eu-1"), `has no output "globalViewTlsServerName"`},
		"no labels":         {memberOutputs("edge.eu:10901", "edge.eu", ""), `has no output "externalLabels"`},
		"a bad endpoint":    {memberOutputs("edge.eu", "edge.eu", "eu-1"), `output "globalViewEndpoint": address "edge.eu": want host:port`},
		"no outputs at all": {map[string]any{}, `has no output "globalViewEndpoint"`},
	} {
		_, err := memberFromOutputs("acme/prometheus-thanos/eu", tc.outputs)
		if err == nil || !strings.Contains(err.Error(), "config prometheus-thanos:globalViewMembers: stack \"acme/prometheus-thanos/eu\"") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want the key, the stack and %s", name, err, tc.want)
		}
	}
}

func TestMembersNeedClustersOfTheirOwn(t *testing.T) {
	stacks := []string{"acme/p/eu", "acme/p/us"}
	if err := checkMemberClusters("global", stacks, []globalViewMember{{Cluster: "eu"}, {Cluster: "us"}}); err != nil {
		t.Fatal(err)
	}
	if err := checkMemberClusters("global", stacks, []globalViewMember{{Cluster: "eu"}, {Cluster: "eu"}}); err == nil || !strings.Contains(err.Error(), `stack "acme/p/us" has the cluster label "eu" of stack "acme/p/eu"`) {
		t.Errorf("two members of one cluster label: %v", err)
	}
	if err := checkMemberClusters("eu", stacks, []globalViewMember{{Cluster: "eu"}, {Cluster: "us"}}); err == nil || !strings.Contains(err.Error(), "of this stack (clusterName)") {
		t.Errorf("a member with the global stack's cluster label: %v", err)
	}
}

// TestEdgeServiceDefaultsToAnInternalNLBOnEKS: on EKS a LoadBalancer with the AWS Load Balancer
// Controller's annotations for an internal NLB, the user's annotations over them; elsewhere a
// ClusterIP Service without them, unless asked.
func TestEdgeServiceDefaultsToAnInternalNLBOnEKS(t *testing.T) {
	e := EdgeConfig{ClientCIDRs: []string{"10.0.0.0/16"}}
	eks := edgeService(e, ClusterEKS)
	if eks.Type != thanos.ServiceTypeLoadBalancer || !maps.Equal(eks.Annotations, thanos.EKSInternalNLBAnnotations) || eks.SourceRanges[0] != "10.0.0.0/16" {
		t.Errorf("EKS default: %+v", eks)
	}
	if err := eks.Validate(); err != nil {
		t.Error(err)
	}
	if generic := edgeService(e, ClusterGeneric); generic.Type != thanos.ServiceTypeClusterIP || len(generic.Annotations) != 0 {
		t.Errorf("generic default: %+v", generic)
	}
	e.ServiceAnnotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing", "external-dns.alpha.kubernetes.io/hostname": "edge.eu.example.com"}
	got := edgeService(e, ClusterEKS)
	if got.Annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] != "internet-facing" || got.Annotations["external-dns.alpha.kubernetes.io/hostname"] == "" ||
		got.Annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] != "ip" {
		t.Errorf("user annotations over the defaults: %v", got.Annotations)
	}
	if thanos.EKSInternalNLBAnnotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] != "internal" {
		t.Error("edgeService changed the shared defaults")
	}
	e.ServiceType = thanos.ServiceTypeClusterIP
	if got := edgeService(e, ClusterEKS); got.Type != thanos.ServiceTypeClusterIP || got.Annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] != "" {
		t.Errorf("ClusterIP on EKS: %+v; want no load balancer annotations", got)
	}
}

func TestRemoteStoreAPIPortsOnce(t *testing.T) {
	got := remoteStoreAPIPorts([]thanos.RemoteStoreAPI{{Address: "a:10901"}, {Address: "[fd00::1]:443"}, {Address: "b:10901"}})
	if len(got) != 2 || got[0] != 10901 || got[1] != 443 {
		t.Errorf("ports = %v", got)
	}
}

// TestDefaultsAsTheCLIPassesThemSetNothing: the Pulumi CLI passes every key of Pulumi.yaml with its
// default, set or not; a key that applies only with another (the edge's and the global view's
// keys, nodeExporterPort with node-exporter off) is not refused for its default.
func TestDefaultsAsTheCLIPassesThemSetNothing(t *testing.T) {
	config := map[string]string{
		"clusterName": "local", "kubeconfig": "apiVersion: v1", "existingBucketName": "thanos",
		"existingBucketEndpoint": "minio.minio.svc.cluster.local:9000", "existingBucketRegion": "us-east-1",
		"existingBucketAccessKey": "access", "existingBucketSecretKey": "secret",
		"chartValues": "nodeExporter:\n  enabled: false\n",
	}
	lookup := func(key string) (string, bool) {
		name := strings.TrimPrefix(key, ProjectName+":")
		if v, ok := config[name]; ok {
			return v, true
		}
		for _, k := range configKeys {
			if k.Name == name { // as the CLI passes Pulumi.yaml's defaults, "" included
				return k.Default, true
			}
		}
		return "", false
	}
	if _, err := ParseConfig(lookup); err != nil {
		t.Fatalf("every key at its default: %v", err)
	}
	config["globalViewResponseTimeout"] = "1m"
	config["nodeExporterPort"] = "9101"
	_, err := ParseConfig(lookup)
	for _, key := range []string{"globalViewResponseTimeout", "nodeExporterPort"} {
		if err == nil || !strings.Contains(err.Error(), ProjectName+":"+key) {
			t.Errorf("%s set to a value of its own where it does not apply: %v; want it refused", key, err)
		}
	}
}
