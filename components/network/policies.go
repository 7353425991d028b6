package network

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8scorev1 "k8s.io/api/core/v1"
	k8snetworkingv1 "k8s.io/api/networking/v1"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// Ports of the Prometheus pods' containers as prometheus-operator v0.93.1 runs them, besides the
// sidecar's GRPCPort and HTTPPort (pkg/prometheus/server/statefulset.go): the Prometheus server's
// (pkg/prometheus/common.go) and the config reloader's (pkg/operator/config_reloader.go).
const (
	PrometheusWebPort = 9090
	ReloaderWebPort   = 8080
)

// PolicyInputs are what the Policies are derived from: the pods on the query path and
// where the bucket is. Every selector comes from the same label functions as the Services.
type PolicyInputs struct {
	// Instance is the Thanos components' app.kubernetes.io/instance. Required.
	Instance string
	// GrafanaPodLabels select the chart's Grafana pods, which query the querier and Prometheus.
	// Empty: no Grafana.
	GrafanaPodLabels map[string]string
	// QueryClientNamespaces are namespaces whose pods may use the query path: the querier's HTTP API
	// and StoreAPI, and Prometheus's HTTP API (a Grafana or an ingress controller elsewhere, a
	// querier federating this one).
	QueryClientNamespaces []string
	// QueryClientCIDRs are address blocks (CIDR notation, IPv4 or IPv6; see QueryClientCIDR) whose
	// connections may use the query path, admitted where QueryClientNamespaces are: a load
	// balancer in IP mode (the AWS Load Balancer Controller's NLB or ALB with target-type ip)
	// connects from addresses of no namespace. Empty: none.
	QueryClientCIDRs []string
	// ObjectStorePorts are the TCP ports the store gateway and the compactor reach the object
	// store, and STS for IRSA, on. Required.
	ObjectStorePorts []int
	// QueryFrontend: a query-frontend runs in front of the querier; the query path's clients
	// reach it, and it reaches the querier's HTTP API.
	QueryFrontend bool
	// MemcachedPorts are the TCP ports of the query-frontend's memcached results cache, if it has
	// one.
	MemcachedPorts []int
	// Chart selects the chart's own pods (ChartPodsOf): each workload selected gets a policy of its
	// own. Zero: none.
	Chart chart.Pods
	// EdgeQuerierClientCIDRs are the address blocks the edge querier's StoreAPI admits (the
	// global stacks' queriers, as their connections arrive: see QueryClientCIDR). Empty: no edge
	// querier.
	EdgeQuerierClientCIDRs []string
	// RemoteStoreAPIPorts are the TCP ports of other clusters' StoreAPIs the querier reaches, at
	// any address: a remote cluster's load balancer has addresses of its own, which change.
	RemoteStoreAPIPorts []int
	// APIServerCIDRs are the address blocks the Kubernetes API server calls admission webhooks from
	// (on EKS the subnets of the control plane's network interfaces), admitted with Prometheus to
	// the operator's port, which serves both the webhook and the operator's metrics. Empty: that
	// port is open to every address, as the API server is no pod and nothing else names it.
	APIServerCIDRs []string
}

// DNSPort is where pods resolve names: the cluster DNS on port 53, over UDP and TCP.
const DNSPort = 53

// PolicySpecs are the Policies of the Thanos and Prometheus pods, by object name:
//   - StoreAPI gRPC (the sidecars' and store gateways') only from the querier;
//   - metrics (the Thanos HTTP port, the config reloader's) only from Prometheus, which scrapes them;
//   - the query-frontend's and querier's HTTP APIs, the querier's StoreAPI and Prometheus's HTTP
//     API from Prometheus, the chart's Grafana and the declared query clients (the pods of
//     QueryClientNamespaces, the addresses of QueryClientCIDRs: the querier's StoreAPI from these
//     alone); the querier's HTTP API also from the query-frontend;
//   - egress of the Thanos pods only to DNS, the StoreAPIs (querier), the querier's HTTP API and
//     memcached (query-frontend) and the object store (store gateway, compactor);
//   - ingress of the chart's own pods (p.Chart; chartNetworkPolicySpecs).
//
// The Prometheus pods keep unrestricted egress: their scrape targets are anywhere in the cluster,
// on the nodes and outside it. Ports are numbers, the constants the containers declare: the EKS VPC
// CNI's policy controller drops a rule with a named port unless the source pod has a port of that
// name too (aws/aws-network-policy-agent#193).
func PolicySpecs(p PolicyInputs) (map[string]k8snetworkingv1.NetworkPolicySpec, error) {
	if p.Instance == "" {
		return nil, fmt.Errorf("network policies: Instance is required")
	}
	if len(p.ObjectStorePorts) == 0 {
		return nil, fmt.Errorf("network policies: ObjectStorePorts are required")
	}
	query := thanos.QuerierLabels(p.Instance)
	store := thanos.StoreGatewayLabels(p.Instance)
	compact := thanos.CompactorLabels(p.Instance)

	prometheusPods := podPeer(components.PrometheusPodLabels())
	querierPods := podPeer(query.Selector())
	queryClients := []k8snetworkingv1.NetworkPolicyPeer{prometheusPods}
	if len(p.GrafanaPodLabels) > 0 {
		queryClients = append(queryClients, podPeer(p.GrafanaPodLabels))
	}
	declaredClients, err := declaredQueryClients(p.QueryClientNamespaces, p.QueryClientCIDRs)
	if err != nil {
		return nil, err
	}
	queryPath := append(append([]k8snetworkingv1.NetworkPolicyPeer(nil), queryClients...), declaredClients...)
	scrapes := k8snetworkingv1.NetworkPolicyIngressRule{From: []k8snetworkingv1.NetworkPolicyPeer{prometheusPods}, Ports: tcpPorts(thanos.HTTPPort)}
	storeAPIClients := []k8snetworkingv1.NetworkPolicyPeer{querierPods}
	edge := thanos.EdgeQuerierLabels(p.Instance)
	if len(p.EdgeQuerierClientCIDRs) > 0 {
		storeAPIClients = append(storeAPIClients, podPeer(edge.Selector()))
	}
	fromQuerier := k8snetworkingv1.NetworkPolicyIngressRule{From: storeAPIClients, Ports: tcpPorts(thanos.GRPCPort)}
	dns := k8snetworkingv1.NetworkPolicyEgressRule{Ports: dnsPorts()}
	toStoreAPIs := k8snetworkingv1.NetworkPolicyEgressRule{To: []k8snetworkingv1.NetworkPolicyPeer{podPeer(components.StoreAPISelector())}, Ports: tcpPorts(thanos.GRPCPort)}
	objectStore := k8snetworkingv1.NetworkPolicyEgressRule{Ports: tcpPorts(p.ObjectStorePorts...)}

	ingressAndEgress := []k8snetworkingv1.PolicyType{k8snetworkingv1.PolicyTypeIngress, k8snetworkingv1.PolicyTypeEgress}
	querierHTTPClients := queryPath
	if p.QueryFrontend {
		querierHTTPClients = append([]k8snetworkingv1.NetworkPolicyPeer{podPeer(thanos.QueryFrontendLabels(p.Instance).Selector())}, queryPath...)
	}
	specs := map[string]k8snetworkingv1.NetworkPolicySpec{
		query.ObjectName(): {
			PodSelector: components.MatchLabels(query.Selector()),
			PolicyTypes: ingressAndEgress,
			Ingress: nonEmptyIngress(
				k8snetworkingv1.NetworkPolicyIngressRule{From: querierHTTPClients, Ports: tcpPorts(thanos.HTTPPort)},
				k8snetworkingv1.NetworkPolicyIngressRule{From: declaredClients, Ports: tcpPorts(thanos.GRPCPort)},
			),
			Egress: nonEmptyEgress(
				dns,
				toStoreAPIs,
				k8snetworkingv1.NetworkPolicyEgressRule{Ports: tcpPorts(p.RemoteStoreAPIPorts...)},
			),
		},
		store.ObjectName(): {
			PodSelector: components.MatchLabels(store.Selector()),
			PolicyTypes: ingressAndEgress,
			Ingress:     []k8snetworkingv1.NetworkPolicyIngressRule{fromQuerier, scrapes},
			Egress:      []k8snetworkingv1.NetworkPolicyEgressRule{dns, objectStore},
		},
		compact.ObjectName(): {
			PodSelector: components.MatchLabels(compact.Selector()),
			PolicyTypes: ingressAndEgress,
			Ingress:     []k8snetworkingv1.NetworkPolicyIngressRule{scrapes},
			Egress:      []k8snetworkingv1.NetworkPolicyEgressRule{dns, objectStore},
		},
		PrometheusPolicyName: {
			PodSelector: components.MatchLabels(components.PrometheusPodLabels()),
			PolicyTypes: []k8snetworkingv1.PolicyType{k8snetworkingv1.PolicyTypeIngress},
			Ingress: []k8snetworkingv1.NetworkPolicyIngressRule{
				fromQuerier,
				{From: []k8snetworkingv1.NetworkPolicyPeer{prometheusPods}, Ports: tcpPorts(thanos.HTTPPort, ReloaderWebPort)},
				{From: queryPath, Ports: tcpPorts(PrometheusWebPort)},
			},
		},
	}
	chartSpecs, err := chartNetworkPolicySpecs(p.Chart, prometheusPods, declaredClients, p.APIServerCIDRs)
	if err != nil {
		return nil, err
	}
	for name, spec := range chartSpecs {
		specs[name] = spec
	}
	if p.QueryFrontend {
		specs[thanos.QueryFrontendLabels(p.Instance).ObjectName()] = queryFrontendNetworkPolicySpec(p, querierPods, queryPath)
	}
	if len(p.EdgeQuerierClientCIDRs) > 0 {
		edgeClients, err := cidrPeers(p.EdgeQuerierClientCIDRs, QueryClientCIDR)
		if err != nil {
			return nil, err
		}
		// Its StoreAPI from the declared blocks alone (mutual TLS on top); its metrics from
		// Prometheus; its HTTP API from no one, as nothing outside queries it.
		specs[edge.ObjectName()] = k8snetworkingv1.NetworkPolicySpec{
			PodSelector: components.MatchLabels(edge.Selector()),
			PolicyTypes: ingressAndEgress,
			Ingress:     []k8snetworkingv1.NetworkPolicyIngressRule{{From: edgeClients, Ports: tcpPorts(thanos.GRPCPort)}, scrapes},
			Egress:      []k8snetworkingv1.NetworkPolicyEgressRule{dns, toStoreAPIs},
		}
	}
	return specs, nil
}

// queryFrontendNetworkPolicySpec admits the query path to the query-frontend, and lets it reach
// the queriers and memcached.
func queryFrontendNetworkPolicySpec(p PolicyInputs, querierPods k8snetworkingv1.NetworkPolicyPeer, queryPath []k8snetworkingv1.NetworkPolicyPeer) k8snetworkingv1.NetworkPolicySpec {
	frontend := thanos.QueryFrontendLabels(p.Instance)
	egress := []k8snetworkingv1.NetworkPolicyEgressRule{
		{Ports: dnsPorts()},
		{To: []k8snetworkingv1.NetworkPolicyPeer{querierPods}, Ports: tcpPorts(thanos.HTTPPort)},
	}
	if len(p.MemcachedPorts) > 0 {
		// memcached may run anywhere (another namespace, a managed service): by port only.
		egress = append(egress, k8snetworkingv1.NetworkPolicyEgressRule{Ports: tcpPorts(p.MemcachedPorts...)})
	}
	return k8snetworkingv1.NetworkPolicySpec{
		PodSelector: components.MatchLabels(frontend.Selector()),
		PolicyTypes: []k8snetworkingv1.PolicyType{k8snetworkingv1.PolicyTypeIngress, k8snetworkingv1.PolicyTypeEgress},
		Ingress:     []k8snetworkingv1.NetworkPolicyIngressRule{{From: queryPath, Ports: tcpPorts(thanos.HTTPPort)}},
		Egress:      egress,
	}
}

// Names of the Policies of the chart's own pods.
const (
	GrafanaPolicyName                     = "grafana"
	OperatorNetworkPolicyName             = "prometheus-operator"
	KubeStateMetricsNetworkPolicyName     = "kube-state-metrics"
	AlertmanagerNetworkPolicyName         = "alertmanager"
	AdmissionWebhookJobsNetworkPolicyName = "prometheus-operator-admission-jobs"
)

// chartNetworkPolicySpecs are the ingress policies of the chart's own pods, each where its
// workload runs:
//   - Grafana's HTTP port from Prometheus (which scrapes it) and the declared query clients, as
//     the query path;
//   - the operator's port (the admission webhook and its metrics, one listener) from the API
//     server: from apiServerCIDRs and Prometheus, or from any address without them;
//   - kube-state-metrics' ports only from Prometheus;
//   - Alertmanager's API from Prometheus, the chart's Grafana (its Alertmanager datasource) and
//     the declared query clients, its cluster port (TCP and UDP) from the other Alertmanager
//     pods, its config reloader's metrics from Prometheus;
//   - nothing to the admission webhook's hook Jobs, which serve nothing.
//
// Their egress stays open (docs/security.md says why). node-exporter has none: it uses the host's
// network, where Policies do not apply.
func chartNetworkPolicySpecs(pods chart.Pods, prometheusPods k8snetworkingv1.NetworkPolicyPeer, declaredClients []k8snetworkingv1.NetworkPolicyPeer, apiServerCIDRs []string) (map[string]k8snetworkingv1.NetworkPolicySpec, error) {
	ingressOnly := []k8snetworkingv1.PolicyType{k8snetworkingv1.PolicyTypeIngress}
	fromPrometheus := []k8snetworkingv1.NetworkPolicyPeer{prometheusPods}
	specs := map[string]k8snetworkingv1.NetworkPolicySpec{}
	if pods.Grafana != nil {
		specs[GrafanaPolicyName] = k8snetworkingv1.NetworkPolicySpec{
			PodSelector: components.MatchLabels(pods.Grafana),
			PolicyTypes: ingressOnly,
			Ingress: []k8snetworkingv1.NetworkPolicyIngressRule{
				{From: append(slices.Clone(fromPrometheus), declaredClients...), Ports: tcpPorts(chart.GrafanaPort)},
			},
		}
	}
	if pods.Operator != nil {
		// A rule without peers admits every source: the API server, whose addresses no selector
		// names (on EKS the control plane's network interfaces in the VPC).
		webhook := k8snetworkingv1.NetworkPolicyIngressRule{Ports: tcpPorts(chart.OperatorPort)}
		if len(apiServerCIDRs) > 0 {
			webhook.From = slices.Clone(fromPrometheus)
			blocks, err := cidrPeers(apiServerCIDRs, APIServerCIDR)
			if err != nil {
				return nil, fmt.Errorf("network policies: APIServerCIDRs: %w", err)
			}
			webhook.From = append(webhook.From, blocks...)
		}
		specs[OperatorNetworkPolicyName] = k8snetworkingv1.NetworkPolicySpec{
			PodSelector: components.MatchLabels(pods.Operator),
			PolicyTypes: ingressOnly,
			Ingress:     []k8snetworkingv1.NetworkPolicyIngressRule{webhook},
		}
	}
	if pods.KubeStateMetrics != nil {
		specs[KubeStateMetricsNetworkPolicyName] = k8snetworkingv1.NetworkPolicySpec{
			PodSelector: components.MatchLabels(pods.KubeStateMetrics),
			PolicyTypes: ingressOnly,
			Ingress: []k8snetworkingv1.NetworkPolicyIngressRule{
				{From: fromPrometheus, Ports: tcpPorts(chart.KubeStateMetricsPort, chart.KubeStateMetricsTelemetryPort)},
			},
		}
	}
	if pods.Alertmanager != nil {
		apiClients := slices.Clone(fromPrometheus)
		if pods.Grafana != nil {
			apiClients = append(apiClients, podPeer(pods.Grafana))
		}
		apiClients = append(apiClients, declaredClients...)
		cluster := intstr.FromInt32(chart.AlertmanagerClusterPort)
		specs[AlertmanagerNetworkPolicyName] = k8snetworkingv1.NetworkPolicySpec{
			PodSelector: components.MatchLabels(pods.Alertmanager),
			PolicyTypes: ingressOnly,
			Ingress: []k8snetworkingv1.NetworkPolicyIngressRule{
				{From: apiClients, Ports: tcpPorts(chart.AlertmanagerWebPort)},
				{From: []k8snetworkingv1.NetworkPolicyPeer{podPeer(pods.Alertmanager)}, Ports: []k8snetworkingv1.NetworkPolicyPort{
					{Protocol: protocol(k8scorev1.ProtocolTCP), Port: &cluster},
					{Protocol: protocol(k8scorev1.ProtocolUDP), Port: &cluster},
				}},
				{From: fromPrometheus, Ports: tcpPorts(ReloaderWebPort)},
			},
		}
	}
	if len(pods.AdmissionWebhookJobs) > 0 {
		specs[AdmissionWebhookJobsNetworkPolicyName] = k8snetworkingv1.NetworkPolicySpec{
			PodSelector: k8smetav1.LabelSelector{MatchExpressions: []k8smetav1.LabelSelectorRequirement{{
				Key: "app", Operator: k8smetav1.LabelSelectorOpIn, Values: slices.Sorted(slices.Values(pods.AdmissionWebhookJobs)),
			}}},
			PolicyTypes: ingressOnly,
			Ingress:     []k8snetworkingv1.NetworkPolicyIngressRule{},
		}
	}
	return specs, nil
}

// declaredQueryClients are the peers of the query clients the configuration declares, namespaces
// then address blocks, each list sorted: the one place every rule of the query path takes them
// from.
func declaredQueryClients(namespaces, cidrs []string) ([]k8snetworkingv1.NetworkPolicyPeer, error) {
	var peers []k8snetworkingv1.NetworkPolicyPeer
	if len(namespaces) > 0 {
		sorted := append([]string(nil), namespaces...)
		sort.Strings(sorted)
		peers = append(peers, k8snetworkingv1.NetworkPolicyPeer{NamespaceSelector: &k8smetav1.LabelSelector{
			MatchExpressions: []k8smetav1.LabelSelectorRequirement{{
				// Every namespace carries its name in this label (set by the API server).
				Key: k8scorev1.LabelMetadataName, Operator: k8smetav1.LabelSelectorOpIn, Values: sorted,
			}},
		}})
	}
	blocks, err := cidrPeers(cidrs, QueryClientCIDR)
	if err != nil {
		return nil, fmt.Errorf("network policies: QueryClientCIDRs: %w", err)
	}
	return append(peers, blocks...), nil
}

// cidrPeers are the ipBlock peers of address blocks, each checked and spelled by check, sorted,
// once each.
func cidrPeers(cidrs []string, check func(string) (string, error)) ([]k8snetworkingv1.NetworkPolicyPeer, error) {
	var blocks []string
	for _, c := range cidrs {
		block, err := check(c)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, block)
	}
	sort.Strings(blocks)
	var peers []k8snetworkingv1.NetworkPolicyPeer
	for _, block := range slices.Compact(blocks) {
		peers = append(peers, k8snetworkingv1.NetworkPolicyPeer{IPBlock: &k8snetworkingv1.IPBlock{CIDR: block}})
	}
	return peers, nil
}

// QueryClientCIDR checks one query client's address block and returns it as Go spells it
// ("fd00:0::/64" is "fd00::/64"). It must be CIDR notation, IPv4 or IPv6, with the network's own
// address ("10.0.0.0/16", not "10.0.0.1/16", whose meaning a reader would have to guess), and not
// every address (0.0.0.0/0, ::/0): that would open the query path to whatever the network routes
// to the pods.
func QueryClientCIDR(s string) (string, error) {
	return cidrBlock(s, "the query path", "give the load balancer's subnets instead")
}

// APIServerCIDR checks one address block of the API server (APIServerCIDRs) as QueryClientCIDR
// checks a query client's.
func APIServerCIDR(s string) (string, error) {
	return cidrBlock(s, "the operator's webhook and metrics port", "give the subnets of the control plane's network interfaces, or no block at all for every address")
}

// cidrBlock checks and spells an address block that opens opens; hint is what to give instead of
// every address.
func cidrBlock(s, opens, hint string) (string, error) {
	ip, block, err := net.ParseCIDR(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a CIDR block such as 10.0.0.0/16 or fd00::/64", s)
	}
	if !ip.Equal(block.IP) {
		host := 32
		if ip.To4() == nil {
			host = 128
		}
		return "", fmt.Errorf("%q is not a network address: write the network %q, or %q for the one address", s, block.String(), fmt.Sprintf("%s/%d", ip, host))
	}
	if ones, _ := block.Mask.Size(); ones == 0 {
		return "", fmt.Errorf("%q is every address, which opens %s to anything that can route to the pods; %s", s, opens, hint)
	}
	return block.String(), nil
}

// PrometheusPolicyName names the NetworkPolicy of the Prometheus pods.
const PrometheusPolicyName = "prometheus-thanos-sidecar"

// ObjectStorePorts are the TCP ports a bucket workload reaches the object store on: the endpoint's
// port (host[:port]; without one, 443, or 80 when insecure), and 443 for STS where the workload
// assumes its role through IRSA.
func ObjectStorePorts(endpoint string, insecure, irsa bool) ([]int, error) {
	port := 443
	if insecure {
		port = 80
	}
	if _, p, err := net.SplitHostPort(endpoint); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("object store endpoint %q: port %q is not a number from 1 to 65535", endpoint, p)
		}
		port = n
	}
	ports := []int{port}
	if irsa && port != 443 {
		ports = append(ports, 443)
	}
	return ports, nil
}

func podPeer(labels map[string]string) k8snetworkingv1.NetworkPolicyPeer {
	selector := components.MatchLabels(labels)
	return k8snetworkingv1.NetworkPolicyPeer{PodSelector: &selector}
}

func tcpPorts(numbers ...int) []k8snetworkingv1.NetworkPolicyPort {
	var ports []k8snetworkingv1.NetworkPolicyPort
	for _, n := range numbers {
		port := intstr.FromInt32(int32(n))
		ports = append(ports, k8snetworkingv1.NetworkPolicyPort{Protocol: protocol(k8scorev1.ProtocolTCP), Port: &port})
	}
	return ports
}

func dnsPorts() []k8snetworkingv1.NetworkPolicyPort {
	port := intstr.FromInt32(DNSPort)
	return []k8snetworkingv1.NetworkPolicyPort{
		{Protocol: protocol(k8scorev1.ProtocolUDP), Port: &port},
		{Protocol: protocol(k8scorev1.ProtocolTCP), Port: &port},
	}
}

func protocol(p k8scorev1.Protocol) *k8scorev1.Protocol { return &p }

// nonEmptyEgress drops the rules without ports: an egress rule with neither peers nor ports would
// admit every connection.
func nonEmptyEgress(rules ...k8snetworkingv1.NetworkPolicyEgressRule) []k8snetworkingv1.NetworkPolicyEgressRule {
	return slices.DeleteFunc(rules, func(r k8snetworkingv1.NetworkPolicyEgressRule) bool { return len(r.Ports) == 0 })
}

// nonEmptyIngress drops rules without peers: a rule with no `from` admits every source.
func nonEmptyIngress(rules ...k8snetworkingv1.NetworkPolicyIngressRule) []k8snetworkingv1.NetworkPolicyIngressRule {
	return slices.DeleteFunc(rules, func(r k8snetworkingv1.NetworkPolicyIngressRule) bool { return len(r.From) == 0 })
}

// PoliciesArgs configure the Policies.
type PoliciesArgs struct {
	// Namespace of the policies: the Thanos and Prometheus pods' namespace. Required.
	Namespace pulumi.StringInput
	// Inputs are what the policies are derived from. Required.
	Inputs PolicyInputs
}

// Policies are the Policies of the Thanos and Prometheus pods. A CNI that enforces
// NetworkPolicy is needed for them to take effect; elsewhere the API server stores them and
// nothing changes.
type Policies struct {
	pulumi.ResourceState
}

// NewPolicies registers the Policies of PolicySpecs.
func NewPolicies(ctx *pulumi.Context, name string, args *PoliciesArgs, opts ...pulumi.ResourceOption) (*Policies, error) {
	if args.Namespace == nil {
		return nil, fmt.Errorf("network policies: Namespace is required")
	}
	specs, err := PolicySpecs(args.Inputs)
	if err != nil {
		return nil, err
	}
	n := &Policies{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:kubernetes:NetworkPolicies", name, n, opts...); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(specs))
	for objectName := range specs {
		names = append(names, objectName)
	}
	sort.Strings(names) // a stable registration order
	labels := map[string]string{components.LabelPartOf: "thanos", components.LabelManagedBy: "pulumi"}
	for _, objectName := range names {
		if _, err := networkingv1.NewNetworkPolicy(ctx, objectName, &networkingv1.NetworkPolicyArgs{
			Metadata: components.ObjectMeta(args.Namespace, objectName, labels, nil),
			Spec:     networkPolicySpecArgs(specs[objectName]),
		}, pulumi.Parent(n)); err != nil {
			return nil, fmt.Errorf("network policy %s: %w", objectName, err)
		}
	}
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{})
}

// networkPolicySpecArgs converts a NetworkPolicySpec to the provider's input type, field by field
// (every field PolicySpecs sets, and ipBlock and endPort, so that nothing set is dropped).
func networkPolicySpecArgs(s k8snetworkingv1.NetworkPolicySpec) networkingv1.NetworkPolicySpecArgs {
	policyTypes := pulumi.StringArray{}
	for _, t := range s.PolicyTypes {
		policyTypes = append(policyTypes, pulumi.String(string(t)))
	}
	out := networkingv1.NetworkPolicySpecArgs{PodSelector: labelSelectorArgs(s.PodSelector), PolicyTypes: policyTypes}
	var ingress networkingv1.NetworkPolicyIngressRuleArray
	for _, r := range s.Ingress {
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRuleArgs{From: peerArgs(r.From), Ports: portArgs(r.Ports)})
	}
	var egress networkingv1.NetworkPolicyEgressRuleArray
	for _, r := range s.Egress {
		egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{To: peerArgs(r.To), Ports: portArgs(r.Ports)})
	}
	// An empty list, not an absent one: no rule means nothing is admitted.
	if ingress == nil {
		ingress = networkingv1.NetworkPolicyIngressRuleArray{}
	}
	out.Ingress = ingress
	if len(s.Egress) > 0 {
		out.Egress = egress
	}
	return out
}

func labelSelectorArgs(s k8smetav1.LabelSelector) metav1.LabelSelectorArgs {
	out := metav1.LabelSelectorArgs{}
	if len(s.MatchLabels) > 0 {
		out.MatchLabels = pulumi.ToStringMap(s.MatchLabels)
	}
	var expressions metav1.LabelSelectorRequirementArray
	for _, e := range s.MatchExpressions {
		expressions = append(expressions, metav1.LabelSelectorRequirementArgs{
			Key: pulumi.String(e.Key), Operator: pulumi.String(string(e.Operator)), Values: pulumi.ToStringArray(e.Values),
		})
	}
	if expressions != nil {
		out.MatchExpressions = expressions
	}
	return out
}

func peerArgs(peers []k8snetworkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyPeerArray {
	var out networkingv1.NetworkPolicyPeerArray
	for _, p := range peers {
		a := networkingv1.NetworkPolicyPeerArgs{}
		if p.PodSelector != nil {
			a.PodSelector = labelSelectorArgs(*p.PodSelector)
		}
		if p.NamespaceSelector != nil {
			a.NamespaceSelector = labelSelectorArgs(*p.NamespaceSelector)
		}
		if p.IPBlock != nil {
			a.IpBlock = networkingv1.IPBlockArgs{Cidr: pulumi.String(p.IPBlock.CIDR), Except: pulumi.ToStringArray(p.IPBlock.Except)}
		}
		out = append(out, a)
	}
	return out
}

func portArgs(ports []k8snetworkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyPortArray {
	var out networkingv1.NetworkPolicyPortArray
	for _, p := range ports {
		a := networkingv1.NetworkPolicyPortArgs{}
		if p.Protocol != nil {
			a.Protocol = pulumi.String(string(*p.Protocol))
		}
		if p.Port != nil {
			if p.Port.Type == intstr.String {
				a.Port = pulumi.String(p.Port.StrVal)
			} else {
				a.Port = pulumi.Int(int(p.Port.IntVal))
			}
		}
		if p.EndPort != nil {
			a.EndPort = pulumi.Int(int(*p.EndPort))
		}
		out = append(out, a)
	}
	return out
}
