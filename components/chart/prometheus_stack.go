package chart

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Source says where the prometheus-operator chart comes from: a repository, or a local path
// (air-gapped clusters mirror charts).
type Source struct {
	// Repository URL. Default ChartRepository. Ignored when Path is set.
	Repository string
	// Name of the chart in Repository. Default ChartName.
	Name string
	// Version of the chart. Default ChartVersion. Ignored when Path is set.
	Version string
	// Path to a local chart directory or archive. Default: none (use the repository).
	Path string
}

func (c Source) withDefaults() Source {
	if c.Repository == "" {
		c.Repository = components.ChartRepository
	}
	if c.Name == "" {
		c.Name = components.ChartName
	}
	if c.Version == "" {
		c.Version = components.ChartVersion
	}
	return c
}

// DefaultReleaseName is the Helm release of the chart unless PrometheusStackArgs.ReleaseName
// names another; the names of the chart's objects start with it.
const DefaultReleaseName = "kube-prometheus-stack"

// MaxReleaseNameLength is the longest release name whose chart objects keep it whole: the chart
// cuts the prefix of its object names (kube-prometheus-stack.fullname, templates/_helpers.tpl of
// ChartVersion) to 26 characters, so two longer names that start alike would name the same
// cluster-wide objects.
const MaxReleaseNameLength = 26

// releaseNamePattern is what Helm accepts as a release name (a DNS-1123 label, pkg/chartutil of
// Helm 3).
var releaseNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// CheckReleaseName is the rule of a release name: Helm's, and short enough that the chart's
// object names keep it whole.
func CheckReleaseName(name string) error {
	if !releaseNamePattern.MatchString(name) {
		return fmt.Errorf("%q is not a Helm release name (lowercase letters, digits and '-', starting and ending with a letter or digit)", name)
	}
	if len(name) > MaxReleaseNameLength {
		return fmt.Errorf("%q is longer than %d characters, where the chart cuts the prefix of its objects' names: two such names could name the same cluster-wide objects", name, MaxReleaseNameLength)
	}
	return nil
}

// ObjstoreSecretName names the Secret holding the objstore config under ObjstoreSecretKey.
const ObjstoreSecretName = "thanos-objstore"

// PrometheusStackArgs configure the prometheus-operator release and the objstore Secret.
type PrometheusStackArgs struct {
	// Namespace to install into. Required; it must exist.
	Namespace pulumi.StringInput
	// Chart source. Defaults: the pinned kube-prometheus-stack.
	Chart Source
	// ReleaseName is the Helm release's name, the prefix of the chart's objects' names, cluster-wide
	// ones included (ClusterRoles, webhooks, the kubelet Service): two stacks in one cluster need
	// two names. At most MaxReleaseNameLength characters. Default DefaultReleaseName.
	ReleaseName string
	// ObjstoreConfig is Thanos's objstore YAML (ObjstoreConfigYAML); stored as a Secret. Required.
	ObjstoreConfig pulumi.StringInput
	// Values are the Prometheus settings; ObjstoreSecretName is filled in.
	Values PrometheusValues
	// ExtraValues are more kube-prometheus-stack values, deep-merged into the program's. A value in
	// OwnedChartValues is refused. Default: none.
	ExtraValues map[string]any
	// SecretValues are more kube-prometheus-stack values, merged as ExtraValues are, each of them
	// a secret: encrypted in the state and masked in every preview and diff (an Alertmanager
	// receiver's key, an SMTP password). A value also set in ExtraValues is refused. Default: none.
	SecretValues map[string]any
	// SidecarRoleArn is the IRSA role of the Prometheus ServiceAccount. Optional.
	SidecarRoleArn pulumi.StringInput
	// SkipAwait does not wait for the chart's workloads to become ready. Default false; only for
	// clusters without nodes (tests).
	SkipAwait bool
	// ReleaseDependsOn are resources the Helm release waits for besides the objstore Secret: the
	// namespace node-exporter runs in (Values.NodeExporterNamespace).
	ReleaseDependsOn []pulumi.Resource
	// CRDs are the CRDs of the chart the release installs (CRDsFromPackage): the program
	// applies them before the release, on every update, and the release skips them (chart_crds.go
	// says why). Required.
	CRDs []CRD
}

// PrometheusStack is prometheus-operator with an HA Prometheus whose Thanos sidecars ship blocks
// to the bucket.
type PrometheusStack struct {
	pulumi.ResourceState

	// Release is the Helm release.
	Release *helmv3.Release
	// CRDs are the chart's CRDs the program applies; resources of their kinds depend on them.
	CRDs []pulumi.Resource
	// ObjstoreSecretName names the Secret holding the objstore config.
	ObjstoreSecretName pulumi.StringOutput `pulumi:"objstoreSecretName"`
	// ObjstoreChecksum is ObjstoreChecksum of that config: the ObjstoreChecksumAnnotation of every
	// pod that reads it. Not secret: it reveals nothing of the keys.
	ObjstoreChecksum pulumi.StringOutput `pulumi:"objstoreChecksum"`
	// ReleaseName is the Helm release's name.
	ReleaseName pulumi.StringOutput `pulumi:"releaseName"`
	// GrafanaAdminSecret names the Secret (in the release's namespace) with the chart's Grafana
	// admin credentials, keys admin-user and admin-password. Empty when Grafana is off.
	GrafanaAdminSecret string
	// GrafanaPodLabels select the chart's Grafana pods. Nil when Grafana is off.
	GrafanaPodLabels map[string]string
	// ChartPods select the pods of the chart's workloads (PodsOf), for their NetworkPolicies.
	ChartPods Pods
}

// NewPrometheusStack registers the objstore Secret, the chart's CRDs and the Helm release.
func NewPrometheusStack(ctx *pulumi.Context, name string, args *PrometheusStackArgs, opts ...pulumi.ResourceOption) (*PrometheusStack, error) {
	if args.Namespace == nil || args.ObjstoreConfig == nil || len(args.CRDs) == 0 {
		return nil, fmt.Errorf("prometheus stack: Namespace, ObjstoreConfig and CRDs are required")
	}
	if err := CheckReleaseName(args.releaseName()); err != nil {
		return nil, fmt.Errorf("prometheus stack: release name: %w", err)
	}
	// Fail on bad values now, before anything is registered.
	values, err := releaseValues(args)
	if err != nil {
		return nil, err
	}
	p := &PrometheusStack{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:kubernetes:PrometheusStack", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)
	secret, err := newObjstoreSecret(ctx, args.Namespace, args.ObjstoreConfig, parent)
	if err != nil {
		return nil, fmt.Errorf("prometheus stack: %w", err)
	}
	crds, err := newChartCRDs(ctx, args.CRDs, parent)
	if err != nil {
		return nil, fmt.Errorf("prometheus stack: %w", err)
	}
	p.CRDs = crds
	// Prometheus pods mount the objstore Secret: it exists before they start. The operator needs
	// its CRDs at start.
	releaseDependsOn := append(append([]pulumi.Resource{secret}, crds...), args.ReleaseDependsOn...)
	// The resource keeps one name whatever the release's: another release name (or namespace)
	// replaces the release, and the old one goes first, since two releases of the chart in one
	// cluster would want the same node-exporter host port, and the same cluster-wide names under
	// the same release name.
	releaseName := args.releaseName()
	release, err := helmv3.NewRelease(ctx, DefaultReleaseName, releaseArgs(args, values.helm), parent,
		pulumi.DependsOn(releaseDependsOn), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("prometheus stack: %w", err)
	}
	p.Release = release
	p.GrafanaAdminSecret = GrafanaAdminSecret(values.merged, releaseName)
	p.GrafanaPodLabels = GrafanaPodLabels(values.merged, releaseName)
	p.ChartPods = PodsOf(values.merged, releaseName)
	if err := newSidecarPodMonitor(ctx, args.Namespace, crds, parent); err != nil {
		return nil, fmt.Errorf("prometheus stack: %w", err)
	}
	p.ObjstoreSecretName = secret.Metadata.Name().Elem()
	p.ObjstoreChecksum = values.objstoreChecksum
	p.ReleaseName = release.Name.Elem()
	return p, ctx.RegisterResourceOutputs(p, pulumi.Map{
		"objstoreSecretName": p.ObjstoreSecretName, "objstoreChecksum": p.ObjstoreChecksum, "releaseName": p.ReleaseName,
	})
}

func (args *PrometheusStackArgs) releaseName() string {
	if args.ReleaseName == "" {
		return DefaultReleaseName
	}
	return args.ReleaseName
}

// stackValues are the release's values, as the chart reads them and as Pulumi sends them.
type stackValues struct {
	// merged are the program's values with the extra and secret ones merged in.
	merged map[string]any
	// helm are the merged values with each secret value kept secret, the objstore checksum and
	// the sidecar's role, which Pulumi knows only as outputs.
	helm pulumi.Map
	// objstoreChecksum is ObjstoreChecksum of the objstore config.
	objstoreChecksum pulumi.StringOutput
}

// releaseValues builds the release's values from args, refusing bad ones.
func releaseValues(args *PrometheusStackArgs) (stackValues, error) {
	values := args.Values
	values.ObjstoreSecretName = ObjstoreSecretName
	generated, err := PrometheusStackValues(values)
	if err != nil {
		return stackValues{}, err
	}
	if both := CommonLeaves(args.ExtraValues, args.SecretValues); len(both) > 0 {
		return stackValues{}, fmt.Errorf("chart values %s are both extra and secret values", strings.Join(both, ", "))
	}
	merged, err := MergeChartValues(generated, args.ExtraValues)
	if err == nil {
		merged, err = MergeChartValues(merged, args.SecretValues)
	}
	if err != nil {
		return stackValues{}, err
	}
	helmValues := pulumiValues(merged)
	for _, path := range valueLeaves(args.SecretValues, nil) {
		setValue(helmValues, path, pulumi.ToSecret(pulumiValue(valueAt(args.SecretValues, path))))
	}
	// The Prometheus pods roll when the objstore config changes: the sidecar reads it only at start.
	checksum := pulumi.Unsecret(args.ObjstoreConfig.ToStringOutput().ApplyT(components.ObjstoreChecksum)).(pulumi.StringOutput)
	setValue(helmValues, append(slices.Clone(PrometheusPodAnnotationsPath), components.ObjstoreChecksumAnnotation), checksum)
	if args.SidecarRoleArn != nil {
		// The role's ARN is unknown in the preview of a new stack: only this one value waits for it.
		setValue(helmValues, append(slices.Clone(ServiceAccountAnnotationsPath), components.IRSARoleAnnotation), args.SidecarRoleArn)
	}
	return stackValues{merged: merged, helm: helmValues, objstoreChecksum: checksum}, nil
}

// newObjstoreSecret registers the Secret the sidecars, the store gateways and the compactor read
// the objstore config from.
func newObjstoreSecret(ctx *pulumi.Context, namespace, config pulumi.StringInput, opts ...pulumi.ResourceOption) (*corev1.Secret, error) {
	return corev1.NewSecret(ctx, ObjstoreSecretName, &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(ObjstoreSecretName),
			Namespace:   namespace,
			Labels:      pulumi.StringMap{components.LabelPartOf: pulumi.String("thanos"), components.LabelManagedBy: pulumi.String("pulumi")},
			Annotations: components.OwnedAnnotations(nil),
		},
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{components.ObjstoreSecretKey: pulumi.ToSecret(config).(pulumi.StringOutput)},
	}, opts...)
}

// releaseArgs are the Helm release's: the chart from its repository or its path, the values, and
// no CRDs (newChartCRDs applies them).
func releaseArgs(args *PrometheusStackArgs, values pulumi.Map) *helmv3.ReleaseArgs {
	chart := args.Chart.withDefaults()
	release := &helmv3.ReleaseArgs{
		Name:      pulumi.String(args.releaseName()),
		Namespace: args.Namespace,
		Values:    values,
		SkipAwait: pulumi.Bool(args.SkipAwait),
		// CRDs, webhooks and the operator take a while on a fresh cluster.
		Timeout:    pulumi.Int(900),
		MaxHistory: pulumi.Int(10),
		SkipCrds:   pulumi.Bool(true),
	}
	if chart.Path != "" {
		release.Chart = pulumi.String(chart.Path)
	} else {
		release.Chart = pulumi.String(chart.Name)
		release.Version = pulumi.String(chart.Version)
		release.RepositoryOpts = helmv3.RepositoryOptsArgs{Repo: pulumi.String(chart.Repository)}
	}
	return release
}

// SidecarHTTPPortName is the name prometheus-operator gives the Thanos sidecar's HTTP (metrics)
// port, 10902 (v0.93.1, pkg/prometheus/server/statefulset.go, createThanosContainer). No other
// container of the Prometheus pod has a port of that name: Prometheus's is "http-web", the config
// reloader's "reloader-web".
const SidecarHTTPPortName = "http"

// SidecarPodMonitorSpec scrapes the sidecar of every Prometheus pod: the chart's own monitors
// scrape Prometheus and its config reloader only, and a sidecar whose shipper fails must be seen.
func SidecarPodMonitorSpec() monitoringv1.PodMonitorSpec {
	port := SidecarHTTPPortName
	return monitoringv1.PodMonitorSpec{
		Selector:            components.MatchLabels(components.PrometheusPodLabels()),
		PodMetricsEndpoints: []monitoringv1.PodMetricsEndpoint{{Port: &port, Interval: monitoringv1.Duration("30s")}},
	}
}

// newSidecarPodMonitor registers the sidecars' PodMonitor, after the CRDs.
func newSidecarPodMonitor(ctx *pulumi.Context, namespace pulumi.StringInput, crds []pulumi.Resource, opts ...pulumi.ResourceOption) error {
	spec, err := components.ToUntyped(SidecarPodMonitorSpec())
	if err != nil {
		return err
	}
	labels := map[string]string{components.LabelName: components.SidecarPodMonitorName, components.LabelPartOf: "thanos", components.LabelManagedBy: "pulumi"}
	_, err = apiextensions.NewCustomResource(ctx, components.SidecarPodMonitorName, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(monitoringv1.SchemeGroupVersion.String()),
		Kind:        pulumi.String(monitoringv1.PodMonitorsKind),
		Metadata:    components.ObjectMeta(namespace, components.SidecarPodMonitorName, labels, nil),
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, append(opts, pulumi.DependsOn(crds))...)
	return err
}
