#!/usr/bin/env bash
# Runs every test of the project, fastest first:
#   1. go vet and the unit and whole-program tests under Pulumi mocks (seconds, no tools);
#   2. the integration suite: the real Pulumi engine, kubernetes provider and kube-prometheus-stack
#      chart against a real control plane on loopback (etcd, kube-apiserver, kube-controller-manager),
#      with the real prometheus-operator (tests/integration, build tag "integration");
#   3. the end-to-end suite: the real Thanos, Prometheus and MinIO running the command lines and
#      files the program and the operator generate there (tests/e2e, build tag "e2e");
#   4. the cluster suite: the local stack and a prod-shaped stack `pulumi up` onto a one-node
#      Kubernetes built on this machine, running as pods (tests/cluster, build tag "cluster"; needs
#      root: it runs containerd, the kubelet and a CNI bridge).
# Suites 2-4 need tools that scripts/build-tools.sh builds from their Go modules into a cache
# outside the clone; the first run on a machine builds them (about 80 minutes on 2 cores), later
# runs reuse them. They also need the real chart package in ../shared/charts (see README).
#
# Usage: scripts/test.sh [unit|integration|e2e|cluster]...   (no argument: all four)
set -euo pipefail
cd "$(dirname "$0")/.."

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration e2e cluster)

for suite in "${suites[@]}"; do
  case "$suite" in
    unit)
      echo "== unit and whole-program tests (mocks)"
      go vet ./...
      go test -count=1 ./...
      ;;
    integration)
      echo "== integration suite (Pulumi engine + kube-apiserver)"
      # An assignment fails the script when the build fails; `eval "$(...)"` alone would not.
      tool_env=$(scripts/build-tools.sh --print-env integration)
      eval "$tool_env"
      go vet -tags integration ./tests/integration/
      go test -tags integration -count=1 -timeout 30m -v ./tests/integration/ 2>&1 | grep --line-buffered -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
      ;;
    e2e)
      echo "== end-to-end suite (Thanos, Prometheus, MinIO)"
      tool_env=$(scripts/build-tools.sh --print-env e2e)
      eval "$tool_env"
      go vet -tags e2e ./tests/e2e/
      go test -tags e2e -count=1 -timeout 30m -v ./tests/e2e/ 2>&1 | grep --line-buffered -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
      ;;
    cluster)
      echo "== cluster suite (the stacks as pods on a one-node Kubernetes)"
      tool_env=$(scripts/build-tools.sh --print-env cluster)
      eval "$tool_env"
      go vet -tags cluster ./tests/cluster/
      go test -tags cluster -count=1 -timeout 60m -v ./tests/cluster/ 2>&1 | grep --line-buffered -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
      ;;
    *)
      echo "usage: scripts/test.sh [unit|integration|e2e|cluster]..." >&2
      exit 2
      ;;
  esac
done
