package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// Operator is the real prometheus-operator binary running with the container arguments of the
// chart's operator Deployment, read back from the API server, and only the OperatorFlags
// substitutions.
type Operator struct {
	Proc *procs.Process
	// Generated are the Deployment's container arguments; Args what ran.
	Generated, Args []string
	// ServiceAccount is the operator's ServiceAccount, whose token it runs with.
	ServiceAccount string
}

// StartOperator starts the operator of the chart's Deployment namespace/deployment and waits until
// it reports healthy.
func StartOperator(ctx context.Context, cp *kube.ControlPlane, procs *procs.Processes, ports *procs.Ports, tools toolenv.Tools, namespace, deployment string) (*Operator, error) {
	dep, err := cp.Client.GetExisting(ctx, fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", namespace, deployment))
	if err != nil {
		return nil, fmt.Errorf("the chart's operator: %w", err)
	}
	template := kube.PodTemplate(dep)
	containers := objects.List(template, "spec", "containers")
	if len(containers) != 1 {
		return nil, fmt.Errorf("deployment %s has %d containers, want the operator alone", deployment, len(containers))
	}
	container, err := kube.ResolveContainer(ctx, cp.Client, namespace, deployment, containers[0].(map[string]any))
	if err != nil {
		return nil, err
	}
	op := &Operator{Generated: container.Args, ServiceAccount: objects.Str(template, "spec", "serviceAccountName")}
	// One directory and log per release's operator: two stacks in a cluster run two.
	name := "prometheus-operator-" + namespace
	dir := filepath.Join(procs.Dir, name)
	site := &Site{Dir: dir}
	if site.HTTPAddr, err = ports.Addr(); err != nil {
		return nil, err
	}
	kubeconfig, err := cp.ServiceAccountKubeconfig(ctx, namespace, op.ServiceAccount)
	if err != nil {
		return nil, fmt.Errorf("token of the operator's ServiceAccount %s: %w", op.ServiceAccount, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	site.KubeconfigFile = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(site.KubeconfigFile, []byte(kubeconfig), 0o600); err != nil {
		return nil, err
	}
	if site.CertFile, site.KeyFile, err = cp.IssueCertificate(dir, "webhook", []string{deployment + "." + namespace + ".svc"}); err != nil {
		return nil, err
	}
	if op.Args, err = ApplyFlags(OperatorFlags, site, op.Generated); err != nil {
		return nil, err
	}
	resolved, err := ApplyEnv(OperatorEnv, site, container.Env)
	if err != nil {
		return nil, err
	}
	var env []string
	for k, v := range resolved {
		env = append(env, k+"="+v)
	}
	if op.Proc, err = procs.Start(name, tools.Operator, op.Args, env, ""); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return op, op.Proc.WaitUntil(ctx, time.Minute, func() error {
		resp, err := client.Get("https://" + site.HTTPAddr + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz: %s", resp.Status)
		}
		return nil
	})
}
