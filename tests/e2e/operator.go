//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// This file mirrors what prometheus-operator (components.PrometheusOperatorVersion, v0.93.1) does with
// the kube-prometheus-stack values the program generates (components.PrometheusStackValues): the
// Prometheus container's flags and configuration, and the Thanos sidecar's flags. The operator is not
// a dependency of this module (importing its server package would pull in client-go and more), so
// the logic is copied from its source, function by function, for the fields the program sets.
// Source: github.com/prometheus-operator/prometheus-operator@v0.93.1 (`go mod download -json` it).
//
// Any prometheusSpec or thanos key the program starts to set that this mirror does not model fails
// OperatorPlan, so the mirror cannot silently fall behind the program.

// Names kube-prometheus-stack gives the Prometheus object it creates, for the release
// components.NewPrometheusStack installs (its default ReleaseName). The chart's
// "kube-prometheus-stack.prometheus.crname" helper is "<fullname>-prometheus", and fullname is the
// release name when the release name contains the chart name (truncated to 26 characters).
const (
	chartReleaseName = "kube-prometheus-stack"
	prometheusName   = chartReleaseName + "-prometheus"
)

// Paths inside the Prometheus pod, from pkg/prometheus/common.go (StorageDir, ConfOutDir,
// ConfigEnvsubstFilename, WebConfigDir), pkg/webconfig/config.go (configFile) and
// pkg/prometheus/server/thanos_sidecar_config.go (thanosConfigDir, the HTTP client file name).
const (
	operatorStorageDir        = "/prometheus"
	operatorConfigFile        = "/etc/prometheus/config_out/prometheus.env.yaml"
	operatorWebConfigFile     = "/etc/prometheus/web_config/web-config.yaml"
	operatorHTTPClientFile    = "/etc/thanos/config/prometheus.http-client-file.yaml"
	operatorShipperMetaFile   = "thanos.shipper.json"
	operatorLocalHost         = "localhost" // the operator's --localhost flag default
	operatorPrometheusPort    = 9090
	operatorDefaultScrape     = "30s" // monitoringv1.DefaultScrapeInterval; the program sets none
	operatorDefaultEvaluation = "30s"
)

// Minimum versions for coordinated ("delayed") compaction, pkg/prometheus/server/statefulset.go
// (minVersionPrometheusDelayedCompaction, minVersionThanosDelayedCompaction).
const (
	minPrometheusDelayedCompaction = "v3.9.0"
	minThanosDelayedCompaction     = "v0.41.0"
)

// PrometheusPlan is what the operator runs for the program's Prometheus: one StatefulSet of
// Replicas pods, each a Prometheus container and a Thanos sidecar container.
type PrometheusPlan struct {
	Namespace, Name string
	Replicas        int
	// ReplicaLabel is the external label that tells the replicas apart (prometheus_replica).
	ReplicaLabel string
	// SharedLabels are the external labels every replica carries (cluster, prometheus).
	SharedLabels map[string]string
	// Retention of the local TSDB.
	Retention string
	// DelayedCompaction: the operator keeps Prometheus's local compaction on and coordinates it
	// with the sidecar's shipper file, instead of pinning both block durations to 2h.
	DelayedCompaction bool
	// PrometheusFlags and SidecarFlags are the containers' arguments, without the sidecar's
	// "sidecar" subcommand; "$(OBJSTORE_CONFIG)" is still to be expanded from the Secret.
	PrometheusFlags, SidecarFlags []string
	// SidecarHTTPClientConfig is the content of the Secret mounted as the sidecar's
	// --prometheus.http-client-file.
	SidecarHTTPClientConfig string
}

// PodName is the name of replica i's pod: the StatefulSet is prompkg.PrefixedName ("prometheus-" +
// name; shard 0 has no suffix), its pods "<statefulset>-<ordinal>".
func (p PrometheusPlan) PodName(i int) string { return fmt.Sprintf("prometheus-%s-%d", p.Name, i) }

// ExternalLabels of replica i: the shared ones plus ReplicaLabel = the pod name. The operator writes
// "$(POD_NAME)" (pkg/prometheus/promcfg.go, buildExternalLabels) and the config-reloader expands it.
func (p PrometheusPlan) ExternalLabels(i int) map[string]string {
	l := maps.Clone(p.SharedLabels)
	l[p.ReplicaLabel] = p.PodName(i)
	return l
}

// Config is the Prometheus configuration the operator generates for replica i, before the test's
// substitutions (scrape jobs come from ServiceMonitors in a cluster; see Substitutions).
func (p PrometheusPlan) Config(i int) map[string]any {
	return map[string]any{
		// pkg/prometheus/promcfg.go, buildGlobalConfig.
		"global": map[string]any{
			"scrape_interval":     operatorDefaultScrape,
			"evaluation_interval": operatorDefaultEvaluation,
			"external_labels":     p.ExternalLabels(i),
		},
		// Prometheus >= v3.11 takes retention from the file: promcfg.go, appendStorageSettingsConfig.
		"storage":        map[string]any{"tsdb": map[string]any{"retention": map[string]any{"time": p.Retention}}},
		"scrape_configs": []any{},
	}
}

// prometheusSpecKeys are the chart's prometheusSpec keys this mirror understands; the selector
// keys only choose ServiceMonitors, podMetadata/resources/storageSpec do not reach the command lines.
var prometheusSpecKeys = []string{
	"replicas", "replicaExternalLabelName", "externalLabels", "retention", "thanos",
	"podMetadata", "resources", "storageSpec",
	"serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues",
}

// thanosSpecKeys are the ThanosSpec fields createThanosContainer's mirror below handles.
var thanosSpecKeys = []string{"image", "version", "objectStorageConfig", "resources"}

// chartValues is the part of the kube-prometheus-stack values the mirror reads.
type chartValues struct {
	Prometheus struct {
		PrometheusSpec struct {
			Replicas                 int                      `json:"replicas"`
			ReplicaExternalLabelName *string                  `json:"replicaExternalLabelName"`
			ExternalLabels           map[string]string        `json:"externalLabels"`
			Retention                string                   `json:"retention"`
			Thanos                   *monitoringv1.ThanosSpec `json:"thanos"`
		} `json:"prometheusSpec"`
	} `json:"prometheus"`
}

// OperatorPlan derives the operator's Prometheus and sidecar from the chart values.
func OperatorPlan(values map[string]any, namespace string) (PrometheusPlan, error) {
	raw, err := json.Marshal(values)
	if err != nil {
		return PrometheusPlan{}, err
	}
	// The keys set, to refuse what the mirror does not model...
	var keys struct {
		Prometheus struct {
			PrometheusSpec map[string]json.RawMessage `json:"prometheusSpec"`
		} `json:"prometheus"`
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		return PrometheusPlan{}, err
	}
	spec := keys.Prometheus.PrometheusSpec
	for key := range spec {
		if !slices.Contains(prometheusSpecKeys, key) {
			return PrometheusPlan{}, fmt.Errorf("prometheusSpec.%s is set by the program but not modelled by tests/e2e/operator.go: add it", key)
		}
	}
	var thanosKeys map[string]json.RawMessage
	if err := json.Unmarshal(spec["thanos"], &thanosKeys); err != nil {
		return PrometheusPlan{}, fmt.Errorf("prometheusSpec.thanos: %w", err)
	}
	for key := range thanosKeys {
		if !slices.Contains(thanosSpecKeys, key) {
			return PrometheusPlan{}, fmt.Errorf("prometheusSpec.thanos.%s is set by the program but not modelled by tests/e2e/operator.go: add it", key)
		}
	}
	// ...and their values, typed (the thanos block by the operator's own ThanosSpec).
	var v chartValues
	if err := json.Unmarshal(raw, &v); err != nil {
		return PrometheusPlan{}, fmt.Errorf("prometheusSpec: %w", err)
	}
	s := v.Prometheus.PrometheusSpec
	if s.Thanos == nil || s.Thanos.ObjectStorageConfig == nil {
		return PrometheusPlan{}, fmt.Errorf("prometheusSpec.thanos.objectStorageConfig is not set: the sidecar would not ship blocks")
	}

	p := PrometheusPlan{
		Namespace: namespace,
		Name:      prometheusName,
		Replicas:  s.Replicas,
		// promcfg.go: defaultReplicaExternalLabelName unless the spec names one.
		ReplicaLabel: "prometheus_replica",
		Retention:    s.Retention,
	}
	if s.ReplicaExternalLabelName != nil {
		p.ReplicaLabel = *s.ReplicaExternalLabelName
	}
	if p.ReplicaLabel == "" {
		return PrometheusPlan{}, fmt.Errorf("replicaExternalLabelName is empty: the replicas would carry no replica label")
	}
	// promcfg.go, buildExternalLabels: prometheus="<namespace>/<name>" (defaultPrometheusExternalLabelName),
	// the replica label, then the spec's externalLabels except the reserved keys.
	p.SharedLabels = map[string]string{"prometheus": namespace + "/" + p.Name}
	for k, val := range s.ExternalLabels {
		if k == "prometheus" || k == p.ReplicaLabel {
			continue // the operator ignores reserved keys ("ignoring external label because it is a reserved key")
		}
		p.SharedLabels[k] = val
	}

	thanosVersion := components.ThanosVersion
	if s.Thanos.Version != nil {
		thanosVersion = *s.Thanos.Version
	}
	// statefulset.go, compactionModeFor: Prometheus >= 3.9.0 and Thanos >= 0.41.0 with object storage.
	p.DelayedCompaction = versionAtLeast(components.PrometheusVersion, minPrometheusDelayedCompaction) &&
		versionAtLeast(thanosVersion, minThanosDelayedCompaction)

	p.PrometheusFlags = prometheusArgs(p)
	p.SidecarFlags = sidecarArgs(p)
	// thanos_sidecar_config.go, buildPrometheusHTTPClientConfigSecret.
	p.SidecarHTTPClientConfig = "tls_config:\n  insecure_skip_verify: true\n"
	return p, nil
}

// prometheusArgs mirrors statefulset.go buildServerArgs (which starts from promcfg.go
// BuildCommonPrometheusArgs) and the compaction arguments of makeStatefulSetSpec, for a spec with
// none of the optional fields set.
func prometheusArgs(p PrometheusPlan) []string {
	args := []arg{
		{"config.file", operatorConfigFile},
		{"web.enable-lifecycle", ""}, // the default HTTP reload strategy
		{"web.route-prefix", "/"},
		// Retention: a flag only below v3.11; above, the config file (PrometheusPlan.Config).
		{"storage.tsdb.path", operatorStorageDir},
		// makeStatefulSetSpec: "We always mount the web config file for versions greater than 2.24.0".
		{"web.config.file", operatorWebConfigFile},
	}
	if p.DelayedCompaction {
		args = append(args, arg{"storage.tsdb.delay-compact-file.path", operatorStorageDir + "/" + operatorShipperMetaFile})
	} else {
		args = append(args, arg{"storage.tsdb.max-block-duration", "2h"}, arg{"storage.tsdb.min-block-duration", "2h"})
	}
	return buildArgs(args)
}

// sidecarArgs mirrors statefulset.go createThanosContainer for a ThanosSpec with only image,
// version, objectStorageConfig and resources set (OperatorPlan enforces that).
func sidecarArgs(p PrometheusPlan) []string {
	args := []arg{
		{"prometheus.url", fmt.Sprintf("http://%s:%d/", operatorLocalHost, operatorPrometheusPort)},
		{"grpc-address", ":10901"},
		{"http-address", ":10902"},
		// objectStorageConfig is a SecretKeySelector: an env var from the Secret, expanded by the kubelet.
		{"objstore.config", "$(OBJSTORE_CONFIG)"},
		{"tsdb.path", operatorStorageDir},
	}
	if p.DelayedCompaction {
		args = append(args, arg{"shipper.meta-file-name", operatorShipperMetaFile}, arg{"shipper.ignore-unequal-block-size", ""})
	}
	// Thanos >= 0.24.0 (thanosSupportedVersionHTTPClientFlag).
	args = append(args, arg{"prometheus.http-client-file", operatorHTTPClientFile})
	return buildArgs(args)
}

type arg struct{ name, value string }

// buildArgs mirrors pkg/operator/argument.go BuildArgs.
func buildArgs(args []arg) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a.value != "" {
			out = append(out, fmt.Sprintf("--%s=%s", a.name, a.value))
		} else {
			out = append(out, "--"+a.name)
		}
	}
	return out
}

// versionAtLeast compares "vX.Y.Z" versions (a leading "v" optional).
func versionAtLeast(version, minimum string) bool {
	parse := func(v string) [3]int {
		var out [3]int
		fmt.Sscanf(strings.TrimPrefix(v, "v"), "%d.%d.%d", &out[0], &out[1], &out[2])
		return out
	}
	a, b := parse(version), parse(minimum)
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
