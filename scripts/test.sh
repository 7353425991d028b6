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
# outside the clone; the first run on a machine builds them (before the first of those suites, in
# one run, two builds at a time), later runs reuse them. They also need the real chart package in
# ../shared/charts (see README).
#
# Usage: scripts/test.sh [unit|integration|e2e|cluster]...   (no argument: all four)
set -euo pipefail
cd "$(dirname "$0")/.."

# run_tagged_suite TAG TIMEOUT TITLE: builds (or finds) the suite's tools, then vets and runs
# tests/TAG under build tag TAG.
run_tagged_suite() {
  local tag=$1 timeout=$2 title=$3 tool_env
  if [ -n "$tools_pid" ]; then
    echo "== $(date +%T) waiting for the tool build"
    if ! wait "$tools_pid"; then
      echo "the tool build failed (its log is above, lines starting [build-tools])" >&2
      exit 1
    fi
    tools_pid=""
    tools_built=true
  fi
  if ! $tools_built; then
    echo "== $(date +%T) tools for: ${tagged_suites[*]}"
    build_tools_for_suites
    tools_built=true
  fi
  echo "== $(date +%T) $title"
  # An assignment fails the script when the build fails; `eval "$(...)"` alone would not.
  tool_env=$(scripts/build-tools.sh --print-env "$tag")
  eval "$tool_env"
  go vet -tags "$tag" "./tests/$tag/"
  go test -tags "$tag" -count=1 -timeout "$timeout" -v "./tests/$tag/" 2>&1 | grep --line-buffered -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration e2e cluster)

# tagged_suites are the suites asked for that need tools.
tagged_suites=()
for suite in "${suites[@]}"; do
  case "$suite" in integration|e2e|cluster) tagged_suites+=("$suite") ;; esac
done

# build_tools_for_suites builds, in one scripts/build-tools.sh run, the tools of every tagged suite
# asked for, so that on a cold machine its parallel builds span all of them.
build_tools_for_suites() {
  [ ${#tagged_suites[@]} -eq 0 ] || scripts/build-tools.sh "${tagged_suites[@]}"
}
tools_built=false
tools_pid=""

# With the unit tests asked for as well, the tools build in the background meanwhile: a cold
# compile of this module keeps the 2 cores only partly busy (its large generated packages compile
# one after another). The build runs in its own process group, stopped if this script ends first.
if [ ${#tagged_suites[@]} -gt 0 ] && [[ " ${suites[*]} " == *" unit "* ]]; then
  echo "== $(date +%T) tools for: ${tagged_suites[*]} (in the background)"
  setsid scripts/build-tools.sh "${tagged_suites[@]}" &
  tools_pid=$!
  trap '[ -z "$tools_pid" ] || kill -- -"$tools_pid" 2>/dev/null || true' EXIT
fi

for suite in "${suites[@]}"; do
  case "$suite" in
    unit)
      echo "== $(date +%T) unit and whole-program tests (mocks)"
      go vet ./...
      go test -count=1 ./...
      ;;
    integration) run_tagged_suite integration 30m "integration suite (Pulumi engine + kube-apiserver)" ;;
    e2e) run_tagged_suite e2e 30m "end-to-end suite (Thanos, Prometheus, MinIO)" ;;
    cluster) run_tagged_suite cluster 60m "cluster suite (the stacks as pods on a one-node Kubernetes)" ;;
    *)
      echo "usage: scripts/test.sh [unit|integration|e2e|cluster]..." >&2
      exit 2
      ;;
  esac
done
