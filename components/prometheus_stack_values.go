package components

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	k8scorev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// PrometheusValues are the settings of the Prometheus that kube-prometheus-stack deploys.
type PrometheusValues struct {
	// Replicas of Prometheus. Each replica scrapes everything; the querier deduplicates them.
	Replicas int
	// ClusterName becomes the `cluster` external label of every series.
	ClusterName string
	// Retention is Prometheus's local retention ("24h"); blocks are shipped every 2h, so this only
	// bounds how much recent data survives a bucket outage. At least 6h.
	Retention string
	// StorageSize of each replica's volume ("50Gi"). Empty: an emptyDir (data lost on restart).
	StorageSize string
	// StorageClass of the volume. Default: the cluster's default class.
	StorageClass string
	// ServiceAccountName of the Prometheus pods: the IRSA subject of the sidecar's role.
	ServiceAccountName string
	// SidecarRoleArn annotates that ServiceAccount for IRSA. Empty: no annotation (static keys).
	SidecarRoleArn string
	// ObjstoreSecretName names the Secret with the objstore config under ObjstoreSecretKey.
	ObjstoreSecretName string
	// PrometheusResources and SidecarResources are the containers' requests and limits.
	PrometheusResources, SidecarResources Resources
}

// PrometheusStackValues builds the kube-prometheus-stack values that turn its Prometheus into a
// Thanos-shipping, HA pair. The Thanos sidecar spec, pod metadata and storage are prometheus-
// operator's own Go types, so a misspelt field does not compile; the keys around them are the
// chart's (values.yaml of ChartVersion) and a test pins each one.
func PrometheusStackValues(v PrometheusValues) (map[string]any, error) {
	if v.Replicas < 1 || v.ClusterName == "" || v.Retention == "" || v.ServiceAccountName == "" || v.ObjstoreSecretName == "" {
		return nil, fmt.Errorf("prometheus values: Replicas (>= 1), ClusterName, Retention, ServiceAccountName and ObjstoreSecretName are required")
	}
	sidecarResources, err := v.SidecarResources.requirements()
	if err != nil {
		return nil, fmt.Errorf("prometheus values: sidecar resources: %w", err)
	}
	prometheusResources, err := v.PrometheusResources.requirements()
	if err != nil {
		return nil, fmt.Errorf("prometheus values: prometheus resources: %w", err)
	}
	image, version := ThanosImage(), ThanosVersion
	thanos, err := toUntyped(monitoringv1.ThanosSpec{
		Image:   &image,
		Version: &version,
		// Setting the object storage makes the operator run the sidecar's shipper and keep local
		// compaction from racing uploads (operator v0.93.1 with Prometheus >= 3.9 and Thanos >= 0.41:
		// delayed compaction via --storage.tsdb.delay-compact-file.path, not 2h block pinning).
		ObjectStorageConfig: &k8scorev1.SecretKeySelector{
			LocalObjectReference: k8scorev1.LocalObjectReference{Name: v.ObjstoreSecretName},
			Key:                  ObjstoreSecretKey,
		},
		Resources: sidecarResources,
	})
	if err != nil {
		return nil, err
	}
	podMetadata, err := toUntyped(monitoringv1.EmbeddedObjectMetadata{Labels: StoreAPISelector()})
	if err != nil {
		return nil, err
	}
	resources, err := toUntyped(prometheusResources)
	if err != nil {
		return nil, err
	}
	prometheusSpec := map[string]any{
		"replicas": v.Replicas,
		// The operator's default, made explicit: the querier deduplicates on this label.
		"replicaExternalLabelName": PrometheusReplicaLabel,
		"externalLabels":           map[string]any{ClusterLabel: v.ClusterName},
		"retention":                v.Retention,
		"podMetadata":              podMetadata,
		"thanos":                   thanos,
		"resources":                resources,
		// Select every ServiceMonitor and PodMonitor, not only the chart's own: the Thanos
		// components' ServiceMonitors carry no release label.
		"serviceMonitorSelectorNilUsesHelmValues": false,
		"podMonitorSelectorNilUsesHelmValues":     false,
		"ruleSelectorNilUsesHelmValues":           false,
	}
	if v.StorageSize != "" {
		storage, err := storageSpec(v.StorageSize, v.StorageClass)
		if err != nil {
			return nil, fmt.Errorf("prometheus values: %w", err)
		}
		prometheusSpec["storageSpec"] = storage
	}
	serviceAccount := map[string]any{"create": true, "name": v.ServiceAccountName}
	if v.SidecarRoleArn != "" {
		serviceAccount["annotations"] = map[string]any{IRSARoleAnnotation: v.SidecarRoleArn}
	}
	return map[string]any{
		"prometheus": map[string]any{
			"serviceAccount": serviceAccount,
			// The program's own headless peers Service does the StoreAPI discovery.
			"thanosService":  map[string]any{"enabled": false},
			"prometheusSpec": prometheusSpec,
		},
	}, nil
}

func storageSpec(size, storageClass string) (map[string]any, error) {
	quantity, err := resource.ParseQuantity(size)
	if err != nil {
		return nil, fmt.Errorf("storage size %q: %w", size, err)
	}
	claim := k8scorev1.PersistentVolumeClaimSpec{
		AccessModes: []k8scorev1.PersistentVolumeAccessMode{k8scorev1.ReadWriteOnce},
		Resources:   k8scorev1.VolumeResourceRequirements{Requests: k8scorev1.ResourceList{k8scorev1.ResourceStorage: quantity}},
	}
	if storageClass != "" {
		claim.StorageClassName = &storageClass
	}
	spec, err := toUntyped(monitoringv1.StorageSpec{VolumeClaimTemplate: monitoringv1.EmbeddedPersistentVolumeClaim{Spec: claim}})
	if err != nil {
		return nil, err
	}
	// Drop the empty status and metadata the upstream structs always marshal.
	if tmpl, ok := spec["volumeClaimTemplate"].(map[string]any); ok {
		delete(tmpl, "status")
		delete(tmpl, "metadata")
	}
	return spec, nil
}

// requirements converts Resources to Kubernetes's type, validating every quantity.
func (r Resources) requirements() (k8scorev1.ResourceRequirements, error) {
	out := k8scorev1.ResourceRequirements{}
	set := func(list *k8scorev1.ResourceList, name k8scorev1.ResourceName, value string) error {
		if value == "" {
			return nil
		}
		q, err := resource.ParseQuantity(value)
		if err != nil {
			return fmt.Errorf("%s %q: %w", name, value, err)
		}
		if *list == nil {
			*list = k8scorev1.ResourceList{}
		}
		(*list)[name] = q
		return nil
	}
	for _, s := range []struct {
		list  *k8scorev1.ResourceList
		name  k8scorev1.ResourceName
		value string
	}{
		{&out.Requests, k8scorev1.ResourceCPU, r.CPURequest},
		{&out.Requests, k8scorev1.ResourceMemory, r.MemoryRequest},
		{&out.Limits, k8scorev1.ResourceCPU, r.CPULimit},
		{&out.Limits, k8scorev1.ResourceMemory, r.MemoryLimit},
	} {
		if err := set(s.list, s.name, s.value); err != nil {
			return out, err
		}
	}
	return out, nil
}
