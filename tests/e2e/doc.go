// Package e2e is the end-to-end suite: it runs the real Thanos, Prometheus and MinIO on loopback,
// configured from what the program generates, and checks HA, long-term storage and downsampling.
// Every file but this one carries the e2e build tag; see docs/e2e.md. To run it:
//
//	eval "$(scripts/build-tools.sh --print-env e2e)"
//	go test -tags e2e -count=1 -timeout 20m ./tests/e2e/
package e2e
