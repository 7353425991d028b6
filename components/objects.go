package components

import (
	"encoding/json"
	"fmt"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PatchForceAnnotation on an object makes the kubernetes provider's Server-Side Apply take back a
// field it declares from whichever field manager changed it last (a `kubectl scale`, `kubectl set
// image`): `pulumi up --refresh` then puts the declared value back instead of failing on the
// conflict. Fields the program does not declare stay with whoever set them. The annotation, not
// the provider's enablePatchForce setting: the pinned provider reads only the annotation and the
// PULUMI_K8S_ENABLE_PATCH_FORCE variable (pkg/await/await.go, patchForce), and the cluster suite's
// drift step failed on the conflict with the setting alone.
const PatchForceAnnotation = "pulumi.com/patchForce"

// OwnedAnnotations are the annotations of every object the program applies: PatchForceAnnotation,
// and more.
func OwnedAnnotations(more pulumi.StringMap) pulumi.StringMap {
	out := pulumi.StringMap{PatchForceAnnotation: pulumi.String("true")}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// ObjectMeta is the metadata of an object the program applies: OwnedAnnotations and the object's
// own.
func ObjectMeta(namespace pulumi.StringInput, name string, labels map[string]string, annotations pulumi.StringMap) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name:        pulumi.String(name),
		Namespace:   namespace,
		Labels:      pulumi.ToStringMap(labels),
		Annotations: OwnedAnnotations(annotations),
	}
}

// IRSARoleAnnotation is the ServiceAccount annotation EKS's pod identity webhook reads.
const IRSARoleAnnotation = "eks.amazonaws.com/role-arn"

// CheckPodDisruptionBudget is the rule of every budget the program asks for, the chart's
// Prometheus one included: it keeps all but one of the replicas up during voluntary disruptions,
// which over a single replica guards nothing.
func CheckPodDisruptionBudget(replicas int) error {
	if replicas < 2 {
		return fmt.Errorf("a PodDisruptionBudget keeps all but one replica up, which over %d guards nothing; use 2 or more replicas", replicas)
	}
	return nil
}

// ToUntyped turns an upstream API struct into the plain map Pulumi sends, through its JSON tags.
func ToUntyped(v any) (map[string]any, error) {
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

// MatchLabels is a label selector of exactly these labels.
func MatchLabels(labels map[string]string) k8smetav1.LabelSelector {
	return k8smetav1.LabelSelector{MatchLabels: labels}
}
