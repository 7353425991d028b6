package thanos

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// QueryFrontendHTTPServicePort is the port of the query-frontend's Service: the Prometheus port,
// as the querier's, so that a client moves from one to the other by host name alone.
const QueryFrontendHTTPServicePort = 9090

// Defaults of the query-frontend.
const (
	// DefaultQueryFrontendSplitInterval splits a range query into one query per day, run in
	// parallel and cached per day: a dashboard's 30-day panel reuses 29 cached days and computes
	// one.
	DefaultQueryFrontendSplitInterval = "24h"
	// DefaultQueryFrontendCacheSize bounds each replica's in-memory results cache.
	DefaultQueryFrontendCacheSize = "256MB"
	// DefaultQueryFrontendCacheValidity is how long a cached result is served. The newest minute
	// of a result is never cached (Thanos's --query-range.response-cache-max-freshness, 1m), so
	// what is cached does not change; the validity only ages out results nobody asks for.
	DefaultQueryFrontendCacheValidity = "24h"
	// DefaultQueryFrontendSlowQueryThreshold logs every query that runs longer.
	DefaultQueryFrontendSlowQueryThreshold = "10s"
	// DefaultQueryFrontendMaxRetries retries a failed (split) query, as when a querier restarts.
	DefaultQueryFrontendMaxRetries = 3
)

// QueryFrontendCache is the query-frontend's results cache: in memory in each replica, or a
// memcached cluster the replicas share.
type QueryFrontendCache struct {
	// InMemoryMaxSize is the in-memory cache's size per replica, in the SI or IEC units the cache
	// parses ("256MB", "1GiB"). Default DefaultQueryFrontendCacheSize. Unused with memcached.
	InMemoryMaxSize string
	// Validity is how long a result stays cached, a Go duration ("24h"). Default
	// DefaultQueryFrontendCacheValidity.
	Validity string
	// MemcachedAddresses, when set, make the cache a memcached cluster: "host:port" each, or
	// Thanos's "dns+host:port" (every A record of host). Default none: in memory.
	MemcachedAddresses []string
}

// QueryFrontendArgs configure the Thanos query-frontend.
type QueryFrontendArgs struct {
	WorkloadArgs
	// Replicas of the query-frontend. Default 1; it is stateless, 2 or more make it HA (each
	// replica has its own in-memory cache).
	Replicas int
	// DownstreamURL is the querier's HTTP URL (Querier.URL). Required.
	DownstreamURL pulumi.StringInput
	QueryFrontendSettings
	// Resources of the query-frontend container. Its memory limit must hold the in-memory cache.
	Resources components.Resources
	// PodDisruptionBudget guards the replicas during voluntary disruptions. Default false.
	PodDisruptionBudget bool
}

// QueryFrontendSettings are the query-frontend's tunables.
type QueryFrontendSettings struct {
	// SplitInterval splits range queries into queries of this length, a Go duration ("24h").
	// Default DefaultQueryFrontendSplitInterval.
	SplitInterval string
	// SlowQueryThreshold logs the queries that run longer, a Go duration. Default
	// DefaultQueryFrontendSlowQueryThreshold.
	SlowQueryThreshold string
	// MaxRetries of a failed split query. Default DefaultQueryFrontendMaxRetries.
	MaxRetries int
	// Cache is the results cache.
	Cache QueryFrontendCache
}

// QueryFrontend is the Thanos query-frontend in front of the querier: it splits range queries by
// day, caches their results, retries failures and logs slow queries. Users and Grafana query it.
type QueryFrontend struct {
	pulumi.ResourceState

	// URL is the query-frontend's in-cluster HTTP URL (Prometheus-compatible API).
	URL pulumi.StringOutput `pulumi:"url"`
}

// QueryFrontendLabels is the label set of the query-frontend.
func QueryFrontendLabels(instance string) components.ThanosLabels {
	return components.ThanosLabels{Component: "query-frontend", Instance: instance}
}

// QueryFrontendURL is the in-cluster HTTP URL of the query-frontend's Service in namespace, known
// before the Service exists (as QuerierURL).
func QueryFrontendURL(namespace string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", QueryFrontendLabels("").ObjectName(), namespace, QueryFrontendHTTPServicePort)
}

// responseCacheConfig, inMemoryCacheConfig and memcachedCacheConfig are the YAML of Thanos's
// --query-range.response-cache-config (pkg/queryfrontend: CacheProviderConfig,
// InMemoryResponseCacheConfig, MemcachedResponseCacheConfig with the memcached client's
// addresses).
type responseCacheConfig struct {
	Type   string `yaml:"type"`
	Config any    `yaml:"config"`
}

type inMemoryCacheConfig struct {
	MaxSize  string `yaml:"max_size"`
	Validity string `yaml:"validity"`
}

type memcachedCacheConfig struct {
	Addresses  []string `yaml:"addresses"`
	Expiration string   `yaml:"expiration"`
}

// WithDefaults fills the unset settings with the defaults.
func (s QueryFrontendSettings) WithDefaults() QueryFrontendSettings {
	if s.SplitInterval == "" {
		s.SplitInterval = DefaultQueryFrontendSplitInterval
	}
	if s.SlowQueryThreshold == "" {
		s.SlowQueryThreshold = DefaultQueryFrontendSlowQueryThreshold
	}
	if s.MaxRetries == 0 {
		s.MaxRetries = DefaultQueryFrontendMaxRetries
	}
	if s.Cache.InMemoryMaxSize == "" {
		s.Cache.InMemoryMaxSize = DefaultQueryFrontendCacheSize
	}
	if s.Cache.Validity == "" {
		s.Cache.Validity = DefaultQueryFrontendCacheValidity
	}
	return s
}

// InMemoryCacheBytes is the in-memory cache's size in bytes, parsed as the cache parses it
// (github.com/dustin/go-humanize: "256MB" is 256,000,000 bytes, "256MiB" 268,435,456).
func (c QueryFrontendCache) InMemoryCacheBytes() (uint64, error) {
	n, err := humanize.ParseBytes(c.InMemoryMaxSize)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("cache size %q is not a positive byte size such as 256MB or 1GiB", c.InMemoryMaxSize)
	}
	return n, nil
}

// MemcachedPorts are the TCP ports of the memcached addresses, for the NetworkPolicy's egress.
func (c QueryFrontendCache) MemcachedPorts() ([]int, error) {
	var ports []int
	for _, address := range c.MemcachedAddresses {
		hostPort := strings.TrimPrefix(address, "dns+")
		if strings.Contains(hostPort, "+") {
			return nil, fmt.Errorf("memcached address %q: give host:port or dns+host:port (a dnssrv+ name's ports are not known ahead, and the NetworkPolicy needs them)", address)
		}
		_, p, err := net.SplitHostPort(hostPort)
		if err != nil {
			return nil, fmt.Errorf("memcached address %q is not host:port: %w", address, err)
		}
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("memcached address %q: port %q is not a number from 1 to 65535", address, p)
		}
		ports = append(ports, port)
	}
	return ports, nil
}

// ResponseCacheConfig is the YAML of --query-range.response-cache-config for cache.
func ResponseCacheConfig(cache QueryFrontendCache) (string, error) {
	cfg := responseCacheConfig{Type: "IN-MEMORY", Config: inMemoryCacheConfig{MaxSize: cache.InMemoryMaxSize, Validity: cache.Validity}}
	if len(cache.MemcachedAddresses) > 0 {
		cfg = responseCacheConfig{Type: "MEMCACHED", Config: memcachedCacheConfig{Addresses: cache.MemcachedAddresses, Expiration: cache.Validity}}
	}
	out, err := yaml.Marshal(cfg)
	return string(out), err
}

// Validate checks the settings (with their defaults filled) as Thanos would parse them, naming
// each bad one as names call it.
func (s QueryFrontendSettings) Validate(names components.SettingNames) error {
	v := components.NewSettingErrors(names)
	// The cache's validity goes through yaml.v2 into a time.Duration, which knows no "d" (one day
	// is "24h"); the two flags (kingpin's DurationVar, which the pinned binary also takes in days)
	// are held to the same form, so the three read alike.
	v.GoDuration("SplitInterval", s.SplitInterval)
	v.GoDuration("SlowQueryThreshold", s.SlowQueryThreshold)
	v.GoDuration("Cache.Validity", s.Cache.Validity)
	if s.MaxRetries < 1 {
		v.Fail("MaxRetries", "%d is below the minimum of 1", s.MaxRetries)
	}
	if len(s.Cache.MemcachedAddresses) == 0 {
		if _, err := s.Cache.InMemoryCacheBytes(); err != nil {
			v.Fail("Cache.InMemoryMaxSize", "%q is not a positive byte size such as 256MB or 1GiB", s.Cache.InMemoryMaxSize)
		}
	}
	if _, err := s.Cache.MemcachedPorts(); err != nil {
		v.Fail("Cache.MemcachedAddresses", "%v", err)
	}
	return v.Err()
}

// QueryFrontendFlags are the flags of `thanos query-frontend`, verified against ThanosVersion
// (cmd/thanos/query_frontend.go). s must have its defaults filled.
func QueryFrontendFlags(downstreamURL string, s QueryFrontendSettings) ([]string, error) {
	if u, err := url.Parse(downstreamURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("downstream URL %q is not an http(s) URL", downstreamURL)
	}
	if err := s.Validate(nil); err != nil {
		return nil, err
	}
	cacheConfig, err := ResponseCacheConfig(s.Cache)
	if err != nil {
		return nil, err
	}
	return append(logFlags(),
		flag("http-address", fmt.Sprintf("0.0.0.0:%d", HTTPPort)),
		flag("query-frontend.downstream-url", downstreamURL),
		// Boolean flags are bare: Thanos's kingpin refuses "--flag=true" ("unexpected true").
		"--query-frontend.compress-responses",
		flag("query-frontend.log-queries-longer-than", s.SlowQueryThreshold),
		flag("query-range.split-interval", s.SplitInterval),
		flag("query-range.max-retries-per-request", s.MaxRetries),
		flag("query.max-retries-per-request", s.MaxRetries),
		// Ask the querier again for downsampled data where raw data is missing or incomplete (raw
		// retention is shorter than the downsampled resolutions'). Thanos's default, made explicit.
		"--query-range.request-downsampled",
		flag("query-range.response-cache-config", cacheConfig),
		// Partial responses, as the querier's (QuerierFlags): the frontend sends partial_response with
		// every query it passes on (its default when the client sends none), so its default, not
		// the querier's, is what Grafana's queries get. The instant-query path takes the
		// query-range flag too (pkg/queryfrontend/roundtrip.go).
		"--query-range.partial-response",
		"--labels.partial-response",
	), nil
}

// NewQueryFrontend registers the query-frontend: ServiceAccount, Deployment, Service,
// ServiceMonitor and, when asked, a PodDisruptionBudget.
func NewQueryFrontend(ctx *pulumi.Context, name string, args *QueryFrontendArgs, opts ...pulumi.ResourceOption) (*QueryFrontend, error) {
	if err := args.validate("query-frontend"); err != nil {
		return nil, err
	}
	if args.Replicas < 1 {
		return nil, fmt.Errorf("query-frontend: Replicas must be at least 1, got %d", args.Replicas)
	}
	if args.DownstreamURL == nil {
		return nil, fmt.Errorf("query-frontend: DownstreamURL is required")
	}
	settings := args.QueryFrontendSettings.WithDefaults()
	if err := settings.Validate(nil); err != nil {
		return nil, fmt.Errorf("query-frontend: %w", err)
	}
	containerArgs := args.DownstreamURL.ToStringOutput().ApplyT(func(downstream string) ([]string, error) {
		flags, err := QueryFrontendFlags(downstream, settings)
		return append([]string{"query-frontend"}, flags...), err
	}).(pulumi.StringArrayOutput)
	f := &QueryFrontend{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:QueryFrontend", name, f, opts...); err != nil {
		return nil, err
	}
	svc, err := newStatelessDeployment(ctx, args.WorkloadArgs, statelessDeployment{
		labels:              QueryFrontendLabels(args.Instance),
		replicas:            args.Replicas,
		servicePorts:        map[string]int{HTTPPortName: QueryFrontendHTTPServicePort},
		container:           thanosContainer{Args: containerArgs, Resources: args.Resources},
		podDisruptionBudget: args.PodDisruptionBudget,
	}, pulumi.Parent(f))
	if err != nil {
		return nil, fmt.Errorf("query-frontend: %w", err)
	}
	f.URL = pulumi.Sprintf("http://%s.%s.svc.cluster.local:%d", svc.Metadata.Name().Elem(), svc.Metadata.Namespace().Elem(), QueryFrontendHTTPServicePort)
	return f, ctx.RegisterResourceOutputs(f, pulumi.Map{"url": f.URL})
}
