// Package harness is what the integration, end-to-end and cluster suites need around a stack: the
// tools' binaries (from the builder, tools/build), a Kubernetes control plane on loopback and the
// one-node cluster with its certificates, the kubelet's part for containers run as processes, the
// Pulumi engine through the Automation API, the real chart and prometheus-operator, and MinIO.
// Every change a suite makes to what the program, the chart or the operator generates is one row of
// the Substitutions table, with its reason. Processes and ports are package procs, untyped objects
// package objects, and the Prometheus API package promapi.
package harness
