//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/logtail"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// controlPlane is a real etcd and a real kube-apiserver on loopback, with no controller-manager,
// no scheduler and no kubelet: objects are stored and validated, never reconciled, and pods never run.
type controlPlane struct {
	dir        string
	server     string // https://127.0.0.1:<port>
	token      string // bearer token of the admin user (group system:masters)
	caPEM      []byte
	kubeconfig string
	client     *kubeClient
	procs      []*process
}

// process is one child process, its log file, and how to stop it.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func (p *process) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the last lines of the process's log, for failure messages.
func (p *process) tail(lines int) string { return logtail.Last(p.log, lines) }

func startProcess(dir, name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr() // dies with the test binary, even on a test timeout
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	return p, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startControlPlane starts etcd and kube-apiserver in dir and waits until the API server is ready.
func startControlPlane(ctx context.Context, dir string, tools toolchain) (*controlPlane, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cp := &controlPlane{dir: dir}
	ok := false
	defer func() {
		if !ok {
			cp.stop()
		}
	}()

	clientPort, err := freePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	etcd, err := startProcess(dir, "etcd", tools.etcd,
		"--name=integration",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=integration="+peerURL,
		// The CRDs of prometheus-operator are up to 0.8 MB each; leave room above the 1.5 MiB default.
		"--max-request-bytes=8388608",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, etcd)
	if err := waitFor(ctx, 30*time.Second, etcd, func() error {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !bytes.Contains(body, []byte(`"health":"true"`)) {
			return fmt.Errorf("etcd /health: %s", body)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	pki, err := writePKI(dir)
	if err != nil {
		return nil, err
	}
	cp.caPEM = pki.caPEM
	cp.token = randomToken()
	tokenFile := filepath.Join(dir, "tokens.csv")
	// token,user,uid,"groups": system:masters is bound to cluster-admin by the bootstrap RBAC policy.
	if err := os.WriteFile(tokenFile, []byte(cp.token+`,admin,admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cp.server = fmt.Sprintf("https://127.0.0.1:%d", port)
	apiserver, err := startProcess(dir, "kube-apiserver", filepath.Join(tools.kubeAPIServerDir, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file="+pki.servingCert,
		"--tls-private-key-file="+pki.servingKey,
		"--client-ca-file="+pki.caFile,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-key-file="+pki.serviceAccountKey,
		"--service-account-signing-key-file="+pki.serviceAccountKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.96.0.0/16",
		// There is no kube-controller-manager, so no garbage collector: without this flag every
		// foreground deletion (the kubernetes provider's default) would leave its object behind
		// with a foregroundDeletion finalizer that nothing ever removes.
		"--enable-garbage-collector=false",
		// The "kubernetes" Service's endpoints may not point at loopback; nothing here needs them.
		"--endpoint-reconciler-type=none",
		"--anonymous-auth=false",
		"--profiling=false",
		"--v=1",
	)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, apiserver)
	cp.client, err = newKubeClient(cp.server, cp.token, cp.caPEM)
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 3*time.Minute, apiserver, func() error {
		body, status, err := cp.client.do(ctx, http.MethodGet, "/readyz", nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("/readyz %d: %s", status, body)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	cp.kubeconfig = kubeconfigYAML(cp.server, cp.caPEM, cp.token)
	ok = true
	return cp, nil
}

func (cp *controlPlane) stop() {
	// Stop in reverse order: the API server before its etcd.
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop()
	}
}

// logs returns the tail of every process's log.
func (cp *controlPlane) logs() string {
	var b strings.Builder
	for _, p := range cp.procs {
		fmt.Fprintf(&b, "--- %s (%s) ---\n%s\n", p.name, p.log, p.tail(30))
	}
	return b.String()
}

// waitFor polls check until it succeeds, the process exits, or the timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, p *process, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("%s exited (%v) before it was ready:\n%s", p.name, err, p.tail(30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if last = check(); last == nil {
			return nil
		}
	}
	return fmt.Errorf("%s not ready after %s: %v\n%s", p.name, timeout, last, p.tail(30))
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// kubeconfigYAML is a kubeconfig for the admin token.
func kubeconfigYAML(server string, caPEM []byte, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: integration
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: integration
  context:
    cluster: integration
    user: admin
current-context: integration
`, server, base64.StdEncoding.EncodeToString(caPEM), token)
}

// pki holds the files of a throwaway CA, the API server's serving certificate, and the service
// account signing key.
type pki struct {
	caPEM                                              []byte
	caFile, servingCert, servingKey, serviceAccountKey string
}

func writePKI(dir string) (pki, error) {
	var out pki
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return out, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "integration-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return out, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return out, err
	}
	servingKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return out, err
	}
	servingDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
	}, caCert, &servingKey.PublicKey, caKey)
	if err != nil {
		return out, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return out, err
	}
	out.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files := []struct {
		path *string
		name string
		data func() ([]byte, error)
	}{
		{&out.caFile, "ca.crt", func() ([]byte, error) { return out.caPEM, nil }},
		{&out.servingCert, "apiserver.crt", func() ([]byte, error) {
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingDER}), nil
		}},
		{&out.servingKey, "apiserver.key", func() ([]byte, error) { return ecKeyPEM(servingKey) }},
		{&out.serviceAccountKey, "sa.key", func() ([]byte, error) { return ecKeyPEM(saKey) }},
	}
	for _, f := range files {
		data, err := f.data()
		if err != nil {
			return out, err
		}
		*f.path = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.path, data, 0o600); err != nil {
			return out, err
		}
	}
	return out, nil
}

func ecKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// kubeClient reads and writes API objects with plain HTTPS and JSON, so the suite needs no
// client-go.
type kubeClient struct {
	server, token string
	http          *http.Client
}

func newKubeClient(server, token string, caPEM []byte) (*kubeClient, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("bad CA certificate")
	}
	return &kubeClient{server: server, token: token, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}}, nil
}

func (c *kubeClient) do(ctx context.Context, method, path string, body any) ([]byte, int, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, 0, err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, reader)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return raw, resp.StatusCode, err
}

// get reads one object; found is false on 404.
func (c *kubeClient) get(ctx context.Context, path string) (obj map[string]any, found bool, err error) {
	raw, status, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, false, err
	}
	switch status {
	case http.StatusOK:
		err = json.Unmarshal(raw, &obj)
		return obj, true, err
	case http.StatusNotFound:
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("GET %s: %d %s", path, status, raw)
}

// list returns the items of a collection (an empty list when the resource type does not exist).
func (c *kubeClient) list(ctx context.Context, path string) ([]map[string]any, error) {
	raw, status, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		return nil, nil
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, status, raw)
	}
	var l struct {
		Items []map[string]any `json:"items"`
	}
	return l.Items, json.Unmarshal(raw, &l)
}

func (c *kubeClient) put(ctx context.Context, path string, obj any) error {
	raw, status, err := c.do(ctx, http.MethodPut, path, obj)
	if err != nil {
		return err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return fmt.Errorf("PUT %s: %d %s", path, status, raw)
	}
	return nil
}
