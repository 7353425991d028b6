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
)

// Output is one stack output, in the order the stack exports them.
type Output struct {
	Name  string
	Value pulumi.Output
}

// Deployment is what Deploy built, for exporting and for tests.
type Deployment struct {
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

// Deploy validates the configuration, then registers every resource of the stack.
func Deploy(ctx *pulumi.Context) (*Deployment, error) {
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
	bucket, err := deployBucket(ctx, cfg, cluster)
	if err != nil {
		return nil, err
	}

	provider, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.Kubeconfig,
		// Server-Side Apply: the program owns exactly the fields it declares, and takes them back
		// from any other field manager (components.PatchForceAnnotation; docs/operations.md, "Drift").
		EnableServerSideApply: pulumi.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	k8s := pulumi.Provider(provider)
	// Every pod here passes the restricted Pod Security level; node-exporter, which needs the
	// host, runs in a namespace of its own.
	ns, err := newNamespace(ctx, cfg.Namespace, components.PodSecurityLabels(components.ReleaseNamespacePodSecurity, components.ReleaseNamespacePodSecurity), k8s)
	if err != nil {
		return nil, err
	}
	namespace := ns.Metadata.Name().Elem()
	k8sChildren := pulumi.Providers(provider)
	var releaseDependsOn []pulumi.Resource
	if cfg.NodeExporterNamespace != "" {
		exporterNs, err := newNamespace(ctx, cfg.NodeExporterNamespace, components.PodSecurityLabels(components.NodeExporterNamespacePodSecurity, ""), k8s)
		if err != nil {
			return nil, err
		}
		releaseDependsOn = append(releaseDependsOn, exporterNs)
	}

	extraValues, secretValues := cfg.ChartValues, cfg.ChartSecretValues
	if ctx.IsConfigSecret(ProjectName + ":chartValues") {
		// Set with --secret: every value in it is kept secret, as in chartSecretValues.
		extraValues, secretValues = nil, components.MergeValues(cfg.ChartSecretValues, cfg.ChartValues)
	}
	prometheus, err := components.NewPrometheusStack(ctx, "prometheus", &components.PrometheusStackArgs{
		Namespace:        namespace,
		Chart:            cfg.Chart,
		ExtraValues:      extraValues,
		SecretValues:     secretValues,
		ObjstoreConfig:   bucket.ObjstoreConfig,
		SidecarRoleArn:   bucket.SidecarRoleArn,
		SkipAwait:        cfg.SkipAwait,
		ReleaseDependsOn: releaseDependsOn,
		CRDs:             crds,
		Values: components.PrometheusValues{
			Replicas:              cfg.PrometheusReplicas,
			ClusterName:           cfg.ClusterName,
			Retention:             cfg.PrometheusRetention,
			StorageSize:           cfg.PrometheusStorage,
			StorageClass:          cfg.StorageClass,
			ServiceAccountName:    prometheusServiceAccount,
			PrometheusResources:   cfg.PrometheusResources,
			SidecarResources:      cfg.SidecarResources,
			PodDisruptionBudget:   cfg.PodDisruptionBudgets,
			ControlPlaneTargets:   components.ControlPlaneTargets{ControlPlane: cfg.ControlPlaneMetrics, KubeProxy: cfg.KubeProxyMetrics},
			GlobalViewURL:         globalViewURL(cfg),
			NodeExporterNamespace: cfg.NodeExporterNamespace,
			ChartResources:        cfg.ChartResources,
		},
	}, k8sChildren)
	if err != nil {
		return nil, err
	}

	if cfg.ThanosAlerts || cfg.ThanosDashboards {
		if _, err := components.NewThanosMonitoring(ctx, "monitoring", &components.ThanosMonitoringArgs{
			Namespace:      namespace,
			Alerts:         cfg.ThanosAlerts,
			StackAlerts:    components.StackAlertSettings{StoreSyncInterval: cfg.StoreSyncInterval},
			Dashboards:     cfg.ThanosDashboards,
			MonitoringCRDs: prometheus.CRDs,
		}, k8sChildren); err != nil {
			return nil, err
		}
	}

	workload := components.ThanosWorkloadArgs{
		Namespace:      namespace,
		Instance:       Instance,
		SkipAwait:      cfg.SkipAwait,
		MonitoringCRDs: prometheus.CRDs,
	}
	peers, err := components.NewPeers(ctx, "peers", &components.PeersArgs{Namespace: namespace}, k8sChildren)
	if err != nil {
		return nil, err
	}
	querier, err := components.NewQuerier(ctx, "querier", &components.QuerierArgs{
		ThanosWorkloadArgs:  workload,
		Replicas:            cfg.QuerierReplicas,
		Timeout:             cfg.QuerierTimeout,
		PeersAddress:        peers.SRVAddress,
		Resources:           cfg.QuerierResources,
		PodDisruptionBudget: cfg.PodDisruptionBudgets,
	}, k8sChildren)
	if err != nil {
		return nil, err
	}
	var queryFrontend *components.QueryFrontend
	if f := cfg.QueryFrontend; f != nil {
		if queryFrontend, err = components.NewQueryFrontend(ctx, "query-frontend", &components.QueryFrontendArgs{
			ThanosWorkloadArgs:    workload,
			Replicas:              f.Replicas,
			DownstreamURL:         querier.URL,
			QueryFrontendSettings: f.Settings,
			Resources:             f.Resources,
			PodDisruptionBudget:   cfg.PodDisruptionBudgets,
		}, k8sChildren); err != nil {
			return nil, err
		}
	}
	// The store gateway stops serving a block the compactor marked for deletion halfway through
	// the delete delay, so that it has loaded the block's replacement before the block is gone.
	ignoreDeletionMarksDelay, err := components.IgnoreDeletionMarksDelay(cfg.CompactorDeleteDelay)
	if err != nil {
		return nil, err
	}
	if _, err := components.NewStoreGateway(ctx, "store", &components.StoreGatewayArgs{
		ThanosWorkloadArgs: workload,
		BucketWorkloadArgs: components.BucketWorkloadArgs{
			ObjstoreSecret:    prometheus.ObjstoreSecretName,
			ObjstoreSecretKey: components.ObjstoreSecretKey,
			ObjstoreChecksum:  prometheus.ObjstoreChecksum,
			StorageSize:       cfg.StoreStorageSize,
			StorageClass:      cfg.StorageClass,
			RoleArn:           bucket.StoreRoleArn,
			Resources:         cfg.StoreResources,
		},
		Replicas: cfg.StoreReplicas,
		StoreSettings: components.StoreSettings{
			IndexCacheSize:           cfg.StoreIndexCacheSize,
			SyncInterval:             cfg.StoreSyncInterval,
			MaxConcurrentRequests:    cfg.StoreMaxConcurrentRequests,
			Limits:                   cfg.StoreRequestLimits,
			IgnoreDeletionMarksDelay: ignoreDeletionMarksDelay,
		},
		PodDisruptionBudget: cfg.PodDisruptionBudgets,
	}, k8sChildren); err != nil {
		return nil, err
	}
	if _, err := components.NewCompactor(ctx, "compactor", &components.CompactorArgs{
		ThanosWorkloadArgs: workload,
		BucketWorkloadArgs: components.BucketWorkloadArgs{
			ObjstoreSecret:    prometheus.ObjstoreSecretName,
			ObjstoreSecretKey: components.ObjstoreSecretKey,
			ObjstoreChecksum:  prometheus.ObjstoreChecksum,
			StorageSize:       cfg.CompactorStorageSize,
			StorageClass:      cfg.StorageClass,
			RoleArn:           bucket.CompactorRoleArn,
			Resources:         cfg.CompactorResources,
		},
		CompactSettings: components.CompactSettings{
			Retention:   cfg.CompactorRetention,
			DeleteDelay: cfg.CompactorDeleteDelay,
			Deduplicate: cfg.CompactorDeduplicate,
		},
	}, k8sChildren); err != nil {
		return nil, err
	}

	if cfg.NetworkPolicies {
		var memcachedPorts []int
		if cfg.QueryFrontend != nil {
			if memcachedPorts, err = cfg.QueryFrontend.Settings.Cache.MemcachedPorts(); err != nil {
				return nil, err
			}
		}
		if _, err := components.NewNetworkPolicies(ctx, "network-policies", &components.NetworkPoliciesArgs{
			Namespace: namespace,
			Peers: components.NetworkPolicyPeers{
				Instance:              Instance,
				GrafanaPodLabels:      prometheus.ChartPods.Grafana,
				Chart:                 prometheus.ChartPods,
				APIServerCIDRs:        cfg.APIServerCIDRs,
				QueryClientNamespaces: cfg.QueryClientNamespaces,
				QueryClientCIDRs:      cfg.QueryClientCIDRs,
				ObjectStorePorts:      bucket.ObjectStorePorts,
				QueryFrontend:         cfg.QueryFrontend != nil,
				MemcachedPorts:        memcachedPorts,
			},
		}, k8sChildren); err != nil {
			return nil, err
		}
	}

	outputs := []Output{
		{"querierUrl", querier.URL},
	}
	if queryFrontend != nil {
		// The entry point for users and dashboards.
		outputs = append(outputs, Output{"queryFrontendUrl", queryFrontend.URL})
	}
	outputs = append(outputs, []Output{
		{"storeApiEndpoint", querier.StoreAPIEndpoint},
		{"peersSrvAddress", peers.SRVAddress},
		{"namespace", namespace},
		{"bucketName", bucket.Name},
	}...)
	if prometheus.GrafanaAdminSecret != "" {
		// Where the Grafana admin credentials are; never the password itself.
		outputs = append(outputs, Output{"grafanaAdminSecret", pulumi.Sprintf("%s/%s", namespace, prometheus.GrafanaAdminSecret)})
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
	return &Deployment{Config: cfg, Outputs: outputs}, nil
}

// globalViewURL is where the chart's Grafana queries the long-term view: the query-frontend, and
// without one the querier.
func globalViewURL(cfg Config) string {
	if cfg.QueryFrontend != nil {
		return components.QueryFrontendURL(cfg.Namespace)
	}
	return components.QuerierURL(cfg.Namespace)
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
