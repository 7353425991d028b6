package components

import (
	"encoding/json"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ThanosWorkloadArgs are the settings every Thanos workload component shares.
type ThanosWorkloadArgs struct {
	// Namespace the workload lives in. Required.
	Namespace pulumi.StringInput
	// Instance names this installation (app.kubernetes.io/instance). Required.
	Instance string
	// SkipAwait annotates workloads with pulumi.com/skipAwait so the provider does not wait for
	// their pods to become ready. Default false; only for clusters without nodes (tests).
	SkipAwait bool
	// MonitoringCRDs are the resources that install the ServiceMonitor CRD (the chart's release);
	// every ServiceMonitor depends on them. Required when ServiceMonitors are created.
	MonitoringCRDs []pulumi.Resource
}

func (a ThanosWorkloadArgs) validate(component string) error {
	if a.Namespace == nil {
		return fmt.Errorf("%s: Namespace is required", component)
	}
	if a.Instance == "" {
		return fmt.Errorf("%s: Instance is required", component)
	}
	return nil
}

// metadata builds object metadata; workloads that the provider would otherwise await get the
// skipAwait annotation when SkipAwait is set.
func (a ThanosWorkloadArgs) metadata(name string, labels map[string]string, annotations pulumi.StringMapInput) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name:        pulumi.String(name),
		Namespace:   a.Namespace,
		Labels:      pulumi.ToStringMap(labels),
		Annotations: annotations,
	}
}

func (a ThanosWorkloadArgs) workloadAnnotations() pulumi.StringMapInput {
	if !a.SkipAwait {
		return nil
	}
	return pulumi.StringMap{"pulumi.com/skipAwait": pulumi.String("true")}
}

// newServiceAccount creates a ServiceAccount, annotated with an IRSA role when one is given.
func newServiceAccount(ctx *pulumi.Context, name string, a ThanosWorkloadArgs, labels map[string]string, roleArn pulumi.StringInput, opts ...pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	return corev1.NewServiceAccount(ctx, name, &corev1.ServiceAccountArgs{
		Metadata:                     a.metadata(name, labels, serviceAccountAnnotations(roleArn)),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, opts...)
}

// newService creates a ClusterIP Service over the workload's selector. Port names match the
// container ports, so targetPort is the name and the number lives in one place.
func newService(ctx *pulumi.Context, name string, a ThanosWorkloadArgs, l ThanosLabels, ports map[string]int, opts ...pulumi.ResourceOption) (*corev1.Service, error) {
	var sp corev1.ServicePortArray
	for _, portName := range []string{GRPCPortName, HTTPPortName} {
		if port, ok := ports[portName]; ok {
			sp = append(sp, corev1.ServicePortArgs{
				Name: pulumi.String(portName), Port: pulumi.Int(port),
				TargetPort: pulumi.String(portName), Protocol: pulumi.String("TCP"),
			})
		}
	}
	return corev1.NewService(ctx, name, &corev1.ServiceArgs{
		Metadata: a.metadata(name, l.Pod(), nil),
		Spec: corev1.ServiceSpecArgs{
			Selector: pulumi.ToStringMap(l.Selector()),
			Ports:    sp,
		},
	}, opts...)
}

// ServiceMonitorSpec is the ServiceMonitor a Thanos component's Service gets: it scrapes the
// "http" port of the Services carrying the component's selector labels.
func ServiceMonitorSpec(l ThanosLabels) monitoringv1.ServiceMonitorSpec {
	port := HTTPPortName
	return monitoringv1.ServiceMonitorSpec{
		Selector:  metaLabelSelector(l.Selector()),
		Endpoints: []monitoringv1.Endpoint{{Port: port, Interval: monitoringv1.Duration("30s")}},
	}
}

// newServiceMonitor creates a ServiceMonitor. It depends on the monitoring CRDs: on a new cluster
// the CRD arrives with the chart's release in the same update.
func newServiceMonitor(ctx *pulumi.Context, name string, a ThanosWorkloadArgs, l ThanosLabels, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	spec, err := toUntyped(ServiceMonitorSpec(l))
	if err != nil {
		return nil, fmt.Errorf("servicemonitor %s: %w", name, err)
	}
	opts = append(opts, pulumi.DependsOn(a.MonitoringCRDs))
	return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(monitoringv1.SchemeGroupVersion.String()),
		Kind:        pulumi.String(monitoringv1.ServiceMonitorsKind),
		Metadata:    a.metadata(name, l.Pod(), nil),
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, opts...)
}

// newPodDisruptionBudget keeps at least all but one replica of a workload up during voluntary
// disruptions (node drains, cluster upgrades).
func newPodDisruptionBudget(ctx *pulumi.Context, name string, a ThanosWorkloadArgs, l ThanosLabels, opts ...pulumi.ResourceOption) (*policyv1.PodDisruptionBudget, error) {
	return policyv1.NewPodDisruptionBudget(ctx, name, &policyv1.PodDisruptionBudgetArgs{
		Metadata: a.metadata(name, l.Pod(), nil),
		Spec: policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.Selector())},
		},
	}, opts...)
}

// toUntyped turns an upstream API struct into the plain map Pulumi sends, through its JSON tags.
func toUntyped(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func metaLabelSelector(matchLabels map[string]string) k8smetav1.LabelSelector {
	return k8smetav1.LabelSelector{MatchLabels: matchLabels}
}
