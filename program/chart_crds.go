package program

import (
	"fmt"
	"os"
	"path"
	"sync"

	"github.com/prometheus-thanos/prometheus-thanos/charts"
	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
)

// chartCRDsCache keeps each chart's parsed CRDs (4 MB of YAML for the pinned chart) for the
// process: the tests deploy the program hundreds of times.
var chartCRDsCache = struct {
	sync.Mutex
	byKey map[string][]chart.CRD
}{byKey: map[string][]chart.CRD{}}

// chartCRDs reads the CRDs of the chart the release installs: those of chartPath where it is set,
// else those of the package the repository keeps (embedded in the program), which is the package
// the chart repository serves at the pinned version (readConfig refuses another version).
func chartCRDs(source chart.Source) ([]chart.CRD, error) {
	key := "embedded:" + components.ChartPackage()
	if source.Path != "" {
		info, err := os.Stat(source.Path)
		if err != nil {
			return nil, fmt.Errorf("config %s:chartPath: %w", ProjectName, err)
		}
		key = fmt.Sprintf("%s:%d:%d", source.Path, info.Size(), info.ModTime().UnixNano())
	}
	chartCRDsCache.Lock()
	defer chartCRDsCache.Unlock()
	if crds, ok := chartCRDsCache.byKey[key]; ok {
		return crds, nil
	}
	var crds []chart.CRD
	var err error
	if source.Path != "" {
		if crds, err = chart.CRDsFromPath(source.Path); err != nil {
			return nil, fmt.Errorf("config %s:chartPath: %q: %w", ProjectName, source.Path, err)
		}
	} else {
		pkg, err := charts.Package(path.Base(components.ChartPackage()))
		if err != nil {
			return nil, fmt.Errorf("the program's chart package %s: %w", components.ChartPackage(), err)
		}
		if crds, err = chart.CRDsFromPackage(pkg); err != nil {
			return nil, fmt.Errorf("the program's chart package %s: %w", components.ChartPackage(), err)
		}
	}
	chartCRDsCache.byKey[key] = crds
	return crds, nil
}
