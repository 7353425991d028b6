package mocks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// TestTheRepositoryKeepsThePinnedChartPackage: charts/ holds one package, the pinned chart's, with
// the checksum components.ChartSHA256 records, and the chart inside ships the operator, Thanos and
// Prometheus versions the program pins beside it (a bump that changes one without the others fails
// here, before any suite installs it).
func TestTheRepositoryKeepsThePinnedChartPackage(t *testing.T) {
	path, err := harness.ChartPath()
	if err != nil {
		t.Fatal(err)
	}
	packages, err := filepath.Glob(filepath.Join(harness.RepoRoot(), "charts", "*.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(packages) != 1 || packages[0] != path {
		t.Errorf("charts/ holds %v, want only %s (scripts/update-chart.sh removes the previous package)", packages, components.ChartPackage())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != components.ChartSHA256 {
		t.Errorf("sha256 of %s is %x, components.ChartSHA256 says %s", components.ChartPackage(), sum, components.ChartSHA256)
	}

	chart, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"name", chart.Metadata.Name, components.ChartName},
		{"version", chart.Metadata.Version, components.ChartVersion},
		{"appVersion (prometheus-operator)", chart.Metadata.AppVersion, components.PrometheusOperatorVersion},
		{"prometheusOperator.thanosImage.tag (the sidecar)", str(objects.Field(chart.Values, "prometheusOperator", "thanosImage", "tag")), components.ThanosVersion},
		{"prometheus.prometheusSpec.image.tag", strings.TrimSuffix(str(objects.Field(chart.Values, "prometheus", "prometheusSpec", "image", "tag")), "-distroless"), components.PrometheusVersion},
	} {
		if c.got != c.want {
			t.Errorf("the chart package's %s is %q, the program pins %q", c.what, c.got, c.want)
		}
	}
}

// str is v's string, or "" where v is no string.
func str(v any) string { s, _ := v.(string); return s }
