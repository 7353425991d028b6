package program

import (
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
)

// readChart reads the chart's section: which chart, and the values added to the program's.
func readChart(r *reader, c *Config) {
	c.Chart = chart.Source{
		Repository: r.str("chartRepository"),
		Name:       r.str("chartName"),
		Version:    r.str("chartVersion"),
		Path:       r.str("chartPath"),
	}
	if c.Chart.Path == "" && !strings.HasPrefix(c.Chart.Repository, "https://") && !strings.HasPrefix(c.Chart.Repository, "oci://") {
		r.fail("chartRepository", "%q must be an https:// or oci:// URL (or set chartPath)", c.Chart.Repository)
	}
	// The program applies the CRDs of the chart it deploys (components/chart/crds.go) and keeps the
	// package of the pinned chart only; another chart comes with its package.
	if c.Chart.Path == "" && c.Chart.Version != components.ChartVersion {
		r.fail("chartVersion", "%q: from a repository only the pinned %s, whose CRDs the program applies (it keeps that package, %s); for another version set chartPath to its package", c.Chart.Version, components.ChartVersion, components.ChartPackage())
	}
	if c.Chart.Path == "" && c.Chart.Name != components.ChartName {
		r.fail("chartName", "%q: from a repository only %s, whose CRDs the program applies; for another chart set chartPath to its package", c.Chart.Name, components.ChartName)
	}
	c.ChartReleaseName = r.str("chartReleaseName")
	if err := chart.CheckReleaseName(c.ChartReleaseName); err != nil {
		r.fail("chartReleaseName", "%v", err)
	}
	c.ChartValues = readChartValues(r, "chartValues")
	c.ChartSecretValues = readChartValues(r, "chartSecretValues")
	if both := chart.CommonLeaves(c.ChartValues, c.ChartSecretValues); len(both) > 0 {
		r.fail("chartSecretValues", "sets %s, which chartValues sets too; set each value in one of them", strings.Join(both, ", "))
	}
}

// minimumPrometheusRetention: the sidecar ships 2h blocks; local retention must cover several of
// them so a short bucket outage loses nothing.
const minimumPrometheusRetention = 6 * time.Hour

// readPrometheus reads the Prometheus section: the replicas the chart's operator runs, with their
// sidecars.
func readPrometheus(r *reader, c *Config) {
	c.PrometheusReplicas = r.integer("prometheusReplicas", 1)
	c.PrometheusRetention = r.duration("prometheusRetention", false)
	if d, err := model.ParseDuration(c.PrometheusRetention); err == nil && time.Duration(d) < minimumPrometheusRetention {
		r.fail("prometheusRetention", "%q is shorter than 6h; the sidecar ships 2h blocks and local retention must outlast a bucket outage", c.PrometheusRetention)
	}
	c.PrometheusStorage = r.quantity("prometheusStorageSize", true)
	c.StorageClass = r.str("storageClass")
	c.PrometheusResources = r.resourcesWithStorage("prometheus")
	c.SidecarResources = r.resourcesWithStorage("sidecar")
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
	for _, problem := range chart.CheckExtraChartValues(values) {
		r.fail(key, "%s; set it through the program's own config, or leave it out", problem)
	}
	return values
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

// readNodeExporterPort reads node-exporter's port; node-exporter off (enabled false), the key may
// not be set.
func readNodeExporterPort(r *reader, enabled bool) int {
	if !enabled {
		if r.set("nodeExporterPort") {
			r.fail("nodeExporterPort", "is set while chartValues turn node-exporter off (nodeExporter.enabled: false); remove one of them")
		}
		return 0
	}
	port := r.integer("nodeExporterPort", chart.MinNodeExporterPort)
	if port > 65535 {
		r.fail("nodeExporterPort", "%d is not a port (at most 65535)", port)
	}
	return port
}
