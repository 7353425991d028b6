package toolset

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module paths the table and its tests refer to.
const (
	PulumiModule             = "github.com/pulumi/pulumi/pkg/v3"
	PulumiSDKModule          = "github.com/pulumi/pulumi/sdk/v3"
	KubernetesProviderModule = "github.com/pulumi/pulumi-kubernetes/provider/v4"
	PulumiYAMLModule         = "github.com/pulumi/pulumi-yaml"
	KubernetesModule         = "k8s.io/kubernetes"
	PrometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator"
	KubeScoreModule          = "github.com/zegl/kube-score"
	ThanosModule             = "github.com/thanos-io/thanos"
	PrometheusModule         = "github.com/prometheus/prometheus"
	MinIOModule              = "github.com/minio/minio"
	CoreDNSModule            = "github.com/coredns/coredns"
	KubeStateMetricsModule   = "k8s.io/kube-state-metrics/v2"
	NodeExporterModule       = "github.com/prometheus/node_exporter"
	KubeRouterModule         = "github.com/cloudnativelabs/kube-router/v2"
)

// prometheusCommonVersion is where prometheus/common's version package keeps the version that
// Thanos, Prometheus and the operator print.
const prometheusCommonVersion = "github.com/prometheus/common/version.Version"

// Table is every tool, in the order --print-env prints them. Cold minutes were measured one build
// at a time on 2 cores (docs/testing.md, "Tool cache").
var Table = []Tool{
	{
		// The CLI and the kubernetes provider plugin in one module and one `go build`: they share
		// the Pulumi packages and most of their dependencies, which then compile once
		// (tools/pulumi/tools.go). Cold minutes: the two builds' alone, added (at most that).
		Name: "pulumi", Suite: Integration, Kind: GoBuild, ColdMinutes: 22,
		Modules: []string{PulumiModule, PulumiSDKModule, KubernetesProviderModule},
		// The stamp lets the Automation API accept this CLI without PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK.
		LDFlags: func(p Pins) string {
			return stampVersion("github.com/pulumi/pulumi/sdk/v3/go/common/version.Version", p.Of(PulumiModule))
		},
		Binaries: []Binary{
			{Name: "pulumi", Package: PulumiModule + "/cmd/pulumi", Smoke: []string{"version"}},
			{Name: "pulumi-resource-kubernetes", Package: KubernetesProviderModule + "/cmd/pulumi-resource-kubernetes", Plugin: true},
		},
		DirEnv:        "PULUMI_BIN_DIR",
		SmokeEnv:      []string{"PULUMI_SKIP_UPDATE_CHECK=true"},
		PatchedModule: KubernetesProviderModule,
		ModulePatch:   patchKubernetesProvider,
		Check: func(p Pins) error {
			if p.Of(PulumiModule) != p.Of(PulumiSDKModule) {
				return fmt.Errorf("requires %s %s but %s %s; the CLI is built from one release", PulumiModule, p.Of(PulumiModule), PulumiSDKModule, p.Of(PulumiSDKModule))
			}
			return nil
		},
	},
	{
		// Pulumi YAML's language host, for the README's YAML example (the CLI finds it on PATH). A
		// module of its own: v1.25.0, the newest served, builds only against the Pulumi packages
		// its go.mod names (v3.206.0), not the CLI's.
		Name: "pulumi-yaml", Suite: Integration, Kind: GoBuild, ColdMinutes: 2,
		Modules: []string{PulumiYAMLModule},
		LDFlags: func(p Pins) string {
			return stampVersion(PulumiYAMLModule+"/pkg/version.Version", p.Of(PulumiYAMLModule))
		},
		Binaries: []Binary{{Name: "pulumi-language-yaml", Package: PulumiYAMLModule + "/cmd/pulumi-language-yaml", Plugin: true}},
		DirEnv:   "PULUMI_YAML_BIN_DIR",
	},
	{
		// The control plane and the node agent in one `go build`: most packages are shared.
		Name: "kubernetes", Suite: Integration, Kind: GoBuild, ColdMinutes: 17,
		Modules: []string{KubernetesModule},
		LDFlags: func(p Pins) string {
			v := p.Of(KubernetesModule)
			minor := strings.SplitN(strings.TrimPrefix(v, "v1."), ".", 2)[0]
			var flags []string
			for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
				flags = append(flags, stampVersion(pkg+".gitVersion", v), stampVersion(pkg+".gitMajor", "1"),
					stampVersion(pkg+".gitMinor", minor), stampVersion(pkg+".gitTreeState", "clean"))
			}
			return strings.Join(flags, " ")
		},
		Binaries: []Binary{
			{Name: "kube-apiserver", Package: "k8s.io/kubernetes/cmd/kube-apiserver", Smoke: []string{"--version"}},
			{Name: "kube-controller-manager", Package: "k8s.io/kubernetes/cmd/kube-controller-manager", Smoke: []string{"--version"}},
			{Name: "kube-scheduler", Package: "k8s.io/kubernetes/cmd/kube-scheduler", Smoke: []string{"--version"}},
			{Name: "kubelet", Package: "k8s.io/kubernetes/cmd/kubelet", Smoke: []string{"--version"}},
			{Name: "kube-proxy", Package: "k8s.io/kubernetes/cmd/kube-proxy", Smoke: []string{"--version"}},
		},
		DirEnv: "KUBERNETES_BIN_DIR",
		Check: func(p Pins) error {
			want := kubeStaging(p.Of(KubernetesModule))
			var bad []string
			for m, v := range p.Replaced {
				if strings.HasPrefix(m, "k8s.io/") && v != want {
					bad = append(bad, m+" => "+v)
				}
			}
			if len(bad) > 0 {
				return fmt.Errorf("staging replaces not at %s: %s", want, strings.Join(bad, ", "))
			}
			return nil
		},
	},
	{
		// Debian 12's etcd-server works with that kube-apiserver; the suites start their own etcd.
		Name: "etcd", Suite: Integration, Kind: Debian, ExpectVersion: "3.4.23",
		Packages: []string{"etcd-server"},
		Binaries: []Binary{{Name: "etcd", Smoke: []string{"--version"}, Env: "ETCD_BIN"}},
	},
	{
		// Stamped: unstamped, the operator reports an empty version and defaults the reloader image
		// to "...:v".
		Name: "prometheus-operator", Suite: Integration, Kind: GoBuild, ColdMinutes: 5,
		Modules: []string{PrometheusOperatorModule},
		LDFlags: func(p Pins) string {
			return stampVersion(prometheusCommonVersion, withoutV(p.Of(PrometheusOperatorModule)))
		},
		Binaries: []Binary{
			{Name: "operator", Package: PrometheusOperatorModule + "/cmd/operator", Smoke: []string{"--version"}, Env: "OPERATOR_BIN"},
			{Name: "prometheus-config-reloader", Package: PrometheusOperatorModule + "/cmd/prometheus-config-reloader", Smoke: []string{"--version"}, Env: "CONFIG_RELOADER_BIN"},
		},
	},
	{
		// The manifest linter, stamped as its goreleaser builds are.
		Name: "kube-score", Suite: Integration, Kind: GoBuild, ColdMinutes: 2,
		Modules:  []string{KubeScoreModule},
		LDFlags:  func(p Pins) string { return stampVersion("main.version", withoutV(p.Of(KubeScoreModule))) },
		Binaries: []Binary{{Name: "kube-score", Package: KubeScoreModule + "/cmd/kube-score", Smoke: []string{"version"}, Env: "KUBE_SCORE_BIN"}},
	},
	{
		// Thanos's release builds use -tags netgo,slicelabels (.promu.yml of v0.42.4); without
		// slicelabels its StoreAPI panics on the first gRPC call.
		Name: "thanos", Suite: E2E, Kind: GoBuild, ColdMinutes: 7,
		Modules:  []string{ThanosModule},
		Tags:     []string{"netgo", "slicelabels"},
		LDFlags:  func(p Pins) string { return stampVersion(prometheusCommonVersion, withoutV(p.Of(ThanosModule))) },
		Binaries: []Binary{{Name: "thanos", Package: ThanosModule + "/cmd/thanos", Smoke: []string{"--version"}, Env: "THANOS_BIN"}},
	},
	{
		// Only the Kubernetes service discovery, the one the operator's configuration uses, by the
		// build tags Prometheus documents (plugins/, README "Service discovery plugins"): the other
		// discoveries' cloud SDKs are 60% of its cold compile. A scrape config with another
		// discovery fails to load, so the suites would notice.
		Name: "prometheus", Suite: E2E, Kind: GoBuild, ColdMinutes: 10,
		Modules: []string{PrometheusModule},
		Tags:    []string{"remove_all_sd", "enable_kubernetes_sd"},
		LDFlags: func(p Pins) string {
			release, _ := prometheusRelease(p.Of(PrometheusModule))
			return stampVersion(prometheusCommonVersion, release)
		},
		CacheVersion: func(p Pins) string {
			release, _ := prometheusRelease(p.Of(PrometheusModule))
			return "v" + release
		},
		Binaries: []Binary{
			{Name: "prometheus", Package: PrometheusModule + "/cmd/prometheus", Smoke: []string{"--version"}, Env: "PROMETHEUS_BIN"},
			{Name: "promtool", Package: PrometheusModule + "/cmd/promtool", Smoke: []string{"--version"}, Env: "PROMTOOL_BIN"},
		},
		Versions: []VersionVar{{Env: "PROMETHEUS_MODULE_VERSION", From: func(p Pins) (string, error) { return p.Of(PrometheusModule), nil }}},
		Check: func(p Pins) error {
			_, err := prometheusRelease(p.Of(PrometheusModule))
			return err
		},
	},
	{
		// The last MinIO release with a published image, at its release commit.
		Name: "minio", Suite: E2E, Kind: GoBuild, ColdMinutes: 7,
		Modules:  []string{MinIOModule},
		Binaries: []Binary{{Name: "minio", Package: MinIOModule, Smoke: []string{"--version"}, Env: "MINIO_BIN"}},
		Versions: []VersionVar{
			{Env: "MINIO_VERSION", From: func(p Pins) (string, error) { return p.Of(MinIOModule), nil }},
			{Env: "MINIO_RELEASE", From: func(p Pins) (string, error) { return minioRelease(p.Of(MinIOModule)) }},
		},
		Check: func(p Pins) error {
			_, err := minioRelease(p.Of(MinIOModule))
			return err
		},
	},
	{
		// The one-node cluster's container runtime, iptables and conntrack for kube-proxy, and the
		// static busybox the test images are made of. The cluster harness runs its own containerd.
		Name: "node", Suite: Cluster, Kind: Debian,
		Packages: []string{"containerd", "runc", "containernetworking-plugins", "iptables", "ipset", "conntrack", "busybox-static"},
		Binaries: []Binary{
			{Name: "containerd", Smoke: []string{"--version"}, Env: "CONTAINERD_BIN"},
			{Name: "ctr", Smoke: []string{"--version"}, Env: "CTR_BIN"},
			{Name: "runc", Smoke: []string{"--version"}, Env: "RUNC_BIN"},
			{Name: "iptables"},
			{Name: "ipset"},
			{Name: "conntrack"},
			{Name: "/bin/busybox", Env: "BUSYBOX_BIN"},
			{Name: "/usr/lib/cni/bridge"},
			{Name: "/usr/lib/cni/host-local"},
			{Name: "/usr/lib/cni/loopback"},
		},
		DirEnv: "CNI_BIN_DIR", Dir: "/usr/lib/cni",
	},
	{
		// The pause image's one binary, from the Kubernetes module's own source
		// (build/pause/linux/pause.c), static, as its Makefile builds it; the image's tag is that
		// Makefile's TAG.
		Name: "pause", Suite: Cluster, Kind: CSource, Source: "kubernetes",
		Modules:  []string{KubernetesModule},
		Binaries: []Binary{{Name: "pause", Package: "build/pause/linux/pause.c", Env: "PAUSE_BIN"}},
		Versions: []VersionVar{{Env: "PAUSE_VERSION"}},
	},
	{
		// The binaries of the cluster's other images in one go build: CoreDNS with the plugins the
		// cluster's Corefile uses (tools/cluster-images/coredns), and the chart's exporters at its
		// versions. Not stamped; the images' tags carry the versions.
		Name: "cluster-images", Suite: Cluster, Kind: GoBuild, ColdMinutes: 8,
		Modules: []string{CoreDNSModule, KubeStateMetricsModule, NodeExporterModule},
		CacheVersion: func(p Pins) string {
			return "coredns-" + p.Of(CoreDNSModule) + "-min-ksm-" + p.Of(KubeStateMetricsModule) + "-node-exporter-" + p.Of(NodeExporterModule)
		},
		Binaries: []Binary{
			{Name: "coredns", Package: "github.com/prometheus-thanos/prometheus-thanos/tools/cluster-images/coredns", Smoke: []string{"--version"}},
			{Name: "kube-state-metrics", Package: KubeStateMetricsModule, Smoke: []string{"version"}},
			{Name: "node_exporter", Package: NodeExporterModule, Smoke: []string{"--version"}},
		},
		DirEnv: "CLUSTER_IMAGES_BIN_DIR",
		Versions: []VersionVar{
			{Env: "COREDNS_VERSION", From: func(p Pins) (string, error) { return p.Of(CoreDNSModule), nil }},
			{Env: "KUBE_STATE_METRICS_VERSION", From: func(p Pins) (string, error) { return p.Of(KubeStateMetricsModule), nil }},
			{Env: "NODE_EXPORTER_VERSION", From: func(p Pins) (string, error) { return p.Of(NodeExporterModule), nil }},
		},
	},
	{
		// NetworkPolicy enforcement on the one-node cluster: kube-router with only its firewall,
		// stamped as its Makefile does (docs/cluster.md says why this one).
		Name: "kube-router", Suite: Cluster, Kind: GoBuild, ColdMinutes: 4,
		Modules: []string{KubeRouterModule},
		LDFlags: func(p Pins) string {
			return stampVersion(KubeRouterModule+"/pkg/version.Version", p.Of(KubeRouterModule))
		},
		Binaries: []Binary{{Name: "kube-router", Package: KubeRouterModule + "/cmd/kube-router", Smoke: []string{"--version"}, Env: "KUBE_ROUTER_BIN"}},
	},
}

// patchKubernetesProvider readies a copy of the provider module for `go build`: it embeds two files
// its Makefile generates (copies of files the module has), and Pulumi v3.248.0 made codegen/schema's
// PackageSpec.Provider a pointer, so the provider's one literal of it is adapted, nothing else
// (upstream's own go.mod stops at v3.246.0 for this).
func patchKubernetesProvider(dir string) error {
	cmd := filepath.Join(dir, "cmd", "pulumi-resource-kubernetes")
	for _, name := range []string{"schema", "terraform-mapping"} {
		raw, err := os.ReadFile(filepath.Join(cmd, name+".json"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(cmd, name+"-embed.json"), raw, 0o644); err != nil {
			return err
		}
	}
	gen := filepath.Join(dir, "pkg", "gen", "schema.go")
	src, err := os.ReadFile(gen)
	if err != nil {
		return err
	}
	literal := []byte("\n\t\tProvider: pschema.ResourceSpec{\n")
	if n := bytes.Count(src, literal); n != 1 {
		return fmt.Errorf("expected one 'Provider: pschema.ResourceSpec{' in %s, found %d", gen, n)
	}
	return os.WriteFile(gen, bytes.Replace(src, literal, []byte("\n\t\tProvider: &pschema.ResourceSpec{\n"), 1), 0o644)
}
