package thanos

import (
	"fmt"
	"maps"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Kinds of Service the edge querier's StoreAPI is exposed through.
const (
	ServiceTypeClusterIP    = "ClusterIP"
	ServiceTypeNodePort     = "NodePort"
	ServiceTypeLoadBalancer = "LoadBalancer"
)

// EdgeServiceTypes are the Service types an edge querier may be exposed through.
var EdgeServiceTypes = []string{ServiceTypeLoadBalancer, ServiceTypeClusterIP, ServiceTypeNodePort}

// EdgeService is how the edge querier's StoreAPI leaves the cluster.
type EdgeService struct {
	// Type of the Service, one of EdgeServiceTypes. Required.
	Type string
	// Annotations of the Service: the load balancer controller's (EKSInternalNLBAnnotations).
	Annotations map[string]string
	// SourceRanges are the address blocks a LoadBalancer admits (loadBalancerSourceRanges, which
	// the AWS Load Balancer Controller writes into the NLB's security group). Required with
	// LoadBalancer: the NetworkPolicy admits the same blocks.
	SourceRanges []string
	// Address is the host:port other clusters dial, where the Service's own is not it (a DNS
	// name pointing to the load balancer; a node's address for NodePort). Empty: the load
	// balancer's hostname or IP with LoadBalancer, the Service's cluster DNS name with ClusterIP.
	// Required with NodePort.
	Address string
}

// Validate checks the Service settings.
func (s EdgeService) Validate() error {
	if !slices.Contains(EdgeServiceTypes, s.Type) {
		return fmt.Errorf("service type %q: want one of %v", s.Type, EdgeServiceTypes)
	}
	if s.Type == ServiceTypeNodePort && s.Address == "" {
		return fmt.Errorf("service type %s: the address other clusters dial (a node's host:port) is required", s.Type)
	}
	if s.Type == ServiceTypeLoadBalancer && len(s.SourceRanges) == 0 {
		return fmt.Errorf("service type %s: the source ranges it admits are required", s.Type)
	}
	if s.Address != "" {
		if err := CheckHostPort(s.Address); err != nil {
			return err
		}
	}
	return nil
}

// EKSInternalNLBAnnotations make the AWS Load Balancer Controller give a LoadBalancer Service an
// internal NLB whose targets are the pods' IPs, keeping the clients' addresses so that the
// NetworkPolicy's blocks are the clients' own (with IP targets an NLB replaces them with its own
// unless preserve_client_ip is on). The in-tree cloud provider would make a public Classic ELB.
var EKSInternalNLBAnnotations = map[string]string{
	"service.beta.kubernetes.io/aws-load-balancer-type":                              "external",
	"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":                   "ip",
	"service.beta.kubernetes.io/aws-load-balancer-scheme":                            "internal",
	"service.beta.kubernetes.io/aws-load-balancer-target-group-attributes":           "preserve_client_ip.enabled=true",
	"service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol":              "TCP",
	"service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}

// EdgeQuerierArgs configure the edge querier.
type EdgeQuerierArgs struct {
	WorkloadArgs
	// Replicas of the edge querier. Default 1.
	Replicas int
	// PeersAddress is the peers Service's SRV address (Peers.SRVAddress). Required.
	PeersAddress pulumi.StringInput
	// TLSSecret names the Secret with the server's certificate and key (tls.crt, tls.key) and the
	// CA its clients' certificates must chain to (ca.crt). Required.
	TLSSecret pulumi.StringInput
	// Service is how its StoreAPI leaves the cluster. Required.
	Service EdgeService
	QuerierSettings
	// Resources of the container.
	Resources components.Resources
	// PodDisruptionBudget guards the replicas during voluntary disruptions.
	PodDisruptionBudget bool
}

// EdgeQuerier serves the stack's StoreAPIs to other clusters: a querier of the peers Service only
// (never of other clusters, so two stacks that read each other make no loop), whose gRPC server
// requires mutual TLS, behind a Service of its own. A querier of its own rather than TLS on the
// stack's querier: the in-cluster query path (query-frontend, Grafana, federation through
// storeApiEndpoint) stays as it is, and the exposure is sized and fenced apart.
type EdgeQuerier struct {
	pulumi.ResourceState

	// Endpoint is the host:port other clusters dial (EdgeService.Address).
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
}

// EdgeQuerierLabels is the label set of the edge querier.
func EdgeQuerierLabels(instance string) components.ThanosLabels {
	return components.ThanosLabels{Component: "query-edge", Instance: instance}
}

// EdgeServiceName names the Service that exposes the edge querier's StoreAPI.
func EdgeServiceName() string { return EdgeQuerierLabels("").ObjectName() + "-grpc" }

// EdgeQuerierFlags are the flags of the edge querier: those of a querier of the peers Service,
// with the gRPC server's mutual TLS.
func EdgeQuerierFlags(peersAddress string, s QuerierSettings) ([]string, error) {
	flags, err := QuerierFlags(peersAddress, RemoteStoreAPIs{}, s)
	if err != nil {
		return nil, err
	}
	return append(flags, ServerTLSFlags(serverTLSMountPath)...), nil
}

// NewEdgeQuerier registers the edge querier: its Deployment, in-cluster Service and ServiceMonitor
// (newStatelessDeployment), and the Service that exposes its gRPC port alone.
func NewEdgeQuerier(ctx *pulumi.Context, name string, args *EdgeQuerierArgs, opts ...pulumi.ResourceOption) (*EdgeQuerier, error) {
	if err := args.validate("edge querier"); err != nil {
		return nil, err
	}
	if args.Replicas < 1 {
		return nil, fmt.Errorf("edge querier: Replicas must be at least 1, got %d", args.Replicas)
	}
	if args.PeersAddress == nil || args.TLSSecret == nil {
		return nil, fmt.Errorf("edge querier: PeersAddress and TLSSecret are required")
	}
	if err := args.Service.Validate(); err != nil {
		return nil, fmt.Errorf("edge querier: %w", err)
	}
	if _, err := EdgeQuerierFlags("validate", args.QuerierSettings); err != nil {
		return nil, fmt.Errorf("edge querier: %w", err)
	}
	e := &EdgeQuerier{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:EdgeQuerier", name, e, opts...); err != nil {
		return nil, err
	}
	l := EdgeQuerierLabels(args.Instance)
	container := thanosContainer{
		Args: args.PeersAddress.ToStringOutput().ApplyT(func(peers string) ([]string, error) {
			flags, err := EdgeQuerierFlags(peers, args.QuerierSettings)
			return append([]string{"query"}, flags...), err
		}).(pulumi.StringArrayOutput),
		Resources:  args.Resources,
		ServesGRPC: true,
		TLS:        tlsMount{Secret: args.TLSSecret, Path: serverTLSMountPath},
	}
	if _, err := newStatelessDeployment(ctx, args.WorkloadArgs, statelessDeployment{
		labels:              l,
		replicas:            args.Replicas,
		servicePorts:        map[string]int{GRPCPortName: GRPCPort, HTTPPortName: HTTPPort},
		container:           container,
		podDisruptionBudget: args.PodDisruptionBudget,
	}, pulumi.Parent(e)); err != nil {
		return nil, fmt.Errorf("edge querier: %w", err)
	}
	svc, err := newEdgeService(ctx, args.WorkloadArgs, l, args.Service, pulumi.Parent(e))
	if err != nil {
		return nil, fmt.Errorf("edge querier: %w", err)
	}
	e.Endpoint = edgeEndpoint(svc, args.Service)
	return e, ctx.RegisterResourceOutputs(e, pulumi.Map{"endpoint": e.Endpoint})
}

// newEdgeService registers the Service of the edge querier's gRPC port, of the settings' type.
func newEdgeService(ctx *pulumi.Context, a WorkloadArgs, l components.ThanosLabels, s EdgeService, opts ...pulumi.ResourceOption) (*corev1.Service, error) {
	annotations := pulumi.StringMap{}
	for _, k := range slices.Sorted(maps.Keys(s.Annotations)) {
		annotations[k] = pulumi.String(s.Annotations[k])
	}
	maps.Copy(annotations, a.workloadAnnotations())
	spec := corev1.ServiceSpecArgs{
		Type:     pulumi.String(s.Type),
		Selector: pulumi.ToStringMap(l.Selector()),
		Ports:    servicePorts(map[string]int{GRPCPortName: GRPCPort}),
	}
	if s.Type == ServiceTypeLoadBalancer {
		spec.LoadBalancerSourceRanges = pulumi.ToStringArray(s.SourceRanges)
	}
	return corev1.NewService(ctx, EdgeServiceName(), &corev1.ServiceArgs{
		Metadata: a.metadata(EdgeServiceName(), l.Pod(), annotations),
		Spec:     spec,
	}, opts...)
}

// edgeEndpoint is the address other clusters dial: the configured one, the load balancer's, or
// the Service's cluster DNS name.
func edgeEndpoint(svc *corev1.Service, s EdgeService) pulumi.StringOutput {
	if s.Address != "" {
		return pulumi.String(s.Address).ToStringOutput()
	}
	if s.Type == ServiceTypeLoadBalancer {
		return svc.Status.LoadBalancer().Ingress().ApplyT(func(ingress []corev1.LoadBalancerIngress) string {
			for _, in := range ingress {
				for _, host := range []*string{in.Hostname, in.Ip} {
					if host != nil && *host != "" {
						return fmt.Sprintf("%s:%d", *host, GRPCPort)
					}
				}
			}
			return "" // not provisioned yet: the global stack refuses an empty endpoint
		}).(pulumi.StringOutput)
	}
	return pulumi.Sprintf("%s.%s.svc.cluster.local:%d", svc.Metadata.Name().Elem(), svc.Metadata.Namespace().Elem(), GRPCPort)
}
