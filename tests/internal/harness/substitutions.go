package harness

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// Target is what a substitution changes.
type Target string

const (
	// StackConfig is a test stack's configuration: the committed stack file (the e2e suite) or the
	// integration suite's own, with these keys for a cluster on loopback.
	StackConfig Target = "stack config"
	// ClusterStackConfig and ClusterChartValues are the cluster suite's stacks on the one-node
	// cluster: Pulumi.local.yaml, and the chart values they add (a values path each).
	ClusterStackConfig Target = "stack config (one-node cluster)"
	ClusterChartValues Target = "chart values (one-node cluster)"
	// NodeRuntime is the one-node cluster's container runtime.
	NodeRuntime        Target = "node (container runtime)"
	OperatorFlags      Target = "prometheus-operator"
	OperatorEnv        Target = "prometheus-operator (environment)"
	ReloaderFlags      Target = "config reloader (init)"
	PrometheusFlags    Target = "prometheus"
	PrometheusConfig   Target = "prometheus (config file)"
	SidecarFlags       Target = "thanos sidecar"
	StoreGatewayFlags  Target = "thanos store"
	QuerierFlags       Target = "thanos query"
	QueryFrontendFlags Target = "thanos query-frontend"
	// StoreLimitFlags are the extra store gateway of the e2e suite's limits step, on top of
	// StoreGatewayFlags.
	StoreLimitFlags Target = "thanos store (the limits step's own store gateway)"
	// StoreUnlimitedFlags are the store gateways of the bench's memory measurement, on top of
	// StoreGatewayFlags.
	StoreUnlimitedFlags Target = "thanos store (the store memory benchmark's)"
	CompactorFlags      Target = "thanos compact"
	// CompactDedupFlags are the e2e suite's deduplication step's compactor, on top of CompactorFlags.
	CompactDedupFlags Target = "thanos compact (the deduplication step's compactor)"
)

// Action says how a substitution applies.
type Action string

const (
	// Replace changes a value the program (or the chart, or the operator) generates; the key must
	// be there.
	Replace Action = "replace"
	// Add sets something the generated command leaves at the binary's default; the key must not
	// be there (if it starts being generated, the table must be revisited).
	Add Action = "add"
	// Remove drops a generated key; it must be there.
	Remove Action = "remove"
)

// Site is one process (or one test stack) on loopback: where the substitutions point it.
type Site struct {
	// Dir is the process's own directory.
	Dir string
	// HTTPAddr and GRPCAddr are free loopback addresses (GRPCAddr empty where there is no gRPC).
	HTTPAddr, GRPCAddr string
	// TSDBDir is a Prometheus replica's TSDB, shared with its sidecar as the pod's volume is.
	TSDBDir string
	// PrometheusAddr is the HTTP address of a sidecar's Prometheus.
	PrometheusAddr string
	// StoreAPIs are the gRPC addresses of every StoreAPI the querier should find.
	StoreAPIs []string
	// QuerierAddr is the HTTP address of the querier a query-frontend sends its queries to.
	QuerierAddr string
	// ScrapeTargets are the HTTP addresses Prometheus scrapes, by job label.
	ScrapeTargets map[string][]string
	// ObjstoreFile is where the objstore Secret's config is written (store gateway, compactor).
	ObjstoreFile string
	// KubeconfigFile, CertFile and KeyFile are the operator's credentials and serving certificate.
	KubeconfigFile, CertFile, KeyFile string
	// Stack is what a test stack's configuration points at.
	Stack StackSite
}

// StackSite is the cluster and bucket a test stack deploys to.
type StackSite struct {
	// Kubeconfig of the control plane on loopback.
	Kubeconfig string
	// S3 is the MinIO bucket, when there is one (the integration suite's bucket is only named).
	S3 S3Site
	// ChartPath is the real chart package.
	ChartPath string
	// WebhookCA, WebhookCert and WebhookKey are the admission webhook's certificate (PEM), for the
	// Secret the chart's hook Job would otherwise create; Namespace the stack's namespace.
	WebhookCA, WebhookCert, WebhookKey string
	Namespace                          string
	// ReleaseName is the stack's chart release; empty: chart.DefaultReleaseName.
	ReleaseName string
}

// Release is the stack's chart release.
func (s StackSite) Release() string {
	if s.ReleaseName == "" {
		return chart.DefaultReleaseName
	}
	return s.ReleaseName
}

// Substitution is one change loopback (or a test's short life) forces on the generated
// configuration. Substitutions below is the complete list: anything not in it runs as generated.
type Substitution struct {
	Target Target
	// Key is a flag name without "--", a dotted path in the Prometheus config, or a config key of
	// the program.
	Key    string
	Action Action
	Reason string
	// Value computes the value for a site from the generated one (nil for Remove).
	Value func(s *Site, generated string) (string, error)
}

// Test settings that stand in for production timings.
const (
	// TestBlockDuration is Prometheus's --storage.tsdb.min-block-duration in the e2e suite.
	TestBlockDuration = "1m"
	// TestScrapeInterval is every job's scrape interval in the e2e suite.
	TestScrapeInterval = "5s"
	// TestStoreSyncInterval is the store gateway's bucket re-sync interval in the e2e suite.
	TestStoreSyncInterval = "10s"
	// TestStoreSamplesLimit is the limits step's store gateway's --store.limits.request-samples:
	// 100 chunks of 120 samples. One day of the suite's two one-minute series (24 chunks) is within
	// it, their 14 days (336 chunks) are not.
	TestStoreSamplesLimit = "12000"
)

// NoWebhookChartValues turn off the chart's admission webhooks on a cluster without a kubelet.
const NoWebhookChartValues = "prometheusOperator:\n  admissionWebhooks:\n    enabled: false\n"

// unlimitedReason is why the store memory benchmark lifts the per-request limits.
const unlimitedReason = "the benchmark measures the memory of requests of every size, those over the limits derived from it included; 0 is Thanos's no limit"

func constant(v string) func(*Site, string) (string, error) {
	return func(*Site, string) (string, error) { return v, nil }
}

var (
	httpAddr = func(s *Site, _ string) (string, error) { return s.HTTPAddr, nil }
	grpcAddr = func(s *Site, _ string) (string, error) { return s.GRPCAddr, nil }
	tsdbDir  = func(s *Site, _ string) (string, error) { return s.TSDBDir, nil }
	// inSiteDir keeps a generated file's base name and moves it into the site's directory.
	inSiteDir = func(s *Site, generated string) (string, error) {
		return filepath.Join(s.Dir, filepath.Base(generated)), nil
	}
	objstoreFile = func(s *Site, _ string) (string, error) { return s.ObjstoreFile, nil }
	dataDir      = func(s *Site, _ string) (string, error) { return filepath.Join(s.Dir, "data"), nil }
	loopbackPort = "one process per pod listens there; here a free loopback port"
)

// Substitutions is every change made to what the program, the chart and the operator generate,
// with the reason for it.
var Substitutions = []Substitution{
	// The test stacks: the program's own configuration keys.
	{StackConfig, "clusterStack", Remove, "the cluster is the control plane on loopback, not an EKS cluster stack", nil},
	{StackConfig, "kubeconfig", Add, "the admin kubeconfig of the control plane on loopback (set as a secret)",
		func(s *Site, _ string) (string, error) { return s.Stack.Kubeconfig, nil }},
	{StackConfig, "chartPath", Add, "no chart repository can be reached; the same chart version, the package the repository keeps (charts/, its sha256 held equal to what the chart repository serves)",
		func(s *Site, _ string) (string, error) { return s.Stack.ChartPath, nil }},
	{StackConfig, "kubernetesSkipAwait", Add, "no kubelet: pods are created but never run, so nothing becomes ready", constant("true")},
	{StackConfig, "chartValues", Add,
		"without a kubelet the chart's pre-install hook Jobs (kube-webhook-certgen) never complete and no pod serves the admission webhook: the webhooks are off",
		constant(NoWebhookChartValues)},
	{StackConfig, "existingBucketName", Add, "no AWS: a MinIO bucket stands in for the bucket the program would create",
		func(s *Site, _ string) (string, error) { return s.Stack.S3.Bucket, nil }},
	{StackConfig, "existingBucketEndpoint", Add, "MinIO's loopback address instead of s3.<region>.amazonaws.com (MinIO is told the stack's region)",
		func(s *Site, _ string) (string, error) { return s.Stack.S3.Endpoint, nil }},
	{StackConfig, "existingBucketInsecure", Add, "MinIO on loopback speaks plain http", constant("true")},
	{StackConfig, "existingBucketAccessKey", Add, "no IRSA outside EKS: MinIO's static test credentials (set as a secret)",
		func(s *Site, _ string) (string, error) { return s.Stack.S3.AccessKey, nil }},
	{StackConfig, "existingBucketSecretKey", Add, "no IRSA outside EKS: MinIO's static test credentials (set as a secret)",
		func(s *Site, _ string) (string, error) { return s.Stack.S3.SecretKey, nil }},
	{StackConfig, "existingBucketKmsKeyId", Add,
		"the ARN of the KMS key the program would create; here the name of MinIO's built-in KMS key (MINIO_KMS_SECRET_KEY), so SSE-KMS really happens",
		func(s *Site, _ string) (string, error) { return s.Stack.S3.KMSKeyName, nil }},

	// The cluster suite's stacks on the one-node cluster.
	{ClusterStackConfig, "kubeconfig", Add, "the one-node cluster's admin kubeconfig, set as a secret (on kind: `kind get kubeconfig`)",
		func(s *Site, _ string) (string, error) { return s.Stack.Kubeconfig, nil }},
	{ClusterStackConfig, "chartPath", Add, "no chart repository can be reached; the same chart version, the package the repository keeps (charts/, its sha256 held equal to what the chart repository serves)",
		func(s *Site, _ string) (string, error) { return s.Stack.ChartPath, nil }},
	{ClusterStackConfig, "chartValues", Add, "the chart values below", nil}, // composed by clusterChartValues
	{ClusterStackConfig, "storeSyncInterval", Add,
		"the default 15m bucket re-sync outlasts the test's checks; 20s lets the store gateways see the blocks the Prometheus pods upload within them", constant("20s")},
	{ClusterChartValues, "grafana.enabled", Add, "Grafana's frontend cannot be built here (its images are Node.js and Python builds of sources the module proxy does not serve)", constant("false")},
	{ClusterChartValues, "alertmanager.enabled", Add, "Alertmanager embeds a web UI its Go module does not carry, compiled from Elm by a compiler npm fetches from GitHub: its image cannot be built here", constant("false")},
	{ClusterChartValues, "prometheusOperator.admissionWebhooks.patch.enabled", Add,
		"the hook Jobs' image, kube-webhook-certgen, is not served by the module proxy: the webhook's certificate is provided ahead of time, as the chart's values allow", constant("false")},
	{ClusterChartValues, "prometheusOperator.admissionWebhooks.failurePolicy", Add,
		"with the patch Job off the webhooks default to failurePolicy Fail, and on install the chart's own PrometheusRules reach the webhook before the operator serves it; IgnoreOnInstallOnly (a value the chart offers) is what the patch Job gives on install (Ignore), Fail afterwards", constant("IgnoreOnInstallOnly")},
	{ClusterChartValues, "prometheusOperator.admissionWebhooks.caBundle", Add, "the CA of that certificate (the control plane's)",
		func(s *Site, _ string) (string, error) {
			return base64.StdEncoding.EncodeToString([]byte(s.Stack.WebhookCA)), nil
		}},
	{ClusterChartValues, "extraManifests", Add,
		"the certificate Secret the hook Job would create (<fullname>-admission: ca, cert, key), signed for the operator Service's names", webhookSecretManifest},
	{ClusterChartValues, "prometheus.prometheusSpec.additionalArgs", Add,
		"Prometheus cuts a block every 2h by default; --storage.tsdb.min-block-duration=1m (a hidden Prometheus flag \"for use in testing\") lets the test see blocks cut by the real pods reach the bucket within minutes. (thanos.blockSize would not: with delayed compaction, operator v0.93.1 passes no block duration.)",
		constant(`[{name: storage.tsdb.min-block-duration, value: 1m}]`)},
	{ClusterChartValues, "prometheus.prometheusSpec.scrapeInterval", Add,
		"the default 30s gives a range query only a few points within the test; 10s", constant("10s")},
	{NodeRuntime, "runc", Replace,
		"this VM refuses a negative oom_score_adj, which the kubelet asks for every pod sandbox (-998): containerd runs runc through tests/internal/runcoomclamp, which sets a negative process.oomScoreAdj to 0 and executes the real runc", nil},
	{NodeRuntime, "images", Replace,
		"no registry can be reached: every image is built here from the binaries built from their pinned sources, tagged with the exact name the program, the chart or the operator uses, on stand-in base layers (Debian's static busybox for quay.io/prometheus/busybox and ubi-micro; a few files for distroless static). Prometheus has only the Kubernetes service discovery and CoreDNS only the plugins the cluster's Corefile names (upstream's build tags and plugin list), halving their cold compile; a configuration naming anything else fails to load", nil},

	// prometheus-operator, as the chart's Deployment runs it.
	{OperatorEnv, "KUBECONFIG", Add,
		"in its pod the operator uses its ServiceAccount's in-cluster credentials; here a kubeconfig (the operator reads $KUBECONFIG) with a token of that same ServiceAccount from the TokenRequest API, so the chart's RBAC applies",
		func(s *Site, _ string) (string, error) { return s.KubeconfigFile, nil }},
	{OperatorFlags, "web.listen-address", Replace, ":10250 in the pod; " + loopbackPort, httpAddr},
	{OperatorFlags, "web.cert-file", Replace,
		"the webhook certificate Secret, which the chart's hook Job creates and the kubelet mounts; here a certificate signed by the control plane's CA",
		func(s *Site, _ string) (string, error) { return s.CertFile, nil }},
	{OperatorFlags, "web.key-file", Replace, "the key of that certificate",
		func(s *Site, _ string) (string, error) { return s.KeyFile, nil }},

	// The operator's init-config-reloader: it writes Prometheus's first configuration, once.
	{ReloaderFlags, "listen-address", Replace, "the init container's :8081; " + loopbackPort, httpAddr},
	{ReloaderFlags, "config-file", Replace,
		"mounted from the operator's config Secret in the pod; here that Secret's prometheus.yaml.gz, written to the replica's directory", inSiteDir},
	{ReloaderFlags, "config-envsubst-file", Replace,
		"an emptyDir the Prometheus container reads; here the replica's directory (Prometheus's --config.file moves with it)", inSiteDir},
	{ReloaderFlags, "watched-dir", Replace,
		"the operator's rule ConfigMaps, mounted in the pod; here their files, written to the replica's directory",
		func(s *Site, generated string) (string, error) {
			return filepath.Join(s.Dir, "rules", filepath.Base(generated)), nil
		}},

	// Prometheus, as the operator runs it.
	{PrometheusFlags, "web.listen-address", Add,
		"the operator leaves Prometheus on its default :9090 (one per pod); two replicas on one host need a free loopback port each", httpAddr},
	{PrometheusFlags, "config.file", Replace,
		"the config reloader's output file in the pod; here the same file in the replica's directory", inSiteDir},
	{PrometheusFlags, "web.config.file", Replace,
		"mounted from the operator's web-config Secret in the pod; here that Secret's content in the replica's directory", inSiteDir},
	{PrometheusFlags, "storage.tsdb.path", Replace,
		"/prometheus is the pod's volume; here a temporary directory per replica", tsdbDir},
	{PrometheusFlags, "storage.tsdb.delay-compact-file.path", Replace,
		"the sidecar's shipper file inside the TSDB directory, which moved with storage.tsdb.path",
		func(s *Site, generated string) (string, error) {
			return filepath.Join(s.TSDBDir, filepath.Base(generated)), nil
		}},
	{PrometheusFlags, "storage.tsdb.min-block-duration", Add,
		"Prometheus cuts a block once its head spans 1.5x this (default 2h, so the first upload comes after 3h); " +
			TestBlockDuration + " lets the sidecars ship real scraped blocks within the test. A hidden Prometheus flag \"for use in testing\"",
		constant(TestBlockDuration)},
	{PrometheusConfig, "global.scrape_interval", Replace,
		"the operator's default (30s) gives too few samples per " + TestBlockDuration + " block and slow checks",
		constant(TestScrapeInterval)},
	{PrometheusConfig, "scrape_configs", Replace,
		"the operator turns ServiceMonitors and PodMonitors into kubernetes_sd jobs, which need pods and a kubelet; here static jobs for the same components under the job labels those jobs give (the Service's name; <namespace>/<PodMonitor> for the sidecars)",
		nil}, // built by ApplyPrometheusConfig from Site.ScrapeTargets
	{PrometheusConfig, "rule_files", Replace,
		"the operator's rule ConfigMaps, mounted in the pod; here their files, where the config reloader's --watched-dir substitution wrote them",
		func(s *Site, generated string) (string, error) {
			return filepath.Join(s.Dir, "rules", filepath.Base(filepath.Dir(generated)), filepath.Base(generated)), nil
		}},
	{PrometheusConfig, "alerting", Remove,
		"the chart's Alertmanager is found through kubernetes_sd, which reads in-cluster credentials only a pod has; no Alertmanager runs here", nil},

	// The Thanos sidecar, as the operator runs it.
	{SidecarFlags, "prometheus.url", Replace,
		"localhost:9090 is the pod's Prometheus container; here the replica's loopback address",
		func(s *Site, generated string) (string, error) {
			u, err := url.Parse(generated)
			if err != nil {
				return "", err
			}
			u.Host = s.PrometheusAddr
			return u.String(), nil
		}},
	{SidecarFlags, "grpc-address", Replace, ":10901 in the pod; " + loopbackPort, grpcAddr},
	{SidecarFlags, "http-address", Replace, ":10902 in the pod; " + loopbackPort, httpAddr},
	{SidecarFlags, "tsdb.path", Replace, "the Prometheus volume at /prometheus; here the replica's TSDB directory", tsdbDir},
	{SidecarFlags, "prometheus.http-client-file", Replace,
		"mounted from the operator's Secret in the pod; here that Secret's content in the sidecar's directory", inSiteDir},

	// The store gateway, as the program runs it.
	{StoreGatewayFlags, "grpc-address", Replace, "0.0.0.0:10901 in the pod; " + loopbackPort, grpcAddr},
	{StoreGatewayFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; " + loopbackPort, httpAddr},
	{StoreGatewayFlags, "data-dir", Replace, "the pod's persistent volume; here a temporary directory", dataDir},
	{StoreGatewayFlags, "objstore.config-file", Replace, "mounted from the objstore Secret in the pod; here that Secret's content in a file", objstoreFile},
	{StoreGatewayFlags, "sync-block-duration", Replace,
		"the stack's 15m bucket re-sync (storeSyncInterval) outlasts the test; " + TestStoreSyncInterval + " lets the store gateway see new uploads and compactions within it",
		constant(TestStoreSyncInterval)},

	// The querier, as the program runs it.
	{QuerierFlags, "grpc-address", Replace, "0.0.0.0:10901 in the pod; " + loopbackPort, grpcAddr},
	{QuerierFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; " + loopbackPort, httpAddr},
	{QuerierFlags, "endpoint.sd-config", Replace,
		"the dnssrvnoa+ name of the headless peers Service resolves only in the cluster; here its SRV answer, the StoreAPI gRPC addresses, one static endpoint each",
		rewriteEndpointSDConfig},

	// The query-frontend, as the program runs it.
	{QueryFrontendFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; " + loopbackPort, httpAddr},
	{QueryFrontendFlags, "query-frontend.downstream-url", Replace,
		"the querier Service's cluster DNS name resolves only in the cluster; here the first querier's loopback address",
		func(s *Site, generated string) (string, error) {
			u, err := url.Parse(generated)
			if err != nil {
				return "", err
			}
			u.Host = s.QuerierAddr
			return u.String(), nil
		}},

	// The e2e suite's limits step runs one more store gateway with a small samples limit.
	{StoreLimitFlags, "store.limits.request-samples", Replace,
		"the limit derived from storeMemoryLimit (tens of millions of samples) is far above the suite's data; " + TestStoreSamplesLimit + " lets one day of it through and refuses 14 days",
		constant(TestStoreSamplesLimit)},

	// The store memory benchmark measures requests the limits are there to refuse.
	{StoreUnlimitedFlags, "store.limits.request-series", Replace, unlimitedReason, constant("0")},
	{StoreUnlimitedFlags, "store.limits.request-samples", Replace, unlimitedReason, constant("0")},
	{StoreUnlimitedFlags, "store.grpc.downloaded-bytes-limit", Replace, unlimitedReason, constant("0B")},

	// The compactor, as the program runs it.
	{CompactorFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; " + loopbackPort, httpAddr},
	{CompactorFlags, "data-dir", Replace, "the pod's persistent volume; here a temporary directory", dataDir},
	{CompactorFlags, "objstore.config-file", Replace, "mounted from the objstore Secret in the pod; here that Secret's content in a file", objstoreFile},
	{CompactorFlags, "consistency-delay", Add,
		"the default 30m skips blocks uploaded less than 30 minutes ago; every block in the test is minutes old",
		constant("0s")},

	// The e2e suite's deduplication step runs a second compactor with deduplication on.
	{CompactDedupFlags, "deduplication.replica-label", Add, dedupReason, dedupCompactFlag("deduplication.replica-label")},
	{CompactDedupFlags, "deduplication.func", Add, dedupReason, dedupCompactFlag("deduplication.func")},
}

const dedupReason = "the prod stack leaves `compactorDeduplication` off (its default); the deduplication step stops the compactor and runs one with the flags the program adds for `compactorDeduplication: true` (thanos.CompactorFlags with Deduplicate)"

// dedupCompactFlag is the value of a flag the program adds to the compactor's for
// compactorDeduplication: true, the difference between thanos.CompactorFlags with and without
// Deduplicate.
func dedupCompactFlag(name string) func(*Site, string) (string, error) {
	return func(*Site, string) (string, error) {
		settings := thanos.CompactorSettings{Retention: thanos.CompactorRetention{Raw: "0d", FiveMinutes: "0d", OneHour: "0d"}}
		plain, err := thanos.CompactorFlags("objstore.yml", settings)
		if err != nil {
			return "", err
		}
		settings.Deduplicate = true
		dedup, err := thanos.CompactorFlags("objstore.yml", settings)
		if err != nil {
			return "", err
		}
		if len(dedup) < len(plain) || !slices.Equal(dedup[:len(plain)], plain) {
			return "", fmt.Errorf("thanos.CompactorFlags with Deduplicate %q does not extend the flags without it %q", dedup, plain)
		}
		for _, f := range dedup[len(plain):] {
			if n, v, _ := SplitFlag(f); n == name {
				return v, nil
			}
		}
		return "", fmt.Errorf("thanos.CompactorFlags with Deduplicate adds no --%s: %q", name, dedup[len(plain):])
	}
}

// SubstitutionsFor returns the table's entries for one target.
func SubstitutionsFor(target Target) []Substitution {
	var out []Substitution
	for _, s := range Substitutions {
		if s.Target == target {
			out = append(out, s)
		}
	}
	return out
}

// ApplyFlags applies the target's substitutions to generated "--name[=value]" flags; a Replace or
// Remove applies to every occurrence of a repeated flag. A Replace or Remove whose flag is missing,
// or an Add whose flag is already generated, is an error: the table no longer matches what is
// generated.
func ApplyFlags(target Target, s *Site, generated []string) ([]string, error) {
	out := append([]string(nil), generated...)
	for _, sub := range SubstitutionsFor(target) {
		var at []int
		for i, f := range out {
			if name, _, _ := SplitFlag(f); name == sub.Key {
				at = append(at, i)
			}
		}
		switch {
		case sub.Action != Add && len(at) == 0:
			return nil, fmt.Errorf("%s: the table %ss --%s, but the generated flags %q have none: update tests/internal/harness/substitutions.go", target, sub.Action, sub.Key, generated)
		case sub.Action == Add && len(at) > 0:
			return nil, fmt.Errorf("%s: the table adds --%s, but %q is now generated: update tests/internal/harness/substitutions.go", target, sub.Key, out[at[0]])
		case sub.Action == Remove:
			out = slices.DeleteFunc(out, func(f string) bool { name, _, _ := SplitFlag(f); return name == sub.Key })
			continue
		case sub.Action == Add:
			value, err := sub.Value(s, "")
			if err != nil {
				return nil, fmt.Errorf("%s: --%s: %w", target, sub.Key, err)
			}
			out = append(out, "--"+sub.Key+"="+value)
			continue
		}
		for _, i := range at {
			_, old, _ := SplitFlag(out[i])
			value, err := sub.Value(s, old)
			if err != nil {
				return nil, fmt.Errorf("%s: --%s: %w", target, sub.Key, err)
			}
			out[i] = "--" + sub.Key + "=" + value
		}
	}
	return out, nil
}

// ApplyEnv applies the target's substitutions to a container's resolved environment.
func ApplyEnv(target Target, s *Site, env map[string]string) (map[string]string, error) {
	return applyToMap(target, s, env, nil)
}

// ApplyStackConfig applies the StackConfig substitutions to a stack's configuration (keys without
// the project prefix), but for the keys in except, which the suite sets itself on purpose (the
// integration suite reaches the cluster through a cluster stack, to test stack references).
func ApplyStackConfig(s *Site, config map[string]string, except ...string) (map[string]string, error) {
	return applyToMap(StackConfig, s, config, except)
}

// applyToMap applies the target's substitutions to a copy of in, but for the keys in except.
func applyToMap(target Target, s *Site, in map[string]string, except []string) (map[string]string, error) {
	out := maps.Clone(in)
	if out == nil {
		out = map[string]string{}
	}
	for _, sub := range SubstitutionsFor(target) {
		if slices.Contains(except, sub.Key) {
			continue
		}
		old, ok := out[sub.Key]
		switch {
		case sub.Action != Add && !ok:
			return nil, fmt.Errorf("%s: the table %ss %s, which is not set", target, sub.Action, sub.Key)
		case sub.Action == Add && ok:
			return nil, fmt.Errorf("%s: the table adds %s, which is already set to %q", target, sub.Key, old)
		case sub.Action == Remove:
			delete(out, sub.Key)
			continue
		}
		v, err := sub.Value(s, old)
		if err != nil {
			return nil, err
		}
		out[sub.Key] = v
	}
	return out, nil
}

// SplitFlag splits "--name=value" (or "--name") into name and value.
func SplitFlag(f string) (name, value string, hasValue bool) {
	return strings.Cut(strings.TrimPrefix(f, "--"), "=")
}

// rewriteEndpointSDConfig replaces the single dnssrvnoa+ peers address of the generated
// --endpoint.sd-config with the StoreAPI addresses that SRV lookup would return.
func rewriteEndpointSDConfig(s *Site, generated string) (string, error) {
	var sd thanos.EndpointSDConfig
	if err := yaml.Unmarshal([]byte(generated), &sd); err != nil {
		return "", fmt.Errorf("generated sd-config %q: %w", generated, err)
	}
	if len(sd.Endpoints) != 1 || !strings.HasPrefix(sd.Endpoints[0].Address, "dnssrvnoa+_grpc._tcp.") {
		return "", fmt.Errorf("generated sd-config %q: expected one dnssrvnoa+_grpc._tcp. address", generated)
	}
	if len(s.StoreAPIs) == 0 {
		return "", fmt.Errorf("no StoreAPI addresses to put in the sd-config")
	}
	sd.Endpoints = nil
	for _, addr := range s.StoreAPIs {
		sd.Endpoints = append(sd.Endpoints, thanos.EndpointSDEntry{Address: addr})
	}
	out, err := yaml.Marshal(sd)
	return string(out), err
}

// ApplyPrometheusConfig applies the config substitutions to the configuration the operator
// generated (after the config reloader expanded it).
func ApplyPrometheusConfig(cfg map[string]any, s *Site) error {
	for _, sub := range SubstitutionsFor(PrometheusConfig) {
		path := strings.Split(sub.Key, ".")
		m := cfg
		for _, p := range path[:len(path)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				return fmt.Errorf("prometheus config has no %s", sub.Key)
			}
			m = next
		}
		last := path[len(path)-1]
		old, ok := m[last]
		switch {
		case sub.Action != Add && !ok:
			return fmt.Errorf("prometheus config: the table %ss %s, which the generated config lacks", sub.Action, sub.Key)
		case sub.Action == Add && ok:
			return fmt.Errorf("prometheus config: the table adds %s, which the generated config has", sub.Key)
		case sub.Action == Remove:
			delete(m, last)
			continue
		case sub.Key == "scrape_configs":
			var jobs []any
			for _, job := range sortedKeys(s.ScrapeTargets) {
				jobs = append(jobs, map[string]any{
					"job_name":       job,
					"static_configs": []any{map[string]any{"targets": s.ScrapeTargets[job]}},
				})
			}
			m[last] = jobs
			continue
		}
		if list, isList := old.([]any); isList {
			// A list of values (rule_files): each one is substituted.
			var out []any
			for _, e := range list {
				v, err := sub.Value(s, fmt.Sprint(e))
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			m[last] = out
			continue
		}
		v, err := sub.Value(s, fmt.Sprint(old))
		if err != nil {
			return err
		}
		m[last] = v
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SubstitutionTable renders Substitutions as the Markdown table the docs carry
// (TestSubstitutionsDocumented keeps the two the same).
func SubstitutionTable() string {
	var b strings.Builder
	b.WriteString("| Component | Key | Action | Reason |\n|---|---|---|---|\n")
	for _, s := range Substitutions {
		key := s.Key
		switch s.Target {
		case PrometheusConfig, StackConfig, OperatorEnv, ClusterStackConfig, ClusterChartValues, NodeRuntime:
		default:
			key = "--" + key
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", s.Target, key, s.Action, s.Reason)
	}
	return b.String()
}

// clusterChartValues composes the ClusterChartValues rows into the chartValues YAML.
func clusterChartValues(s *Site) (string, error) {
	values := map[string]any{}
	for _, sub := range SubstitutionsFor(ClusterChartValues) {
		raw, err := sub.Value(s, "")
		if err != nil {
			return "", err
		}
		var v any
		if err := yaml.Unmarshal([]byte(raw), &v); err != nil {
			return "", fmt.Errorf("chart value %s: %w", sub.Key, err)
		}
		chart.SetValueAt(values, strings.Split(sub.Key, "."), v)
	}
	out, err := yaml.Marshal(values)
	return string(out), err
}

// webhookSecretManifest is the admission webhook's certificate Secret, as an extraManifests list
// (YAML) of the chart: what kube-webhook-certgen would create.
func webhookSecretManifest(s *Site, _ string) (string, error) {
	out, err := yaml.Marshal([]any{map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": chart.Fullname(nil, s.Stack.Release()) + "-admission", "namespace": s.Stack.Namespace},
		"type":       "Opaque",
		"stringData": map[string]any{"ca": s.Stack.WebhookCA, "cert": s.Stack.WebhookCert, "key": s.Stack.WebhookKey},
	}})
	return string(out), err
}

// ApplyClusterStackConfig applies the ClusterStackConfig substitutions (chart values included).
func ApplyClusterStackConfig(s *Site, config map[string]string) (map[string]string, error) {
	out := maps.Clone(config)
	for _, sub := range SubstitutionsFor(ClusterStackConfig) {
		if _, ok := out[sub.Key]; ok {
			return nil, fmt.Errorf("stack config: the table adds %s, which the stack already sets", sub.Key)
		}
		var v string
		var err error
		if sub.Key == "chartValues" {
			v, err = clusterChartValues(s)
		} else {
			v, err = sub.Value(s, "")
		}
		if err != nil {
			return nil, err
		}
		out[sub.Key] = v
	}
	return out, nil
}
