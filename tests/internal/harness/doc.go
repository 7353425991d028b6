// Package harness is the one place where the integration and end-to-end suites start and stop
// real processes: the tools' binaries (from the builder, tools/build), a Kubernetes control plane on
// loopback, the Pulumi engine through the Automation API, the real prometheus-operator, and MinIO.
// Every change a suite makes to what the program, the chart or the operator generates is one row of
// the Substitutions table, with its reason.
package harness
