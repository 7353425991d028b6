package thanos

import (
	"fmt"
	"time"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Ports every Thanos component listens on, by name. Services and probes refer to them by name.
const (
	GRPCPortName = "grpc"
	GRPCPort     = 10901
	HTTPPortName = "http"
	HTTPPort     = 10902

	// thanosUID is the user and group the Thanos containers run as: nobody (65534), as kube-thanos
	// runs them, rather than the image's USER 1001, a UID a host account may have (kube-score's
	// container-security-context-user-group-id wants one above 10000). The image needs no user of
	// its own: its binary is world-executable, the root filesystem is read-only, and every write
	// goes to a volume that fsGroup gives this group.
	thanosUID = 65534

	objstoreMountPath = "/etc/thanos/objstore"
	objstoreVolume    = "objstore-config"
	dataVolume        = "data"
)

// flag renders one command-line flag. Flags are always built from named values, never pasted.
func flag(name string, value any) string { return fmt.Sprintf("--%s=%v", name, value) }

// listenFlags are the gRPC and HTTP listen addresses every serving component uses.
func listenFlags() []string {
	return []string{
		flag("grpc-address", fmt.Sprintf("0.0.0.0:%d", GRPCPort)),
		flag("http-address", fmt.Sprintf("0.0.0.0:%d", HTTPPort)),
	}
}

// logFlags keep every component's logs in one machine-readable format.
func logFlags() []string {
	return []string{flag("log.level", "info"), flag("log.format", "logfmt")}
}

// objstoreFlag points a component at the objstore config mounted from the Secret.
func objstoreFlag(secretKey string) string {
	return flag("objstore.config-file", objstoreMountPath+"/"+secretKey)
}

// thanosContainer describes the one Thanos container of a pod.
type thanosContainer struct {
	// Args are the container's arguments: the Thanos subcommand, then its flags.
	Args      pulumi.StringArrayInput
	Resources components.Resources
	// ServesGRPC adds the gRPC port (query, store); the compactor only serves HTTP.
	ServesGRPC bool
	// DataPath, when set, mounts the "data" volume there.
	DataPath string
	// ObjstoreSecret, when set, mounts that Secret's objstore config read-only.
	ObjstoreSecret pulumi.StringInput
	// TLS, when its Secret is set, mounts a TLS Secret read-only.
	TLS tlsMount
	// Drain, when set, keeps a deleted pod serving that long before Thanos gets SIGTERM (a
	// preStop sleep): long enough for clients that find the pod through DNS to find its successor.
	Drain time.Duration
}

// terminationGracePeriod is how long a Thanos pod has to stop once deleted: its Drain, then
// Thanos's own graceful shutdown of in-flight requests.
const terminationGracePeriod = 120 * time.Second

// thanosPodSpec builds a pod spec with the project's secure defaults: non-root, read-only root
// filesystem, no capabilities, RuntimeDefault seccomp, health and readiness probes, and optionally
// a preferred anti-affinity that spreads the replicas across nodes.
//
// serviceAccount is the ServiceAccount's name as an output of the ServiceAccount, so the pods are
// created after it: EKS's pod identity webhook only injects the IRSA role into a pod whose
// ServiceAccount exists when the pod is admitted.
func thanosPodSpec(serviceAccount pulumi.StringInput, c thanosContainer, spreadBy map[string]string, volumes corev1.VolumeArray) *corev1.PodSpecArgs {
	ports := corev1.ContainerPortArray{
		corev1.ContainerPortArgs{Name: pulumi.String(HTTPPortName), ContainerPort: pulumi.Int(HTTPPort)},
	}
	if c.ServesGRPC {
		ports = append(ports, corev1.ContainerPortArgs{Name: pulumi.String(GRPCPortName), ContainerPort: pulumi.Int(GRPCPort)})
	}
	var mounts corev1.VolumeMountArray
	if c.ObjstoreSecret != nil {
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(objstoreVolume), MountPath: pulumi.String(objstoreMountPath), ReadOnly: pulumi.Bool(true)})
		volumes = append(volumes, corev1.VolumeArgs{
			Name:   pulumi.String(objstoreVolume),
			Secret: corev1.SecretVolumeSourceArgs{SecretName: c.ObjstoreSecret},
		})
	}
	if c.TLS.Secret != nil {
		mounts = append(mounts, c.TLS.mount())
		volumes = append(volumes, c.TLS.volume())
	}
	if c.DataPath != "" {
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(dataVolume), MountPath: pulumi.String(c.DataPath)})
	}
	resources := c.Resources.Args()
	spec := &corev1.PodSpecArgs{
		ServiceAccountName: serviceAccount,
		// The querier and compactor never call the Kubernetes API; only IRSA needs the projected
		// token, which the EKS webhook mounts itself.
		AutomountServiceAccountToken: pulumi.Bool(false),
		SecurityContext: corev1.PodSecurityContextArgs{
			RunAsNonRoot:   pulumi.Bool(true),
			RunAsUser:      pulumi.Int(thanosUID),
			RunAsGroup:     pulumi.Int(thanosUID),
			FsGroup:        pulumi.Int(thanosUID),
			SeccompProfile: corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		TerminationGracePeriodSeconds: pulumi.Int(int(terminationGracePeriod.Seconds())),
		Containers: corev1.ContainerArray{corev1.ContainerArgs{
			Name:  pulumi.String("thanos"),
			Image: pulumi.String(components.ThanosImage()),
			Args:  c.Args,
			Ports: ports,
			LivenessProbe: corev1.ProbeArgs{
				HttpGet:          corev1.HTTPGetActionArgs{Path: pulumi.String("/-/healthy"), Port: pulumi.String(HTTPPortName)},
				PeriodSeconds:    pulumi.Int(30),
				FailureThreshold: pulumi.Int(4),
			},
			ReadinessProbe: corev1.ProbeArgs{
				HttpGet:          corev1.HTTPGetActionArgs{Path: pulumi.String("/-/ready"), Port: pulumi.String(HTTPPortName)},
				PeriodSeconds:    pulumi.Int(5),
				FailureThreshold: pulumi.Int(20),
			},
			Resources:    &resources,
			VolumeMounts: mounts,
			SecurityContext: corev1.SecurityContextArgs{
				AllowPrivilegeEscalation: pulumi.Bool(false),
				ReadOnlyRootFilesystem:   pulumi.Bool(true),
				RunAsNonRoot:             pulumi.Bool(true),
				Capabilities:             corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
				SeccompProfile:           corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
			},
			TerminationMessagePolicy: pulumi.String("FallbackToLogsOnError"),
			Lifecycle:                drainLifecycle(c.Drain),
		}},
		Volumes: volumes,
	}
	if spreadBy != nil {
		spec.Affinity = corev1.AffinityArgs{PodAntiAffinity: corev1.PodAntiAffinityArgs{
			PreferredDuringSchedulingIgnoredDuringExecution: corev1.WeightedPodAffinityTermArray{
				corev1.WeightedPodAffinityTermArgs{
					Weight: pulumi.Int(100),
					PodAffinityTerm: corev1.PodAffinityTermArgs{
						TopologyKey:   pulumi.String("kubernetes.io/hostname"),
						LabelSelector: metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(spreadBy)},
					},
				},
			},
		}}
	}
	return spec
}

// serviceAccountAnnotations annotates a ServiceAccount with its IRSA role, if there is one.
func serviceAccountAnnotations(roleArn pulumi.StringInput) pulumi.StringMap {
	if roleArn == nil {
		return nil
	}
	return pulumi.StringMap{components.IRSARoleAnnotation: roleArn}
}

// drainLifecycle is the preStop sleep of a container that drains for d (none for zero). The
// kubelet's own sleep action (Kubernetes 1.30 and later), not `sleep` in the image: the Thanos
// image needs no shell or coreutils for it.
func drainLifecycle(d time.Duration) corev1.LifecyclePtrInput {
	if d <= 0 {
		return nil
	}
	return corev1.LifecycleArgs{PreStop: corev1.LifecycleHandlerArgs{
		Sleep: corev1.SleepActionArgs{Seconds: pulumi.Int(int(d.Seconds()))},
	}}
}
