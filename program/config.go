package program

import (
	"errors"
	"fmt"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/bucket"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
)

// Config is the validated configuration of one stack.
type Config struct {
	ClusterName string
	Namespace   string
	Region      string // aws:region

	Kubeconfig                        string
	ClusterStack                      string
	ClusterStackKubeconfigOutput      string
	ClusterStackOidcProviderArnOutput string
	ClusterStackOidcIssuerUrlOutput   string
	OIDCProviderArn                   string
	OIDCIssuerURL                     string
	SkipAwait                         bool
	// ControlPlaneMetrics and KubeProxyMetrics say which control-plane targets the cluster serves
	// metrics on (chart.ControlPlaneTargets).
	ControlPlaneMetrics, KubeProxyMetrics bool

	Bucket         bucket.ObjectStoreArgs
	ExistingBucket *ExistingBucket

	Chart chart.Source
	// ChartReleaseName is the chart's Helm release (chart.CheckReleaseName).
	ChartReleaseName string
	// ChartValues are the extra kube-prometheus-stack values of chartValues.
	ChartValues map[string]any
	// ChartSecretValues are those of chartSecretValues, each kept secret.
	ChartSecretValues map[string]any

	PrometheusReplicas  int
	PrometheusRetention string
	PrometheusStorage   string
	StorageClass        string
	PrometheusResources components.Resources
	SidecarResources    components.Resources

	Querier QuerierConfig
	// QueryFrontend is nil when there is none.
	QueryFrontend        *QueryFrontendConfig
	Store                StoreGatewayConfig
	Compactor            CompactorConfig
	PodDisruptionBudgets bool
	ThanosAlerts         bool
	ThanosDashboards     bool
	NetworkPolicies      bool
	// QueryClientNamespaces may use the query path through the NetworkPolicies.
	QueryClientNamespaces []string
	// QueryClientCIDRs are address blocks that may use it too, each as network.QueryClientCIDR
	// spells it.
	QueryClientCIDRs []string
	// APIServerCIDRs are the address blocks the API server calls the operator's admission webhook
	// from; empty: any address.
	APIServerCIDRs []string
	// NodeExporterNamespace is where the chart's node-exporter runs; empty when the chart's
	// node-exporter is off (chartValues nodeExporter.enabled: false).
	NodeExporterNamespace string
	// NodeExporterPort is the port node-exporter listens on, on the node's network.
	NodeExporterPort int
	// MonitorNamespaces are the namespaces whose monitors and rules the stack loads besides its
	// own; empty: every namespace's.
	MonitorNamespaces []string
	// ChartResources size the chart's own workloads.
	ChartResources chart.WorkloadResources
	// Edge is nil unless the stack serves its StoreAPIs to global stacks.
	Edge *EdgeConfig
	// GlobalView is nil unless the stack reads other stacks' StoreAPIs.
	GlobalView *GlobalViewConfig
}

// ParseStackConfig reads and validates the whole configuration of the stack named stack, and
// where the program creates the bucket the names its AWS resources will have (aws_names.go). It
// registers nothing: a bad value fails the program before any resource changes, with an error
// naming the key and what is allowed.
func ParseStackConfig(lookup Lookup, stack string) (Config, error) {
	r := newReader(lookup)
	c := readConfig(r)
	if c.ExistingBucket == nil {
		checkAWSNames(r, c.ClusterName, stack)
	}
	return c, errors.Join(r.errs...)
}

// ParseConfig is ParseStackConfig without the AWS names, for a caller that knows no stack name
// and creates no AWS resource (the end-to-end suite's).
func ParseConfig(lookup Lookup) (Config, error) {
	r := newReader(lookup)
	c := readConfig(r)
	return c, errors.Join(r.errs...)
}

// readConfig reads every key, section by section, leaving its errors in r.
func readConfig(r *reader) Config {
	var c Config
	readTarget(r, &c)
	readBucket(r, &c)
	readChart(r, &c)
	readPrometheus(r, &c)
	c.Querier = readQuerier(r)
	c.QueryFrontend = readQueryFrontend(r)
	c.Store = readStoreGateway(r)
	c.Compactor = readCompactor(r)
	c.Store.Settings.IgnoreDeletionMarksDelay = checkDeleteDelay(r, c.Compactor.Settings.DeleteDelay, c.Store.Settings.SyncInterval)
	c.PodDisruptionBudgets = r.boolean("podDisruptionBudgets")
	c.ThanosAlerts = r.boolean("thanosAlerts")
	c.ThanosDashboards = r.boolean("thanosDashboards")
	readNetworkPolicies(r, &c)
	c.NodeExporterNamespace = readNodeExporterNamespace(r, c.Namespace, c.ChartValues)
	c.NodeExporterPort = readNodeExporterPort(r, c.NodeExporterNamespace != "")
	c.MonitorNamespaces = readNamespaceList(r, "monitorNamespaces")
	c.Edge = readEdge(r)
	c.GlobalView = readGlobalView(r)
	checkPodDisruptionBudgets(r, c)
	c.ChartResources = readChartResources(r)
	return c
}

// checkPodDisruptionBudgets holds every replica count a budget covers to
// components.CheckPodDisruptionBudget.
func checkPodDisruptionBudgets(r *reader, c Config) {
	if !c.PodDisruptionBudgets {
		return
	}
	replicaKeys := []struct {
		key string
		n   int
	}{{"prometheusReplicas", c.PrometheusReplicas}, {"querierReplicas", c.Querier.Replicas}, {"storeReplicas", c.Store.Replicas}}
	if c.QueryFrontend != nil {
		replicaKeys = append(replicaKeys, struct {
			key string
			n   int
		}{"queryFrontendReplicas", c.QueryFrontend.Replicas})
	}
	if c.Edge != nil {
		replicaKeys = append(replicaKeys, struct {
			key string
			n   int
		}{"globalViewEdgeReplicas", c.Edge.Replicas})
	}
	for _, replicas := range replicaKeys {
		if err := components.CheckPodDisruptionBudget(replicas.n); err != nil && replicas.n >= 1 { // below 1 fails as a minimum
			r.fail(replicas.key, "is %d while podDisruptionBudgets is true: %v, or turn podDisruptionBudgets off", replicas.n, err)
		}
	}
}

// checkSecretKeys refuses a key the table marks Secret when it is set in plaintext. Pulumi.yaml
// cannot mark these optional keys `secret: true`: the CLI applies an unset key's empty default as
// plaintext and then fails validation ("must be encrypted as it's secret") for every stack that
// leaves it unset, so the program checks what the engine reports as secret instead.
func checkSecretKeys(lookup Lookup, isSecret func(key string) bool) error {
	var errs []error
	for _, k := range configKeys {
		key := ProjectName + ":" + k.Name
		if v, ok := lookup(key); k.Secret && ok && v != "" && !isSecret(key) {
			errs = append(errs, fmt.Errorf("config %s: is secret; set it with `pulumi config set --secret %s <value>`", key, k.Name))
		}
	}
	return errors.Join(errs...)
}
