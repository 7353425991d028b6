//go:build e2e

package loopback

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// StackName is the committed stack whose settings the suite runs: the HA one.
const StackName = "prod"

// Generated is what the program, the chart and the operator generate for the stack, read back
// from the API server after a real `pulumi up` and a real operator reconciliation. Everything the
// suite runs on loopback comes from here, changed only by harness.Substitutions.
type Generated struct {
	Namespace string
	// Config is the stack's configuration as the program parsed it (retention, replica counts).
	Config program.Config
	// ObjstoreYAML is the objstore Secret's content.
	ObjstoreYAML string

	Prometheus PrometheusSet
	// Query, QueryFrontend, Store and Compact are the Thanos workloads of the program.
	Query, QueryFrontend, Store, Compact Workload
}

// Workload is one Deployment or StatefulSet of the program with one container.
type Workload struct {
	Name      string
	Replicas  int
	Container kube.Container
	// Files are the files the container sees in its Secret volumes, by path.
	Files map[string][]byte
}

// PrometheusSet is the StatefulSet the operator generated from the chart's Prometheus resource.
type PrometheusSet struct {
	// Name is the StatefulSet's; Service the chart's Service in front of Prometheus (the job its
	// ServiceMonitor gives the series).
	Name, Service string
	// ReplicaLabel is the Prometheus resource's replicaExternalLabelName.
	ReplicaLabel string
	Pods         []PrometheusPod
}

// PrometheusPod is one pod of the StatefulSet: its containers for that pod's name.
type PrometheusPod struct {
	Name                          string
	Prometheus, Sidecar, Reloader kube.Container
	// Files are what the pod's Secret and ConfigMap volumes hold, by path in the containers.
	Files map[string][]byte
	// Config is the configuration the real config reloader wrote for this pod from the operator's
	// generated one (external labels expanded), before any substitution.
	Config map[string]any
}

// ExternalLabels are the external labels of a pod's blocks and series.
func (p PrometheusPod) ExternalLabels() map[string]string {
	return objects.StringMap(p.Config, "global", "external_labels")
}

// stackSecrets are the keys the suite's stack sets as secrets.
var stackSecrets = []string{"kubeconfig", "existingBucketAccessKey", "existingBucketSecretKey"}

// Generate deploys the committed stack (with the StackConfig substitutions, pointing it at the
// MinIO bucket s3) onto a control plane on loopback through the real Pulumi engine, runs the real
// operator, and reads back what they generated. Everything it started is stopped when it returns;
// dir keeps the logs.
func Generate(ctx context.Context, tools toolenv.Tools, dir string, s3 harness.S3Site) (*Generated, error) {
	processes := &procs.Processes{Dir: filepath.Join(dir, "logs")}
	defer processes.StopAll()
	d, err := generate(ctx, tools, dir, processes, s3)
	if err != nil {
		return nil, fmt.Errorf("%w\nprocess logs:\n%s", err, processes.Logs(20))
	}
	return d, nil
}

func generate(ctx context.Context, tools toolenv.Tools, dir string, processes *procs.Processes, s3 harness.S3Site) (*Generated, error) {
	ports := &procs.Ports{}
	cp, err := kube.StartControlPlane(ctx, filepath.Join(dir, "cluster"), tools, processes, ports)
	if err != nil {
		return nil, err
	}
	chartPath, err := harness.ChartPath()
	if err != nil {
		return nil, err
	}
	fileConfig, err := harness.StackFileConfig(StackName)
	if err != nil {
		return nil, err
	}
	config, err := harness.ApplyStackConfig(&harness.Site{Stack: harness.StackSite{Kubeconfig: cp.Kubeconfig, ChartPath: chartPath, S3: s3}}, fileConfig)
	if err != nil {
		return nil, err
	}
	d := &Generated{}
	if d.Config, err = program.ParseConfig(func(key string) (string, bool) {
		v, ok := config[strings.TrimPrefix(key, program.ProjectName+":")]
		return v, ok
	}); err != nil {
		return nil, err
	}
	d.Namespace = d.Config.Namespace
	pulumi, err := harness.NewPulumi(filepath.Join(dir, "pulumi"), tools)
	if err != nil {
		return nil, err
	}
	// The EKS cluster the stack is written for provides its storage class (gp3); the control plane
	// on loopback gets one of that name, as the EBS CSI driver's. The operator refuses a Prometheus
	// whose storage class does not exist.
	if class := config["storageClass"]; class != "" {
		if err := cp.Client.Post(ctx, "/apis/storage.k8s.io/v1/storageclasses", map[string]any{
			"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
			"metadata":    map[string]any{"name": class},
			"provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer",
		}, nil); err != nil {
			return nil, err
		}
	}
	stack, err := pulumi.Stack(ctx, program.ProjectName, StackName, program.Run)
	if err != nil {
		return nil, err
	}
	if err := harness.SetConfig(ctx, stack, config, stackSecrets...); err != nil {
		return nil, err
	}
	if _, err := stack.Up(ctx); err != nil {
		return nil, fmt.Errorf("pulumi up: %w", err)
	}
	const release = chart.DefaultReleaseName
	if _, err := harness.StartOperator(ctx, cp, processes, ports, tools, d.Namespace, release+"-operator"); err != nil {
		return nil, err
	}
	if err := d.readPrometheus(ctx, cp, tools, dir, release); err != nil {
		return nil, err
	}
	for _, w := range []struct {
		into       *Workload
		collection string
		labels     components.ThanosLabels
	}{
		{&d.Query, "deployments", thanos.QuerierLabels(program.Instance)},
		{&d.QueryFrontend, "deployments", thanos.QueryFrontendLabels(program.Instance)},
		{&d.Store, "statefulsets", thanos.StoreGatewayLabels(program.Instance)},
		{&d.Compact, "statefulsets", thanos.CompactorLabels(program.Instance)},
	} {
		if *w.into, err = readWorkload(ctx, cp.Client, d.Namespace, w.collection, w.labels); err != nil {
			return nil, err
		}
	}
	objstore, err := kube.SecretData(ctx, cp.Client, d.Namespace, chart.ObjstoreSecretName)
	if err != nil {
		return nil, err
	}
	d.ObjstoreYAML = string(objstore[components.ObjstoreSecretKey])
	return d, nil
}

// readWorkload reads the one workload of the collection that labels select: a StatefulSet's name
// carries a hash of its volumes (thanos.StatefulSetName). The Workload's name is its Service's,
// the job Prometheus gives its series.
func readWorkload(ctx context.Context, client *kube.KubeClient, namespace, collection string, labels components.ThanosLabels) (Workload, error) {
	name := labels.ObjectName()
	objs, err := client.List(ctx, fmt.Sprintf("/apis/apps/v1/namespaces/%s/%s?labelSelector=%s", namespace, collection, kube.LabelSelector(labels.Selector())))
	if err != nil || len(objs) != 1 {
		return Workload{}, fmt.Errorf("%s of %s: %d, %v; want one", collection, name, len(objs), err)
	}
	obj := objs[0]
	template := kube.PodTemplate(obj)
	containers := objects.List(template, "spec", "containers")
	if len(containers) != 1 {
		return Workload{}, fmt.Errorf("%s %s has %d containers", collection, name, len(containers))
	}
	raw := containers[0].(map[string]any)
	w := Workload{Name: name, Replicas: int(objects.Field(obj, "spec", "replicas").(float64))}
	if w.Container, err = kube.ResolveContainer(ctx, client, namespace, objects.Str(obj, "metadata", "name")+"-0", raw); err != nil {
		return w, err
	}
	w.Files, err = kube.MountedFiles(ctx, client, namespace, obj, raw)
	return w, err
}

// readPrometheus waits for the operator's StatefulSet, reads its pods' containers and files, and
// runs the real config reloader once per pod (as the pod's init container does) for its config.
func (d *Generated) readPrometheus(ctx context.Context, cp *kube.ControlPlane, tools toolenv.Tools, dir, release string) error {
	client := cp.Client
	crs, err := client.List(ctx, fmt.Sprintf("/apis/monitoring.coreos.com/v1/namespaces/%s/prometheuses", d.Namespace))
	if err != nil || len(crs) != 1 {
		return fmt.Errorf("want one Prometheus resource in %s, got %d (%v)", d.Namespace, len(crs), err)
	}
	cr := crs[0]
	d.Prometheus.Service = objects.Str(cr, "metadata", "name")
	d.Prometheus.ReplicaLabel = objects.Str(cr, "spec", "replicaExternalLabelName")
	d.Prometheus.Name = "prometheus-" + d.Prometheus.Service
	path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/statefulsets/%s", d.Namespace, d.Prometheus.Name)
	var sts map[string]any
	for deadline := time.Now().Add(2 * time.Minute); sts == nil; {
		obj, found, err := client.Get(ctx, path)
		switch {
		case err != nil:
			return err
		case found:
			sts = obj
		case time.Now().After(deadline):
			return fmt.Errorf("the operator generated no StatefulSet %s in 2 minutes", d.Prometheus.Name)
		default:
			time.Sleep(time.Second)
		}
	}
	template := kube.PodTemplate(sts)
	replicas := int(objects.Field(sts, "spec", "replicas").(float64))
	for i := range replicas {
		pod := PrometheusPod{Name: fmt.Sprintf("%s-%d", d.Prometheus.Name, i), Files: map[string][]byte{}}
		for _, c := range []struct {
			into *kube.Container
			name string
			init bool
		}{{&pod.Prometheus, "prometheus", false}, {&pod.Sidecar, "thanos-sidecar", false}, {&pod.Reloader, "init-config-reloader", true}} {
			raw, err := kube.TemplateContainer(template, c.name, c.init)
			if err != nil {
				return err
			}
			if *c.into, err = kube.ResolveContainer(ctx, client, d.Namespace, pod.Name, raw); err != nil {
				return err
			}
			files, err := kube.MountedFiles(ctx, client, d.Namespace, sts, raw)
			if err != nil {
				return err
			}
			for k, v := range files {
				pod.Files[k] = v
			}
		}
		if pod.Config, err = runReloaderOnce(ctx, tools, filepath.Join(dir, "reloader", pod.Name), pod); err != nil {
			return fmt.Errorf("%s: %w", pod.Name, err)
		}
		d.Prometheus.Pods = append(d.Prometheus.Pods, pod)
	}
	return nil
}

// runReloaderOnce runs the real config reloader with the init container's arguments (substituted
// for loopback) and returns the configuration it writes.
func runReloaderOnce(ctx context.Context, tools toolenv.Tools, dir string, pod PrometheusPod) (map[string]any, error) {
	site := &harness.Site{Dir: dir}
	var err error
	if site.HTTPAddr, err = (&procs.Ports{}).Addr(); err != nil {
		return nil, err
	}
	args, err := harness.ApplyFlags(harness.ReloaderFlags, site, pod.Reloader.Args)
	if err != nil {
		return nil, err
	}
	if err := WriteMountedFiles(pod.Reloader.Args, args, pod.Files); err != nil {
		return nil, err
	}
	var env []string
	for k, v := range pod.Reloader.Env {
		env = append(env, k+"="+v)
	}
	if out, err := procs.RunEnv(ctx, env, tools.ConfigReloader, args...); err != nil {
		return nil, fmt.Errorf("config reloader: %w\n%s", err, out)
	}
	output := FlagValue(args, "config-envsubst-file")
	raw, err := os.ReadFile(output)
	if err != nil {
		return nil, fmt.Errorf("the config reloader wrote no %s: %w", output, err)
	}
	var cfg map[string]any
	return cfg, yaml.Unmarshal(raw, &cfg)
}

// WriteMountedFiles writes, for each flag whose generated value is a mounted file (or a directory
// of mounted files), that content to where the substituted flag points.
func WriteMountedFiles(generated, substituted []string, files map[string][]byte) error {
	seen := map[string]int{}
	for _, g := range generated {
		name, from, ok := harness.SplitFlag(g)
		// The n-th occurrence of a flag is substituted by the n-th occurrence after substitution.
		to := flagValues(substituted, name)
		n := seen[name]
		seen[name]++
		if !ok || n >= len(to) || to[n] == from {
			continue
		}
		into := to[n]
		prefix := strings.TrimSuffix(from, "/") + "/"
		if _, mountPoint := files[prefix]; mountPoint {
			if err := os.MkdirAll(into, 0o755); err != nil {
				return err
			}
		}
		var paths []string
		for p := range files {
			if (p == from || strings.HasPrefix(p, prefix)) && !strings.HasSuffix(p, "/") {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		for _, p := range paths {
			target := into
			if p != from {
				target = filepath.Join(into, strings.TrimPrefix(p, prefix))
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(target, files[p], 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// FlagValue is the value of --name in args ("" where it is not there).
func FlagValue(args []string, name string) string {
	if values := flagValues(args, name); len(values) > 0 {
		return values[0]
	}
	return ""
}

// flagValues are the values of every --name in args.
func flagValues(args []string, name string) []string {
	var out []string
	for _, a := range args {
		if n, v, _ := harness.SplitFlag(a); n == name {
			out = append(out, v)
		}
	}
	return out
}

// Replicas is the number of Prometheus pods.
func (p PrometheusSet) Replicas() int { return len(p.Pods) }

// hasFlag reports whether a container's arguments hold --name.
func hasFlag(args []string, name string) bool {
	return slices.ContainsFunc(args, func(a string) bool { n, _, _ := harness.SplitFlag(a); return n == name })
}
