// Package consumer is the README's example of another stack reading this program's outputs
// through a stack reference; the integration suite runs Program through the real engine against a
// stack of the program (TestLifecycle).
package consumer

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Program reads the outputs of the prometheus-thanos stack that its config key monitoringStack
// names (org/project/stack) and exports what it read.
func Program(ctx *pulumi.Context) error {
	// example:start
	stackName := config.Require(ctx, "monitoringStack") // e.g. acme/prometheus-thanos/prod
	monitoring, err := pulumi.NewStackReference(ctx, stackName, nil)
	if err != nil {
		return err
	}
	// output fails the update, naming the stack and the output, where the stack lacks it.
	output := func(name string) pulumi.StringOutput {
		return monitoring.GetOutput(pulumi.String(name)).ApplyT(func(v any) (string, error) {
			s, ok := v.(string)
			if !ok || s == "" {
				return "", fmt.Errorf("stack %s has no output %q", stackName, name)
			}
			return s, nil
		}).(pulumi.StringOutput)
	}
	// Cluster DNS names: they resolve only inside the cluster (a pod, or a port-forward).
	ctx.Export("queryFrontendUrl", output("queryFrontendUrl")) // the entry point, cached
	ctx.Export("querierUrl", output("querierUrl"))
	ctx.Export("storeApiEndpoint", output("storeApiEndpoint")) // gRPC StoreAPI, for a global querier
	// Names that hold anywhere: the bucket (AWS) and the Grafana admin Secret (namespace/name).
	ctx.Export("bucketName", output("bucketName"))
	ctx.Export("grafanaAdminSecret", output("grafanaAdminSecret"))
	// example:end
	return nil
}
