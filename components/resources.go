package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8scorev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Resources are a container's resource requests and limits, as Kubernetes quantities
// ("100m", "512Mi"). An empty field is left unset.
type Resources struct {
	CPURequest    string
	MemoryRequest string
	CPULimit      string
	MemoryLimit   string
	// EphemeralStorageRequest and EphemeralStorageLimit bound the node disk the container may use
	// outside its volumes (its logs; the Thanos containers' root filesystems are read-only). Over
	// the limit, the kubelet evicts this pod rather than the node running out of disk.
	EphemeralStorageRequest string
	EphemeralStorageLimit   string
}

// Kubernetes resource names of Resources' fields.
const (
	resourceCPU              = "cpu"
	resourceMemory           = "memory"
	resourceEphemeralStorage = "ephemeral-storage"
)

// requestsAndLimits lists the set fields by resource name.
func (r Resources) requestsAndLimits() (requests, limits map[string]string) {
	pick := func(values map[string]string) map[string]string {
		out := map[string]string{}
		for name, v := range values {
			if v != "" {
				out[name] = v
			}
		}
		return out
	}
	return pick(map[string]string{resourceCPU: r.CPURequest, resourceMemory: r.MemoryRequest, resourceEphemeralStorage: r.EphemeralStorageRequest}),
		pick(map[string]string{resourceCPU: r.CPULimit, resourceMemory: r.MemoryLimit, resourceEphemeralStorage: r.EphemeralStorageLimit})
}

// Args are the requests and limits as a container's arguments.
func (r Resources) Args() corev1.ResourceRequirementsArgs {
	requests, limits := r.requestsAndLimits()
	return corev1.ResourceRequirementsArgs{
		Requests: pulumi.ToStringMap(requests),
		Limits:   pulumi.ToStringMap(limits),
	}
}

// Requirements converts Resources to Kubernetes's type, validating every quantity.
func (r Resources) Requirements() (k8scorev1.ResourceRequirements, error) {
	out := k8scorev1.ResourceRequirements{}
	requests, limits := r.requestsAndLimits()
	for _, s := range []struct {
		list   *k8scorev1.ResourceList
		values map[string]string
	}{{&out.Requests, requests}, {&out.Limits, limits}} {
		for name, value := range s.values {
			q, err := resource.ParseQuantity(value)
			if err != nil {
				return out, fmt.Errorf("%s %q: %w", name, value, err)
			}
			if *s.list == nil {
				*s.list = k8scorev1.ResourceList{}
			}
			(*s.list)[k8scorev1.ResourceName(name)] = q
		}
	}
	return out, nil
}
