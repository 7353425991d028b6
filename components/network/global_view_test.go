package network

import (
	"maps"
	"slices"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// TestEdgeQuerierAdmitsItsClientBlocksAlone: the edge querier's StoreAPI admits the declared blocks
// and nothing else (no pod, no namespace), its metrics Prometheus alone; it reaches only DNS and the
// StoreAPIs, which admit it as they admit the querier. Without an edge querier none of this exists.
func TestEdgeQuerierAdmitsItsClientBlocksAlone(t *testing.T) {
	edge := thanos.EdgeQuerierLabels("thanos")
	specs, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443}, EdgeQuerierClientCIDRs: []string{"10.20.0.0/16", "192.168.7.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	spec, ok := specs[edge.ObjectName()]
	if !ok {
		t.Fatalf("no policy %s among %v", edge.ObjectName(), keysOf(specs))
	}
	if len(spec.Ingress) != 2 {
		t.Fatalf("ingress %+v; want the StoreAPI's rule and the scrapes'", spec.Ingress)
	}
	grpc := spec.Ingress[0]
	var blocks []string
	for _, peer := range grpc.From {
		if peer.IPBlock == nil || peer.PodSelector != nil || peer.NamespaceSelector != nil {
			t.Errorf("the edge StoreAPI admits %+v; want address blocks only", peer)
			continue
		}
		blocks = append(blocks, peer.IPBlock.CIDR)
	}
	if !slices.Equal(blocks, []string{"10.20.0.0/16", "192.168.7.0/24"}) || len(grpc.Ports) != 1 || grpc.Ports[0].Port.IntValue() != thanos.GRPCPort {
		t.Errorf("edge StoreAPI rule %+v; want the two blocks on %d", grpc, thanos.GRPCPort)
	}
	if scrape := spec.Ingress[1]; len(scrape.From) != 1 || scrape.From[0].PodSelector == nil || scrape.Ports[0].Port.IntValue() != thanos.HTTPPort {
		t.Errorf("edge HTTP rule %+v; want Prometheus on %d", scrape, thanos.HTTPPort)
	}
	if len(spec.Egress) != 2 || spec.Egress[1].To[0].PodSelector == nil || !maps.Equal(spec.Egress[1].To[0].PodSelector.MatchLabels, components.StoreAPISelector()) {
		t.Errorf("edge egress %+v; want DNS and the StoreAPIs", spec.Egress)
	}
	for _, name := range []string{thanos.StoreGatewayLabels("thanos").ObjectName(), PrometheusPolicyName} {
		admitted := false
		for _, peer := range specs[name].Ingress[0].From {
			admitted = admitted || (peer.PodSelector != nil && maps.Equal(peer.PodSelector.MatchLabels, edge.Selector()))
		}
		if !admitted {
			t.Errorf("%s's StoreAPI does not admit the edge querier", name)
		}
	}
	without, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := without[edge.ObjectName()]; ok {
		t.Error("an edge querier policy without an edge querier")
	}
}

// TestGlobalQuerierReachesRemotePortsAnywhere: a global stack's querier may connect to the remote
// StoreAPIs' ports at any address (load balancers' addresses change), and to no other port.
func TestGlobalQuerierReachesRemotePortsAnywhere(t *testing.T) {
	query := thanos.QuerierLabels("thanos").ObjectName()
	specs, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443}, RemoteStoreAPIPorts: []int{10901, 443}})
	if err != nil {
		t.Fatal(err)
	}
	egress := specs[query].Egress
	if len(egress) != 3 {
		t.Fatalf("querier egress %+v; want DNS, the StoreAPIs and the remote ports", egress)
	}
	remote := egress[2]
	var ports []int
	for _, p := range remote.Ports {
		ports = append(ports, p.Port.IntValue())
	}
	if len(remote.To) != 0 || !slices.Equal(ports, []int{10901, 443}) {
		t.Errorf("remote egress %+v; want ports 10901 and 443 to any address", remote)
	}
	plain, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plain[query].Egress); n != 2 {
		t.Errorf("querier egress without remotes has %d rules, want 2 (an empty rule would admit everything)", n)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
