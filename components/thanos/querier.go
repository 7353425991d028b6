package thanos

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// QuerierHTTPServicePort is the port the querier's Service exposes its Prometheus-compatible HTTP
// API on (kube-thanos's convention), so clients and Grafana use the usual Prometheus port.
const QuerierHTTPServicePort = 9090

// DefaultQuerierTimeout is the longest a query may run in the querier by default
// (--query.timeout; Thanos's own default is 2m).
const DefaultQuerierTimeout = "5m"

// QuerierSettings are the querier's tunables.
type QuerierSettings struct {
	// Timeout is the longest a query may run (--query.timeout), a Prometheus duration. Default
	// DefaultQuerierTimeout.
	Timeout string
}

// Validate checks the settings as the pinned querier parses them, naming each bad one as names
// call it.
func (s QuerierSettings) Validate(names components.SettingNames) error {
	v := components.NewSettingErrors(names)
	if s.Timeout != "" {
		v.PrometheusDuration("Timeout", s.Timeout, false)
	}
	return v.Err()
}

// QuerierArgs configure the Thanos querier.
type QuerierArgs struct {
	WorkloadArgs
	// Replicas of the querier. Default 1; the querier is stateless, 2 or more make it HA.
	Replicas int
	// PeersAddress is the DNS SRV name of the headless peers Service
	// (dnssrvnoa+_grpc._tcp.<service>.<namespace>.svc.cluster.local), Peers.SRVAddress. Required.
	PeersAddress pulumi.StringInput
	// Remote are other clusters' StoreAPIs the querier fans out to besides its peers: a global
	// view. Zero: none.
	Remote RemoteStoreAPIs
	QuerierSettings
	// Resources of the querier container.
	Resources components.Resources
	// PodDisruptionBudget guards the replicas during voluntary disruptions. Default false.
	PodDisruptionBudget bool
}

// Querier is the Thanos querier: it fans PromQL out to every StoreAPI it discovers through the
// peers Service and deduplicates the Prometheus replicas.
type Querier struct {
	pulumi.ResourceState

	// URL is the querier's in-cluster HTTP URL (Prometheus-compatible API).
	URL pulumi.StringOutput `pulumi:"url"`
	// StoreAPIEndpoint is the querier's own gRPC StoreAPI address, for federation by other queriers.
	StoreAPIEndpoint pulumi.StringOutput `pulumi:"storeApiEndpoint"`
}

// QuerierURL is the in-cluster HTTP URL of the querier's Service in namespace: what the Querier's
// URL output resolves to, known before the Service exists (the chart's Grafana datasource takes it
// as a plain value, so that the chart's values stay known in a preview).
func QuerierURL(namespace string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", QuerierLabels("").ObjectName(), namespace, QuerierHTTPServicePort)
}

// QuerierLabels is the label set of the querier.
func QuerierLabels(instance string) components.ThanosLabels {
	return components.ThanosLabels{Component: "query", Instance: instance}
}

// QuerierFlags are the flags of `thanos query`, verified against ThanosVersion: it fans out to the
// StoreAPIs of the peers Service and to the remote ones.
func QuerierFlags(peersAddress string, remote RemoteStoreAPIs, s QuerierSettings) ([]string, error) {
	if peersAddress == "" {
		return nil, fmt.Errorf("query flags: peers address is required")
	}
	if err := s.Validate(nil); err != nil {
		return nil, err
	}
	if err := remote.validate(); err != nil {
		return nil, fmt.Errorf("query flags: remote StoreAPIs: %w", err)
	}
	timeout := s.Timeout
	if timeout == "" {
		timeout = DefaultQuerierTimeout
	}
	// --endpoint.sd-config replaces the --endpoint flag v0.42 marks deprecated; the dnssrvnoa+
	// prefix makes Thanos resolve the headless Service's SRV records into one endpoint per StoreAPI
	// pod (PeersSRVAddress says why without its own address lookups).
	sdConfig, err := yaml.Marshal(EndpointSDConfig{Endpoints: append([]EndpointSDEntry{{Address: peersAddress}}, remote.endpoints()...)})
	if err != nil {
		return nil, err
	}
	flags := append(logFlags(), listenFlags()...)
	flags = append(flags, remote.flags()...)
	return append(flags,
		flag("endpoint.sd-config", string(sdConfig)),
		flag("store.sd-dns-interval", model.Duration(QuerierDNSInterval)),
		flag("query.replica-label", components.PrometheusReplicaLabel),
		// Long ranges are served from downsampled blocks when the step allows it.
		"--query.auto-downsampling",
		flag("query.timeout", timeout),
		// Partial responses: Thanos's default, made explicit as a decision (docs/operations.md,
		// "Partial responses"). A StoreAPI that fails a request (a store gateway over its per-request
		// limits or unable to read a block's object, a Prometheus replica going away mid-query)
		// makes the querier answer from the others, with the failure as a warning in the response:
		// Grafana shows it on the panel, and the query-frontend does not cache the answer. Without
		// them any one failing StoreAPI fails the query although every series has a replica, and
		// the HA pairs of Prometheus and store gateways become two ways to fail. A client that
		// wants all or nothing asks partial_response=false. What no flag makes visible: a StoreAPI
		// the querier no longer lists (it stopped answering its health checks) and blocks a store
		// gateway did not load leave data out without an error or a warning; alerts cover them.
		"--query.partial-response",
	), nil
}

// QuerierDNSInterval is how often the querier resolves the peers Service's SRV records again
// (--store.sd-dns-interval; Thanos's default is 30s). A third of that finds a StoreAPI pod that
// replaced another (a new IP) sooner, and shortens StoreAPIDrain by as much, for one SRV lookup
// per querier every 10 seconds instead of 30.
const QuerierDNSInterval = 10 * time.Second

// querierEndpointCheckPeriod is how often the querier's endpoint set asks every resolved address
// for its Info, adding the ones that answer and dropping the others: every --endpoint.info-timeout,
// a hidden flag of 5s by default (ThanosVersion's cmd/thanos/endpointset.go repeats
// EndpointSet.Update at that period).
const querierEndpointCheckPeriod = 5 * time.Second

// StoreAPIDrain is how long a deleted StoreAPI pod (a store gateway; a Prometheus replica with its
// sidecar) keeps serving: until every querier has resolved the peers Service without it and with
// its successor (a new pod's IP, or a replacing StatefulSet's pods) and checked the successor's
// Info. The querier's records may be as old as the cluster DNS's cache (clusterDNSCacheTTL) when it
// resolves them, up to QuerierDNSInterval after they changed, and it adds a new address at its
// next endpoint check, whose Info call may take a check period of its own. Without the drain a
// roll of two replicas can leave a querier with neither: a StatefulSet deletes its next pod as
// soon as the one it replaced is Ready, before the queriers know that one's new address; so can
// a replaced StatefulSet (a new store volume size), whose old pods go once the new ones are Ready.
const StoreAPIDrain = QuerierDNSInterval + clusterDNSCacheTTL + 2*querierEndpointCheckPeriod

// clusterDNSCacheTTL is how long the cluster's DNS may answer with records that no longer hold:
// kubeadm's CoreDNS serves the kubernetes plugin's records with `ttl 30` under `cache 30`.
const clusterDNSCacheTTL = 30 * time.Second

// EndpointSDConfig is the YAML Thanos's --endpoint.sd-config takes.
type EndpointSDConfig struct {
	Endpoints []EndpointSDEntry `yaml:"endpoints"`
}

// EndpointSDEntry is one endpoint (or DNS name resolving to many) in an EndpointSDConfig, with the
// fields of ThanosVersion's cmd/thanos/endpointset.go (endpointSettings) the program sets.
type EndpointSDEntry struct {
	Address string `yaml:"address"`
	// Strict keeps the endpoint in the querier's set while it fails its health checks.
	Strict bool `yaml:"strict,omitempty"`
	// ClientConfig is how the querier dials it; nil: plain gRPC, as every endpoint without a
	// default_client_config.
	ClientConfig *EndpointClientConfig `yaml:"client_config,omitempty"`
}

// EndpointClientConfig is an endpoint's client_config (clientConfig in endpointset.go).
type EndpointClientConfig struct {
	TLSConfig  EndpointTLSConfig `yaml:"tls_config"`
	ServerName string            `yaml:"server_name"`
}

// EndpointTLSConfig is a client_config's tls_config (tlsConfig in endpointset.go).
type EndpointTLSConfig struct {
	Enabled  bool   `yaml:"enabled"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
}

// NewQuerier registers the querier: ServiceAccount, Deployment, Service, ServiceMonitor and,
// when asked, a PodDisruptionBudget.
func NewQuerier(ctx *pulumi.Context, name string, args *QuerierArgs, opts ...pulumi.ResourceOption) (*Querier, error) {
	if err := args.validate("querier"); err != nil {
		return nil, err
	}
	if args.Replicas < 1 {
		return nil, fmt.Errorf("querier: Replicas must be at least 1, got %d", args.Replicas)
	}
	if args.PeersAddress == nil {
		return nil, fmt.Errorf("querier: PeersAddress is required")
	}
	if _, err := QuerierFlags("validate", args.Remote, args.QuerierSettings); err != nil {
		return nil, fmt.Errorf("querier: %w", err)
	}
	container := thanosContainer{Resources: args.Resources, ServesGRPC: true}
	if len(args.Remote.Endpoints) > 0 {
		if args.Remote.ClientTLSSecret == nil {
			return nil, fmt.Errorf("querier: Remote.ClientTLSSecret is required with remote StoreAPIs")
		}
		container.TLS = tlsMount{Secret: args.Remote.ClientTLSSecret, Path: clientTLSMountPath}
	}
	container.Args = args.PeersAddress.ToStringOutput().ApplyT(func(peers string) ([]string, error) {
		flags, err := QuerierFlags(peers, args.Remote, args.QuerierSettings)
		return append([]string{"query"}, flags...), err
	}).(pulumi.StringArrayOutput)
	q := &Querier{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:Querier", name, q, opts...); err != nil {
		return nil, err
	}
	svc, err := newStatelessDeployment(ctx, args.WorkloadArgs, statelessDeployment{
		labels:              QuerierLabels(args.Instance),
		replicas:            args.Replicas,
		servicePorts:        map[string]int{GRPCPortName: GRPCPort, HTTPPortName: QuerierHTTPServicePort},
		container:           container,
		podDisruptionBudget: args.PodDisruptionBudget,
	}, pulumi.Parent(q))
	if err != nil {
		return nil, fmt.Errorf("querier: %w", err)
	}

	host := pulumi.Sprintf("%s.%s.svc.cluster.local", svc.Metadata.Name().Elem(), svc.Metadata.Namespace().Elem())
	q.URL = pulumi.Sprintf("http://%s:%d", host, QuerierHTTPServicePort)
	q.StoreAPIEndpoint = pulumi.Sprintf("%s:%d", host, GRPCPort)
	return q, ctx.RegisterResourceOutputs(q, pulumi.Map{"url": q.URL, "storeApiEndpoint": q.StoreAPIEndpoint})
}
