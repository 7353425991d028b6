// Command prometheus-thanos is the Pulumi program: highly-available Prometheus with Thanos
// long-term storage on Kubernetes and AWS. Its body is program.Run, which the tests run too.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/program"
)

func main() {
	pulumi.Run(program.Run)
}
