//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/program"
)

// StackName is the committed stack whose settings the suite runs: the HA one.
const StackName = "prod"

// Command is one process's subcommand (empty for Prometheus) and flags.
type Command struct {
	Subcommand string
	Flags      []string
}

// Plan is what the program deploys for a stack, as command lines: the Thanos components from the
// program's own flag builders, Prometheus and its sidecar from the chart values through the
// operator mirror, the objstore config from what program/bucket.go passes for the bucket it creates.
// Nothing here is changed for loopback yet; Substitutions does that.
type Plan struct {
	Config     program.Config
	Prometheus PrometheusPlan
	Query      Command
	Store      Command
	Compact    Command
	// Objstore is the argument program/bucket.go gives components.ObjstoreConfigYAML for a bucket
	// the program creates; the bucket name and key ARN are only known after `pulumi up`.
	Objstore components.ObjstoreConfigArgs
}

// LoadStackConfig reads Pulumi.<stack>.yaml at the repository root and validates it with the
// program's own parser, as `pulumi up` would (values are YAML scalars; Pulumi hands them over as strings).
func LoadStackConfig(repoRoot, stack string) (program.Config, error) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi."+stack+".yaml"))
	if err != nil {
		return program.Config{}, err
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return program.Config{}, fmt.Errorf("Pulumi.%s.yaml: %w", stack, err)
	}
	values := map[string]string{}
	for k, v := range file.Config {
		values[k] = fmt.Sprint(v)
	}
	cfg, err := program.ParseConfig(func(key string) (string, bool) {
		v, ok := values[key]
		return v, ok
	})
	if err != nil {
		return program.Config{}, fmt.Errorf("stack %s: %w", stack, err)
	}
	return cfg, nil
}

// NewPlan builds the command lines of every component for cfg.
func NewPlan(cfg program.Config) (*Plan, error) {
	p := &Plan{Config: cfg}
	values, err := components.PrometheusStackValues(components.PrometheusValues{
		Replicas:            cfg.PrometheusReplicas,
		ClusterName:         cfg.ClusterName,
		Retention:           cfg.PrometheusRetention,
		StorageSize:         cfg.PrometheusStorage,
		StorageClass:        cfg.StorageClass,
		ServiceAccountName:  "prometheus",      // program.prometheusServiceAccount
		ObjstoreSecretName:  "thanos-objstore", // components.NewPrometheusStack's default
		PrometheusResources: cfg.PrometheusResources,
		SidecarResources:    cfg.SidecarResources,
	})
	if err != nil {
		return nil, err
	}
	if p.Prometheus, err = OperatorPlan(values, cfg.Namespace); err != nil {
		return nil, err
	}
	// The querier discovers StoreAPIs through the peers Service NewPeers creates (default name).
	query, err := components.QueryFlags(components.PeersSRVAddress("thanos-peers", cfg.Namespace))
	if err != nil {
		return nil, err
	}
	p.Query = Command{"query", query}
	store, err := components.StoreFlags(components.ObjstoreSecretKey, cfg.StoreIndexCacheSize)
	if err != nil {
		return nil, err
	}
	p.Store = Command{"store", store}
	compact, err := components.CompactFlags(components.ObjstoreSecretKey, cfg.CompactorRetention)
	if err != nil {
		return nil, err
	}
	p.Compact = Command{"compact", compact}
	p.Objstore = components.ObjstoreConfigArgs{
		Bucket:   "<created by the program>",
		Endpoint: components.AWSS3Endpoint(cfg.Region),
		Region:   cfg.Region,
		KMSKeyID: "<ARN of the key the program creates>",
	}
	return p, nil
}
