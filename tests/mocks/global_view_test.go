package mocks

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
)

// edgeConfig is a stack's config with globalViewEdge on: the committed dev stack's, another
// cluster name.
func edgeConfig(t *testing.T, clusterName string) map[string]string {
	config := stackConfig(t, "dev")
	maps.Copy(config, map[string]string{
		"prometheus-thanos:clusterName":                 clusterName,
		"prometheus-thanos:globalViewEdge":              "true",
		"prometheus-thanos:globalViewEdgeTlsSecret":     "thanos-edge-tls",
		"prometheus-thanos:globalViewEdgeTlsServerName": clusterName + ".thanos.example.com",
		"prometheus-thanos:globalViewEdgeClientCidrs":   "10.20.0.0/16, 10.30.0.0/16",
	})
	return config
}

// memberStacks runs one member stack per cluster name under mocks and returns the outputs each
// exports, by fully qualified stack name: what a global stack reads of them.
func memberStacks(t *testing.T, clusters ...string) (map[string]map[string]any, []string) {
	stacks := map[string]map[string]any{}
	var names []string
	for _, cluster := range clusters {
		r := runProgram(t, "dev", edgeConfig(t, cluster))
		if r.err != nil {
			t.Fatalf("member %s: %v", cluster, r.err)
		}
		name := "acme/prometheus-thanos/" + cluster
		stacks[name] = r.values
		names = append(names, name)
	}
	return stacks, names
}

// TestMemberServesItsStoreAPIsOverMutualTLS: with globalViewEdge, an edge querier of the stack's own
// StoreAPIs with the TLS Secret's three keys mounted and mutual TLS on its gRPC server, an internal
// NLB on EKS admitting the client blocks, a NetworkPolicy, and the outputs a global stack reads. The
// stack's own querier is as before.
func TestMemberServesItsStoreAPIsOverMutualTLS(t *testing.T) {
	plain := runProgram(t, "dev", stackConfig(t, "dev"))
	r := runProgram(t, "dev", edgeConfig(t, "eu-1"))
	if r.err != nil || plain.err != nil {
		t.Fatal(r.err, plain.err)
	}
	peers := thanos.PeersSRVAddress(thanos.PeersServiceName, "monitoring")
	flags, err := thanos.EdgeQuerierFlags(peers, r.deployment.Config.Querier.Settings)
	if err != nil {
		t.Fatal(err)
	}
	edge := r.one(t, "kubernetes:apps/v1:Deployment", "thanos-query-edge")
	if got := strs(t, at(t, edge.Inputs, "spec.template.spec.containers.0.args")); !slices.Equal(got, append([]string{"query"}, flags...)) {
		t.Errorf("edge querier args %q, want %q", got, flags)
	}
	volumes := at(t, edge.Inputs, "spec.template.spec.volumes").([]any)
	var keys []string
	for _, item := range at(t, volumes[0], "secret.items").([]any) {
		keys = append(keys, at(t, item, "key").(string))
	}
	if len(volumes) != 1 || at(t, volumes[0], "secret.secretName") != "thanos-edge-tls" || !slices.Equal(keys, thanos.TLSSecretKeys) {
		t.Errorf("edge querier volumes %v; want the Secret thanos-edge-tls with %v", volumes, thanos.TLSSecretKeys)
	}
	if mount := at(t, edge.Inputs, "spec.template.spec.containers.0.volumeMounts.0"); at(t, mount, "mountPath") != "/etc/thanos/tls/server" || at(t, mount, "readOnly") != true {
		t.Errorf("edge querier mount %v", mount)
	}
	svc := r.one(t, "kubernetes:core/v1:Service", thanos.EdgeServiceName())
	annotations := map[string]string{}
	for k, v := range at(t, svc.Inputs, "metadata.annotations").(map[string]any) {
		if strings.HasPrefix(k, "service.beta.kubernetes.io/") {
			annotations[k] = v.(string)
		}
	}
	if at(t, svc.Inputs, "spec.type") != "LoadBalancer" || !maps.Equal(annotations, thanos.EKSInternalNLBAnnotations) ||
		!slices.Equal(strs(t, at(t, svc.Inputs, "spec.loadBalancerSourceRanges")), []string{"10.20.0.0/16", "10.30.0.0/16"}) {
		t.Errorf("edge Service: type %v, annotations %v, source ranges %v; want an internal NLB admitting the client blocks",
			at(t, svc.Inputs, "spec.type"), annotations, at(t, svc.Inputs, "spec.loadBalancerSourceRanges"))
	}
	if ports := at(t, svc.Inputs, "spec.ports").([]any); len(ports) != 1 || at(t, ports[0], "port") != float64(thanos.GRPCPort) {
		t.Errorf("edge Service ports %v; want gRPC alone", ports)
	}
	r.one(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "thanos-query-edge")
	r.one(t, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "thanos-query-edge")
	// The stack's querier is unchanged: the in-cluster query path takes no certificate.
	if got, want := at(t, r.one(t, "kubernetes:apps/v1:Deployment", "thanos-query").Inputs, "spec.template.spec"),
		at(t, plain.one(t, "kubernetes:apps/v1:Deployment", "thanos-query").Inputs, "spec.template.spec"); !reflect.DeepEqual(got, want) {
		t.Error("globalViewEdge changed the stack's querier")
	}
	if endpoint := r.outputs[program.OutputGlobalViewEndpoint]; !strings.HasPrefix(endpoint, "k8s-thanos-query-edge-grpc-") || !strings.HasSuffix(endpoint, ".elb.eu-west-1.amazonaws.com:10901") {
		t.Errorf("output %s = %q, want the NLB's hostname and the gRPC port", program.OutputGlobalViewEndpoint, endpoint)
	}
	want := map[string]string{
		program.OutputGlobalViewTLSServerName: "eu-1.thanos.example.com",
		program.OutputExternalLabels:          "map[cluster:eu-1]",
	}
	for name, value := range want {
		if r.outputs[name] != value {
			t.Errorf("output %s = %q, want %q", name, r.outputs[name], value)
		}
	}
	if r.outputList[0] != "querierUrl" {
		t.Errorf("outputs %v; querierUrl first", r.outputList)
	}
	for _, name := range []string{program.OutputGlobalViewEndpoint, program.OutputExternalLabels} {
		if _, ok := plain.outputs[name]; ok {
			t.Errorf("a stack without globalViewEdge exports %s", name)
		}
	}
}

// TestGlobalStackFansOutToEveryMember: a global stack's querier takes every member's exported
// endpoint and server name as a strict endpoint over mutual TLS, with its client Secret mounted, and
// may reach their ports; a hub is a global stack that also serves its own StoreAPIs to others.
func TestGlobalStackFansOutToEveryMember(t *testing.T) {
	stacks, names := memberStacks(t, "eu-1", "us-1")
	config := stackConfig(t, "prod")
	config["prometheus-thanos:globalViewMembers"] = strings.Join(names, ",")
	config["prometheus-thanos:globalViewClientTlsSecret"] = "thanos-global-client"
	for _, hub := range []bool{false, true} {
		if hub {
			for k, v := range edgeConfig(t, "prod-eu-west-1") {
				if strings.HasPrefix(k, "prometheus-thanos:globalViewEdge") {
					config[k] = v
				}
			}
		}
		r := runProgramReading(t, "prod", config, stacks)
		if r.err != nil {
			t.Fatal(r.err)
		}
		var remote []thanos.RemoteStoreAPI
		for _, name := range names {
			remote = append(remote, thanos.RemoteStoreAPI{
				Address:    stacks[name][program.OutputGlobalViewEndpoint].(string),
				ServerName: stacks[name][program.OutputGlobalViewTLSServerName].(string),
			})
		}
		flags, err := thanos.QuerierFlags(thanos.PeersSRVAddress(thanos.PeersServiceName, "monitoring"), thanos.RemoteStoreAPIs{Endpoints: remote}, r.deployment.Config.Querier.Settings)
		if err != nil {
			t.Fatal(err)
		}
		query := r.one(t, "kubernetes:apps/v1:Deployment", "thanos-query")
		if got := strs(t, at(t, query.Inputs, "spec.template.spec.containers.0.args")); !slices.Equal(got, append([]string{"query"}, flags...)) {
			t.Errorf("hub %v: querier args\n %q\nwant %q", hub, got, flags)
		}
		if secret := at(t, query.Inputs, "spec.template.spec.volumes.0.secret.secretName"); secret != "thanos-global-client" {
			t.Errorf("hub %v: querier mounts %v, want the client Secret", hub, secret)
		}
		egress := at(t, r.one(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "thanos-query").Inputs, "spec.egress").([]any)
		last := egress[len(egress)-1].(map[string]any)
		if _, to := last["to"]; to || at(t, last, "ports.0.port") != float64(thanos.GRPCPort) {
			t.Errorf("hub %v: querier egress %v; want the members' port to any address", hub, last)
		}
		edges := 0
		for _, d := range r.all("kubernetes:apps/v1:Deployment") {
			if d.Name == "thanos-query-edge" {
				edges++
				// A hub's edge querier serves its own StoreAPIs, never the members': no loop.
				if args := strings.Join(strs(t, at(t, d.Inputs, "spec.template.spec.containers.0.args")), " "); strings.Contains(args, "eu-1") {
					t.Errorf("the hub's edge querier fans out to a member: %s", args)
				}
			}
		}
		if want := map[bool]int{false: 0, true: 1}[hub]; edges != want {
			t.Errorf("hub %v: %d edge queriers, want %d", hub, edges, want)
		}
	}
}

// TestGlobalViewMemberWithoutItsOutputsFails: a member stack without the outputs (globalViewEdge
// off there) or two members of one cluster label fail before any resource but the references,
// naming the key, the stack and the output.
func TestGlobalViewMemberWithoutItsOutputsFails(t *testing.T) {
	stacks, names := memberStacks(t, "eu-1")
	plain := runProgram(t, "dev", stackConfig(t, "dev"))
	stacks["acme/prometheus-thanos/plain"] = plain.values
	twin, _ := memberStacks(t, "eu-1")
	stacks["acme/prometheus-thanos/eu-1-again"] = twin["acme/prometheus-thanos/eu-1"]
	for members, want := range map[string][]string{
		names[0] + ",acme/prometheus-thanos/plain":      {`stack "acme/prometheus-thanos/plain" has no output "globalViewEndpoint"`, "globalViewEdge true"},
		names[0] + ",acme/prometheus-thanos/eu-1-again": {`stack "acme/prometheus-thanos/eu-1-again" has the cluster label "eu-1" of stack "acme/prometheus-thanos/eu-1"`},
	} {
		config := stackConfig(t, "prod")
		config["prometheus-thanos:globalViewMembers"] = members
		config["prometheus-thanos:globalViewClientTlsSecret"] = "thanos-global-client"
		r := runProgramReading(t, "prod", config, stacks)
		if r.err == nil {
			t.Errorf("members %s: accepted", members)
			continue
		}
		for _, w := range append(want, "prometheus-thanos:globalViewMembers") {
			if !strings.Contains(r.err.Error(), w) {
				t.Errorf("members %s: error %q does not contain %q", members, r.err, w)
			}
		}
		for _, res := range r.resources {
			if res.Type != "pulumi:pulumi:StackReference" {
				t.Errorf("members %s: %s %s registered before the error", members, res.Type, res.Name)
			}
		}
	}
}
