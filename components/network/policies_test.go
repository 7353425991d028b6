package network

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
)

func TestObjectStorePorts(t *testing.T) {
	for _, tc := range []struct {
		endpoint       string
		insecure, irsa bool
		want           []int
	}{
		{"s3.eu-west-1.amazonaws.com", false, true, []int{443}},
		{"s3.eu-west-1.amazonaws.com", false, false, []int{443}},
		{"minio.minio.svc.cluster.local:9000", true, false, []int{9000}},
		{"minio.minio.svc.cluster.local:9000", true, true, []int{9000, 443}},
		{"ceph.storage", true, false, []int{80}},
		{"[fd00::1]:7480", false, false, []int{7480}},
	} {
		got, err := ObjectStorePorts(tc.endpoint, tc.insecure, tc.irsa)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ObjectStorePorts(%q, insecure %v, irsa %v) = %v, %v; want %v", tc.endpoint, tc.insecure, tc.irsa, got, err, tc.want)
		}
	}
	for _, bad := range []string{"minio:0", "minio:70000", "minio:http"} {
		if _, err := ObjectStorePorts(bad, true, false); err == nil {
			t.Errorf("ObjectStorePorts(%q) accepted a bad port", bad)
		}
	}
}

func TestNetworkPolicySpecsNeedTheirPeers(t *testing.T) {
	if _, err := PolicySpecs(PolicyInputs{ObjectStorePorts: []int{443}}); err == nil {
		t.Error("no Instance accepted")
	}
	if _, err := PolicySpecs(PolicyInputs{Instance: "thanos"}); err == nil {
		t.Error("no object store port accepted")
	}
}

// TestQueryClientCIDRsGoWhereTheClientNamespacesGo: the declared address blocks are admitted by
// exactly the rules that admit the declared namespaces (the query-frontend's and querier's HTTP
// APIs, the querier's StoreAPI, Prometheus's HTTP API), once each, sorted, without exceptions;
// and without namespaces they still open the querier's StoreAPI.
func TestQueryClientCIDRsGoWhereTheClientNamespacesGo(t *testing.T) {
	cidrs := []string{"fd00:10:0::/64", "10.0.128.0/20", "10.0.128.0/20"}
	want := []string{"10.0.128.0/20", "fd00:10::/64"}
	for _, tc := range []struct {
		name       string
		namespaces []string
		frontend   bool
		rules      []string // destination/port of every rule that admits the blocks
	}{
		{"with a query-frontend", []string{"ingress-nginx"}, true,
			[]string{"prometheus-thanos-sidecar/9090", "thanos-query-frontend/10902", "thanos-query/10901", "thanos-query/10902"}},
		{"without one", []string{"ingress-nginx"}, false,
			[]string{"prometheus-thanos-sidecar/9090", "thanos-query/10901", "thanos-query/10902"}},
		{"without client namespaces", nil, true,
			[]string{"prometheus-thanos-sidecar/9090", "thanos-query-frontend/10902", "thanos-query/10901", "thanos-query/10902"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := PolicySpecs(PolicyInputs{
				Instance: "thanos", ObjectStorePorts: []int{443}, QueryFrontend: tc.frontend,
				QueryClientNamespaces: tc.namespaces, QueryClientCIDRs: cidrs,
			})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for name, spec := range specs {
				for _, egress := range spec.Egress {
					for _, peer := range egress.To {
						if peer.IPBlock != nil {
							t.Errorf("%s: an egress rule to %v", name, peer.IPBlock)
						}
					}
				}
				for _, rule := range spec.Ingress {
					var ports, blocks []string
					for _, port := range rule.Ports {
						ports = append(ports, name+"/"+port.Port.String())
					}
					namespaces := false
					for _, peer := range rule.From {
						if peer.IPBlock != nil {
							if len(peer.IPBlock.Except) > 0 {
								t.Errorf("%v: ipBlock %v has exceptions", ports, peer.IPBlock)
							}
							blocks = append(blocks, peer.IPBlock.CIDR)
						}
						namespaces = namespaces || peer.NamespaceSelector != nil
					}
					if blocks == nil {
						if namespaces {
							t.Errorf("%v admits the client namespaces but not the blocks", ports)
						}
						continue
					}
					if !slices.Equal(blocks, want) {
						t.Errorf("%v admits the blocks %v, want %v", ports, blocks, want)
					}
					if want := len(tc.namespaces) > 0; namespaces != want {
						t.Errorf("%v admits the blocks; the client namespaces too: %v, want %v", ports, namespaces, want)
					}
					rules = append(rules, ports...)
				}
			}
			slices.Sort(rules)
			if !slices.Equal(rules, tc.rules) {
				t.Errorf("the blocks are admitted to %v, want %v", rules, tc.rules)
			}
		})
	}
}

func TestQueryClientCIDR(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.0/16":         "10.0.0.0/16",
		"10.0.0.7/32":         "10.0.0.7/32",
		"fd00:0:0::/64":       "fd00::/64",
		"2001:db8::1/128":     "2001:db8::1/128",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
	} {
		if got, err := QueryClientCIDR(in); err != nil || got != want {
			t.Errorf("QueryClientCIDR(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"10.0.0.1/16": `"10.0.0.1/16" is not a network address: write the network "10.0.0.0/16", or "10.0.0.1/32" for the one address`,
		"fd00::1/64":  `"fd00::1/64" is not a network address: write the network "fd00::/64", or "fd00::1/128" for the one address`,
		"0.0.0.0/0":   `"0.0.0.0/0" is every address`,
		"::/0":        `"::/0" is every address`,
		"10.0.0.7":    `"10.0.0.7" is not a CIDR block`,
		"10.0.0.0/33": `"10.0.0.0/33" is not a CIDR block`,
		"nlb-subnets": `"nlb-subnets" is not a CIDR block`,
	} {
		if _, err := QueryClientCIDR(in); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("QueryClientCIDR(%q): error %v, want one starting %q", in, err, want)
		}
		if _, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443}, QueryClientCIDRs: []string{in}}); err == nil {
			t.Errorf("PolicySpecs accepted the query client block %q", in)
		}
	}
}

// TestAPIServerCIDRs: the API server's blocks are checked as the query clients' are, and admitted
// with Prometheus to the operator's port alone; without them that port admits every source.
func TestAPIServerCIDRs(t *testing.T) {
	for _, bad := range []string{"0.0.0.0/0", "::/0", "10.0.0.1/28", "control-plane"} {
		if _, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443},
			Chart: chart.Pods{Operator: map[string]string{"app": "op"}}, APIServerCIDRs: []string{bad}}); err == nil {
			t.Errorf("PolicySpecs accepted the API server block %q", bad)
		}
	}
	for _, tc := range []struct {
		cidrs []string
		from  int // peers of the webhook rule; 0: every source
	}{{nil, 0}, {[]string{"10.0.0.16/28", "10.0.0.0/28"}, 3}} {
		specs, err := PolicySpecs(PolicyInputs{Instance: "thanos", ObjectStorePorts: []int{443},
			Chart: chart.Pods{Operator: map[string]string{"app": "op"}}, APIServerCIDRs: tc.cidrs})
		if err != nil {
			t.Fatal(err)
		}
		ingress := specs[OperatorNetworkPolicyName].Ingress
		if len(ingress) != 1 || len(ingress[0].From) != tc.from || len(ingress[0].Ports) != 1 || ingress[0].Ports[0].Port.IntValue() != chart.OperatorPort {
			t.Errorf("with API server blocks %v the operator admits %+v", tc.cidrs, ingress)
		}
	}
}
