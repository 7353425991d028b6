#!/usr/bin/env bash
# Replaces the kube-prometheus-stack package the repository keeps (charts/) with the one the chart
# repository serves at VERSION, and pins it: components/versions.go gets the new ChartVersion and
# ChartSHA256, the previous package is removed. Needs the chart repository (and `helm`, or the Go
# module proxy to build it). Then set PrometheusOperatorVersion, ThanosVersion and PrometheusVersion
# to what the new chart ships: TestTheRepositoryKeepsThePinnedChartPackage fails until they agree.
#
# Usage: scripts/update-chart.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:?usage: scripts/update-chart.sh VERSION}"
read_const() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\([^\"]*\)\".*/\1/p" components/versions.go; }
name="$(read_const ChartName)"
repository="$(read_const ChartRepository)"
[[ -n "$name" && -n "$repository" ]] || { echo "update-chart: no ChartName or ChartRepository in components/versions.go" >&2; exit 1; }

# helm from PATH, else the Helm of go.mod (the version the tests render with), run through go.
if command -v helm >/dev/null; then
  helm=(helm)
else
  helm=(go run "helm.sh/helm/v3/cmd/helm@$(go list -m -f '{{.Version}}' helm.sh/helm/v3)")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${helm[@]}" pull "$name" --repo "$repository" --version "$version" --destination "$work"
package="$work/$name-$version.tgz"
[[ -f "$package" ]] || { echo "update-chart: helm pull gave no $name-$version.tgz" >&2; exit 1; }
sum="$(sha256sum "$package" | cut -d' ' -f1)"

rm -f charts/"$name"-*.tgz
cp "$package" charts/
sed -i -e "s/^\([[:space:]]*ChartVersion[[:space:]]*=[[:space:]]*\)\"[^\"]*\"/\1\"$version\"/" \
       -e "s/^\([[:space:]]*ChartSHA256[[:space:]]*=[[:space:]]*\)\"[^\"]*\"/\1\"$sum\"/" components/versions.go
echo "charts/$name-$version.tgz sha256 $sum; now check the versions it ships: go test ./tests/mocks -run TestTheRepositoryKeepsThePinnedChartPackage" >&2
