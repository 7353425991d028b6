// Package e2e is the end-to-end suite: it deploys the prod stack through the real Pulumi engine,
// chart and prometheus-operator onto a control plane on loopback, reads back the command lines and
// files they generated, runs them with the real Thanos, Prometheus, config reloader and MinIO on
// loopback (changed only by the rows of harness.Substitutions), and checks HA, long-term storage and
// downsampling, with the deployment tests/internal/loopback runs. Every file but this one carries the
// e2e build tag; see docs/e2e.md. To run it:
//
//	env=$(go run ./tools/build --print-env e2e) && eval "$env"
//	go test -tags e2e -count=1 -timeout 30m ./tests/e2e/
package e2e
