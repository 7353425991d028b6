#!/usr/bin/env bash
# Runs every test of the project:
#   1. go vet and the unit and whole-program tests under Pulumi mocks (seconds, no tools);
#   2. the integration suite: the real Pulumi engine, kubernetes provider and kube-prometheus-stack
#      chart against a real control plane on loopback (etcd, kube-apiserver, kube-controller-manager),
#      with the real prometheus-operator (tests/integration, build tag "integration");
#   3. the end-to-end suite: the real Thanos, Prometheus and MinIO running the command lines and
#      files the program and the operator generate there (tests/e2e, build tag "e2e");
#   4. the cluster suite: the local stack and a prod-shaped stack `pulumi up` onto a one-node
#      Kubernetes built on this machine, running as pods (tests/cluster, build tag "cluster"; needs
#      root: it runs containerd, the kubelet and a CNI bridge).
# Suites 2-4 need tools that the project's builder (tools/build, each tool declared once in
# tools/build/toolset) builds from their Go modules into a cache outside the clone; the first run
# on a machine builds them (two builds at a time, the tests' compiles yielding to them), later runs
# reuse them. Every suite uses the real chart package the repository keeps in charts/. Asked for
# with other suites, the cluster suite starts first, in the background, as soon as its tools are
# built, and the others run beside it: most of its time is spent waiting (pods starting, the
# settle windows, MinIO held down for minutes), with the cores idle.
#
# Usage: scripts/test.sh [unit|integration|e2e|cluster]...   (no argument: all four)
set -euo pipefail
cd "$(dirname "$0")/.."

# Test builds use the tools' compile settings (tools/build): no DWARF, -trimpath, no cgo.
# Nothing here runs a debugger, and without DWARF a cold compile is about 10% faster. With the same
# settings, every package the tests share with a tool (the standard library, gRPC, protobuf, the
# Pulumi SDKs and more: 82 MB of the tests' 119 MB of Go source) compiles once, not once per
# setting. Stack traces are unchanged; file names in them are module paths.
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath -gcflags=all=-dwarf=false -ldflags=-w"

# Every `go test` here runs with -vet=off because `go vet`, with all of its default analyzers (a
# superset of go test's), has run on the same packages just before. go test's own vet pass would
# type-check every dependency again under another analyzer set: for the unit tests alone, on a warm
# build cache, 2m34s instead of 34s.
GO_TEST=(go test -vet=off -count=1)

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration e2e cluster)

tagged_suites=()
for suite in "${suites[@]}"; do
  case "$suite" in
    unit) ;;
    integration|e2e|cluster) tagged_suites+=("$suite") ;;
    *)
      echo "usage: scripts/test.sh [unit|integration|e2e|cluster]..." >&2
      exit 2
      ;;
  esac
done
cluster_beside=false
if [[ " ${tagged_suites[*]} " == *" cluster "* ]] && [ ${#tagged_suites[@]} -gt 1 ]; then
  cluster_beside=true
fi

tools_pid="" cluster_pid="" tools_built=false failed=()
trap 'for p in $tools_pid $cluster_pid; do kill -- -"$p" 2>/dev/null || true; done; rm -rf "${build_tools_dir:-}"' EXIT

# The tool builder, compiled once for this run (a failed compile stops the script), then asked
# what this run will build before anything starts: the first run on a machine builds the tools.
if [ ${#tagged_suites[@]} -gt 0 ]; then
  build_tools_dir=$(mktemp -d)
  export BUILD_TOOLS="$build_tools_dir/build-tools"
  go build -o "$BUILD_TOOLS" ./tools/build
  # testreport prints a suite's output and ends it with each failed step's last lines, kept in
  # TEST_SUMMARIES for the end of this script: a failure stays in the last lines of the log.
  export TEST_REPORT="$build_tools_dir/testreport" TEST_SUMMARIES="$build_tools_dir/summaries"
  go build -o "$TEST_REPORT" ./tools/testreport
  mkdir "$TEST_SUMMARIES"
  "$BUILD_TOOLS" --plan "${tagged_suites[@]}"
fi

# wait_for_tools: waits for the background tool build of every tagged suite (or, without one,
# builds them now); a failed build stops the script.
wait_for_tools() {
  $tools_built && return 0
  if [ -n "$tools_pid" ]; then
    echo "== $(date +%T) waiting for the tool build (${tagged_suites[*]})"
    if ! wait "$tools_pid"; then
      echo "the tool build for ${tagged_suites[*]} failed (its log is above, lines starting [build-tools])" >&2
      exit 1
    fi
    tools_pid=""
  else
    echo "== $(date +%T) tools for: ${tagged_suites[*]}"
    "$BUILD_TOOLS" "${tagged_suites[@]}"
  fi
  tools_built=true
}

# prepare_suite TAG: vets and compiles tests/TAG without running it, so the compile is cached by
# the time its tools are built.
prepare_suite() {
  echo "== $(date +%T) compiling the $1 suite"
  "${yield[@]}" go vet -tags "$1" "./tests/$1/"
  "${yield[@]}" go test -tags "$1" -c -o /dev/null "./tests/$1/"
}

# run_tagged_suite TAG TIMEOUT TITLE [GO TEST FLAGS...]: vets and runs tests/TAG under build tag TAG
# with its tools. It returns non-zero on any failure (errexit does not apply inside a function
# called with ||).
run_tagged_suite() {
  local tag=$1 timeout=$2 title=$3 tool_env
  shift 3
  echo "== $(date +%T) $title"
  tool_env=$("$BUILD_TOOLS" --print-env "$tag") || return 1
  eval "$tool_env"
  go vet -tags "$tag" "./tests/$tag/" || return 1
  "${GO_TEST[@]}" -tags "$tag" -timeout "$timeout" "$@" -json "./tests/$tag/" 2>&1 | "$TEST_REPORT" -summary "$TEST_SUMMARIES/$tag"
}

# -parallel 3: the prod-shaped stack runs throughout, the other tests take turns beside it
# (tests/cluster/shared_test.go, besideProdShaped).
run_cluster_suite() { run_tagged_suite cluster 60m "cluster suite (the stacks as pods on a one-node Kubernetes)" -parallel 3; }

# start_cluster_suite starts the cluster suite in the background, its lines prefixed as they
# interleave with the others': first the builder for its tools (every tool: the suites are
# cumulative), which waits on the cache's lock while another run builds and then finds them built,
# then the suite. On a cold machine that build is the run's critical path: the cluster suite then
# holds the machine for over half an hour, mostly waiting, with the cores idle.
start_cluster_suite() {
  echo "== $(date +%T) the cluster suite starts in the background once its tools are built; its lines start [cluster]"
  setsid bash -c "$(declare -p GO_TEST); $(declare -f run_tagged_suite run_cluster_suite); set -o pipefail; { \"\$BUILD_TOOLS\" cluster && run_cluster_suite; } 2>&1 | sed -u 's/^/[cluster] /'" &
  cluster_pid=$!
}

# yield runs the tests' compiles at a lower priority while tools build in the background: the
# tool build comes first on a cold machine, and the tests' compile fills the cores it leaves idle.
yield=()
if [ ${#tagged_suites[@]} -gt 0 ]; then
  # The standard library first, once: builds started together would each compile it.
  echo "== $(date +%T) the standard library (shared by the tests and every tool)"
  go build std
  if $cluster_beside; then
    start_cluster_suite
    yield=(nice -n 10)
  elif [[ " ${suites[*]} " == *" unit "* ]]; then
    echo "== $(date +%T) tools for: ${tagged_suites[*]} (in the background)"
    setsid "$BUILD_TOOLS" "${tagged_suites[@]}" &
    tools_pid=$!
    yield=(nice -n 10)
  fi
fi

for suite in "${suites[@]}"; do
  case "$suite" in
    unit)
      echo "== $(date +%T) unit and whole-program tests (mocks)"
      "${yield[@]}" go vet ./...
      "${yield[@]}" "${GO_TEST[@]}" ./...
      # The workflows run this step; actionlint (pinned in tools/actionlint) checks them.
      echo "== $(date +%T) actionlint over .github/workflows"
      go -C tools/actionlint run github.com/rhysd/actionlint/cmd/actionlint "$PWD"/.github/workflows/*.yml
      # The other suites compile now, while the tools build.
      for tag in "${tagged_suites[@]}"; do
        if [ "$tag" != cluster ] || ! $cluster_beside; then prepare_suite "$tag"; fi
      done
      continue
      ;;
  esac
  [ "$suite" = cluster ] && $cluster_beside && continue
  wait_for_tools
  case "$suite" in
    integration) run_tagged_suite integration 30m "integration suite (Pulumi engine + kube-apiserver)" || failed+=(integration) ;;
    e2e) run_tagged_suite e2e 30m "end-to-end suite (Thanos, Prometheus, MinIO)" || failed+=(e2e) ;;
    cluster) run_cluster_suite || failed+=(cluster) ;;
  esac
done

# A suite that failed beside the cluster suite did not stop it: it ends (and tears its node down)
# before this script reports.
if [ -n "$cluster_pid" ]; then
  echo "== $(date +%T) waiting for the cluster suite"
  wait "$cluster_pid" || failed+=(cluster)
  cluster_pid=""
fi
if [ ${#failed[@]} -gt 0 ]; then
  for suite in "${failed[@]}"; do
    if [ -s "${TEST_SUMMARIES:-}/$suite" ]; then
      echo "== the $suite suite's failed tests" >&2
      cat "$TEST_SUMMARIES/$suite" >&2
    fi
  done
  echo "== $(date +%T) FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== $(date +%T) all suites passed: ${suites[*]}"
