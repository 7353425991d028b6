#!/usr/bin/env bash
# Copies the Thanos mixin's alerts and dashboards, unchanged, from the Thanos Go module at the
# version the program pins (components/versions.go, ThanosVersion) into components/thanos/mixin/,
# which the program embeds. Never edit those files by hand: change the pin and run this script. The e2e suite
# fails when the copies differ from the module at the pinned version (TestMixinIsThePinnedThanos, build tag e2e).
#
# Usage: scripts/sync-thanos-mixin.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's/^[[:space:]]*ThanosVersion[[:space:]]*=[[:space:]]*"\(v[^"]*\)".*/\1/p' components/versions.go)"
[[ -n "$version" ]] || { echo "sync-thanos-mixin: no ThanosVersion in components/versions.go" >&2; exit 1; }

# Run from a throwaway module so that no go.mod around the clone is involved.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'module sync-thanos-mixin\n' > "$work/go.mod"
dir="$(cd "$work" && GOWORK=off go mod download -json "github.com/thanos-io/thanos@$version" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p')"
[[ -d "$dir" ]] || { echo "sync-thanos-mixin: go mod download gave no directory for thanos@$version" >&2; exit 1; }

# The files this stack uses: the alerts (filtered to its components when the program builds its
# PrometheusRule) and the dashboards of the components it runs.
files=(
  examples/alerts/alerts.yaml
  examples/dashboards/overview.json
  examples/dashboards/query.json
  examples/dashboards/query-frontend.json
  examples/dashboards/store.json
  examples/dashboards/compact.json
  examples/dashboards/sidecar.json
)
out=components/thanos/mixin
rm -rf "$out/alerts" "$out/dashboards"
mkdir -p "$out/alerts" "$out/dashboards"
for f in "${files[@]}"; do
  case "$f" in
    examples/alerts/*) dest="$out/alerts/${f##*/}" ;;
    examples/dashboards/*) dest="$out/dashboards/${f##*/}" ;;
  esac
  install -m 0644 "$dir/$f" "$dest"
done
printf '%s\n' "$version" > "$out/VERSION"
echo "sync-thanos-mixin: copied ${#files[@]} files of github.com/thanos-io/thanos@$version into $out/"
