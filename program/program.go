// Package program is the body of the Pulumi program: main.go runs Run, and the tests run the very
// same function under mocks and through the Automation API.
package program

import (
	"errors"
	"fmt"
	"maps"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/network"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// Output is one stack output, in the order the stack exports them.
type Output struct {
	Name  string
	Value pulumi.Output
}

// Deployed is what Deploy built, for exporting and for tests.
type Deployed struct {
	Config  Config
	Outputs []Output
}

// Run is the Pulumi program: it deploys the stack and exports its outputs, querierUrl first.
func Run(ctx *pulumi.Context) error {
	d, err := Deploy(ctx)
	if err != nil {
		return err
	}
	for _, o := range d.Outputs {
		ctx.Export(o.Name, o.Value)
	}
	return nil
}

// prometheusServiceAccount is the ServiceAccount the chart creates for the Prometheus pods; the
// sidecar's IRSA role trusts exactly this name.
const prometheusServiceAccount = "prometheus"

// Instance is the app.kubernetes.io/instance of the Thanos components.
const Instance = "thanos"

// Deploy validates the configuration, then registers every resource of the stack: the bucket and
// its IAM (AWS), then the cluster's namespaces, the chart, the Thanos monitoring, the Thanos
// workloads and their NetworkPolicies (Kubernetes).
func Deploy(ctx *pulumi.Context) (*Deployed, error) {
	cfg, err := ParseStackConfig(ctx.GetConfig, ctx.Stack())
	if err := errors.Join(err, checkSecretKeys(ctx.GetConfig, ctx.IsConfigSecret)); err != nil {
		return nil, err
	}
	// Read before any resource is registered: a bad chartPath changes nothing.
	crds, err := chartCRDs(cfg.Chart)
	if err != nil {
		return nil, err
	}
	cluster, err := resolveCluster(ctx, cfg)
	if err != nil {
		return nil, err
	}
	remote, err := resolveGlobalViewMembers(ctx, cfg)
	if err != nil {
		return nil, err
	}
	bucket, err := deployBucket(ctx, cfg, cluster)
	if err != nil {
		return nil, err
	}
	target, err := deployNamespaces(ctx, cfg, cluster)
	if err != nil {
		return nil, err
	}
	prometheus, err := deployPrometheusStack(ctx, cfg, target, bucket, crds)
	if err != nil {
		return nil, err
	}
	if cfg.ThanosAlerts || cfg.ThanosDashboards {
		if _, err := thanos.NewMonitoring(ctx, "monitoring", &thanos.MonitoringArgs{
			Namespace:      target.namespace,
			Alerts:         cfg.ThanosAlerts,
			StackAlerts:    thanos.StackAlertSettings{StoreSyncInterval: cfg.Store.Settings.SyncInterval},
			Dashboards:     cfg.ThanosDashboards,
			MonitoringCRDs: prometheus.CRDs,
		}, target.children); err != nil {
			return nil, err
		}
	}
	workloads, err := deployThanos(ctx, cfg, cluster.Kind, remote, target, bucket, prometheus)
	if err != nil {
		return nil, err
	}
	if cfg.NetworkPolicies {
		if err := deployNetworkPolicies(ctx, cfg, remote, target, bucket, prometheus); err != nil {
			return nil, err
		}
	}
	return &Deployed{Config: cfg, Outputs: stackOutputs(cfg, target, bucket, prometheus, workloads)}, nil
}

// kubernetesTarget is where the Kubernetes resources go: the provider of the cluster and the
// namespaces the program creates in it.
type kubernetesTarget struct {
	// namespace is the stack's namespace, known once it exists.
	namespace pulumi.StringOutput
	// provider registers a resource through the cluster's provider; children passes it down to a
	// component's children.
	provider, children pulumi.ResourceOption
	// namespaces are the namespaces the chart's release installs into besides its own.
	namespaces []pulumi.Resource
}

// deployNamespaces registers the cluster's provider and the namespaces.
func deployNamespaces(ctx *pulumi.Context, cfg Config, cluster ClusterAccess) (kubernetesTarget, error) {
	provider, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.Kubeconfig,
		// Server-Side Apply: the program owns exactly the fields it declares, and takes them back
		// from any other field manager (components.PatchForceAnnotation; docs/operations.md, "Drift").
		EnableServerSideApply: pulumi.Bool(true),
	})
	if err != nil {
		return kubernetesTarget{}, fmt.Errorf("kubernetes provider: %w", err)
	}
	t := kubernetesTarget{provider: pulumi.Provider(provider), children: pulumi.Providers(provider)}
	// Every pod here passes the restricted Pod Security level; node-exporter, which needs the
	// host, runs in a namespace of its own.
	ns, err := newNamespace(ctx, cfg.Namespace, components.PodSecurityLabels(components.ReleaseNamespacePodSecurity, components.ReleaseNamespacePodSecurity), t.provider)
	if err != nil {
		return kubernetesTarget{}, err
	}
	t.namespace = ns.Metadata.Name().Elem()
	if cfg.NodeExporterNamespace != "" {
		exporterNs, err := newNamespace(ctx, cfg.NodeExporterNamespace, components.PodSecurityLabels(components.NodeExporterNamespacePodSecurity, ""), t.provider)
		if err != nil {
			return kubernetesTarget{}, err
		}
		t.namespaces = append(t.namespaces, exporterNs)
	}
	return t, nil
}

// deployPrometheusStack registers the chart's release with the program's values, and the CRDs of
// the chart before it.
func deployPrometheusStack(ctx *pulumi.Context, cfg Config, target kubernetesTarget, bucket Bucket, crds []chart.CRD) (*chart.PrometheusStack, error) {
	extraValues, secretValues := cfg.ChartValues, cfg.ChartSecretValues
	if ctx.IsConfigSecret(ProjectName + ":chartValues") {
		// Set with --secret: every value in it is kept secret, as in chartSecretValues.
		extraValues, secretValues = nil, chart.MergeValues(cfg.ChartSecretValues, cfg.ChartValues)
	}
	return chart.NewPrometheusStack(ctx, "prometheus", &chart.PrometheusStackArgs{
		Namespace:        target.namespace,
		Chart:            cfg.Chart,
		ExtraValues:      extraValues,
		SecretValues:     secretValues,
		ObjstoreConfig:   bucket.ObjstoreConfig,
		SidecarRoleArn:   bucket.SidecarRoleArn,
		SkipAwait:        cfg.SkipAwait,
		ReleaseDependsOn: target.namespaces,
		CRDs:             crds,
		ReleaseName:      cfg.ChartReleaseName,
		Values: chart.PrometheusValues{
			Namespace:             cfg.Namespace,
			Replicas:              cfg.PrometheusReplicas,
			ClusterName:           cfg.ClusterName,
			Retention:             cfg.PrometheusRetention,
			StorageSize:           cfg.PrometheusStorage,
			StorageClass:          cfg.StorageClass,
			ServiceAccountName:    prometheusServiceAccount,
			PrometheusResources:   cfg.PrometheusResources,
			SidecarResources:      cfg.SidecarResources,
			Drain:                 thanos.StoreAPIDrain,
			PodDisruptionBudget:   cfg.PodDisruptionBudgets,
			ControlPlaneTargets:   chart.ControlPlaneTargets{ControlPlane: cfg.ControlPlaneMetrics, KubeProxy: cfg.KubeProxyMetrics},
			GlobalViewURL:         globalViewURL(cfg),
			NodeExporterNamespace: cfg.NodeExporterNamespace,
			NodeExporterPort:      cfg.NodeExporterPort,
			MonitorNamespaces:     cfg.MonitorNamespaces,
			ChartResources:        cfg.ChartResources,
		},
	}, target.children)
}

// thanosWorkloads are what the outputs need of the Thanos workloads.
type thanosWorkloads struct {
	peers         *thanos.Peers
	querier       *thanos.Querier
	queryFrontend *thanos.QueryFrontend // nil without one
	edge          *thanos.EdgeQuerier   // nil without one
}

// deployThanos registers the Thanos workloads: the peers Service, the querier (and its remote
// StoreAPIs: other stacks' edge queriers), the edge querier, the query-frontend, the store
// gateways and the compactor.
func deployThanos(ctx *pulumi.Context, cfg Config, kind ClusterKind, remote []thanos.RemoteStoreAPI, target kubernetesTarget, bucket Bucket, prometheus *chart.PrometheusStack) (thanosWorkloads, error) {
	var w thanosWorkloads
	workload := thanos.WorkloadArgs{
		Namespace:      target.namespace,
		Instance:       Instance,
		SkipAwait:      cfg.SkipAwait,
		MonitoringCRDs: prometheus.CRDs,
	}
	var err error
	if w.peers, err = thanos.NewPeers(ctx, "peers", &thanos.PeersArgs{Namespace: target.namespace}, target.children); err != nil {
		return w, err
	}
	var remoteStoreAPIs thanos.RemoteStoreAPIs
	if g := cfg.GlobalView; g != nil {
		remoteStoreAPIs = thanos.RemoteStoreAPIs{Endpoints: remote, ClientTLSSecret: pulumi.String(g.ClientTLSSecret), ResponseTimeout: g.ResponseTimeout}
	}
	if w.querier, err = thanos.NewQuerier(ctx, "querier", &thanos.QuerierArgs{
		WorkloadArgs:        workload,
		Replicas:            cfg.Querier.Replicas,
		PeersAddress:        w.peers.SRVAddress,
		Remote:              remoteStoreAPIs,
		QuerierSettings:     cfg.Querier.Settings,
		Resources:           cfg.Querier.Resources,
		PodDisruptionBudget: cfg.PodDisruptionBudgets,
	}, target.children); err != nil {
		return w, err
	}
	if e := cfg.Edge; e != nil {
		if w.edge, err = thanos.NewEdgeQuerier(ctx, "edge-querier", &thanos.EdgeQuerierArgs{
			WorkloadArgs:        workload,
			Replicas:            e.Replicas,
			PeersAddress:        w.peers.SRVAddress,
			TLSSecret:           pulumi.String(e.TLSSecret),
			Service:             edgeService(*e, kind),
			QuerierSettings:     cfg.Querier.Settings,
			Resources:           cfg.Querier.Resources,
			PodDisruptionBudget: cfg.PodDisruptionBudgets,
		}, target.children); err != nil {
			return w, err
		}
	}
	if f := cfg.QueryFrontend; f != nil {
		if w.queryFrontend, err = thanos.NewQueryFrontend(ctx, "query-frontend", &thanos.QueryFrontendArgs{
			WorkloadArgs:          workload,
			Replicas:              f.Replicas,
			DownstreamURL:         w.querier.URL,
			QueryFrontendSettings: f.Settings,
			Resources:             f.Resources,
			PodDisruptionBudget:   cfg.PodDisruptionBudgets,
		}, target.children); err != nil {
			return w, err
		}
	}
	// The store gateways and the compactor read the bucket through the objstore Secret the chart's
	// release holds.
	bucketWorkload := func(storageSize string, roleArn pulumi.StringInput, resources components.Resources) thanos.BucketWorkloadArgs {
		return thanos.BucketWorkloadArgs{
			ObjstoreSecret:    prometheus.ObjstoreSecretName,
			ObjstoreSecretKey: components.ObjstoreSecretKey,
			ObjstoreChecksum:  prometheus.ObjstoreChecksum,
			StorageSize:       storageSize,
			StorageClass:      cfg.StorageClass,
			RoleArn:           roleArn,
			Resources:         resources,
		}
	}
	if _, err := thanos.NewStoreGateway(ctx, "store", &thanos.StoreGatewayArgs{
		WorkloadArgs:         workload,
		BucketWorkloadArgs:   bucketWorkload(cfg.Store.StorageSize, bucket.StoreRoleArn, cfg.Store.Resources),
		Replicas:             cfg.Store.Replicas,
		StoreGatewaySettings: cfg.Store.Settings,
		PodDisruptionBudget:  cfg.PodDisruptionBudgets,
	}, target.children); err != nil {
		return w, err
	}
	_, err = thanos.NewCompactor(ctx, "compactor", &thanos.CompactorArgs{
		WorkloadArgs:       workload,
		BucketWorkloadArgs: bucketWorkload(cfg.Compactor.StorageSize, bucket.CompactorRoleArn, cfg.Compactor.Resources),
		CompactorSettings:  cfg.Compactor.Settings,
	}, target.children)
	return w, err
}

// deployNetworkPolicies registers the NetworkPolicies of the Thanos and Prometheus pods and the
// chart's own.
func deployNetworkPolicies(ctx *pulumi.Context, cfg Config, remote []thanos.RemoteStoreAPI, target kubernetesTarget, bucket Bucket, prometheus *chart.PrometheusStack) error {
	var memcachedPorts []int
	if cfg.QueryFrontend != nil {
		var err error
		if memcachedPorts, err = cfg.QueryFrontend.Settings.Cache.MemcachedPorts(); err != nil {
			return err
		}
	}
	var edgeClients []string
	if cfg.Edge != nil {
		edgeClients = cfg.Edge.ClientCIDRs
	}
	_, err := network.NewPolicies(ctx, "network-policies", &network.PoliciesArgs{
		Namespace: target.namespace,
		Inputs: network.PolicyInputs{
			Instance:               Instance,
			GrafanaPodLabels:       prometheus.ChartPods.Grafana,
			Chart:                  prometheus.ChartPods,
			APIServerCIDRs:         cfg.APIServerCIDRs,
			QueryClientNamespaces:  cfg.QueryClientNamespaces,
			QueryClientCIDRs:       cfg.QueryClientCIDRs,
			EdgeQuerierClientCIDRs: edgeClients,
			ObjectStorePorts:       bucket.ObjectStorePorts,
			QueryFrontend:          cfg.QueryFrontend != nil,
			MemcachedPorts:         memcachedPorts,
			RemoteStoreAPIPorts:    remoteStoreAPIPorts(remote),
		},
	}, target.children)
	return err
}

// stackOutputs are the stack's outputs, querierUrl first.
func stackOutputs(cfg Config, target kubernetesTarget, bucket Bucket, prometheus *chart.PrometheusStack, workloads thanosWorkloads) []Output {
	outputs := []Output{
		{"querierUrl", workloads.querier.URL},
	}
	if workloads.queryFrontend != nil {
		// The entry point for users and dashboards.
		outputs = append(outputs, Output{"queryFrontendUrl", workloads.queryFrontend.URL})
	}
	outputs = append(outputs, []Output{
		{"storeApiEndpoint", workloads.querier.StoreAPIEndpoint},
		{"peersSrvAddress", workloads.peers.SRVAddress},
		{"namespace", target.namespace},
		{"bucketName", bucket.Name},
	}...)
	if workloads.edge != nil {
		// What a global stack reads (resolveGlobalViewMembers).
		outputs = append(outputs, []Output{
			{OutputGlobalViewEndpoint, workloads.edge.Endpoint},
			{OutputGlobalViewTLSServerName, pulumi.String(cfg.Edge.ServerName).ToStringOutput()},
			{OutputExternalLabels, pulumi.ToStringMap(components.ExternalLabels(cfg.ClusterName)).ToStringMapOutput()},
		}...)
	}
	if prometheus.GrafanaAdminSecret != "" {
		// Where the Grafana admin credentials are; never the password itself.
		outputs = append(outputs, Output{"grafanaAdminSecret", pulumi.Sprintf("%s/%s", target.namespace, prometheus.GrafanaAdminSecret)})
	}
	for _, o := range []struct {
		name  string
		value pulumi.StringInput
	}{
		{"bucketArn", bucket.Arn}, {"kmsKeyArn", bucket.KMSKeyArn},
		{"sidecarRoleArn", bucket.SidecarRoleArn}, {"storeRoleArn", bucket.StoreRoleArn}, {"compactorRoleArn", bucket.CompactorRoleArn},
	} {
		if o.value != nil { // an existing bucket with static keys has no roles, and no ARN of ours
			outputs = append(outputs, Output{o.name, o.value.ToStringOutput()})
		}
	}
	return outputs
}

// globalViewURL is where the chart's Grafana queries the long-term view: the query-frontend, and
// without one the querier.
func globalViewURL(cfg Config) string {
	if cfg.QueryFrontend != nil {
		return thanos.QueryFrontendURL(cfg.Namespace)
	}
	return thanos.QuerierURL(cfg.Namespace)
}

// newNamespace creates a namespace with the program's ownership label and labels.
func newNamespace(ctx *pulumi.Context, name string, labels map[string]string, opts ...pulumi.ResourceOption) (*corev1.Namespace, error) {
	labels = maps.Clone(labels)
	labels[components.LabelManagedBy] = "pulumi"
	ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(name),
			Labels:      pulumi.ToStringMap(labels),
			Annotations: components.OwnedAnnotations(nil),
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", name, err)
	}
	return ns, nil
}
