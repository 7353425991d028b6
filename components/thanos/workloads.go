package thanos

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// WorkloadArgs are the settings every Thanos workload component shares.
type WorkloadArgs struct {
	// Namespace the workload lives in. Required.
	Namespace pulumi.StringInput
	// Instance names this installation (app.kubernetes.io/instance). Required.
	Instance string
	// SkipAwait annotates workloads and their Services with pulumi.com/skipAwait so the provider
	// does not wait for their pods to become ready. Default false; only for clusters whose pods
	// never run (the integration suite's control plane without a kubelet).
	SkipAwait bool
	// MonitoringCRDs are the resources that apply the ServiceMonitor CRD (PrometheusStack.CRDs);
	// every ServiceMonitor depends on them. Required when ServiceMonitors are created.
	MonitoringCRDs []pulumi.Resource
}

func (a WorkloadArgs) validate(component string) error {
	if a.Namespace == nil {
		return fmt.Errorf("%s: Namespace is required", component)
	}
	if a.Instance == "" {
		return fmt.Errorf("%s: Instance is required", component)
	}
	return nil
}

// BucketWorkloadArgs are the settings of a Thanos workload that reads the bucket and keeps a
// volume: the store gateway and the compactor.
type BucketWorkloadArgs struct {
	// ObjstoreSecret is the Secret holding the objstore config under ObjstoreSecretKey. Required.
	ObjstoreSecret pulumi.StringInput
	// ObjstoreSecretKey is the key of the objstore config in ObjstoreSecret. Required.
	ObjstoreSecretKey string
	// ObjstoreChecksum is ObjstoreChecksum of that config (PrometheusStack.ObjstoreChecksum): the
	// pods' ObjstoreChecksumAnnotation, which rolls them when the config changes. Required.
	ObjstoreChecksum pulumi.StringInput
	// StorageSize of each replica's persistent volume ("10Gi"). Required.
	StorageSize string
	// StorageClass of the persistent volume. Default: the cluster's default class.
	StorageClass string
	// RoleArn is the IAM role its ServiceAccount assumes through IRSA. Optional (static keys).
	RoleArn pulumi.StringInput
	// Resources of the container.
	Resources components.Resources
}

func (a BucketWorkloadArgs) validate(component string) error {
	if a.ObjstoreSecret == nil || a.ObjstoreSecretKey == "" || a.ObjstoreChecksum == nil || a.StorageSize == "" {
		return fmt.Errorf("%s: ObjstoreSecret, ObjstoreSecretKey, ObjstoreChecksum and StorageSize are required", component)
	}
	return nil
}

// statelessDeployment describes a stateless Thanos workload (querier, query-frontend): a
// Deployment of Replicas spread across nodes, behind a Service.
type statelessDeployment struct {
	labels   components.ThanosLabels
	replicas int
	// servicePorts the Service exposes, by port name.
	servicePorts map[string]int
	container    thanosContainer
	// podDisruptionBudget guards the replicas.
	podDisruptionBudget bool
}

// newStatelessDeployment registers the ServiceAccount, Deployment (rolling updates that never
// lower the ready replicas), Service, ServiceMonitor and, when asked, PodDisruptionBudget of a
// stateless workload. It returns the Service.
func newStatelessDeployment(ctx *pulumi.Context, a WorkloadArgs, w statelessDeployment, opts ...pulumi.ResourceOption) (*corev1.Service, error) {
	l := w.labels
	objectName := l.ObjectName()
	if w.podDisruptionBudget {
		if err := components.CheckPodDisruptionBudget(w.replicas); err != nil {
			return nil, fmt.Errorf("%s: %w", objectName, err)
		}
	}
	sa, err := newServiceAccount(ctx, objectName, a, l.Pod(), nil, opts...)
	if err != nil {
		return nil, err
	}
	_, err = appsv1.NewDeployment(ctx, objectName, &appsv1.DeploymentArgs{
		Metadata: a.metadata(objectName, l.Pod(), a.workloadAnnotations()),
		Spec: appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(w.replicas),
			Selector: metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.Selector())},
			Strategy: appsv1.DeploymentStrategyArgs{
				Type:          pulumi.String("RollingUpdate"),
				RollingUpdate: appsv1.RollingUpdateDeploymentArgs{MaxUnavailable: pulumi.Int(0), MaxSurge: pulumi.Int(1)},
			},
			Template: corev1.PodTemplateSpecArgs{
				Metadata: metav1.ObjectMetaArgs{Labels: pulumi.ToStringMap(l.Pod())},
				Spec:     thanosPodSpec(sa.Metadata.Name().Elem(), w.container, l.Selector(), nil),
			},
		},
	}, opts...)
	if err != nil {
		return nil, err
	}
	svc, err := newService(ctx, objectName, a, l, w.servicePorts, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := newServiceMonitor(ctx, objectName, a, l, opts...); err != nil {
		return nil, err
	}
	if w.podDisruptionBudget {
		if _, err := newPodDisruptionBudget(ctx, objectName, a, l, opts...); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// bucketStatefulSet describes the StatefulSet of a bucket workload.
type bucketStatefulSet struct {
	objectName, serviceAccount string
	labels                     components.ThanosLabels
	replicas                   int
	// extraPodLabels are added to the pods' labels (the StoreAPI label).
	extraPodLabels map[string]string
	// servicePorts the Service exposes, by port name.
	servicePorts map[string]int
	container    thanosContainer
	// spread adds preferred anti-affinity over the replicas.
	spread bool
	// parallel starts replicas together instead of one by one.
	parallel bool
	// singleton: never two pods at once, not even while a new volume replaces the old one (the
	// compactor). Without it, a new StatefulSet is Ready before the old one goes.
	singleton bool
}

// newBucketStatefulSet registers the ServiceAccount (IRSA), Service, StatefulSet with its volume,
// and ServiceMonitor of a bucket workload. It returns the ServiceAccount.
func newBucketStatefulSet(ctx *pulumi.Context, a WorkloadArgs, b BucketWorkloadArgs, w bucketStatefulSet, opts ...pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	l := w.labels
	sa, err := newServiceAccount(ctx, w.serviceAccount, a, l.Pod(), b.RoleArn, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := newService(ctx, w.objectName, a, l, w.servicePorts, opts...); err != nil {
		return nil, err
	}
	governing, err := newGoverningService(ctx, GoverningServiceName(w.objectName), a, l, w.servicePorts, opts...)
	if err != nil {
		return nil, err
	}
	w.container.Resources = b.Resources
	w.container.DataPath = dataPath(l.Component)
	w.container.ObjstoreSecret = b.ObjstoreSecret
	var spreadBy map[string]string
	if w.spread {
		spreadBy = l.Selector()
	}
	spec := appsv1.StatefulSetSpecArgs{
		Replicas:    pulumi.Int(w.replicas),
		ServiceName: governing.Metadata.Name().Elem(),
		Selector:    metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.Selector())},
		Template: corev1.PodTemplateSpecArgs{
			Metadata: metav1.ObjectMetaArgs{
				Labels:      pulumi.ToStringMap(components.WithLabels(l.Pod(), w.extraPodLabels)),
				Annotations: pulumi.StringMap{components.ObjstoreChecksumAnnotation: b.ObjstoreChecksum},
			},
			Spec: thanosPodSpec(sa.Metadata.Name().Elem(), w.container, spreadBy, nil),
		},
		VolumeClaimTemplates: persistentVolumeClaims(b.StorageSize, b.StorageClass),
	}
	if w.parallel {
		spec.PodManagementPolicy = pulumi.String("Parallel")
	}
	name, err := StatefulSetName(w.objectName, b.StorageSize, b.StorageClass)
	if err != nil {
		return nil, err
	}
	// The claims go with the StatefulSet: a replaced one's volumes hold only what the bucket holds
	// (index-headers, compaction scratch), and nothing would use them again.
	spec.PersistentVolumeClaimRetentionPolicy = appsv1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs{
		WhenDeleted: pulumi.String("Delete"),
		WhenScaled:  pulumi.String("Retain"),
	}
	statefulSetOpts := opts
	if w.singleton {
		statefulSetOpts = append(slices.Clone(opts), pulumi.DeleteBeforeReplace(true))
	}
	if _, err := appsv1.NewStatefulSet(ctx, w.objectName, &appsv1.StatefulSetArgs{
		Metadata: a.metadata(name, l.Pod(), a.workloadAnnotations()),
		Spec:     spec,
	}, statefulSetOpts...); err != nil {
		return nil, err
	}
	if _, err := newServiceMonitor(ctx, w.objectName, a, l, opts...); err != nil {
		return nil, err
	}
	return sa, nil
}

// StatefulSetName is the name of a bucket workload's StatefulSet: its object name and a hash of
// its volume claim template (size, as a canonical quantity, and class). Kubernetes refuses every
// change to a StatefulSet's volumeClaimTemplates, and the provider replaces a StatefulSet that
// keeps its name by deleting it first: every store gateway down at once, and the new pods back on
// the old claims at their old size. Under a new name, a new size or class is a new StatefulSet
// with new claims, Ready before the old one and its claims are deleted.
func StatefulSetName(objectName, storageSize, storageClass string) (string, error) {
	size, err := resource.ParseQuantity(storageSize)
	if err != nil {
		return "", fmt.Errorf("%s: storage size %q: %w", objectName, storageSize, err)
	}
	sum := sha256.Sum256([]byte("size=" + size.String() + "\nclass=" + storageClass))
	return objectName + "-" + hex.EncodeToString(sum[:])[:volumeHashLength], nil
}

// volumeHashLength is how many hex digits of the claim template's hash a StatefulSet's name
// carries: short enough for readable pod names, enough that two templates in one stack never share one.
const volumeHashLength = 6

// dataPath is where a component's "data" volume is mounted.
func dataPath(component string) string { return "/var/thanos/" + component }

// persistentVolumeClaims is the one "data" volume claim of a Thanos StatefulSet.
func persistentVolumeClaims(size, storageClass string) corev1.PersistentVolumeClaimTypeArray {
	spec := corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources:   corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(size)}},
	}
	if storageClass != "" {
		spec.StorageClassName = pulumi.String(storageClass)
	}
	return corev1.PersistentVolumeClaimTypeArray{corev1.PersistentVolumeClaimTypeArgs{
		Metadata: metav1.ObjectMetaArgs{Name: pulumi.String(dataVolume)},
		Spec:     spec,
	}}
}

// metadata builds the metadata of a workload's object (components.ObjectMeta).
func (a WorkloadArgs) metadata(name string, labels map[string]string, annotations pulumi.StringMap) *metav1.ObjectMetaArgs {
	return components.ObjectMeta(a.Namespace, name, labels, annotations)
}

// workloadAnnotations: workloads that the provider would otherwise await get the skipAwait
// annotation when SkipAwait is set.
func (a WorkloadArgs) workloadAnnotations() pulumi.StringMap {
	if !a.SkipAwait {
		return nil
	}
	return pulumi.StringMap{"pulumi.com/skipAwait": pulumi.String("true")}
}

// newServiceAccount creates a ServiceAccount, annotated with an IRSA role when one is given.
func newServiceAccount(ctx *pulumi.Context, name string, a WorkloadArgs, labels map[string]string, roleArn pulumi.StringInput, opts ...pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	return corev1.NewServiceAccount(ctx, name, &corev1.ServiceAccountArgs{
		Metadata:                     a.metadata(name, labels, serviceAccountAnnotations(roleArn)),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, opts...)
}

// servicePorts are a Service's ports, by name. Port names match the container ports, so
// targetPort is the name and the number lives in one place.
func servicePorts(ports map[string]int) corev1.ServicePortArray {
	var sp corev1.ServicePortArray
	for _, portName := range []string{GRPCPortName, HTTPPortName} {
		if port, ok := ports[portName]; ok {
			sp = append(sp, corev1.ServicePortArgs{
				Name: pulumi.String(portName), Port: pulumi.Int(port),
				TargetPort: pulumi.String(portName), Protocol: pulumi.String("TCP"),
			})
		}
	}
	return sp
}

// newService creates the client-facing ClusterIP Service over the workload's selector.
func newService(ctx *pulumi.Context, name string, a WorkloadArgs, l components.ThanosLabels, ports map[string]int, opts ...pulumi.ResourceOption) (*corev1.Service, error) {
	return corev1.NewService(ctx, name, &corev1.ServiceArgs{
		// Without skipAwait the provider (v4.32, pkg/await/service.go) waits until the Service's
		// Endpoints have settled, 10 s after the endpoint controller's last change, with no
		// not-ready address. A StatefulSet waits for its Service's name, so its pods come after:
		// the Service settles empty, and the StatefulSet's own await waits for the pods.
		Metadata: a.metadata(name, l.Pod(), a.workloadAnnotations()),
		Spec: corev1.ServiceSpecArgs{
			Selector: pulumi.ToStringMap(l.Selector()),
			Ports:    servicePorts(ports),
		},
	}, opts...)
}

// GoverningServiceName names the headless Service governing a StatefulSet: "<object name>-headless".
func GoverningServiceName(objectName string) string { return objectName + "-headless" }

// GoverningServiceLabels are the labels of a workload's governing Service: the workload's, and
// LabelGoverningService, which keeps it out of the ServiceMonitor's selection.
func GoverningServiceLabels(l components.ThanosLabels) map[string]string {
	return components.WithLabels(l.Pod(), map[string]string{components.LabelGoverningService: "true"})
}

// newGoverningService creates the headless Service a StatefulSet names as its serviceName: each
// pod gets a stable DNS name, <pod>.<service>.<namespace>.svc. It publishes pods before they are
// ready, as a governing Service should (a pod's name resolves while it starts); clients use the
// ClusterIP Service, and the querier finds StoreAPIs through the peers Service.
func newGoverningService(ctx *pulumi.Context, name string, a WorkloadArgs, l components.ThanosLabels, ports map[string]int, opts ...pulumi.ResourceOption) (*corev1.Service, error) {
	return corev1.NewService(ctx, name, &corev1.ServiceArgs{
		// Headless: the provider does not wait for endpoints (pkg/await/service.go).
		Metadata: a.metadata(name, GoverningServiceLabels(l), nil),
		Spec: corev1.ServiceSpecArgs{
			ClusterIP:                pulumi.String("None"),
			PublishNotReadyAddresses: pulumi.Bool(true),
			Selector:                 pulumi.ToStringMap(l.Selector()),
			Ports:                    servicePorts(ports),
		},
	}, opts...)
}

// ServiceMonitorSpec is the ServiceMonitor a Thanos component's Service gets: it scrapes the
// "http" port of the Services carrying the component's selector labels, but not the governing
// Service, which selects the same pods.
func ServiceMonitorSpec(l components.ThanosLabels) monitoringv1.ServiceMonitorSpec {
	port := HTTPPortName
	selector := components.MatchLabels(l.Selector())
	selector.MatchExpressions = []k8smetav1.LabelSelectorRequirement{{Key: components.LabelGoverningService, Operator: k8smetav1.LabelSelectorOpDoesNotExist}}
	return monitoringv1.ServiceMonitorSpec{
		Selector:  selector,
		Endpoints: []monitoringv1.Endpoint{{Port: port, Interval: monitoringv1.Duration("30s")}},
	}
}

// newServiceMonitor creates a ServiceMonitor. It depends on the monitoring CRDs: on a new cluster
// the CRD arrives with the chart's release in the same update.
func newServiceMonitor(ctx *pulumi.Context, name string, a WorkloadArgs, l components.ThanosLabels, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	spec, err := components.ToUntyped(ServiceMonitorSpec(l))
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
func newPodDisruptionBudget(ctx *pulumi.Context, name string, a WorkloadArgs, l components.ThanosLabels, opts ...pulumi.ResourceOption) (*policyv1.PodDisruptionBudget, error) {
	return policyv1.NewPodDisruptionBudget(ctx, name, &policyv1.PodDisruptionBudgetArgs{
		Metadata: a.metadata(name, l.Pod(), nil),
		Spec: policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.Selector())},
		},
	}, opts...)
}
