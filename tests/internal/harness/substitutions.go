//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Target is what a substitution changes.
type Target string

const (
	PrometheusFlags  Target = "prometheus (flags)"
	PrometheusConfig Target = "prometheus (config file)"
	SidecarFlags     Target = "thanos sidecar"
	StoreFlags       Target = "thanos store"
	QueryFlags       Target = "thanos query"
	CompactFlags     Target = "thanos compact"
	ObjstoreConfig   Target = "objstore config"
)

// Action says how a substitution applies.
type Action string

const (
	// Replace changes a value the program (or the operator) generates; the key must be there.
	Replace Action = "replace"
	// Add sets something the generated command leaves at the binary's default; the key must not
	// be there (if the program starts setting it, the table must be revisited).
	Add Action = "add"
)

// Site is one process on loopback: where the substitutions point it.
type Site struct {
	// Dir is the process's own directory (under the test's temporary directory).
	Dir string
	// HTTPAddr and GRPCAddr are free loopback addresses (GRPCAddr empty for the compactor).
	HTTPAddr, GRPCAddr string
	// TSDBDir is a Prometheus replica's TSDB, shared with its sidecar as the pod's volume is.
	TSDBDir string
	// PrometheusAddr is the HTTP address of a sidecar's Prometheus.
	PrometheusAddr string
	// StoreAPIs are the gRPC addresses of every StoreAPI the querier should find.
	StoreAPIs []string
	// ScrapeTargets are the HTTP addresses Prometheus scrapes, by job.
	ScrapeTargets map[string][]string
	// ObjstoreFile is where the objstore config is written (store gateway, compactor).
	ObjstoreFile string
	// S3 is the MinIO bucket.
	S3 S3Site
}

// S3Site is the MinIO server and bucket standing in for S3.
type S3Site struct {
	Endpoint, Bucket, AccessKey, SecretKey, KMSKeyName string
}

// Substitution is one change loopback (or the test's short life) forces on the generated
// configuration. Substitutions below is the complete list: anything not in it runs as generated.
type Substitution struct {
	Target Target
	// Key is a flag name without "--", a dotted path in the Prometheus config, or an objstore
	// config field (YAML name).
	Key    string
	Action Action
	Reason string
	// Value computes the value for a site from the generated one ("" for Add).
	Value func(s *Site, generated string) (string, error)
}

// Test settings that stand in for production timings.
const (
	// TestBlockDuration is Prometheus's --storage.tsdb.min-block-duration in the test.
	TestBlockDuration = "1m"
	// TestScrapeInterval is every job's scrape interval in the test.
	TestScrapeInterval = "5s"
	// TestStoreSyncInterval is the store gateway's bucket re-sync interval in the test.
	TestStoreSyncInterval = "10s"
)

func constant(v string) func(*Site, string) (string, error) {
	return func(*Site, string) (string, error) { return v, nil }
}

var (
	httpAddr = func(s *Site, _ string) (string, error) { return s.HTTPAddr, nil }
	grpcAddr = func(s *Site, _ string) (string, error) { return s.GRPCAddr, nil }
	tsdbDir  = func(s *Site, _ string) (string, error) { return s.TSDBDir, nil }
	// inDir keeps a generated file's base name and moves it into the site's directory.
	inDir = func(s *Site, generated string) (string, error) {
		return filepath.Join(s.Dir, filepath.Base(generated)), nil
	}
	objstoreFile = func(s *Site, _ string) (string, error) { return s.ObjstoreFile, nil }
	dataDir      = func(s *Site, _ string) (string, error) { return filepath.Join(s.Dir, "data"), nil }
)

// Substitutions is every change made to what the program generates, with the reason for it.
var Substitutions = []Substitution{
	// Prometheus, as the operator would run it.
	{PrometheusFlags, "web.listen-address", Add,
		"the operator leaves Prometheus on its default :9090 (one per pod); two replicas on one host need a free loopback port each", httpAddr},
	{PrometheusFlags, "config.file", Replace,
		"the config-reloader's output file in the pod; here the file the test writes for the replica", inDir},
	{PrometheusFlags, "web.config.file", Replace,
		"mounted from a Secret in the pod (empty: no TLS); here an empty file in the replica's directory", inDir},
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
		"in a cluster the operator turns ServiceMonitors into kubernetes_sd jobs; here static jobs for the same components (both Prometheus replicas, sidecars, store gateways, queriers)",
		nil}, // built by prometheusConfig from Site.ScrapeTargets

	// The Thanos sidecar, as the operator would run it.
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
	{SidecarFlags, "grpc-address", Replace, "one process per pod listens on :10901; here a free loopback port", grpcAddr},
	{SidecarFlags, "http-address", Replace, "one process per pod listens on :10902; here a free loopback port", httpAddr},
	{SidecarFlags, "tsdb.path", Replace, "the Prometheus volume at /prometheus; here the replica's TSDB directory", tsdbDir},
	{SidecarFlags, "prometheus.http-client-file", Replace,
		"mounted from the operator's Secret in the pod; here the same content written to the sidecar's directory", inDir},

	// The store gateway, from components.StoreFlags.
	{StoreFlags, "grpc-address", Replace, "0.0.0.0:10901 in the pod; here a free loopback port", grpcAddr},
	{StoreFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; here a free loopback port", httpAddr},
	{StoreFlags, "data-dir", Replace, "the pod's persistent volume; here a temporary directory", dataDir},
	{StoreFlags, "objstore.config-file", Replace, "mounted from the objstore Secret in the pod; here a file the test writes", objstoreFile},
	{StoreFlags, "sync-block-duration", Add,
		"the default 15m bucket re-sync outlasts the test; " + TestStoreSyncInterval + " lets the store gateway see new uploads and compactions within it",
		constant(TestStoreSyncInterval)},

	// The querier, from components.QueryFlags.
	{QueryFlags, "grpc-address", Replace, "0.0.0.0:10901 in the pod; here a free loopback port", grpcAddr},
	{QueryFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; here a free loopback port", httpAddr},
	{QueryFlags, "endpoint.sd-config", Replace,
		"the dnssrv+ name of the headless peers Service resolves only in the cluster; here its SRV answer, the StoreAPI gRPC addresses, one static endpoint each",
		rewriteEndpointSDConfig},

	// The compactor, from components.CompactFlags.
	{CompactFlags, "http-address", Replace, "0.0.0.0:10902 in the pod; here a free loopback port", httpAddr},
	{CompactFlags, "data-dir", Replace, "the pod's persistent volume; here a temporary directory", dataDir},
	{CompactFlags, "objstore.config-file", Replace, "mounted from the objstore Secret in the pod; here a file the test writes", objstoreFile},
	{CompactFlags, "consistency-delay", Add,
		"the default 30m skips blocks uploaded less than 30 minutes ago; every block in the test is minutes old",
		constant("0s")},

	// The objstore config (program/bucket.go through components.ObjstoreConfigYAML).
	{ObjstoreConfig, "bucket", Replace, "the program creates the bucket on AWS and names it at deploy time; here a MinIO bucket",
		func(s *Site, _ string) (string, error) { return s.S3.Bucket, nil }},
	{ObjstoreConfig, "endpoint", Replace, "`s3.<region>.amazonaws.com`; here MinIO's loopback address (MinIO is told the stack's region, which stays)",
		func(s *Site, _ string) (string, error) { return s.S3.Endpoint, nil }},
	{ObjstoreConfig, "insecure", Replace, "MinIO on loopback speaks plain http", constant("true")},
	{ObjstoreConfig, "access_key", Replace, "no IRSA outside EKS: MinIO's static test credentials",
		func(s *Site, _ string) (string, error) { return s.S3.AccessKey, nil }},
	{ObjstoreConfig, "secret_key", Replace, "no IRSA outside EKS: MinIO's static test credentials",
		func(s *Site, _ string) (string, error) { return s.S3.SecretKey, nil }},
	{ObjstoreConfig, "sse_config.kms_key_id", Replace,
		"the ARN of the program's KMS key; here the name of MinIO's built-in KMS key (MINIO_KMS_SECRET_KEY), so SSE-KMS really happens",
		func(s *Site, _ string) (string, error) { return s.S3.KMSKeyName, nil }},
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

// ApplyFlags applies the target's substitutions to generated "--name[=value]" flags. A Replace
// whose flag is missing, or an Add whose flag is already generated, is an error: the table no
// longer matches the program.
func ApplyFlags(target Target, s *Site, generated []string) ([]string, error) {
	out := append([]string(nil), generated...)
	for _, sub := range SubstitutionsFor(target) {
		index := -1
		for i, f := range out {
			if name, _, _ := splitFlag(f); name == sub.Key {
				if index >= 0 {
					return nil, fmt.Errorf("%s: --%s is generated twice", target, sub.Key)
				}
				index = i
			}
		}
		switch {
		case sub.Action == Replace && index < 0:
			return nil, fmt.Errorf("%s: substitution of --%s, but the generated flags %q have none: update tests/e2e/substitutions.go", target, sub.Key, generated)
		case sub.Action == Add && index >= 0:
			return nil, fmt.Errorf("%s: substitution adds --%s, but the program now generates %q: update tests/e2e/substitutions.go", target, sub.Key, out[index])
		}
		old := ""
		if index >= 0 {
			_, old, _ = splitFlag(out[index])
		}
		value, err := sub.Value(s, old)
		if err != nil {
			return nil, fmt.Errorf("%s: --%s: %w", target, sub.Key, err)
		}
		flag := "--" + sub.Key + "=" + value
		if index >= 0 {
			out[index] = flag
		} else {
			out = append(out, flag)
		}
	}
	return out, nil
}

// splitFlag splits "--name=value" (or "--name") into name and value.
func splitFlag(f string) (name, value string, hasValue bool) {
	name, value, hasValue = strings.Cut(strings.TrimPrefix(f, "--"), "=")
	return name, value, hasValue
}

// ExpandEnv expands "$(VAR)" references in container arguments from env, as the kubelet does.
func ExpandEnv(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		for k, v := range env {
			a = strings.ReplaceAll(a, "$("+k+")", v)
		}
		out[i] = a
	}
	return out
}

// rewriteEndpointSDConfig replaces the single dnssrv+ peers address of the generated
// --endpoint.sd-config with the StoreAPI addresses that SRV lookup would return.
func rewriteEndpointSDConfig(s *Site, generated string) (string, error) {
	var sd components.EndpointSDConfig
	if err := yaml.Unmarshal([]byte(generated), &sd); err != nil {
		return "", fmt.Errorf("generated sd-config %q: %w", generated, err)
	}
	if len(sd.Endpoints) != 1 || !strings.HasPrefix(sd.Endpoints[0].Address, "dnssrv+_grpc._tcp.") {
		return "", fmt.Errorf("generated sd-config %q: expected one dnssrv+_grpc._tcp. address", generated)
	}
	if len(s.StoreAPIs) == 0 {
		return "", fmt.Errorf("no StoreAPI addresses to put in the sd-config")
	}
	sd.Endpoints = nil
	for _, addr := range s.StoreAPIs {
		sd.Endpoints = append(sd.Endpoints, components.EndpointSDEntry{Address: addr})
	}
	out, err := yaml.Marshal(sd)
	return string(out), err
}

// ObjstoreArgs applies the objstore substitutions to the plan's objstore arguments.
func ObjstoreArgs(plan components.ObjstoreConfigArgs, s *Site) (components.ObjstoreConfigArgs, error) {
	a := plan
	for _, sub := range SubstitutionsFor(ObjstoreConfig) {
		var field *string
		switch sub.Key {
		case "bucket":
			field = &a.Bucket
		case "endpoint":
			field = &a.Endpoint
		case "access_key":
			field = &a.AccessKey
		case "secret_key":
			field = &a.SecretKey
		case "sse_config.kms_key_id":
			field = &a.KMSKeyID
		case "insecure":
			v, err := sub.Value(s, strconv.FormatBool(a.Insecure))
			if err != nil {
				return a, err
			}
			if a.Insecure, err = strconv.ParseBool(v); err != nil {
				return a, err
			}
			continue
		default:
			return a, fmt.Errorf("objstore substitution of unknown field %q", sub.Key)
		}
		v, err := sub.Value(s, *field)
		if err != nil {
			return a, err
		}
		*field = v
	}
	return a, nil
}

// ApplyPrometheusConfig applies the config substitutions to the operator's configuration.
func ApplyPrometheusConfig(cfg map[string]any, s *Site) error {
	for _, sub := range SubstitutionsFor(PrometheusConfig) {
		if sub.Key == "scrape_configs" {
			if _, ok := cfg["scrape_configs"]; !ok {
				return fmt.Errorf("prometheus config has no scrape_configs")
			}
			var jobs []any
			for _, job := range sortedKeys(s.ScrapeTargets) {
				jobs = append(jobs, map[string]any{
					"job_name":       job,
					"static_configs": []any{map[string]any{"targets": s.ScrapeTargets[job]}},
				})
			}
			cfg["scrape_configs"] = jobs
			continue
		}
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
		if sub.Action == Replace && !ok {
			return fmt.Errorf("prometheus config has no %s to replace", sub.Key)
		}
		v, err := sub.Value(s, fmt.Sprint(old))
		if err != nil {
			return err
		}
		m[last] = v
	}
	return nil
}

// SubstitutionTable renders Substitutions as the Markdown table docs/e2e.md carries
// (TestSubstitutionsDocumented keeps the two the same).
func SubstitutionTable() string {
	var b strings.Builder
	b.WriteString("| Component | Key | Action | Reason |\n|---|---|---|---|\n")
	for _, s := range Substitutions {
		key := s.Key
		if s.Target != PrometheusConfig && s.Target != ObjstoreConfig {
			key = "--" + key
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", s.Target, key, s.Action, s.Reason)
	}
	return b.String()
}
