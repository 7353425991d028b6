package mocks

import (
	"slices"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
)

// TestPreviewOfANewStackShowsTheChartValues: in the preview of a new stack (the pull-request
// preview) the sidecar's IRSA role ARN is not known yet. Only the ServiceAccount's role annotation may wait
// for it; every other chart value must reach the engine known, so the preview shows it.
func TestPreviewOfANewStackShowsTheChartValues(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			up := stackRun(t, stack)
			upValues := at(t, up.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").Inputs, "values").(map[string]any)

			preview := previewProgram(t, stack, stackConfig(t, stack))
			if preview.err != nil {
				t.Fatal(preview.err)
			}
			release := preview.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")
			// The mock monitor drops unknown values from what it records: what is missing is unknown.
			previewValues, ok := release.Inputs["values"].(map[string]any)
			if !ok {
				t.Fatalf("the preview sends the chart values as unknown: %v", release.Inputs)
			}
			annotation := append(slices.Clone(chart.ServiceAccountAnnotationsPath), components.IRSARoleAnnotation)
			known := map[string]bool{}
			for _, leaf := range chart.ValueLeaves(previewValues) {
				known[chart.ValuePath(leaf)] = true
			}
			var unknown []string
			for _, leaf := range chart.ValueLeaves(upValues) {
				if !known[chart.ValuePath(leaf)] {
					unknown = append(unknown, chart.ValuePath(leaf))
				}
			}
			if want := []string{chart.ValuePath(annotation)}; !slices.Equal(unknown, want) {
				t.Errorf("values unknown in the preview of a new stack: %v, want only %v", unknown, want)
			}
		})
	}
}
