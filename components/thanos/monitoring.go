package thanos

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// MonitoringArgs configure the Thanos mixin's alerts and dashboards.
type MonitoringArgs struct {
	// Namespace of the PrometheusRule and the dashboard ConfigMaps. Required.
	Namespace pulumi.StringInput
	// Alerts creates the PrometheusRule with the mixin's alerts (MixinAlertGroups) and the one
	// with the stack's own (StackAlertGroups). Default false.
	Alerts bool
	// StackAlerts are what the stack's own alerts derive from (the store gateways' sync
	// interval); zero fields take their defaults.
	StackAlerts StackAlertSettings
	// Dashboards creates one ConfigMap per mixin dashboard, labelled for the chart's Grafana
	// dashboard sidecar. Default false.
	Dashboards bool
	// MonitoringCRDs are the resources that apply the PrometheusRule CRD (PrometheusStack.CRDs).
	// Required when Alerts is set.
	MonitoringCRDs []pulumi.Resource
}

// Monitoring is the Thanos mixin, matched to this stack: its alerts as a PrometheusRule the
// chart's Prometheus loads, and its dashboards for the chart's Grafana; and beside the mixin's, a
// PrometheusRule with the stack's own alerts (StackAlertGroups).
type Monitoring struct {
	pulumi.ResourceState
}

// MixinAlertsRuleName names the PrometheusRule with the mixin's alerts.
const MixinAlertsRuleName = "thanos-mixin-alerts"

// Labels the kube-prometheus-stack chart's Grafana dashboard sidecar loads ConfigMaps by
// (grafana.sidecar.dashboards.label and labelValue in values.yaml of ChartVersion). It searches
// every namespace (searchNamespace: ALL).
const (
	GrafanaDashboardLabel      = "grafana_dashboard"
	GrafanaDashboardLabelValue = "1"
)

// MixinAlertsRuleSpec is the spec of the PrometheusRule with the mixin's alerts.
func MixinAlertsRuleSpec() (monitoringv1.PrometheusRuleSpec, error) {
	groups, err := MixinAlertGroups()
	if err != nil {
		return monitoringv1.PrometheusRuleSpec{}, err
	}
	return monitoringv1.PrometheusRuleSpec{Groups: groups}, nil
}

// DashboardConfigMapName names the ConfigMap of a mixin dashboard file ("query.json" ->
// "thanos-dashboard-query").
func DashboardConfigMapName(file string) string {
	return "thanos-dashboard-" + strings.TrimSuffix(file, ".json")
}

// NewMonitoring registers the mixin's PrometheusRule and dashboard ConfigMaps.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil || args.Namespace == nil {
		return nil, fmt.Errorf("thanos monitoring: Namespace is required")
	}
	if args.Alerts && len(args.MonitoringCRDs) == 0 {
		return nil, fmt.Errorf("thanos monitoring: MonitoringCRDs are required with Alerts")
	}
	m := &Monitoring{}
	if err := ctx.RegisterComponentResource("prometheus-thanos:thanos:Monitoring", name, m, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(m)
	meta := WorkloadArgs{Namespace: args.Namespace}
	labels := map[string]string{components.LabelPartOf: "thanos", components.LabelManagedBy: "pulumi", components.LabelVersion: MixinVersion()}

	if args.Alerts {
		mixin, err := MixinAlertsRuleSpec()
		if err != nil {
			return nil, err
		}
		stack, err := StackAlertsRuleSpec(args.StackAlerts)
		if err != nil {
			return nil, err
		}
		// The stack's rules are written for the metrics of the Thanos it runs, not the mixin's.
		stackLabels := components.WithLabels(labels, map[string]string{components.LabelVersion: components.ThanosVersion})
		for _, rule := range []struct {
			name   string
			labels map[string]string
			spec   monitoringv1.PrometheusRuleSpec
		}{
			{MixinAlertsRuleName, labels, mixin},
			{StackAlertsRuleName, stackLabels, stack},
		} {
			untyped, err := components.ToUntyped(rule.spec)
			if err != nil {
				return nil, err
			}
			if _, err := apiextensions.NewCustomResource(ctx, rule.name, &apiextensions.CustomResourceArgs{
				ApiVersion:  pulumi.String(monitoringv1.SchemeGroupVersion.String()),
				Kind:        pulumi.String(monitoringv1.PrometheusRuleKind),
				Metadata:    meta.metadata(rule.name, components.WithLabels(rule.labels, map[string]string{components.LabelName: rule.name}), nil),
				OtherFields: kubernetes.UntypedArgs{"spec": untyped},
			}, parent, pulumi.DependsOn(args.MonitoringCRDs)); err != nil {
				return nil, fmt.Errorf("thanos monitoring: %w", err)
			}
		}
	}
	if args.Dashboards {
		dashboards, err := MixinDashboards()
		if err != nil {
			return nil, err
		}
		for _, file := range slices.Sorted(maps.Keys(dashboards)) {
			cmName := DashboardConfigMapName(file)
			cmLabels := components.WithLabels(labels, map[string]string{components.LabelName: cmName, GrafanaDashboardLabel: GrafanaDashboardLabelValue})
			if _, err := corev1.NewConfigMap(ctx, cmName, &corev1.ConfigMapArgs{
				Metadata: meta.metadata(cmName, cmLabels, nil),
				Data:     pulumi.StringMap{"thanos-" + file: pulumi.String(dashboards[file])},
			}, parent); err != nil {
				return nil, fmt.Errorf("thanos monitoring: %w", err)
			}
		}
	}
	return m, ctx.RegisterResourceOutputs(m, pulumi.Map{})
}
