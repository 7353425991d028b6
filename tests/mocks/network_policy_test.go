package mocks

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	k8scorev1 "k8s.io/api/core/v1"
	k8snetworkingv1 "k8s.io/api/networking/v1"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/prometheus-thanos/prometheus-thanos/components/network"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// A pod of the network-policy tests: where it runs, its labels and its container ports by name.
// Or a client outside every namespace (a load balancer in IP mode): its address alone.
type netPod struct {
	namespace string
	labels    map[string]string
	ports     map[string]int32
	// address is the source address of a client of no namespace; empty for a pod (the evaluator
	// gives pods no addresses, and no ipBlock here is meant for one).
	address string
	// udp names the ports of ports that are UDP; the others are TCP.
	udp map[string]bool
}

// A destination outside the cluster (the object store, DNS): reached by port and protocol only.
type netExternal struct {
	port     int32
	protocol k8scorev1.Protocol
}

// clientNamespace is the namespace the tests declare as a query client (queryClientNamespaces).
const clientNamespace = "ingress-nginx"

// clientCIDRs are the address blocks the tests declare as query clients (queryClientCidrs): a
// load balancer's subnets, IPv4 and IPv6.
const clientCIDRs = "10.0.128.0/20, fd00:10::/64"

// apiServerCIDR is the address block the tests declare as the API server's (apiServerCidrs): the
// subnet of an EKS control plane's network interfaces.
const apiServerCIDR = "10.0.0.0/28"

// networkPolicyRunOf runs a stack's config, reading stacks, with clientNamespace and clientCIDRs
// declared as query clients.
func networkPolicyRunOf(t *testing.T, stack string, config map[string]string, stacks map[string]map[string]any) *run {
	t.Helper()
	config["prometheus-thanos:queryClientNamespaces"] = clientNamespace
	config["prometheus-thanos:queryClientCidrs"] = clientCIDRs
	config["prometheus-thanos:apiServerCidrs"] = apiServerCIDR
	r := runProgramReading(t, stack, config, stacks)
	if r.err != nil {
		t.Fatalf("stack %s: %v", stack, r.err)
	}
	return r
}

// edgeClientCIDR is the address block the tests declare as the global stacks' queriers
// (globalViewEdgeClientCidrs).
const edgeClientCIDR = "10.50.0.0/16"

// hubStack names the variant of the network-policy tests that runs the prod stack as a hub of a
// global view: an edge querier admitting edgeClientCIDR, and two members' edge queriers as remote
// StoreAPIs on port 10901.
const hubStack = "prod as a hub"

// networkPolicyStacks are the stacks and variants the network-policy tables are checked for.
var networkPolicyStacks = append(slices.Clone(stacks), hubStack)

// networkPolicyRun runs a stack (or the hub variant) with clientNamespace and clientCIDRs declared
// as query clients.
func networkPolicyRun(t *testing.T, stack string) *run {
	t.Helper()
	if stack != hubStack {
		return networkPolicyRunOf(t, stack, stackConfig(t, stack), nil)
	}
	members, names := memberStacks(t, "eu-1", "us-1")
	config := stackConfig(t, "prod")
	for k, v := range edgeConfig(t, "prod-eu-west-1") {
		if strings.HasPrefix(k, "prometheus-thanos:globalViewEdge") {
			config[k] = v
		}
	}
	config["prometheus-thanos:globalViewEdgeClientCidrs"] = edgeClientCIDR
	config["prometheus-thanos:globalViewMembers"] = strings.Join(names, ",")
	config["prometheus-thanos:globalViewClientTlsSecret"] = "thanos-global-client"
	return networkPolicyRunOf(t, "prod", config, members)
}

// chartStack is the committed stack whose chart a variant renders.
func chartStack(stack string) string {
	if stack == hubStack {
		return "prod"
	}
	return stack
}

// registeredNetworkPolicies decodes the NetworkPolicies the program registered.
func registeredNetworkPolicies(t *testing.T, r *run) []k8snetworkingv1.NetworkPolicy {
	t.Helper()
	var out []k8snetworkingv1.NetworkPolicy
	for _, res := range r.all("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		raw, err := json.Marshal(res.Inputs)
		if err != nil {
			t.Fatal(err)
		}
		var np k8snetworkingv1.NetworkPolicy
		if err := json.Unmarshal(raw, &np); err != nil {
			t.Fatalf("NetworkPolicy %s: %v", res.Name, err)
		}
		out = append(out, np)
	}
	return out
}

// stackPods are the pods one stack runs, with their real labels and port names: the Thanos
// workloads' templates as registered, the Prometheus pods as the operator labels them, the chart's
// workloads as the real chart renders them (chartPods), pods of other namespaces, load balancers'
// addresses inside and just outside clientCIDRs, and the API server's address in apiServerCIDR.
func stackPods(t *testing.T, stack string, r *run) map[string]netPod {
	t.Helper()
	ns := r.outputs["namespace"]
	pods := map[string]netPod{}
	for _, typ := range []string{"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"} {
		for _, w := range r.all(typ) {
			ports := map[string]int32{}
			for _, p := range at(t, container(t, w), "ports").([]any) {
				n, _ := strconv.Atoi(fmt.Sprint(at(t, p, "containerPort")))
				ports[fmt.Sprint(at(t, p, "name"))] = int32(n)
			}
			pods[w.Name] = netPod{namespace: ns, labels: stringMap(at(t, w.Inputs, "spec.template.metadata.labels")), ports: ports}
		}
	}
	// The ports prometheus-operator v0.93.1 gives the containers: Prometheus's (named after the
	// chart's portName), the sidecar's and the config reloader's.
	pods["prometheus"] = netPod{namespace: ns, labels: prometheusPodLabels(t, r), ports: map[string]int32{
		"http-web": 9090, "grpc": 10901, "http": 10902, "reloader-web": 8080,
	}}
	maps.Copy(pods, chartPods(t, renderStack(t, chartStack(stack), stackRun(t, chartStack(stack)))))
	pods["client"] = netPod{namespace: clientNamespace, labels: map[string]string{"app": "ingress-nginx"}}
	pods["elsewhere"] = netPod{namespace: "default", labels: map[string]string{"app": "curl"}}
	// A pod of the namespace that no policy names.
	pods["neighbour"] = netPod{namespace: ns, labels: map[string]string{"app": "curl"}}
	pods["apiserver"] = netPod{address: "10.0.0.5"}
	pods["lb"] = netPod{address: "10.0.130.7"}
	pods["lb-v6"] = netPod{address: "fd00:10::7"}
	pods["lb-outside"] = netPod{address: "10.0.144.1"} // the next /20
	pods["lb-outside-v6"] = netPod{address: "fd00:11::7"}
	pods["edge-client"] = netPod{address: "10.50.3.4"}         // in edgeClientCIDR
	pods["edge-client-outside"] = netPod{address: "10.51.0.1"} // the next /16
	return pods
}

// TestNetworkPoliciesAdmitExactlyTheQueryPath evaluates the registered NetworkPolicies for every
// pair of the stack's pods and every port, as the NetworkPolicy API defines them (a pod selected
// by a policy takes only what one of its rules admits), against the intended table.
func TestNetworkPoliciesAdmitExactlyTheQueryPath(t *testing.T) {
	for _, stack := range networkPolicyStacks {
		t.Run(stack, func(t *testing.T) {
			r := networkPolicyRun(t, stack)
			policies := registeredNetworkPolicies(t, r)
			var names []string
			for _, np := range policies {
				names = append(names, np.Name)
			}
			slices.Sort(names)
			want := []string{
				network.AlertmanagerNetworkPolicyName, network.GrafanaPolicyName, network.KubeStateMetricsNetworkPolicyName,
				network.OperatorNetworkPolicyName, network.AdmissionWebhookJobsNetworkPolicyName, network.PrometheusPolicyName,
				"thanos-compact", "thanos-query", "thanos-query-frontend", "thanos-store",
			}
			hub := stack == hubStack
			if hub {
				want = append(want, "thanos-query-edge")
			}
			if slices.Sort(want); !slices.Equal(names, want) {
				t.Fatalf("NetworkPolicies %v, want %v", names, want)
			}
			pods := stackPods(t, stack, r)
			t.Run("ingress", func(t *testing.T) { checkIngressTable(t, policies, pods, hub) })
			t.Run("egress", func(t *testing.T) { checkEgressTable(t, r, policies, pods, hub) })
		})
	}
}

// checkIngressTable: who may open a connection to which port of the Thanos and Prometheus pods;
// with hub, of the edge querier too, whose StoreAPI admits the edge clients' block alone.
func checkIngressTable(t *testing.T, policies []k8snetworkingv1.NetworkPolicy, pods map[string]netPod, hub bool) {
	storeAPIClients := []string{"thanos-query"}
	if hub {
		storeAPIClients = append(storeAPIClients, "thanos-query-edge")
	}
	want := map[string]map[string][]string{ // destination -> port -> the sources admitted
		"thanos-query-frontend": {thanos.HTTPPortName: {"client", "grafana", "lb", "lb-v6", "prometheus"}},
		"thanos-query": {
			thanos.HTTPPortName: {"client", "grafana", "lb", "lb-v6", "prometheus", "thanos-query-frontend"},
			thanos.GRPCPortName: {"client", "lb", "lb-v6"},
		},
		"thanos-store": {
			thanos.GRPCPortName: storeAPIClients,
			thanos.HTTPPortName: {"prometheus"},
		},
		"thanos-compact": {thanos.HTTPPortName: {"prometheus"}},
		"prometheus": {
			"grpc":         storeAPIClients,
			"http":         {"prometheus"},
			"reloader-web": {"prometheus"},
			"http-web":     {"client", "grafana", "lb", "lb-v6", "prometheus"},
		},
		// The chart's own pods. Grafana's gossip (unified alerting between replicas) and profiling
		// ports are closed: one replica, no profiling.
		"grafana":            {"grafana": {"client", "lb", "lb-v6", "prometheus"}, "gossip-tcp": nil, "gossip-udp": nil, "profiling": nil},
		"kube-state-metrics": {"http": {"prometheus"}, "metrics": {"prometheus"}},
		// The admission webhook and the operator's metrics share the port.
		"operator":          {"https": {"apiserver", "prometheus"}},
		"alertmanager":      {"http-web": {"client", "grafana", "lb", "lb-v6", "prometheus"}, "mesh-tcp": {"alertmanager", "alertmanager-peer"}, "mesh-udp": {"alertmanager", "alertmanager-peer"}, "reloader-web": {"prometheus"}},
		"alertmanager-peer": {"http-web": {"client", "grafana", "lb", "lb-v6", "prometheus"}, "mesh-tcp": {"alertmanager", "alertmanager-peer"}, "mesh-udp": {"alertmanager", "alertmanager-peer"}, "reloader-web": {"prometheus"}},
	}
	if hub {
		want["thanos-query-edge"] = map[string][]string{thanos.GRPCPortName: {"edge-client"}, thanos.HTTPPortName: {"prometheus"}}
	}
	for _, dst := range slices.Sorted(maps.Keys(want)) {
		for _, port := range slices.Sorted(maps.Keys(pods[dst].ports)) {
			var got []string
			for _, src := range slices.Sorted(maps.Keys(pods)) {
				if ingressAdmits(t, policies, pods[src], pods[dst], port) {
					got = append(got, src)
				}
			}
			if !slices.Equal(got, want[dst][port]) {
				t.Errorf("%s port %s admits %v, want %v", dst, port, got, want[dst][port])
			}
		}
	}
	// Every pod of the namespace is selected by an ingress policy: the hook Jobs' pods, which
	// serve nothing, by one that admits nothing; only the pod no policy names stays open.
	for _, name := range slices.Sorted(maps.Keys(pods)) {
		pod := pods[name]
		if pod.namespace != pods["prometheus"].namespace {
			continue
		}
		selected := slices.ContainsFunc(policies, func(np k8snetworkingv1.NetworkPolicy) bool {
			return appliesTo(t, np, pod, k8snetworkingv1.PolicyTypeIngress)
		})
		if selected != (name != "neighbour") {
			t.Errorf("%s is selected by an ingress NetworkPolicy: %v", name, selected)
		}
	}
}

// checkEgressTable: where each Thanos pod may open connections; the Prometheus pods keep open
// egress (they scrape anywhere).
func checkEgressTable(t *testing.T, r *run, policies []k8snetworkingv1.NetworkPolicy, pods map[string]netPod, hub bool) {
	if r.deployment.Config.ExistingBucket != nil {
		t.Fatal("the committed stacks create their bucket on AWS")
	}
	// The bucket's regional S3 endpoint and STS (IRSA) are both HTTPS.
	storePorts := []int32{443}
	dns := []netExternal{{network.DNSPort, k8scorev1.ProtocolUDP}, {network.DNSPort, k8scorev1.ProtocolTCP}}
	// The members' edge queriers' port, which a hub's querier reaches anywhere.
	remote := netExternal{thanos.GRPCPort, k8scorev1.ProtocolTCP}
	sources := []string{"thanos-query-frontend", "thanos-query", "thanos-store", "thanos-compact", "prometheus"}
	if hub {
		sources = append(sources, "thanos-query-edge")
	}
	// toPort are the pods' ports with one of the numbers: what a rule to those ports at any
	// address admits in the cluster.
	toPort := func(numbers ...int32) []string {
		var out []string
		for _, dst := range slices.Sorted(maps.Keys(pods)) {
			for _, port := range slices.Sorted(maps.Keys(pods[dst].ports)) {
				if slices.Contains(numbers, pods[dst].ports[port]) {
					out = append(out, dst+":"+port)
				}
			}
		}
		return out
	}
	for _, src := range sources {
		var allowedExternal []netExternal
		var allowedPods []string
		for _, ext := range append(append([]netExternal(nil), dns...), netExternal{443, k8scorev1.ProtocolTCP}, netExternal{80, k8scorev1.ProtocolTCP}, remote) {
			if egressAdmits(t, policies, pods[src], nil, "", ext) {
				allowedExternal = append(allowedExternal, ext)
			}
		}
		for _, dst := range slices.Sorted(maps.Keys(pods)) {
			for _, port := range slices.Sorted(maps.Keys(pods[dst].ports)) {
				d := pods[dst]
				if egressAdmits(t, policies, pods[src], &d, port, netExternal{}) {
					allowedPods = append(allowedPods, dst+":"+port)
				}
			}
		}
		var wantExternal []netExternal
		var wantPods []string
		switch src {
		case "thanos-query-frontend":
			wantExternal = dns
			wantPods = []string{"thanos-query:http"}
		case "thanos-query-edge":
			wantExternal = dns
			wantPods = []string{"prometheus:grpc", "thanos-store:grpc"}
		case "thanos-query":
			wantExternal = dns
			wantPods = []string{"prometheus:grpc", "thanos-store:grpc"}
			if hub {
				// The members' port, to anywhere: their load balancers' addresses change.
				wantExternal = append(wantExternal, remote)
				wantPods = toPort(remote.port)
			}
		case "thanos-store", "thanos-compact":
			wantExternal = dns
			for _, p := range storePorts {
				wantExternal = append(wantExternal, netExternal{p, k8scorev1.ProtocolTCP})
			}
			// The object store's port, to anywhere: the bucket has no in-cluster address.
			wantPods = toPort(storePorts...)
		case "prometheus":
			wantExternal = append(append([]netExternal(nil), dns...), netExternal{443, k8scorev1.ProtocolTCP}, netExternal{80, k8scorev1.ProtocolTCP}, remote)
			for _, dst := range slices.Sorted(maps.Keys(pods)) {
				for _, port := range slices.Sorted(maps.Keys(pods[dst].ports)) {
					wantPods = append(wantPods, dst+":"+port)
				}
			}
		}
		if !slices.Equal(allowedExternal, wantExternal) {
			t.Errorf("%s may reach outside the cluster %v, want %v", src, allowedExternal, wantExternal)
		}
		if !slices.Equal(allowedPods, wantPods) {
			t.Errorf("%s may reach %v, want %v", src, allowedPods, wantPods)
		}
	}
}

// ingressAdmits reports whether the policies let src open a connection to dst's named port.
func ingressAdmits(t *testing.T, policies []k8snetworkingv1.NetworkPolicy, src, dst netPod, port string) bool {
	selected := false
	for _, np := range policies {
		if !appliesTo(t, np, dst, k8snetworkingv1.PolicyTypeIngress) {
			continue
		}
		selected = true
		protocol := k8scorev1.ProtocolTCP
		if dst.udp[port] {
			protocol = k8scorev1.ProtocolUDP
		}
		for _, rule := range np.Spec.Ingress {
			if portMatches(rule.Ports, port, dst.ports[port], protocol) && peersMatch(t, np.Namespace, rule.From, &src) {
				return true
			}
		}
	}
	return !selected
}

// egressAdmits reports whether the policies let src open a connection to dst's named port or,
// with dst nil, to ext outside the cluster.
func egressAdmits(t *testing.T, policies []k8snetworkingv1.NetworkPolicy, src netPod, dst *netPod, port string, ext netExternal) bool {
	number, protocol := ext.port, ext.protocol
	if dst != nil {
		number, protocol = dst.ports[port], k8scorev1.ProtocolTCP
	}
	selected := false
	for _, np := range policies {
		if !appliesTo(t, np, src, k8snetworkingv1.PolicyTypeEgress) {
			continue
		}
		selected = true
		for _, rule := range np.Spec.Egress {
			if portMatches(rule.Ports, port, number, protocol) && peersMatch(t, np.Namespace, rule.To, dst) {
				return true
			}
		}
	}
	return !selected
}

// appliesTo: the policy is in the pod's namespace, selects it and has the policy type.
func appliesTo(t *testing.T, np k8snetworkingv1.NetworkPolicy, pod netPod, typ k8snetworkingv1.PolicyType) bool {
	return np.Namespace == pod.namespace && slices.Contains(np.Spec.PolicyTypes, typ) && selectorMatches(t, &np.Spec.PodSelector, pod.labels)
}

// portMatches: no ports admit every port; a named port matches the destination's port of that
// name, a number its number; the protocol defaults to TCP.
func portMatches(ports []k8snetworkingv1.NetworkPolicyPort, name string, number int32, protocol k8scorev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		proto := k8scorev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if proto != protocol {
			continue
		}
		if p.Port == nil || (p.Port.StrVal != "" && p.Port.StrVal == name) || (p.Port.StrVal == "" && p.Port.IntVal == number) {
			return true
		}
	}
	return false
}

// peersMatch: no peers match everything; a peer with a pod selector matches pods of the policy's
// namespace (or of the namespaces its namespace selector picks); a namespace selector alone
// matches every pod of those namespaces; an ipBlock matches the addresses of clients of no
// namespace in its CIDR, and no selector matches them. Egress to an ipBlock (a destination outside
// the cluster by address) and ipBlock exceptions are not modelled: the policies use neither, and
// a policy that did fails the test.
func peersMatch(t *testing.T, policyNamespace string, peers []k8snetworkingv1.NetworkPolicyPeer, pod *netPod) bool {
	if len(peers) == 0 {
		return true
	}
	if pod == nil {
		for _, peer := range peers {
			if peer.IPBlock != nil {
				t.Fatalf("an egress rule to an ipBlock, which this evaluator does not model: %+v", peer.IPBlock)
			}
		}
		return false
	}
	for _, peer := range peers {
		if peer.IPBlock != nil {
			if ipBlockMatches(t, peer.IPBlock, pod.address) {
				return true
			}
			continue
		}
		if pod.address != "" {
			continue
		}
		nsOK := pod.namespace == policyNamespace
		if peer.NamespaceSelector != nil {
			nsOK = selectorMatches(t, peer.NamespaceSelector, map[string]string{k8scorev1.LabelMetadataName: pod.namespace})
		}
		podOK := peer.PodSelector == nil || selectorMatches(t, peer.PodSelector, pod.labels)
		if nsOK && podOK {
			return true
		}
	}
	return false
}

// ipBlockMatches: the address is in the block's CIDR.
func ipBlockMatches(t *testing.T, block *k8snetworkingv1.IPBlock, address string) bool {
	t.Helper()
	if len(block.Except) > 0 {
		t.Fatalf("an ipBlock with exceptions, which this evaluator does not model: %+v", block)
	}
	_, cidr, err := net.ParseCIDR(block.CIDR)
	if err != nil {
		t.Fatalf("ipBlock %+v: %v", block, err)
	}
	return address != "" && cidr.Contains(net.ParseIP(address))
}

func selectorMatches(t *testing.T, s *k8smetav1.LabelSelector, labels map[string]string) bool {
	t.Helper()
	sel, err := k8smetav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatalf("selector %v: %v", s, err)
	}
	return sel.Matches(k8slabels.Set(labels))
}

// TestNetworkPoliciesFollowTheBucketAndTheSwitch: the object store's port comes from the bucket's
// endpoint, and networkPolicies false registers none.
func TestNetworkPoliciesFollowTheBucketAndTheSwitch(t *testing.T) {
	local := stackConfig(t, "local")
	local["prometheus-thanos:kubeconfig"] = "apiVersion: v1\nkind: Config\n"
	local["prometheus-thanos:existingBucketAccessKey"] = "minio"
	local["prometheus-thanos:existingBucketSecretKey"] = "minio-secret"
	r := runProgram(t, "local", local)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, np := range registeredNetworkPolicies(t, r) {
		if np.Name != "thanos-store" && np.Name != "thanos-compact" {
			continue
		}
		var ports []string
		for _, rule := range np.Spec.Egress {
			if len(rule.To) == 0 {
				for _, p := range rule.Ports {
					ports = append(ports, fmt.Sprintf("%s/%s", p.Port.String(), *p.Protocol))
				}
			}
		}
		// MinIO's port (minio.minio.svc.cluster.local:9000), static keys: no STS.
		if want := []string{"53/UDP", "53/TCP", "9000/TCP"}; !slices.Equal(ports, want) {
			t.Errorf("%s lets out to %v, want %v", np.Name, ports, want)
		}
	}

	local["prometheus-thanos:networkPolicies"] = "false"
	r = runProgram(t, "local", local)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := len(r.all("kubernetes:networking.k8s.io/v1:NetworkPolicy")); n != 0 {
		t.Errorf("networkPolicies false registers %d NetworkPolicies", n)
	}
}

// TestOperatorWebhookIsOpenWithoutAPIServerCIDRs: without apiServerCidrs the operator's port
// (its admission webhook, which the API server calls from addresses no selector names, and its
// metrics) admits every source, and only that port; with them, the API server's block and
// Prometheus alone (TestNetworkPoliciesAdmitExactlyTheQueryPath).
func TestOperatorWebhookIsOpenWithoutAPIServerCIDRs(t *testing.T) {
	r := stackRun(t, "prod")
	policies := registeredNetworkPolicies(t, r)
	pods := stackPods(t, "prod", r)
	for _, src := range []string{"elsewhere", "neighbour", "apiserver", "lb-outside", "prometheus"} {
		if !ingressAdmits(t, policies, pods[src], pods["operator"], "https") {
			t.Errorf("without apiServerCidrs the operator's webhook port refuses %s", src)
		}
	}
	closed := pods["operator"]
	closed.ports = map[string]int32{"other": 8080}
	if ingressAdmits(t, policies, pods["elsewhere"], closed, "other") {
		t.Error("the operator admits connections to a port other than its webhook's")
	}
}
