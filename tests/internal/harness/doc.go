// Package harness is what the integration, end-to-end and cluster suites need around a stack: the
// suite setup, the Pulumi engine through the Automation API, the real chart and
// prometheus-operator, MinIO, kube-score, and the Substitutions table, in which every change a
// suite makes to what the program, the chart or the operator generates is one row, with its
// reason. The Kubernetes it runs on is package kube; the tools, package toolenv; processes and
// ports, package procs.
package harness
