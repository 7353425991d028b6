package program

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prometheus-thanos/prometheus-thanos/components"
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
	// metrics on (components.ControlPlaneTargets).
	ControlPlaneMetrics, KubeProxyMetrics bool

	Bucket         components.ObjectStoreArgs
	ExistingBucket *ExistingBucket

	Chart components.ChartSource
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

	QuerierReplicas int
	QuerierTimeout  string
	// QueryFrontend is nil when there is none.
	QueryFrontend       *QueryFrontendConfig
	StoreReplicas       int
	StoreIndexCacheSize string
	StoreSyncInterval   string
	// StoreMaxConcurrentRequests is how many Series requests a store gateway serves at once.
	StoreMaxConcurrentRequests int
	// StoreRequestLimits are the configured limits, or those derived from the memory limit.
	StoreRequestLimits   components.StoreRequestLimits
	StoreStorageSize     string
	CompactorStorageSize string
	CompactorRetention   components.CompactorRetention
	CompactorDeleteDelay string
	CompactorDeduplicate bool
	PodDisruptionBudgets bool
	ThanosAlerts         bool
	ThanosDashboards     bool
	NetworkPolicies      bool
	// QueryClientNamespaces may use the query path through the NetworkPolicies.
	QueryClientNamespaces []string
	// QueryClientCIDRs are address blocks that may use it too, each as components.QueryClientCIDR
	// spells it.
	QueryClientCIDRs []string
	// APIServerCIDRs are the address blocks the API server calls the operator's admission webhook
	// from; empty: any address.
	APIServerCIDRs []string
	// NodeExporterNamespace is where the chart's node-exporter runs; empty when the chart's
	// node-exporter is off (chartValues nodeExporter.enabled: false).
	NodeExporterNamespace string
	QuerierResources      components.Resources
	StoreResources        components.Resources
	CompactorResources    components.Resources
	// ChartResources size the chart's own workloads.
	ChartResources components.ChartResources
}

// QueryFrontendConfig is the query-frontend's configuration.
type QueryFrontendConfig struct {
	Replicas  int
	Settings  components.QueryFrontendSettings
	Resources components.Resources
}

// ExistingBucket is a bucket the program uses but does not own: AWS or any S3-compatible store.
type ExistingBucket struct {
	Name, Endpoint, Region, KMSKeyID string
	Insecure                         bool
	AccessKey, SecretKey             string
	// Role ARNs for IRSA, when there are no static keys.
	SidecarRoleArn, StoreRoleArn, CompactorRoleArn string
}

// StaticCredentials reports whether the bucket is reached with static keys rather than IRSA.
func (e *ExistingBucket) StaticCredentials() bool { return e.AccessKey != "" }

// Lookup returns the raw value of a fully qualified config key ("project:key", "aws:region").
type Lookup func(key string) (string, bool)

// minimumPrometheusRetention: the sidecar ships 2h blocks; local retention must cover several of
// them so a short bucket outage loses nothing.
const minimumPrometheusRetention = 6 * time.Hour

var (
	clusterNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
	dns1123Label       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// S3 bucket naming rules: 3-63 characters, lowercase letters, digits, '.' and '-', starting
	// and ending with a letter or digit.
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipAddressPattern  = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	// dnsName is a host name of letters, digits and inner hyphens per label.
	dnsName = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// reader reads typed config values, applying the table's defaults and collecting every error, so
// one run reports all bad keys at once.
type reader struct {
	lookup Lookup
	keys   map[string]configKey
	errs   []error
}

func (r *reader) fail(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("config %s:%s: %s", ProjectName, key, fmt.Sprintf(format, args...)))
}

func (r *reader) raw(key string) string {
	k, ok := r.keys[key]
	if !ok {
		panic("undeclared config key " + key) // a programming error, caught by every test run
	}
	if v, ok := r.lookup(ProjectName + ":" + key); ok {
		return strings.TrimSpace(v)
	}
	return k.Default
}

func (r *reader) str(key string) string { return r.raw(key) }

func (r *reader) integer(key string, min int) int {
	v := r.raw(key)
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, "%q is not a whole number", v)
		return 0
	}
	if n < min {
		r.fail(key, "%d is below the minimum of %d", n, min)
	}
	return n
}

// optionalCount reads a whole number of at least 0, or def where the key is unset.
func (r *reader) optionalCount(key string, def uint64) uint64 {
	v := r.raw(key)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		r.fail(key, "%q is not a whole number of at least 0 (0: no limit)", v)
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v := r.raw(key)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, "%q is not true or false", v)
	}
	return b
}

// duration reads a Prometheus duration ("30d", "2y"; "0d" where allowZero), the format Prometheus
// and Thanos parse these values with.
func (r *reader) duration(key string, allowZero bool) string {
	v := r.raw(key)
	d, err := model.ParseDuration(v)
	if err != nil {
		r.fail(key, "%q is not a duration; use a number with a unit of y, w, d, h, m or s, such as 30d", v)
		return v
	}
	if d == 0 && !allowZero {
		r.fail(key, "must be more than 0")
	}
	return v
}

// goDuration reads a positive Go duration (time.ParseDuration: no d, w or y units), as
// components.QueryFrontendSettings.Validate holds the query-frontend's durations.
func (r *reader) goDuration(key string) string {
	v := r.raw(key)
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		r.fail(key, "%q is not a positive Go duration such as 24h, 30m or 10s (no d or w units)", v)
	}
	return v
}

func (r *reader) quantity(key string, required bool) string {
	v := r.raw(key)
	if v == "" {
		if required {
			r.fail(key, "is required (a Kubernetes quantity such as 10Gi)")
		}
		return v
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		r.fail(key, "%q is not a positive Kubernetes quantity such as 500m, 512Mi or 10Gi", v)
	}
	return v
}

func (r *reader) resources(prefix string) components.Resources {
	res := components.Resources{
		CPURequest:    r.quantity(prefix+"CpuRequest", false),
		MemoryRequest: r.quantity(prefix+"MemoryRequest", false),
		CPULimit:      r.quantity(prefix+"CpuLimit", false),
		MemoryLimit:   r.quantity(prefix+"MemoryLimit", false),
	}
	r.requestWithinLimit(prefix+"CpuRequest", res.CPURequest, prefix+"CpuLimit", res.CPULimit)
	r.requestWithinLimit(prefix+"MemoryRequest", res.MemoryRequest, prefix+"MemoryLimit", res.MemoryLimit)
	return res
}

// resourcesWithStorage are the resources of a container with ephemeral-storage keys: those of
// resources, and its ephemeral storage.
func (r *reader) resourcesWithStorage(prefix string) components.Resources {
	res := r.resources(prefix)
	res.EphemeralStorageRequest = r.quantity(prefix+"EphemeralStorageRequest", false)
	res.EphemeralStorageLimit = r.quantity(prefix+"EphemeralStorageLimit", false)
	r.requestWithinLimit(prefix+"EphemeralStorageRequest", res.EphemeralStorageRequest, prefix+"EphemeralStorageLimit", res.EphemeralStorageLimit)
	return res
}

// requestWithinLimit fails a request above its limit, which the API server would refuse only once
// the update has begun.
func (r *reader) requestWithinLimit(requestKey, request, limitKey, limit string) {
	if request == "" || limit == "" {
		return
	}
	req, errReq := resource.ParseQuantity(request)
	lim, errLim := resource.ParseQuantity(limit)
	if errReq == nil && errLim == nil && req.Cmp(lim) > 0 {
		r.fail(requestKey, "%q is above %s %q; a request must not exceed its limit", request, limitKey, limit)
	}
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

func newReader(lookup Lookup) *reader {
	r := &reader{lookup: lookup, keys: map[string]configKey{}}
	for _, k := range configKeys {
		r.keys[k.Name] = k
	}
	return r
}

// readConfig reads every key, leaving its errors in r.
func readConfig(r *reader) Config {
	lookup := r.lookup
	var c Config

	c.ClusterName = r.str("clusterName")
	switch {
	case c.ClusterName == "":
		r.fail("clusterName", "is required: the name of the Kubernetes cluster")
	case !clusterNamePattern.MatchString(c.ClusterName):
		r.fail("clusterName", "%q must be 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit", c.ClusterName)
	}
	c.Namespace = r.str("namespace")
	if !dns1123Label.MatchString(c.Namespace) {
		r.fail("namespace", "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63)", c.Namespace)
	}
	c.Region, _ = lookup("aws:region")

	c.Kubeconfig = r.str("kubeconfig")
	c.ClusterStack = r.str("clusterStack")
	c.ClusterStackKubeconfigOutput = r.str("clusterStackKubeconfigOutput")
	c.ClusterStackOidcProviderArnOutput = r.str("clusterStackOidcProviderArnOutput")
	c.ClusterStackOidcIssuerUrlOutput = r.str("clusterStackOidcIssuerUrlOutput")
	c.OIDCProviderArn = r.str("oidcProviderArn")
	c.OIDCIssuerURL = r.str("oidcIssuerUrl")
	c.SkipAwait = r.boolean("kubernetesSkipAwait")
	switch {
	case c.Kubeconfig == "" && c.ClusterStack == "":
		r.fail("kubeconfig", "no cluster: set kubeconfig (as a secret) or clusterStack")
	case c.Kubeconfig != "" && c.ClusterStack != "":
		r.fail("kubeconfig", "set either kubeconfig or clusterStack, not both")
	}
	if c.ClusterStack != "" && len(strings.Split(c.ClusterStack, "/")) != 3 {
		r.fail("clusterStack", "%q must be a fully qualified stack name, org/project/stack", c.ClusterStack)
	}
	if c.OIDCProviderArn != "" && !strings.HasPrefix(c.OIDCProviderArn, "arn:") {
		r.fail("oidcProviderArn", "%q is not an ARN (arn:aws:iam::<account>:oidc-provider/...)", c.OIDCProviderArn)
	}
	if issuer, err := OIDCIssuerURL(c.OIDCIssuerURL); err != nil {
		r.fail("oidcIssuerUrl", "%v", err)
	} else {
		c.OIDCIssuerURL = issuer
	}
	c.ControlPlaneMetrics = r.boolean("controlPlaneMetrics")
	c.KubeProxyMetrics = r.boolean("kubeProxyMetrics")
	// Where config names the OIDC provider; resolveCluster checks the cluster stack's again.
	if err := checkControlPlaneMetrics(clusterKindOf(c.OIDCProviderArn, c.OIDCIssuerURL), c.ControlPlaneMetrics); err != nil {
		r.errs = append(r.errs, err)
	}

	c.Bucket = components.ObjectStoreArgs{
		BucketName:                      r.str("bucketName"),
		Versioning:                      r.boolean("bucketVersioning"),
		NoncurrentVersionExpirationDays: r.integer("bucketNoncurrentVersionExpirationDays", 1),
		AbortIncompleteUploadDays:       r.integer("bucketAbortIncompleteUploadDays", 1),
		ForceDestroy:                    r.boolean("bucketForceDestroy"),
		Protect:                         r.boolean("protectData"),
		KeyDeletionWindowDays:           r.integer("kmsKeyDeletionWindowDays", 7),
	}
	if name := c.Bucket.BucketName; name != "" {
		checkBucketName(r, "bucketName", name)
	}
	if c.Bucket.KeyDeletionWindowDays > 30 {
		r.fail("kmsKeyDeletionWindowDays", "%d is above KMS's maximum of 30", c.Bucket.KeyDeletionWindowDays)
	}
	if c.Bucket.ForceDestroy && c.Bucket.Protect {
		r.fail("bucketForceDestroy", "cannot be true while protectData is true: a protected bucket is never destroyed")
	}
	c.ExistingBucket = readExistingBucket(r, c.Region)
	// IRSA roles need the OIDC provider; without a cluster stack to read it from, config must give it.
	if c.ExistingBucket == nil && c.ClusterStack == "" {
		if c.OIDCProviderArn == "" {
			r.fail("oidcProviderArn", "is required to create the IRSA roles (or set clusterStack to a stack exporting it)")
		}
		if c.OIDCIssuerURL == "" {
			r.fail("oidcIssuerUrl", "is required to create the IRSA roles (or set clusterStack to a stack exporting it)")
		}
	}
	if c.ExistingBucket == nil && c.Region == "" {
		r.errs = append(r.errs, errors.New("config aws:region: is required to create the bucket (pulumi config set aws:region <region>)"))
	} else if c.Region != "" && !regionPattern.MatchString(c.Region) {
		r.errs = append(r.errs, fmt.Errorf("config aws:region: %q is not an AWS region such as eu-west-1", c.Region))
	}

	c.Chart = components.ChartSource{
		Repository: r.str("chartRepository"),
		Name:       r.str("chartName"),
		Version:    r.str("chartVersion"),
		Path:       r.str("chartPath"),
	}
	if c.Chart.Path == "" && !strings.HasPrefix(c.Chart.Repository, "https://") && !strings.HasPrefix(c.Chart.Repository, "oci://") {
		r.fail("chartRepository", "%q must be an https:// or oci:// URL (or set chartPath)", c.Chart.Repository)
	}
	// The program applies the CRDs of the chart it deploys (components/chart_crds.go) and keeps the
	// package of the pinned chart only; another chart comes with its package.
	if c.Chart.Path == "" && c.Chart.Version != components.ChartVersion {
		r.fail("chartVersion", "%q: from a repository only the pinned %s, whose CRDs the program applies (it keeps that package, %s); for another version set chartPath to its package", c.Chart.Version, components.ChartVersion, components.ChartPackage())
	}
	if c.Chart.Path == "" && c.Chart.Name != components.ChartName {
		r.fail("chartName", "%q: from a repository only %s, whose CRDs the program applies; for another chart set chartPath to its package", c.Chart.Name, components.ChartName)
	}
	c.ChartValues = readChartValues(r, "chartValues")
	c.ChartSecretValues = readChartValues(r, "chartSecretValues")
	if both := components.CommonLeaves(c.ChartValues, c.ChartSecretValues); len(both) > 0 {
		r.fail("chartSecretValues", "sets %s, which chartValues sets too; set each value in one of them", strings.Join(both, ", "))
	}

	c.PrometheusReplicas = r.integer("prometheusReplicas", 1)
	c.PrometheusRetention = r.duration("prometheusRetention", false)
	if d, err := model.ParseDuration(c.PrometheusRetention); err == nil && time.Duration(d) < minimumPrometheusRetention {
		r.fail("prometheusRetention", "%q is shorter than 6h; the sidecar ships 2h blocks and local retention must outlast a bucket outage", c.PrometheusRetention)
	}
	c.PrometheusStorage = r.quantity("prometheusStorageSize", true)
	c.StorageClass = r.str("storageClass")
	c.PrometheusResources = r.resourcesWithStorage("prometheus")
	c.SidecarResources = r.resourcesWithStorage("sidecar")

	c.QuerierReplicas = r.integer("querierReplicas", 1)
	c.QuerierTimeout = r.duration("querierTimeout", false)
	c.QueryFrontend = readQueryFrontend(r)
	c.StoreReplicas = r.integer("storeReplicas", 1)
	c.StoreIndexCacheSize = r.str("storeIndexCacheSize")
	if size, err := units.ParseBase2Bytes(c.StoreIndexCacheSize); err != nil || size <= 0 {
		r.fail("storeIndexCacheSize", "%q is not a byte size such as 250MB or 1GB", c.StoreIndexCacheSize)
	} else if size < components.StoreIndexCacheMinBytes {
		r.fail("storeIndexCacheSize", "%q is below 125MB: the store gateway refuses an index cache smaller than its largest item (125MiB)", c.StoreIndexCacheSize)
	}
	c.StoreSyncInterval = r.duration("storeSyncInterval", false)
	c.StoreMaxConcurrentRequests = r.integer("storeMaxConcurrentRequests", 1)
	c.StoreStorageSize = r.quantity("storeStorageSize", true)
	c.CompactorStorageSize = r.quantity("compactorStorageSize", true)
	c.CompactorRetention = components.CompactorRetention{
		Raw:         r.duration("compactorRetentionRaw", true),
		FiveMinutes: r.duration("compactorRetention5m", true),
		OneHour:     r.duration("compactorRetention1h", true),
	}
	checkRetentionOrder(r, c.CompactorRetention)
	checkDownsamplingRetention(r, c.CompactorRetention)
	c.CompactorDeleteDelay = r.duration("compactorDeleteDelay", true)
	checkDeleteDelay(r, c.CompactorDeleteDelay, c.StoreSyncInterval)
	c.CompactorDeduplicate = r.boolean("compactorDeduplication")
	c.PodDisruptionBudgets = r.boolean("podDisruptionBudgets")
	c.ThanosAlerts = r.boolean("thanosAlerts")
	c.ThanosDashboards = r.boolean("thanosDashboards")
	c.NetworkPolicies = r.boolean("networkPolicies")
	c.QueryClientNamespaces = readNamespaceList(r, "queryClientNamespaces")
	if len(c.QueryClientNamespaces) > 0 && !c.NetworkPolicies {
		r.fail("queryClientNamespaces", "only applies with networkPolicies true; turn networkPolicies on or remove this key")
	}
	c.QueryClientCIDRs = readCIDRList(r, "queryClientCidrs", components.QueryClientCIDR)
	if len(c.QueryClientCIDRs) > 0 && !c.NetworkPolicies {
		r.fail("queryClientCidrs", "only applies with networkPolicies true; turn networkPolicies on or remove this key")
	}
	c.APIServerCIDRs = readCIDRList(r, "apiServerCidrs", components.APIServerCIDR)
	if len(c.APIServerCIDRs) > 0 && !c.NetworkPolicies {
		r.fail("apiServerCidrs", "only applies with networkPolicies true; turn networkPolicies on or remove this key")
	}
	c.NodeExporterNamespace = readNodeExporterNamespace(r, c.Namespace, c.ChartValues)
	if c.PodDisruptionBudgets {
		replicaKeys := []struct {
			key string
			n   int
		}{{"prometheusReplicas", c.PrometheusReplicas}, {"querierReplicas", c.QuerierReplicas}, {"storeReplicas", c.StoreReplicas}}
		if c.QueryFrontend != nil {
			replicaKeys = append(replicaKeys, struct {
				key string
				n   int
			}{"queryFrontendReplicas", c.QueryFrontend.Replicas})
		}
		for _, replicas := range replicaKeys {
			if replicas.n == 1 {
				r.fail(replicas.key, "is 1 while podDisruptionBudgets is true; a budget over one replica blocks every node drain (use 2 or more, or turn podDisruptionBudgets off)")
			}
		}
	}
	c.QuerierResources = r.resourcesWithStorage("querier")
	c.StoreResources = r.resourcesWithStorage("store")
	c.StoreRequestLimits = readStoreRequestLimits(r, c.StoreResources.MemoryLimit, c.StoreIndexCacheSize, c.StoreMaxConcurrentRequests)
	c.CompactorResources = r.resourcesWithStorage("compactor")
	c.ChartResources = readChartResources(r)

	return c
}

// readChartValues reads a YAML mapping of chart values and refuses every value the program owns,
// naming each one: the program's value would otherwise be silently overridden, or override the
// user's.
func readChartValues(r *reader, key string) map[string]any {
	raw := r.raw(key)
	if raw == "" {
		return nil
	}
	var values map[string]any
	if err := yaml.Unmarshal([]byte(raw), &values); err != nil {
		r.fail(key, "is not a YAML mapping of kube-prometheus-stack values: %v", err)
		return nil
	}
	for _, problem := range components.CheckExtraChartValues(values) {
		r.fail(key, "%s; set it through the program's own config, or leave it out", problem)
	}
	return values
}

// readNamespaceList reads a comma-separated list of namespace names.
func readNamespaceList(r *reader, key string) []string {
	var namespaces []string
	for _, name := range strings.Split(r.raw(key), ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !dns1123Label.MatchString(name) {
			r.fail(key, "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63); give names separated by commas", name)
			continue
		}
		namespaces = append(namespaces, name)
	}
	return namespaces
}

// readCIDRList reads a comma-separated list of address blocks, as check (components.QueryClientCIDR,
// components.APIServerCIDR) checks and spells them.
func readCIDRList(r *reader, key string, check func(string) (string, error)) []string {
	var blocks []string
	for _, entry := range strings.Split(r.raw(key), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		block, err := check(entry)
		if err != nil {
			r.fail(key, "%v; give CIDR blocks separated by commas", err)
			continue
		}
		blocks = append(blocks, block)
	}
	return blocks
}

// readNodeExporterNamespace reads where the chart's node-exporter runs: empty when chartValues turn
// it off (kube-prometheus-stack's nodeExporter.enabled, the subchart's condition).
func readNodeExporterNamespace(r *reader, namespace string, chartValues map[string]any) string {
	name := r.str("nodeExporterNamespace")
	if nodeExporter, ok := chartValues["nodeExporter"].(map[string]any); ok {
		if enabled, ok := nodeExporter["enabled"].(bool); ok && !enabled {
			if name != "" {
				r.fail("nodeExporterNamespace", "is set while chartValues turn node-exporter off (nodeExporter.enabled: false); remove one of them")
			}
			return ""
		}
	}
	if name == "" {
		name = namespace + "-node-exporter"
		if dns1123Label.MatchString(namespace) && !dns1123Label.MatchString(name) {
			r.fail("nodeExporterNamespace", "the default %q is not a valid namespace name (at most 63 characters); set nodeExporterNamespace", name)
		}
		return name
	}
	if !dns1123Label.MatchString(name) {
		r.fail("nodeExporterNamespace", "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63)", name)
	}
	if name == namespace {
		r.fail("nodeExporterNamespace", "%q is the namespace itself; node-exporter needs a namespace of its own at the privileged Pod Security level", name)
	}
	return name
}

// readQueryFrontend reads the query-frontend's keys; nil when queryFrontend is false.
func readQueryFrontend(r *reader) *QueryFrontendConfig {
	f := &QueryFrontendConfig{
		Replicas: r.integer("queryFrontendReplicas", 1),
		Settings: components.QueryFrontendSettings{
			SplitInterval:      r.goDuration("queryFrontendSplitInterval"),
			SlowQueryThreshold: r.goDuration("queryFrontendSlowQueryThreshold"),
			Cache: components.QueryFrontendCache{
				InMemoryMaxSize: r.str("queryFrontendCacheSize"),
				Validity:        r.goDuration("queryFrontendCacheValidity"),
			},
		},
		Resources: r.resourcesWithStorage("queryFrontend"),
	}
	for _, address := range strings.Split(r.raw("queryFrontendMemcachedAddresses"), ",") {
		if address = strings.TrimSpace(address); address != "" {
			f.Settings.Cache.MemcachedAddresses = append(f.Settings.Cache.MemcachedAddresses, address)
		}
	}
	enabled := r.boolean("queryFrontend")
	settings := f.Settings.WithDefaults()
	if _, err := settings.Cache.MemcachedPorts(); err != nil {
		r.fail("queryFrontendMemcachedAddresses", "%v", err)
	}
	if len(settings.Cache.MemcachedAddresses) == 0 {
		size, err := settings.Cache.InMemoryCacheBytes()
		if err != nil {
			r.fail("queryFrontendCacheSize", "%q is not a positive byte size such as 256MB or 1GiB", settings.Cache.InMemoryMaxSize)
		} else if limit, err := resource.ParseQuantity(f.Resources.MemoryLimit); f.Resources.MemoryLimit != "" && err == nil && size > uint64(limit.Value())/2 {
			r.fail("queryFrontendCacheSize", "%q is more than half of queryFrontendMemoryLimit %q; the cache would leave too little memory for the queries it serves", settings.Cache.InMemoryMaxSize, f.Resources.MemoryLimit)
		}
	}
	if !enabled {
		return nil
	}
	return f
}

// readStoreRequestLimits reads the store gateway's per-request limits; an unset one is derived
// from the memory limit (components.StoreRequestLimitsFor). Without a memory limit, nothing
// bounds the pod's memory to fit the limits to, and unset limits stay off.
func readStoreRequestLimits(r *reader, memoryLimit, indexCacheSize string, concurrentRequests int) components.StoreRequestLimits {
	var derived components.StoreRequestLimits
	if q, err := resource.ParseQuantity(memoryLimit); memoryLimit != "" && err == nil && concurrentRequests >= 1 { // else storeMaxConcurrentRequests fails
		if _, err := units.ParseBase2Bytes(indexCacheSize); err == nil { // else storeIndexCacheSize fails
			if derived, err = components.StoreRequestLimitsFor(q.Value(), indexCacheSize, concurrentRequests); err != nil {
				r.fail("storeMemoryLimit", "%q is too small for a store gateway with storeIndexCacheSize %q: %v", memoryLimit, indexCacheSize, err)
			}
		}
	}
	limits := components.StoreRequestLimits{
		Series:  r.optionalCount("storeRequestSeriesLimit", derived.Series),
		Samples: r.optionalCount("storeRequestSamplesLimit", derived.Samples),
	}
	limits.DownloadedBytes = derived.DownloadedBytes
	if v := r.raw("storeRequestDownloadedBytesLimit"); v != "" {
		if size, err := units.ParseBase2Bytes(v); err != nil || size < 0 {
			r.fail("storeRequestDownloadedBytesLimit", "%q is not a byte size such as 64MB or 1GB (0 for no limit)", v)
		} else {
			limits.DownloadedBytes = uint64(size)
		}
	}
	return limits
}

func checkBucketName(r *reader, key, name string) {
	if !bucketNamePattern.MatchString(name) || strings.Contains(name, "..") || ipAddressPattern.MatchString(name) {
		r.fail(key, "%q is not a valid S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit, not an IP address", name)
	}
}

// checkRetentionOrder: downsampling needs the finer resolution while it builds the coarser one;
// a coarser resolution kept for less time than a finer one is almost always a mistake.
func checkRetentionOrder(r *reader, ret components.CompactorRetention) {
	parse := func(v string) (time.Duration, bool) {
		d, err := model.ParseDuration(v)
		if err != nil {
			return 0, false
		}
		if d == 0 {
			return time.Duration(1<<63 - 1), true // forever
		}
		return time.Duration(d), true
	}
	raw, ok1 := parse(ret.Raw)
	five, ok2 := parse(ret.FiveMinutes)
	hour, ok3 := parse(ret.OneHour)
	if !ok1 || !ok2 || !ok3 {
		return
	}
	if five < raw {
		r.fail("compactorRetention5m", "%q is shorter than compactorRetentionRaw %q; keep coarser resolutions at least as long", ret.FiveMinutes, ret.Raw)
	}
	if hour < five {
		r.fail("compactorRetention1h", "%q is shorter than compactorRetention5m %q; keep coarser resolutions at least as long", ret.OneHour, ret.FiveMinutes)
	}
}

// checkDownsamplingRetention refuses the retentions the pinned compactor refuses at start (it
// would crash-loop, and the bucket would grow without compaction, downsampling or retention).
func checkDownsamplingRetention(r *reader, ret components.CompactorRetention) {
	for _, c := range []struct {
		key, value, resolution, minimumText string
		minimum                             time.Duration
	}{
		{"compactorRetentionRaw", ret.Raw, "raw data into 5m", "40h", components.MinimumRawRetention},
		{"compactorRetention5m", ret.FiveMinutes, "5m data into 1h", "10d", components.MinimumFiveMinuteRetention},
	} {
		d, err := model.ParseDuration(c.value)
		if err == nil && d != 0 && time.Duration(d) < c.minimum {
			r.fail(c.key, "%q is shorter than %s: the compactor downsamples %s from blocks that long and refuses to start with less; use at least %s, or 0d to keep it forever",
				c.value, c.minimumText, c.resolution, c.minimumText)
		}
	}
}

// checkDeleteDelay refuses a delete delay under components.MinimumDeleteDelay of the store
// gateways' sync interval.
func checkDeleteDelay(r *reader, deleteDelay, storeSyncInterval string) {
	d, err1 := model.ParseDuration(deleteDelay)
	sync, err2 := model.ParseDuration(storeSyncInterval)
	if err1 != nil || err2 != nil {
		return // reported by duration
	}
	if minimum := components.MinimumDeleteDelay(time.Duration(sync)); time.Duration(d) < minimum {
		r.fail("compactorDeleteDelay", "%q is shorter than %s, twice storeSyncInterval %q: the store gateways stop serving a marked block after half the delay and notice only at their next sync, so a block deleted sooner fails the queries that read it",
			deleteDelay, model.Duration(minimum), storeSyncInterval)
	}
}

// validEndpointHost: the host of a host[:port] endpoint is an IP address or a DNS name.
func validEndpointHost(endpoint string) bool {
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	return net.ParseIP(host) != nil || (len(host) <= 253 && dnsName.MatchString(host))
}

// readExistingBucket reads the bring-your-own-bucket settings; nil when the program creates the
// bucket.
func readExistingBucket(r *reader, awsRegion string) *ExistingBucket {
	e := &ExistingBucket{
		Name:             r.str("existingBucketName"),
		Endpoint:         r.str("existingBucketEndpoint"),
		Region:           r.str("existingBucketRegion"),
		KMSKeyID:         r.str("existingBucketKmsKeyId"),
		Insecure:         r.boolean("existingBucketInsecure"),
		AccessKey:        r.str("existingBucketAccessKey"),
		SecretKey:        r.str("existingBucketSecretKey"),
		SidecarRoleArn:   r.str("sidecarRoleArn"),
		StoreRoleArn:     r.str("storeRoleArn"),
		CompactorRoleArn: r.str("compactorRoleArn"),
	}
	roles := []struct{ key, arn string }{
		{"sidecarRoleArn", e.SidecarRoleArn}, {"storeRoleArn", e.StoreRoleArn}, {"compactorRoleArn", e.CompactorRoleArn},
	}
	if e.Name == "" {
		for _, key := range []string{"existingBucketEndpoint", "existingBucketRegion", "existingBucketKmsKeyId", "existingBucketAccessKey", "existingBucketSecretKey", "sidecarRoleArn", "storeRoleArn", "compactorRoleArn"} {
			if r.str(key) != "" {
				r.fail(key, "only applies with existingBucketName; set existingBucketName or remove this key")
			}
		}
		return nil
	}
	checkBucketName(r, "existingBucketName", e.Name)
	if e.Region == "" {
		e.Region = awsRegion
	}
	if e.Endpoint == "" {
		if e.Region == "" {
			r.fail("existingBucketEndpoint", "is required when neither existingBucketRegion nor aws:region is set")
		} else {
			e.Endpoint = components.AWSS3Endpoint(e.Region)
		}
	}
	if strings.Contains(e.Endpoint, "://") {
		r.fail("existingBucketEndpoint", "%q must be host[:port] without a scheme (use existingBucketInsecure for http)", e.Endpoint)
	} else if _, err := components.ObjectStorePorts(e.Endpoint, e.Insecure, false); err != nil {
		r.fail("existingBucketEndpoint", "%q must be host[:port] with a port from 1 to 65535", e.Endpoint)
	} else if !validEndpointHost(e.Endpoint) {
		// The S3 client Thanos builds refuses anything else at start (minio-go's
		// s3utils.IsValidDomain and IsValidIP, "Endpoint url cannot have fully qualified paths").
		r.fail("existingBucketEndpoint", "%q must be host[:port], the host an IP address or a DNS name, without a path", e.Endpoint)
	}
	if (e.AccessKey == "") != (e.SecretKey == "") {
		r.fail("existingBucketAccessKey", "existingBucketAccessKey and existingBucketSecretKey must be set together")
	}
	for _, role := range roles {
		key, arn := role.key, role.arn
		if e.AccessKey != "" && arn != "" {
			r.fail(key, "cannot be set with static keys (existingBucketAccessKey); choose IRSA or keys")
		} else if e.AccessKey == "" && arn == "" {
			r.fail(key, "is required with existingBucketName and no static keys: the IRSA role of that component")
		} else if arn != "" && !strings.HasPrefix(arn, "arn:") {
			r.fail(key, "%q is not an IAM role ARN", arn)
		}
	}
	return e
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
