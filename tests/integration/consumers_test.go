//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	examples "github.com/prometheus-thanos/prometheus-thanos/examples/consumer"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// consumedOutputs are the outputs the README's examples read.
var consumedOutputs = []string{"queryFrontendUrl", "querierUrl", "storeApiEndpoint", "bucketName", "grafanaAdminSecret"}

// consumersReadTheOutputs runs the README's examples of another stack reading the program's
// outputs through a StackReference, each in a project of its own: Go (examples/consumer, an
// inline program) and YAML (examples/consumer-yaml, run by Pulumi YAML's language host). Each
// exports what it read: the program's outputs as they are. clusterRef is a stack without them.
func consumersReadTheOutputs(ctx context.Context, t *testing.T, stack auto.Stack, clusterRef string) {
	outputs, err := stack.Outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mainName := harness.FullyQualified(program.ProjectName, mainStack)

	goConsumer := suite.Pulumi.MustStack(ctx, t, consumerProject, consumerStack, examples.Program)
	readsTheOutputs(ctx, t, goConsumer, consumerProject, mainName, outputs)
	// A stack without one of the outputs fails the Go consumer's update, naming the stack and output.
	harness.MustSetConfig(ctx, t, goConsumer, map[string]string{consumerProject + ":monitoringStack": clusterRef})
	if _, err := goConsumer.Up(ctx); err == nil || !strings.Contains(err.Error(), "stack "+clusterRef+" has no output ") {
		t.Errorf("the Go consumer of a stack without the outputs: %v, want an error naming the stack and a missing output", err)
	}
	destroyConsumer(ctx, t, goConsumer)

	yamlConsumer, err := suite.Pulumi.ProjectStack(ctx, filepath.Join(harness.RepoRoot(), "examples", "consumer-yaml"), consumerStack)
	if err != nil {
		t.Fatal(err)
	}
	readsTheOutputs(ctx, t, yamlConsumer, yamlConsumerProject, mainName, outputs)
	// YAML has no requireOutput: against a stack without the outputs the update succeeds and
	// exports nothing for them (the README says so).
	harness.MustSetConfig(ctx, t, yamlConsumer, map[string]string{yamlConsumerProject + ":monitoringStack": clusterRef})
	res, err := yamlConsumer.Up(ctx)
	if err != nil {
		t.Fatalf("the YAML consumer of a stack without the outputs: %v", err)
	}
	for _, name := range consumedOutputs {
		if v, ok := res.Outputs[name]; ok && v.Value != nil && v.Value != "" {
			t.Errorf("the YAML consumer of a stack without the outputs exported %s %v", name, v.Value)
		}
	}
	destroyConsumer(ctx, t, yamlConsumer)
}

// yamlConsumerProject is examples/consumer-yaml's project name.
const yamlConsumerProject = "querier-consumer-yaml"

func readsTheOutputs(ctx context.Context, t *testing.T, consumer auto.Stack, project, monitoringStack string, want auto.OutputMap) {
	t.Helper()
	harness.MustSetConfig(ctx, t, consumer, map[string]string{project + ":monitoringStack": monitoringStack})
	res, err := consumer.Up(ctx)
	if err != nil {
		t.Fatalf("up of the %s stack: %v", project, err)
	}
	for _, name := range consumedOutputs {
		if got, want := fmt.Sprint(res.Outputs[name].Value), fmt.Sprint(want[name].Value); got != want || want == "" {
			t.Errorf("the %s stack read %s %q, want the program's %q", project, name, got, want)
		}
	}
	if want := "http://thanos-query." + namespace + ".svc.cluster.local:9090"; fmt.Sprint(res.Outputs["querierUrl"].Value) != want {
		t.Errorf("the %s stack read querierUrl %v, want %q", project, res.Outputs["querierUrl"].Value, want)
	}
}

func destroyConsumer(ctx context.Context, t *testing.T, consumer auto.Stack) {
	t.Helper()
	if _, err := consumer.Destroy(ctx); err != nil {
		t.Errorf("destroy of the %s stack: %v", consumer.Name(), err)
	}
}
