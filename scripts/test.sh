#!/usr/bin/env bash
# Runs every test of the project, fastest first:
#   1. go vet and the unit and whole-program tests under Pulumi mocks (seconds, no tools);
#   2. the integration suite: the real Pulumi engine and kubernetes provider against a real
#      kube-apiserver and etcd on loopback (tests/integration, build tag "integration");
#   3. the end-to-end suite: the real Thanos, Prometheus and MinIO running the configuration the
#      program generates (tests/e2e, build tag "e2e").
# Suites 2 and 3 need tools that scripts/build-tools.sh builds from their Go modules into a cache
# outside the clone; the first run on a machine builds them (about 45 minutes on 2 cores), later
# runs reuse them.
#
# Usage: scripts/test.sh [unit|integration|e2e]...   (no argument: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration e2e)

for suite in "${suites[@]}"; do
  case "$suite" in
    unit)
      echo "== unit and whole-program tests (mocks)"
      go vet ./...
      go test -count=1 ./...
      ;;
    integration)
      echo "== integration suite (Pulumi engine + kube-apiserver)"
      eval "$(scripts/build-tools.sh --print-env integration)"
      go vet -tags integration ./tests/integration/
      go test -tags integration -count=1 -timeout 30m -v ./tests/integration/ 2>&1 | grep -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
      ;;
    e2e)
      echo "== end-to-end suite (Thanos, Prometheus, MinIO)"
      eval "$(scripts/build-tools.sh --print-env e2e)"
      go vet -tags e2e ./tests/e2e/
      go test -tags e2e -count=1 -timeout 30m -v ./tests/e2e/ 2>&1 | grep -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
      ;;
    *)
      echo "usage: scripts/test.sh [unit|integration|e2e]..." >&2
      exit 2
      ;;
  esac
done
