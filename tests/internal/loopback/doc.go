// Package loopback runs a stack of the program on loopback: it deploys the stack through the real
// Pulumi engine, chart and prometheus-operator onto a control plane on loopback, reads back the
// command lines and files they generated (Generated), and runs them with the real Thanos,
// Prometheus, config reloader and MinIO as processes (Loopback), changed only by the rows of
// harness.Substitutions. The end-to-end suite (tests/e2e) and its benchmark (tests/e2e/cmd/bench)
// use it. Every file but this one carries the e2e build tag.
package loopback
