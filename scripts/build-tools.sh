#!/usr/bin/env bash
# Builds the real tool binaries used by the integration and e2e tests from source (this machine
# reaches only the Go module proxy, Debian apt and npm) into a cache OUTSIDE the clone, keyed by
# tool and version, so a fresh clone on a warm machine rebuilds nothing:
#
#   ${PROMETHEUS_THANOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-thanos}/<tool>-<version>/bin/
#
# Usage: scripts/build-tools.sh [--print-env] tool...
#   tool: pulumi kubernetes-provider kubernetes etcd prometheus-operator kube-score thanos prometheus minio
#         node pause cluster-images kube-router
#         all | integration (= pulumi kubernetes-provider kubernetes etcd prometheus-operator kube-score)
#             | e2e (= integration + thanos prometheus minio)
#             | cluster (= e2e + node pause cluster-images kube-router)
#   --plan       build nothing: print which of the requested Go tools are not in the cache yet, and
#                roughly what building them costs
#   --print-env  after building, print `export VAR=...` lines on stdout for the requested tools:
#                PULUMI_BIN_DIR KUBERNETES_PROVIDER_BIN_DIR KUBERNETES_BIN_DIR ETCD_BIN
#                OPERATOR_BIN CONFIG_RELOADER_BIN KUBE_SCORE_BIN THANOS_BIN PROMETHEUS_BIN PROMTOOL_BIN MINIO_BIN
#                CONTAINERD_BIN CTR_BIN RUNC_BIN CNI_BIN_DIR BUSYBOX_BIN PAUSE_BIN CLUSTER_IMAGES_BIN_DIR
#                KUBE_ROUTER_BIN
#                e.g.  env=$(scripts/build-tools.sh --print-env e2e) && eval "$env"
#
# Progress goes to stderr. A binary that already exists in the cache is never rebuilt. Each binary is
# built under a temporary name and renamed into place, so an interrupted build never leaves a binary
# that looks complete. Missing Go tools are built BUILD_TOOLS_JOBS (default 2) at a time: one `go
# build` keeps 2 cores only about 70% busy (large packages serialise the compile graph; linking and
# package loading are single-threaded), so two builds side by side fill the gaps. Binaries are built
# without DWARF and symbol tables (-gcflags=all=-dwarf=false, -ldflags=-s -w, as Kubernetes' own
# release builds link): the compile is about 10% faster, each link about 3x.
# The Go helper modules live in tools/<tool>/ (their go.mod must pin the same versions as below;
# the script checks); a tool's cache key includes a hash of its helper's go.sum.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Pinned versions: the one place to change them (and the matching tools/<tool>/go.mod).
# ---------------------------------------------------------------------------------------------
PULUMI_VERSION=v3.274.1                                            # github.com/pulumi/pulumi/{pkg,sdk}/v3
KUBERNETES_PROVIDER_VERSION=v4.0.0-20260115033456-f47bc2d6f199     # github.com/pulumi/pulumi-kubernetes/provider/v4 (the only one served)
KUBERNETES_VERSION=v1.36.3                                         # k8s.io/kubernetes; staging modules k8s.io/* at v0.36.3
ETCD_VERSION=3.4.23                                                # Debian package etcd-server (expected version; warned if different)
PROMETHEUS_OPERATOR_VERSION=v0.93.1                                # github.com/prometheus-operator/prometheus-operator (the chart's)
THANOS_VERSION=v0.42.4                                             # github.com/thanos-io/thanos (v0.42.5 needs a newer Go)
PROMETHEUS_MODULE_VERSION=v0.314.0                                 # github.com/prometheus/prometheus module ...
PROMETHEUS_VERSION=3.14.0                                          # ... which is Prometheus v3.14.0
MINIO_VERSION=v0.0.0-20250907161309-07c3a429bfed                   # github.com/minio/minio at ...
MINIO_RELEASE=RELEASE.2025-09-07T16-13-09Z                         # ... this release's commit, the last release with a published image
# The one-node cluster: Debian's container runtime, and the images the chart runs besides Thanos,
# Prometheus and the operator (its exporters, at the chart's versions) and the cluster's DNS, built
# in one go build (tools/cluster-images). Alertmanager cannot be built here (its module lacks the
# web UI it embeds, which needs the Elm compiler from GitHub).
NODE_PACKAGES="containerd runc containernetworking-plugins iptables ipset conntrack busybox-static"  # Debian 12: containerd 1.6.20, runc 1.1.5
COREDNS_VERSION=v1.15.0                                            # github.com/coredns/coredns
KUBE_STATE_METRICS_VERSION=v2.20.0                                 # k8s.io/kube-state-metrics/v2 (chart's kube-state-metrics appVersion)
NODE_EXPORTER_VERSION=v1.12.1                                      # github.com/prometheus/node_exporter (chart's prometheus-node-exporter appVersion)
KUBE_SCORE_VERSION=v1.20.0                                         # github.com/zegl/kube-score, the manifest linter (the only version served)
# The one-node cluster's NetworkPolicy enforcement: kube-router with only its firewall (the bridge
# CNI, kube-proxy and CoreDNS stay). The only version served; security fixes reported since (its
# service proxy and BGP, which do not run here) are in docs/cluster.md. sigs.k8s.io/kube-network-policies
# would be the first choice, but it queues packets through nftables' queue, which this kernel lacks.
KUBE_ROUTER_VERSION=v2.1.0                                         # github.com/cloudnativelabs/kube-router/v2

KUBERNETES_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBE_STAGING_VERSION="v0.${KUBERNETES_VERSION#v1.}"                # v1.36.3 -> v0.36.3

ALL_TOOLS=(pulumi kubernetes-provider kubernetes etcd prometheus-operator kube-score thanos prometheus minio node pause cluster-images kube-router)
INTEGRATION_TOOLS=(pulumi kubernetes-provider kubernetes etcd prometheus-operator kube-score)
E2E_TOOLS=("${INTEGRATION_TOOLS[@]}" thanos prometheus minio)
CLUSTER_TOOLS=("${E2E_TOOLS[@]}" node pause cluster-images kube-router)

log() { printf '[build-tools] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  cat >&2 <<'EOF'
Usage: scripts/build-tools.sh [--print-env] tool...
  tools:  pulumi kubernetes-provider kubernetes etcd prometheus-operator kube-score thanos prometheus minio
          node pause cluster-images kube-router
  groups: all, integration (= pulumi kubernetes-provider kubernetes etcd prometheus-operator kube-score),
          e2e (= integration + thanos prometheus minio), cluster (= e2e + node pause cluster-images kube-router)
  --print-env  print `export VAR=<path>` lines (stdout) for the requested tools, e.g.
               env=$(scripts/build-tools.sh --print-env e2e) && eval "$env"
  Cache: ${PROMETHEUS_THANOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-thanos}/<tool>-<version>/bin
EOF
}

# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------
print_env=false plan=false
declare -A want=()
[[ $# -gt 0 ]] || { usage; exit 2; }
for arg in "$@"; do
  case "$arg" in
    --print-env) print_env=true ;;
    --plan) plan=true ;;
    -h|--help) usage; exit 0 ;;
    all) for t in "${ALL_TOOLS[@]}"; do want[$t]=1; done ;;
    integration) for t in "${INTEGRATION_TOOLS[@]}"; do want[$t]=1; done ;;
    e2e) for t in "${E2E_TOOLS[@]}"; do want[$t]=1; done ;;
    cluster) for t in "${CLUSTER_TOOLS[@]}"; do want[$t]=1; done ;;
    pulumi|kubernetes-provider|kubernetes|etcd|prometheus-operator|kube-score|thanos|prometheus|minio|node|pause|cluster-images|kube-router) want[$arg]=1 ;;
    *) log "unknown tool or option: $arg"; usage; exit 2 ;;
  esac
done
[[ ${#want[@]} -gt 0 ]] || { usage; exit 2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/tools"

CACHE_ROOT="${PROMETHEUS_THANOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-thanos}"
mkdir -p "$CACHE_ROOT"
CACHE_ROOT="$(cd "$CACHE_ROOT" && pwd -P)"
case "$CACHE_ROOT/" in
  "$REPO_ROOT"/*) log "warning: cache $CACHE_ROOT is inside the clone; it should live outside it" ;;
esac

bin_dir() { printf '%s/%s-%s/bin\n' "$CACHE_ROOT" "$1" "$2"; }
# A Go tool's key also names its helper module's dependencies (a hash of tools/<tool>/go.sum), so
# raising a dependency there rebuilds the tool instead of reusing a binary built with the old one.
declare -A DEPS_KEY=()
for sum_file in "$TOOLS_DIR"/*/go.sum; do
  helper="${sum_file%/go.sum}"
  sum="$(sha256sum "$sum_file")"
  DEPS_KEY[${helper##*/}]="deps-${sum:0:8}"
done
PULUMI_BIN_DIR="$(bin_dir pulumi "$PULUMI_VERSION-${DEPS_KEY[pulumi]}")"
KUBERNETES_PROVIDER_BIN_DIR="$(bin_dir kubernetes-provider "$KUBERNETES_PROVIDER_VERSION-${DEPS_KEY[kubernetes-provider]}")"
KUBERNETES_BIN_DIR="$(bin_dir kubernetes "$KUBERNETES_VERSION-${DEPS_KEY[kubernetes]}")"
PROMETHEUS_OPERATOR_BIN_DIR="$(bin_dir prometheus-operator "$PROMETHEUS_OPERATOR_VERSION-${DEPS_KEY[prometheus-operator]}")"
KUBE_SCORE_BIN_DIR="$(bin_dir kube-score "$KUBE_SCORE_VERSION-${DEPS_KEY[kube-score]}")"
KUBE_ROUTER_BIN_DIR="$(bin_dir kube-router "$KUBE_ROUTER_VERSION-${DEPS_KEY[kube-router]}")"
# Thanos's release builds use -tags netgo,slicelabels (.promu.yml of v0.42.4); without slicelabels its
# StoreAPI panics on the first gRPC call. The tags are part of the cache key.
THANOS_BUILD_TAGS=netgo,slicelabels
THANOS_BIN_DIR="$(bin_dir thanos "$THANOS_VERSION-${THANOS_BUILD_TAGS//,/-}-${DEPS_KEY[thanos]}")"
# Prometheus with only the Kubernetes service discovery, the one the operator's configuration uses,
# by the build tags Prometheus documents for this (plugins/, README "Service discovery plugins"):
# the other discoveries' cloud SDKs are 60% of its cold compile. A scrape config with another
# discovery fails to load, so the suites would notice. The tags are part of the cache key.
PROMETHEUS_BUILD_TAGS=remove_all_sd,enable_kubernetes_sd
PROMETHEUS_BIN_DIR="$(bin_dir prometheus "v$PROMETHEUS_VERSION-${PROMETHEUS_BUILD_TAGS//,/-}-${DEPS_KEY[prometheus]}")"
MINIO_BIN_DIR="$(bin_dir minio "$MINIO_VERSION-${DEPS_KEY[minio]}")"
PAUSE_BIN_DIR="$(bin_dir pause "$KUBERNETES_VERSION")"
# CoreDNS is built with the plugins the cluster's Corefile uses (tools/cluster-images/coredns).
CLUSTER_IMAGES_BIN_DIR="$(bin_dir cluster-images "coredns-$COREDNS_VERSION-min-ksm-$KUBE_STATE_METRICS_VERSION-node-exporter-$NODE_EXPORTER_VERSION-${DEPS_KEY[cluster-images]}")"
CONTAINERD_BIN="" CTR_BIN="" RUNC_BIN="" CNI_BIN_DIR="" BUSYBOX_BIN="" PAUSE_VERSION=""
ETCD_BIN=""

# Go settings for every build: the helper modules stand alone, static binaries, and a complete
# go.sum is required (the default -mod=readonly), so builds are reproducible.
export GOWORK=off CGO_ENABLED=0
GO_BUILD_FLAGS=(-trimpath "-gcflags=all=-dwarf=false")
STRIP_LDFLAGS="-s -w"
BUILD_JOBS="${BUILD_TOOLS_JOBS:-2}"
[[ "$BUILD_JOBS" =~ ^[1-9][0-9]*$ ]] || { printf '[build-tools] error: BUILD_TOOLS_JOBS must be a positive integer, got %q\n' "$BUILD_JOBS" >&2; exit 2; }

# Temporary files/dirs to remove on exit (half-built binaries, copied module trees).
CLEANUP=()
cleanup() {
  local p
  for p in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do
    [[ -e "$p" ]] || continue
    chmod -R u+w "$p" 2>/dev/null || true
    rm -rf "$p"
  done
}
trap cleanup EXIT

# Serialise builds across concurrent invocations (taken only when something must be built).
have_lock=false
take_lock() {
  $have_lock && return 0
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE_ROOT/.build.lock"
    if ! flock -n 9; then
      log "another build-tools.sh is building; waiting for it"
      flock 9
    fi
  fi
  have_lock=true
}

is_built() { [[ -f "$1" && -x "$1" ]]; }

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Version of <module> as pinned in <helper dir>/go.mod ("require" or replace target).
gomod_require_version() {
  awk -v m="$2" '
    $1 == "require" && $2 == m { print $3; exit }
    $1 == m && $2 != "=>"      { print $2; exit }
  ' "$1/go.mod"
}

check_pin() { # helper-dir module version
  local got
  [[ -f "$1/go.mod" && -f "$1/go.sum" ]] || die "missing $1/go.mod or go.sum"
  got="$(gomod_require_version "$1" "$2")"
  [[ "$got" == "$3" ]] || die "$1/go.mod requires $2 ${got:-<none>}, but the script pins $3; update one of them (then: cd $1 && go mod tidy)"
}

# Smoke-tests a freshly built binary before it is renamed into place.
smoke_test() { # binary args...
  local out
  if ! out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "$1 does not run"
  fi
  out="${out//"${1##*/}"/"$SMOKE_NAME"}"  # show the binary's name, not its temporary one
  log "  ${out%%$'\n'*}"
}

# build_go_bin <helper dir> <bin dir> <binary name> <package> <ldflags> <version args...>
build_go_bin() {
  local dir="$1" bindir="$2" name="$3" pkg="$4" ldflags="$5"; shift 5
  build_go_bins "$dir" "$bindir" "$ldflags" "$*" "$name=$pkg"
}

# build_go_bins <helper dir> <bin dir> <ldflags> <version args> <name>=<package>[|<version args>]...
# Builds every package in one `go build`, so the packages they share compile and link once, then
# smoke-tests each binary (with its own version args where a spec gives them) and renames it into
# place.
build_go_bins() {
  local dir="$1" bindir="$2" ldflags="$3" version_args="$4"; shift 4
  local spec name pkg missing=() pkgs=() tmp start
  for spec in "$@"; do
    is_built "$bindir/${spec%%=*}" || missing+=("$spec")
  done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  take_lock
  missing=()
  for spec in "$@"; do
    is_built "$bindir/${spec%%=*}" || missing+=("$spec")
  done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  mkdir -p "$bindir"
  tmp="$(mktemp -d "$bindir/.build.XXXXXX")"
  CLEANUP+=("$tmp")
  start=$(date +%s)
  for spec in "${missing[@]}"; do spec="${spec%%|*}"; pkgs+=("${spec#*=}"); done
  log "building ${missing[*]%%=*} (in ${dir#"$REPO_ROOT"/}) -> $bindir"
  if [[ ${#pkgs[@]} -eq 1 ]]; then
    (cd "$dir" && go build "${GO_BUILD_FLAGS[@]}" ${BUILD_TAGS:+-tags "$BUILD_TAGS"} -ldflags "$ldflags $STRIP_LDFLAGS" -o "$tmp/${missing[0]%%=*}" "${pkgs[0]}")
  else
    # `go build -o <dir>` names each binary after its package's last path element.
    (cd "$dir" && go build "${GO_BUILD_FLAGS[@]}" ${BUILD_TAGS:+-tags "$BUILD_TAGS"} -ldflags "$ldflags $STRIP_LDFLAGS" -o "$tmp/" "${pkgs[@]}")
  fi
  local args
  for spec in "${missing[@]}"; do
    args="$version_args"
    [[ "$spec" != *"|"* ]] || args="${spec#*|}"
    spec="${spec%%|*}"
    name="${spec%%=*}"; pkg="${spec#*=}"
    [[ -f "$tmp/$name" ]] || mv -f "$tmp/${pkg##*/}" "$tmp/$name"
    # shellcheck disable=SC2086 # args are words
    [[ -z "$args" ]] || SMOKE_NAME="$name" smoke_test "$tmp/$name" $args
    chmod 0755 "$tmp/$name"
    mv -f "$tmp/$name" "$bindir/$name"
  done
  log "built ${missing[*]%%=*} in $(elapsed "$start")"
}

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
build_pulumi() {
  local d="$TOOLS_DIR/pulumi"
  check_pin "$d" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
  check_pin "$d" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
  # The stamp lets the Automation API accept this CLI without PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK.
  PULUMI_SKIP_UPDATE_CHECK=true build_go_bin "$d" "$PULUMI_BIN_DIR" pulumi \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    version
}

# The provider is built from tools/kubernetes-provider, whose go.mod pins the provider and raises the
# modules it shares with the Pulumi CLI and the tests (Pulumi pkg/sdk, the Pulumi Kubernetes SDK,
# gRPC, ...) to the versions those select, so those packages compile once, not twice; the release
# the program pins was itself built with a newer Pulumi than the served provider source pins. The
# module embeds files its Makefile generates, so the build replaces it with a writable copy that
# has them.
build_kubernetes_provider() {
  local d="$TOOLS_DIR/kubernetes-provider" bindir="$KUBERNETES_PROVIDER_BIN_DIR" name=pulumi-resource-kubernetes
  local target="$bindir/$name" work src start
  check_pin "$d" "$KUBERNETES_PROVIDER_MODULE" "$KUBERNETES_PROVIDER_VERSION"
  is_built "$target" && return 0
  take_lock
  is_built "$target" && return 0
  start=$(date +%s)
  log "building $name from $KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_VERSION (in ${d#"$REPO_ROOT"/}) -> $bindir"
  work="$(mktemp -d "${TMPDIR:-/tmp}/build-tools-kubernetes-provider.XXXXXX")"
  CLEANUP+=("$work")
  cp "$d/go.mod" "$d/go.sum" "$d/tools.go" "$work/"
  src="$(cd "$work" && go mod download -json "$KUBERNETES_PROVIDER_MODULE" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p')"
  [[ -n "$src" && -d "$src" ]] || die "go mod download gave no directory for $KUBERNETES_PROVIDER_MODULE"
  cp -R "$src" "$work/provider"
  chmod -R u+w "$work/provider"
  cp "$work/provider/cmd/$name/schema.json" "$work/provider/cmd/$name/schema-embed.json"
  cp "$work/provider/cmd/$name/terraform-mapping.json" "$work/provider/cmd/$name/terraform-mapping-embed.json"
  # Pulumi v3.248.0 made codegen/schema's PackageSpec.Provider a pointer; the provider's one literal
  # of it is adapted, nothing else (upstream's own go.mod stops at v3.246.0 for this).
  local literal=$'\t\tProvider: pschema.ResourceSpec{' gen="$work/provider/pkg/gen/schema.go"
  [[ "$(grep -cxF "$literal" "$gen")" == 1 ]] || die "expected one 'Provider: pschema.ResourceSpec{' in $gen"
  sed -i 's/^\t\tProvider: pschema\.ResourceSpec{$/\t\tProvider: \&pschema.ResourceSpec{/' "$gen"
  (
    cd "$work"
    go mod edit -replace "$KUBERNETES_PROVIDER_MODULE=./provider"
    mkdir -p "$bindir"
    go build "${GO_BUILD_FLAGS[@]}" -ldflags "$STRIP_LDFLAGS" -o "$bindir/.$name.tmp.$$" "$KUBERNETES_PROVIDER_MODULE/cmd/$name"
  )
  local tmp="$bindir/.$name.tmp.$$"
  CLEANUP+=("$tmp")
  # A plugin has no --version: started alone it prints the port it serves on, then waits.
  local port
  port="$(timeout 10 "$tmp" 2>/dev/null | head -n 1 || true)"
  [[ "$port" =~ ^[0-9]+$ ]] || die "$name did not start (printed: ${port:-nothing})"
  log "  serves (printed port $port)"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$target"
  log "built $name in $(elapsed "$start")"
}

# The control plane and the node agent from one helper module, in one `go build`: most of their
# packages are shared and compile once.
build_kubernetes() {
  local d="$TOOLS_DIR/kubernetes" v="$KUBERNETES_VERSION" bad
  check_pin "$d" k8s.io/kubernetes "$v"
  bad="$(awk -v v="$KUBE_STAGING_VERSION" '$2 == "=>" && $3 ~ /^k8s\.io\// && $4 != v' "$d/go.mod")"
  [[ -z "$bad" ]] || die "$d/go.mod has staging replaces not at $KUBE_STAGING_VERSION: $bad"
  local minor="${v#v1.}"; minor="${minor%%.*}"
  local ldflags="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  build_go_bins "$d" "$KUBERNETES_BIN_DIR" "${ldflags# }" --version \
    kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
    kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
    kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
    kubelet=k8s.io/kubernetes/cmd/kubelet \
    kube-proxy=k8s.io/kubernetes/cmd/kube-proxy
}

# prometheus-operator and its config reloader, stamped with their version: unstamped, the operator
# reports an empty version and defaults the reloader image to "...:v".
build_prometheus_operator() {
  local d="$TOOLS_DIR/prometheus-operator" m=github.com/prometheus-operator/prometheus-operator
  check_pin "$d" "$m" "$PROMETHEUS_OPERATOR_VERSION"
  build_go_bins "$d" "$PROMETHEUS_OPERATOR_BIN_DIR" \
    "-X github.com/prometheus/common/version.Version=${PROMETHEUS_OPERATOR_VERSION#v}" --version \
    operator="$m/cmd/operator" \
    prometheus-config-reloader="$m/cmd/prometheus-config-reloader"
}

# kube-score, stamped with its version (its release builds set it the same way, through goreleaser).
build_kube_score() {
  local d="$TOOLS_DIR/kube-score" m=github.com/zegl/kube-score
  check_pin "$d" "$m" "$KUBE_SCORE_VERSION"
  build_go_bin "$d" "$KUBE_SCORE_BIN_DIR" kube-score "$m/cmd/kube-score" \
    "-X main.version=${KUBE_SCORE_VERSION#v}" version
}

# apt_install installs Debian packages (root, or through sudo), without letting them start services.
apt_install() {
  take_lock
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install $*"
    sudo=(sudo)
  fi
  # Do not let a package start its own service (etcd would hold 127.0.0.1:2379).
  local policy=/usr/sbin/policy-rc.d added_policy=false
  if [[ ! -e $policy ]]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 0755 $policy"
    added_policy=true
  fi
  local rc=0
  { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"; } >&2 || rc=$?
  $added_policy && "${sudo[@]}" rm -f "$policy"
  [[ $rc -eq 0 ]] || die "apt-get install $* failed"
  # On a systemd machine packages enable their services; the tests run their own instances.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    local unit
    for unit in etcd.service containerd.service; do
      "${sudo[@]}" systemctl disable --now "$unit" >&2 2>/dev/null || true
    done
  fi
}

# Debian's etcd-server (3.4.23) works with that kube-apiserver; tests start their own etcd.
build_etcd() {
  local etcd
  if ! etcd="$(command -v etcd)"; then
    log "etcd not on PATH: installing Debian package etcd-server"
    apt_install etcd-server
    etcd="$(command -v etcd)" || die "etcd-server installed but etcd is not on PATH"
  fi
  local out
  out="$("$etcd" --version 2>&1)" || die "$etcd does not run"
  out="${out%%$'\n'*}"
  case "$out" in
    *"$ETCD_VERSION"*) ;;
    *) log "warning: $etcd is not etcd $ETCD_VERSION ($out)" ;;
  esac
  ETCD_BIN="$etcd"
}

# The node's container runtime from Debian: containerd, runc, the CNI plugins, iptables and
# conntrack for kube-proxy. The cluster harness runs its own containerd with its own config.
build_node() {
  local missing=false tool
  for tool in containerd ctr runc iptables ipset conntrack; do command -v "$tool" >/dev/null 2>&1 || missing=true; done
  [[ -x /bin/busybox ]] || missing=true
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing=true
  if $missing; then
    log "installing Debian packages: $NODE_PACKAGES"
    # shellcheck disable=SC2086 # a list of package names
    apt_install $NODE_PACKAGES
  fi
  CONTAINERD_BIN="$(command -v containerd)" || die "containerd is not on PATH"
  CTR_BIN="$(command -v ctr)" || die "ctr is not on PATH"
  RUNC_BIN="$(command -v runc)" || die "runc is not on PATH"
  CNI_BIN_DIR=/usr/lib/cni
  BUSYBOX_BIN=/bin/busybox
  log "  $("$CONTAINERD_BIN" --version 2>&1 | head -n 1); $("$RUNC_BIN" --version 2>&1 | head -n 1)"
}

# The pause image's one binary, from the Kubernetes module's own source (build/pause/linux/pause.c),
# static, as its Makefile builds it.
build_pause() {
  local target="$PAUSE_BIN_DIR/pause" src work dir
  dir="$(cd "$TOOLS_DIR/kubernetes" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)"
  # The image's tag is the Makefile's TAG of that same source.
  PAUSE_VERSION="$(sed -n 's/^TAG ?= *//p' "$dir/build/pause/Makefile")"
  [[ -n "$PAUSE_VERSION" ]] || die "no TAG in $dir/build/pause/Makefile"
  is_built "$target" && return 0
  take_lock
  is_built "$target" && return 0
  command -v gcc >/dev/null 2>&1 || die "gcc is not on PATH"
  src="$dir/build/pause/linux/pause.c"
  [[ -f "$src" ]] || die "no $src (go mod download in tools/kubernetes first)"
  mkdir -p "$PAUSE_BIN_DIR"
  work="$PAUSE_BIN_DIR/.pause.tmp.$$"
  CLEANUP+=("$work")
  log "building pause from $src"
  gcc -Os -Wall -Werror -static -DVERSION="${KUBERNETES_VERSION#v}" -o "$work" "$src"
  chmod 0755 "$work"
  mv -f "$work" "$target"
}

build_thanos() {
  local d="$TOOLS_DIR/thanos"
  check_pin "$d" github.com/thanos-io/thanos "$THANOS_VERSION"
  BUILD_TAGS="$THANOS_BUILD_TAGS" build_go_bin "$d" "$THANOS_BIN_DIR" thanos github.com/thanos-io/thanos/cmd/thanos \
    "-X github.com/prometheus/common/version.Version=${THANOS_VERSION#v}" --version
}

build_prometheus() {
  local d="$TOOLS_DIR/prometheus" m=github.com/prometheus/prometheus
  check_pin "$d" "$m" "$PROMETHEUS_MODULE_VERSION"
  BUILD_TAGS="$PROMETHEUS_BUILD_TAGS" build_go_bins "$d" "$PROMETHEUS_BIN_DIR" "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" --version \
    prometheus="$m/cmd/prometheus" promtool="$m/cmd/promtool"
}

# The binaries of the cluster's other images, in one go build. They are not version-stamped (one
# -ldflags for all); the images' tags carry their versions.
build_cluster_images() {
  local d="$TOOLS_DIR/cluster-images"
  check_pin "$d" github.com/coredns/coredns "$COREDNS_VERSION"
  check_pin "$d" k8s.io/kube-state-metrics/v2 "$KUBE_STATE_METRICS_VERSION"
  check_pin "$d" github.com/prometheus/node_exporter "$NODE_EXPORTER_VERSION"
  build_go_bins "$d" "$CLUSTER_IMAGES_BIN_DIR" "" --version \
    coredns=github.com/prometheus-thanos/prometheus-thanos/tools/cluster-images/coredns \
    "kube-state-metrics=k8s.io/kube-state-metrics/v2|version" \
    node_exporter=github.com/prometheus/node_exporter
}

# kube-router, stamped with its version as its Makefile does.
build_kube_router() {
  local d="$TOOLS_DIR/kube-router" m=github.com/cloudnativelabs/kube-router/v2
  check_pin "$d" "$m" "$KUBE_ROUTER_VERSION"
  build_go_bin "$d" "$KUBE_ROUTER_BIN_DIR" kube-router "$m/cmd/kube-router" \
    "-X $m/pkg/version.Version=$KUBE_ROUTER_VERSION" --version
}

build_minio() {
  local d="$TOOLS_DIR/minio"
  check_pin "$d" github.com/minio/minio "$MINIO_VERSION"
  build_go_bin "$d" "$MINIO_BIN_DIR" minio github.com/minio/minio "" --version
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
# The Go tools, longest cold build first (minutes measured one at a time on 2 cores), so that the
# parallel pass below ends with short builds rather than one long one.
GO_TOOLS_LONGEST_FIRST=(kubernetes kubernetes-provider prometheus pulumi cluster-images thanos minio prometheus-operator kube-router kube-score)

# go_tool_built <tool>: whether every binary of a Go tool is in the cache.
go_tool_built() {
  local b
  case "$1" in
    pulumi) is_built "$PULUMI_BIN_DIR/pulumi" ;;
    kubernetes-provider) is_built "$KUBERNETES_PROVIDER_BIN_DIR/pulumi-resource-kubernetes" ;;
    kubernetes)
      for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
        is_built "$KUBERNETES_BIN_DIR/$b" || return 1
      done ;;
    prometheus-operator) is_built "$PROMETHEUS_OPERATOR_BIN_DIR/operator" && is_built "$PROMETHEUS_OPERATOR_BIN_DIR/prometheus-config-reloader" ;;
    kube-score) is_built "$KUBE_SCORE_BIN_DIR/kube-score" ;;
    kube-router) is_built "$KUBE_ROUTER_BIN_DIR/kube-router" ;;
    thanos) is_built "$THANOS_BIN_DIR/thanos" ;;
    prometheus) is_built "$PROMETHEUS_BIN_DIR/prometheus" && is_built "$PROMETHEUS_BIN_DIR/promtool" ;;
    minio) is_built "$MINIO_BIN_DIR/minio" ;;
    cluster-images)
      for b in coredns kube-state-metrics node_exporter; do
        is_built "$CLUSTER_IMAGES_BIN_DIR/$b" || return 1
      done ;;
    *) die "go_tool_built: not a Go tool: $1" ;;
  esac
}

# missing_go_tools prints the wanted Go tools not in the cache, longest build first, on one line.
missing_go_tools() {
  local t missing=()
  for t in "${GO_TOOLS_LONGEST_FIRST[@]}"; do
    [[ -n "${want[$t]:-}" ]] && ! go_tool_built "$t" && missing+=("$t")
  done
  echo "${missing[*]}"
}

# build_missing_in_parallel builds the wanted Go tools that are not cached, BUILD_JOBS at a time,
# each in a subshell that logs to stderr. The first failure stops the script (after the running
# builds end). The lock is taken here, once, and the subshells inherit it.
build_missing_in_parallel() {
  local t missing
  read -ra missing <<< "$(missing_go_tools)"
  [[ ${#missing[@]} -gt 1 && $BUILD_JOBS -gt 1 ]] || return 0
  take_lock
  # The standard library once, before the parallel builds would each compile it (scripts/test.sh
  # has usually done this already: then it is a cache hit).
  (cd "$REPO_ROOT" && go build "${GO_BUILD_FLAGS[@]}" std) || die "go build std failed"
  log "building ${missing[*]}, $BUILD_JOBS at a time"
  local -A job_tool=()
  local pid failed=""
  for t in "${missing[@]}"; do
    while [[ ${#job_tool[@]} -ge $BUILD_JOBS ]]; do
      wait -n -p pid || failed+=" ${job_tool[$pid]}"
      unset "job_tool[$pid]"
    done
    [[ -z "$failed" ]] || break
    ( CLEANUP=(); trap cleanup EXIT; "build_${t//-/_}" ) &
    job_tool[$!]=$t
  done
  while [[ ${#job_tool[@]} -gt 0 ]]; do
    wait -n -p pid || failed+=" ${job_tool[$pid]}"
    unset "job_tool[$pid]"
  done
  [[ -z "$failed" ]] || die "failed to build:$failed"
}

# A Pulumi CLI already on PATH at exactly the pinned version is used as it is, not built again.
if [[ -n "${want[pulumi]:-}" ]] && ! is_built "$PULUMI_BIN_DIR/pulumi" && installed_pulumi="$(command -v pulumi 2>/dev/null)" &&
  [[ "$(PULUMI_SKIP_UPDATE_CHECK=true "$installed_pulumi" version 2>/dev/null)" == "$PULUMI_VERSION" ]]; then
  PULUMI_BIN_DIR="$(dirname "$(readlink -f "$installed_pulumi")")"
  log "using the Pulumi CLI on PATH: $installed_pulumi ($PULUMI_VERSION)"
fi

# --plan: say which Go tools a run would build, and what that costs cold, and build nothing.
if $plan; then
  read -ra missing <<< "$(missing_go_tools)"
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "every tool is in the cache ($CACHE_ROOT): nothing to build"
  else
    log "to build once on this machine, into $CACHE_ROOT: ${missing[*]}"
    log "  all of them cold: about 45-70 minutes on 2 cores, behind the unit tests (docs/testing.md, \"Tool cache\")"
  fi
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH"
total_start=$(date +%s)
build_missing_in_parallel
# Then every wanted tool in a fixed order: builds what is left (the Debian packages, pause) and sets
# the variables --print-env prints; the Go tools built above are found in the cache.
for t in "${ALL_TOOLS[@]}"; do
  [[ -n "${want[$t]:-}" ]] || continue
  "build_${t//-/_}"
done
log "done in $(elapsed "$total_start") (cache: $CACHE_ROOT)"

if $print_env; then
  emit() { printf 'export %s=%q\n' "$1" "$2"; }
  [[ -z "${want[pulumi]:-}" ]] || emit PULUMI_BIN_DIR "$PULUMI_BIN_DIR"
  [[ -z "${want[kubernetes-provider]:-}" ]] || emit KUBERNETES_PROVIDER_BIN_DIR "$KUBERNETES_PROVIDER_BIN_DIR"
  [[ -z "${want[kubernetes]:-}" ]] || emit KUBERNETES_BIN_DIR "$KUBERNETES_BIN_DIR"
  [[ -z "${want[etcd]:-}" ]] || emit ETCD_BIN "$ETCD_BIN"
  if [[ -n "${want[prometheus-operator]:-}" ]]; then
    emit OPERATOR_BIN "$PROMETHEUS_OPERATOR_BIN_DIR/operator"
    emit CONFIG_RELOADER_BIN "$PROMETHEUS_OPERATOR_BIN_DIR/prometheus-config-reloader"
  fi
  [[ -z "${want[kube-score]:-}" ]] || emit KUBE_SCORE_BIN "$KUBE_SCORE_BIN_DIR/kube-score"
  [[ -z "${want[kube-router]:-}" ]] || emit KUBE_ROUTER_BIN "$KUBE_ROUTER_BIN_DIR/kube-router"
  [[ -z "${want[thanos]:-}" ]] || emit THANOS_BIN "$THANOS_BIN_DIR/thanos"
  if [[ -n "${want[prometheus]:-}" ]]; then
    emit PROMETHEUS_BIN "$PROMETHEUS_BIN_DIR/prometheus"
    emit PROMTOOL_BIN "$PROMETHEUS_BIN_DIR/promtool"
  fi
  [[ -z "${want[minio]:-}" ]] || emit MINIO_BIN "$MINIO_BIN_DIR/minio"
  if [[ -n "${want[node]:-}" ]]; then
    emit CONTAINERD_BIN "$CONTAINERD_BIN"
    emit CTR_BIN "$CTR_BIN"
    emit RUNC_BIN "$RUNC_BIN"
    emit CNI_BIN_DIR "$CNI_BIN_DIR"
    emit BUSYBOX_BIN "$BUSYBOX_BIN"
  fi
  if [[ -n "${want[pause]:-}" ]]; then
    emit PAUSE_BIN "$PAUSE_BIN_DIR/pause"
    emit PAUSE_VERSION "$PAUSE_VERSION"
  fi
  if [[ -n "${want[cluster-images]:-}" ]]; then
    emit CLUSTER_IMAGES_BIN_DIR "$CLUSTER_IMAGES_BIN_DIR"
    emit COREDNS_VERSION "$COREDNS_VERSION"
    emit KUBE_STATE_METRICS_VERSION "$KUBE_STATE_METRICS_VERSION"
    emit NODE_EXPORTER_VERSION "$NODE_EXPORTER_VERSION"
  fi
  if [[ -n "${want[minio]:-}" ]]; then
    emit MINIO_VERSION "$MINIO_VERSION"
    emit MINIO_RELEASE "$MINIO_RELEASE"
  fi
  [[ -z "${want[prometheus]:-}" ]] || emit PROMETHEUS_MODULE_VERSION "$PROMETHEUS_MODULE_VERSION"
fi
