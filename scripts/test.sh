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
# outside the clone; the first run on a machine builds them (two builds at a time, behind the unit
# tests; the cluster suite's own images behind the integration and end-to-end suites), later runs
# reuse them. They also need the real chart package in ../shared/charts (see README).
#
# Usage: scripts/test.sh [unit|integration|e2e|cluster]...   (no argument: all four)
set -euo pipefail
cd "$(dirname "$0")/.."

# Test builds use the tools' compile settings (scripts/build-tools.sh): no DWARF, -trimpath, no cgo.
# Nothing here runs a debugger, and without DWARF a cold compile is about 10% faster. With the same
# settings, every package the tests share with a tool (the standard library, gRPC, protobuf, the
# Pulumi SDKs and more: 82 MB of the tests' 119 MB of Go source) compiles once, not once per
# setting. Stack traces are unchanged; file names in them are module paths.
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath -gcflags=all=-dwarf=false -ldflags=-w"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration e2e cluster)

# tagged_suites are the suites asked for that need tools. Their tools build in two phases: first
# those of every tagged suite but the cluster suite, then (in the background while the integration
# and end-to-end suites run) what the cluster suite adds: its images and node packages.
tagged_suites=() early_suites=() late_suites=()
for suite in "${suites[@]}"; do
  case "$suite" in integration|e2e|cluster) tagged_suites+=("$suite") ;; esac
done
for suite in "${tagged_suites[@]}"; do
  if [ "$suite" = cluster ] && [ ${#tagged_suites[@]} -gt 1 ]; then late_suites+=(cluster); else early_suites+=("$suite"); fi
done

tools_pid="" late_tools_pid="" early_tools_built=false
trap 'for p in $tools_pid $late_tools_pid; do kill -- -"$p" 2>/dev/null || true; done' EXIT

# start_tool_build SUITES...: builds the suites' tools in the background, in their own process
# group (stopped if this script ends first); $! is its process id.
start_tool_build() {
  echo "== $(date +%T) tools for: $* (in the background)"
  setsid scripts/build-tools.sh "$@" &
}

# wait_tool_build PID WHAT: waits for a background tool build; its failure stops the script.
wait_tool_build() {
  echo "== $(date +%T) waiting for the tool build ($2)"
  if ! wait "$1"; then
    echo "the tool build for $2 failed (its log is above, lines starting [build-tools])" >&2
    exit 1
  fi
}

# prepare_suite TAG: vets and compiles tests/TAG without running it, so the compile is cached by
# the time its tools are built.
prepare_suite() {
  echo "== $(date +%T) compiling the $1 suite"
  go vet -tags "$1" "./tests/$1/"
  go test -tags "$1" -c -o /dev/null "./tests/$1/"
}

# run_tagged_suite TAG TIMEOUT TITLE: waits for (or builds) the suite's tools, then vets and runs
# tests/TAG under build tag TAG.
run_tagged_suite() {
  local tag=$1 timeout=$2 title=$3 tool_env
  if [ "$tag" = cluster ] && [ -n "$late_tools_pid" ]; then
    wait_tool_build "$late_tools_pid" "${late_suites[*]}"
    late_tools_pid=""
  elif ! $early_tools_built; then
    if [ -n "$tools_pid" ]; then
      wait_tool_build "$tools_pid" "${early_suites[*]}"
      tools_pid=""
    else
      echo "== $(date +%T) tools for: ${early_suites[*]}"
      scripts/build-tools.sh "${early_suites[@]}"
    fi
    early_tools_built=true
    if [ ${#late_suites[@]} -gt 0 ]; then
      start_tool_build "${late_suites[@]}"
      late_tools_pid=$!
    fi
  fi
  echo "== $(date +%T) $title"
  # An assignment fails the script when the build fails; `eval "$(...)"` alone would not.
  tool_env=$(scripts/build-tools.sh --print-env "$tag")
  eval "$tool_env"
  go vet -tags "$tag" "./tests/$tag/"
  go test -tags "$tag" -count=1 -timeout "$timeout" -v "./tests/$tag/" 2>&1 | grep --line-buffered -v '^=== \(RUN\|PAUSE\|CONT\|NAME\)'
}

# With the unit tests asked for as well, the first tools build in the background meanwhile (a cold
# compile of this module keeps the 2 cores only partly busy), and the suites compile after the unit
# tests while that build runs.
if [ ${#early_suites[@]} -gt 0 ] && [[ " ${suites[*]} " == *" unit "* ]]; then
  # The standard library first, once: builds started together would each compile it.
  echo "== $(date +%T) the standard library (shared by the tests and every tool)"
  go build std
  start_tool_build "${early_suites[@]}"
  tools_pid=$!
fi

for suite in "${suites[@]}"; do
  case "$suite" in
    unit)
      echo "== $(date +%T) unit and whole-program tests (mocks)"
      go vet ./...
      go test -count=1 ./...
      if [ -n "$tools_pid" ]; then
        for tag in "${tagged_suites[@]}"; do prepare_suite "$tag"; done
      fi
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
