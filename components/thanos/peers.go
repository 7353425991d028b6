package thanos

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// PeersServiceName names the headless peers Service.
const PeersServiceName = "thanos-peers"

// PeersArgs configure the peers Service.
type PeersArgs struct {
	// Namespace of the Service; it selects StoreAPI pods of this namespace only. Required.
	Namespace pulumi.StringInput
}

// Peers is the headless Service through which the querier discovers every StoreAPI: the current
// equivalent of the gossip peers (--cluster.peers) Thanos removed in v0.5. Being headless, its DNS
// SRV records list each ready StoreAPI pod, which the querier resolves through PeersSRVAddress.
type Peers struct {
	pulumi.ResourceState

	// SRVAddress is the querier's endpoint address for this Service:
	// dnssrvnoa+_grpc._tcp.<service>.<namespace>.svc.cluster.local.
	SRVAddress pulumi.StringOutput `pulumi:"srvAddress"`
}

// PeersSRVAddress is the DNS SRV endpoint address of a headless Service's "grpc" port.
//
// dnssrvnoa+, not dnssrv+: the querier takes each SRV target's name as an endpoint and dials it,
// rather than resolving the targets to addresses itself on every lookup. The cluster DNS caches
// the SRV answer and each target's address apart, so an SRV answer may still list pods that have
// left the Service while their names no longer resolve: with dnssrv+ the querier then finds none
// of them (ThanosVersion's pkg/discovery/dns/resolver.go skips a target whose name is not found)
// and drops every store gateway at once, which the cluster suite saw during a store volume change
// ("failed to lookup IP addresses ... no such host", then no store gateway for 10 s). With names,
// it keeps its connections to those pods, which serve on through StoreAPIDrain, until an SRV
// answer lists their successors.
func PeersSRVAddress(service, namespace string) string {
	return fmt.Sprintf("dnssrvnoa+_%s._tcp.%s.%s.svc.cluster.local", GRPCPortName, service, namespace)
}

// NewPeers registers the peers Service.
func NewPeers(ctx *pulumi.Context, name string, args *PeersArgs, opts ...pulumi.ResourceOption) (*Peers, error) {
	if args.Namespace == nil {
		return nil, fmt.Errorf("peers: Namespace is required")
	}
	serviceName := PeersServiceName
	p := &Peers{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:Peers", name, p, opts...); err != nil {
		return nil, err
	}
	_, err := corev1.NewService(ctx, serviceName, &corev1.ServiceArgs{
		Metadata: WorkloadArgs{Namespace: args.Namespace}.metadata(serviceName,
			map[string]string{components.LabelName: PeersServiceName, components.LabelPartOf: "thanos", components.LabelManagedBy: "pulumi"}, nil),
		Spec: corev1.ServiceSpecArgs{
			// Headless: DNS returns the pods themselves, one SRV record per StoreAPI.
			ClusterIP: pulumi.String("None"),
			Selector:  pulumi.ToStringMap(components.StoreAPISelector()),
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
				// The SRV name _grpc._tcp is derived from this port name and protocol.
				Name: pulumi.String(GRPCPortName), Port: pulumi.Int(GRPCPort),
				TargetPort: pulumi.String(GRPCPortName), Protocol: pulumi.String("TCP"),
			}},
		},
	}, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	p.SRVAddress = args.Namespace.ToStringOutput().ApplyT(func(namespace string) string {
		return PeersSRVAddress(serviceName, namespace)
	}).(pulumi.StringOutput)
	return p, ctx.RegisterResourceOutputs(p, pulumi.Map{"srvAddress": p.SRVAddress})
}
