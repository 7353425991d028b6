package kube

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Cluster is a one-node Kubernetes cluster on this machine, from the real parts: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, containerd with runc and the CNI bridge,
// the kubelet, kube-proxy, CoreDNS, and images built here from pinned sources. Pods run in network
// namespaces on a bridge with no route off the machine.
type Cluster struct {
	*ControlPlane
	Node *Node
	// Timings of the start, by phase.
	Timings []Timing

	tools toolenv.Tools
	procs *procs.Processes
	// volumesDir holds the local volumes' directories (and the small volumes' tmpfs mounts).
	volumesDir string
}

// Timing is how long one phase of a start took.
type Timing struct {
	Phase    string
	Duration time.Duration
}

// ClusterOptions configure StartCluster.
type ClusterOptions struct {
	Tools     toolenv.Tools
	NodeTools NodeTools
	Images    ImageSources
	// ImageRefs are the images the workloads will run (the cluster adds its own: pause, CoreDNS).
	ImageRefs []string
	// PersistentVolumes is how many local volumes of the default StorageClass to provide, each a
	// tmpfs of PersistentVolumeSize: a volume with a size of its own, as a cloud disk is, whose
	// usage the kubelet reports as the volume's. (Directories on the node's disk would report the
	// test machine's disk, which the tool caches fill, and the volume alerts would see that.)
	PersistentVolumes    int
	PersistentVolumeSize string
	// SmallVolumes are local volumes of SmallVolumeSize more, each a tmpfs of that size: a claim
	// of that size binds one (the smallest volume that fits), and a test can fill it up.
	SmallVolumes    int
	SmallVolumeSize string
}

// StorageClassName is the cluster's default StorageClass, of local volumes on the node.
const StorageClassName = "local"

// StartCluster brings up the cluster in dir. procs owns every process; Stop tears it all down.
func StartCluster(ctx context.Context, dir string, opts ClusterOptions, procs *procs.Processes, ports *procs.Ports) (*Cluster, error) {
	c := &Cluster{tools: opts.Tools, procs: procs}
	phase := func(name string, start time.Time) { c.Timings = append(c.Timings, Timing{name, time.Since(start)}) }
	if err := CheckNodeHost(); err != nil {
		return nil, err
	}
	start := time.Now()
	var err error
	if c.ControlPlane, err = StartControlPlane(ctx, filepath.Join(dir, "control-plane"), opts.Tools, procs, ports, ControlPlaneOptions{ForNode: true}); err != nil {
		return c, err
	}
	if err := c.bootstrapRBAC(ctx); err != nil {
		return c, err
	}
	phase("control plane", start)

	start = time.Now()
	wrapper := filepath.Join(dir, "runcoomclamp")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", wrapper, "github.com/prometheus-thanos/prometheus-thanos/tests/internal/runcoomclamp").CombinedOutput(); err != nil {
		return c, fmt.Errorf("build the runc wrapper: %w: %s", err, out)
	}
	pause := "registry.k8s.io/pause:" + opts.Images.Versions["PAUSE_VERSION"]
	coredns := "registry.k8s.io/coredns/coredns:" + opts.Images.Versions["COREDNS_VERSION"]
	images, err := BuildImages(opts.Images, append([]string{pause, coredns}, opts.ImageRefs...))
	if err != nil {
		return c, err
	}
	phase("images built", start)
	start = time.Now()
	if c.Node, err = StartNode(ctx, filepath.Join(dir, "node"), c.ControlPlane, opts.Tools,
		NodeOptions{Tools: opts.NodeTools, RuncWrapper: wrapper, Images: images, PauseImage: pause}, procs, ports); err != nil {
		return c, err
	}
	phase("node ready (containerd, images imported, kubelet, kube-proxy)", start)

	start = time.Now()
	if err := c.deployDNS(ctx, coredns); err != nil {
		return c, err
	}
	c.volumesDir = filepath.Join(dir, "volumes")
	if err := c.provideStorage(ctx, c.volumesDir, opts); err != nil {
		return c, err
	}
	phase("DNS ready, storage provided", start)
	return c, nil
}

// bootstrapRBAC lets the API server reach the kubelet's API (logs, exec) as its client
// certificate's user, as kubeadm binds it.
func (c *Cluster) bootstrapRBAC(ctx context.Context) error {
	return c.Apply(ctx, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "kube-apiserver-kubelet-api-admin"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kubelet-api-admin"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "kube-apiserver"}},
	})
}

// deployDNS deploys CoreDNS as the cluster's DNS add-on (kubeadm's manifests, with the Corefile
// of kubeadm but for `forward`: nothing outside the machine resolves), and waits until it is ready.
// The image's CoreDNS has only the plugins this Corefile names (tools/cluster-images/coredns).
func (c *Cluster) deployDNS(ctx context.Context, image string) error {
	labels := map[string]any{"k8s-app": "kube-dns"}
	corefile := `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ` + ClusterDomain + ` in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    cache 30
    loop
    reload
    loadbalance
}
`
	objects := []map[string]any{
		{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "coredns", "namespace": "kube-system"}},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "system:coredns"},
			"rules": []any{
				map[string]any{"apiGroups": []any{""}, "resources": []any{"endpoints", "services", "pods", "namespaces"}, "verbs": []any{"list", "watch"}},
				map[string]any{"apiGroups": []any{"discovery.k8s.io"}, "resources": []any{"endpointslices"}, "verbs": []any{"list", "watch"}},
			}},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": "system:coredns"},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}}},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "coredns", "namespace": "kube-system"},
			"data": map[string]any{"Corefile": corefile}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "coredns", "namespace": "kube-system", "labels": labels},
			"spec": map[string]any{
				"replicas": 1, "selector": map[string]any{"matchLabels": labels},
				"template": map[string]any{
					"metadata": map[string]any{"labels": labels},
					"spec": map[string]any{
						"serviceAccountName": "coredns", "dnsPolicy": "Default", "priorityClassName": "system-cluster-critical",
						"containers": []any{map[string]any{
							"name": "coredns", "image": image, "imagePullPolicy": "IfNotPresent",
							"args": []any{"-conf", "/etc/coredns/Corefile"},
							"ports": []any{
								map[string]any{"name": "dns", "containerPort": 53, "protocol": "UDP"},
								map[string]any{"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
								map[string]any{"name": "metrics", "containerPort": 9153, "protocol": "TCP"},
							},
							"volumeMounts":   []any{map[string]any{"name": "config", "mountPath": "/etc/coredns", "readOnly": true}},
							"livenessProbe":  map[string]any{"httpGet": map[string]any{"path": "/health", "port": 8080}, "periodSeconds": 10},
							"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/ready", "port": 8181}, "periodSeconds": 2},
							"securityContext": map[string]any{
								"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
								"capabilities":   map[string]any{"add": []any{"NET_BIND_SERVICE"}, "drop": []any{"ALL"}},
								"seccompProfile": map[string]any{"type": "RuntimeDefault"},
							},
						}},
						"volumes": []any{map[string]any{"name": "config", "configMap": map[string]any{"name": "coredns"}}},
					},
				},
			}},
		{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "kube-dns", "namespace": "kube-system", "labels": labels},
			"spec": map[string]any{"selector": labels, "clusterIP": ClusterDNS, "ports": []any{
				map[string]any{"name": "dns", "port": 53, "protocol": "UDP"},
				map[string]any{"name": "dns-tcp", "port": 53, "protocol": "TCP"},
				map[string]any{"name": "metrics", "port": 9153, "protocol": "TCP"},
			}}},
	}
	for _, o := range objects {
		if err := c.Apply(ctx, o); err != nil {
			return err
		}
	}
	return c.WaitDeploymentReady(ctx, "kube-system", "coredns", 3*time.Minute)
}

// provideStorage makes the default StorageClass of local volumes and the volumes opts asks for on
// the node, each a tmpfs of its size mounted on a directory: static provisioning, as a
// local-volume cluster without a provisioner does. Each fills up as a disk of its size would, and
// holds in memory only what is written to it.
func (c *Cluster) provideStorage(ctx context.Context, dir string, opts ClusterOptions) error {
	if err := c.Apply(ctx, map[string]any{
		"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
		"metadata": map[string]any{"name": StorageClassName,
			"annotations": map[string]any{"storageclass.kubernetes.io/is-default-class": "true"}},
		"provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Delete",
	}); err != nil {
		return err
	}
	for i := range opts.PersistentVolumes + opts.SmallVolumes {
		path := filepath.Join(dir, fmt.Sprintf("pv-%02d", i))
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
		size := opts.PersistentVolumeSize
		if i >= opts.PersistentVolumes {
			size = opts.SmallVolumeSize
		}
		q, err := resource.ParseQuantity(size)
		if err != nil {
			return fmt.Errorf("volume size %q: %w", size, err)
		}
		if err := syscall.Mount("tmpfs", path, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", q.Value())); err != nil {
			return fmt.Errorf("tmpfs for %s: %w", path, err)
		}
		if err := c.Apply(ctx, map[string]any{
			"apiVersion": "v1", "kind": "PersistentVolume",
			"metadata": map[string]any{"name": fmt.Sprintf("local-%02d", i)},
			"spec": map[string]any{
				"capacity": map[string]any{"storage": size}, "accessModes": []any{"ReadWriteOnce"},
				"persistentVolumeReclaimPolicy": "Retain", "storageClassName": StorageClassName,
				"local": map[string]any{"path": path},
				"nodeAffinity": map[string]any{"required": map[string]any{"nodeSelectorTerms": []any{map[string]any{
					"matchExpressions": []any{map[string]any{"key": "kubernetes.io/hostname", "operator": "In", "values": []any{NodeName}}},
				}}}},
			},
		}); err != nil {
			return err
		}
	}
	return nil
}

// collection is the API path of an object's collection.
func collection(obj map[string]any) (string, error) {
	apiVersion, kind := objects.Str(obj, "apiVersion"), objects.Str(obj, "kind")
	plural := strings.ToLower(kind) + "s"
	switch kind {
	case "StorageClass":
		plural = "storageclasses"
	case "Endpoints":
		plural = "endpoints"
	}
	prefix := "/apis/" + apiVersion
	if apiVersion == "v1" {
		prefix = "/api/v1"
	}
	if ns := objects.Str(obj, "metadata", "namespace"); ns != "" {
		return fmt.Sprintf("%s/namespaces/%s/%s", prefix, ns, plural), nil
	}
	if kind == "" || apiVersion == "" {
		return "", fmt.Errorf("object without apiVersion or kind: %v", obj)
	}
	return prefix + "/" + plural, nil
}

// Apply creates an object (its kind's plural is its lower-cased kind plus "s").
func (cp *ControlPlane) Apply(ctx context.Context, obj map[string]any) error {
	path, err := collection(obj)
	if err != nil {
		return err
	}
	return cp.Client.Post(ctx, path, obj, nil)
}

// WaitDeploymentReady waits until every replica of a Deployment is updated and available.
func (cp *ControlPlane) WaitDeploymentReady(ctx context.Context, namespace, name string, timeout time.Duration) error {
	path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", namespace, name)
	deadline := time.Now().Add(timeout)
	for {
		d, found, err := cp.Client.Get(ctx, path)
		if err == nil && found {
			want := fmt.Sprint(objects.Field(d, "spec", "replicas"))
			if fmt.Sprint(objects.Field(d, "status", "availableReplicas")) == want && fmt.Sprint(objects.Field(d, "status", "updatedReplicas")) == want {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deployment %s/%s not available after %v: %v", namespace, name, timeout, objects.Field(d, "status"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Stop tears the cluster down: the node (containers, mounts, iptables rules, the bridge), then the
// control plane's processes.
func (c *Cluster) Stop(ctx context.Context) []error {
	var errs []error
	if c.Node != nil {
		errs = append(errs, c.Node.Stop(ctx, c.tools)...)
	}
	if c.volumesDir != "" {
		errs = append(errs, UnmountUnder(c.volumesDir)...)
	}
	c.procs.StopAll()
	return errs
}
