package kube

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
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// ControlPlane is a real etcd, kube-apiserver and kube-controller-manager on loopback. With the
// controller manager, garbage collection, namespace deletion, Deployments, StatefulSets and
// PodDisruptionBudget status are the real controllers'. There is no scheduler or kubelet here: pods
// are created and stay Pending.
type ControlPlane struct {
	Dir    string
	Server string // https://127.0.0.1:<port>
	Token  string // bearer token of the admin user (group system:masters)
	CAPEM  []byte
	// Kubeconfig is the admin kubeconfig; KubeconfigFile the same, written to a file.
	Kubeconfig, KubeconfigFile string
	Client                     *KubeClient
	// ServiceCIDR is the Services' cluster IP range.
	ServiceCIDR string

	opts   ControlPlaneOptions
	tokens map[string]string // user -> bearer token
	procs  *procs.Processes
	pki    pki
}

// ControlPlaneOptions say what the control plane serves beyond the API.
type ControlPlaneOptions struct {
	// ForNode makes it serve a node: the API server listens on all addresses and advertises the
	// host's (pods reach it through the kubernetes Service), and kube-scheduler runs.
	ForNode bool
}

// users are the identities of the control plane's clients, each with a token: bootstrap RBAC
// gives each system user the permissions it needs (the node's through the Node authorizer).
var users = map[string]string{
	"admin":                          "system:masters",
	"system:kube-controller-manager": "",
	"system:kube-scheduler":          "",
	"system:kube-proxy":              "",
	"system:node:" + NodeName:        "system:nodes",
}

// StartControlPlane starts etcd, kube-apiserver and kube-controller-manager in dir and waits until
// the API server is ready and the controller manager healthy. procs owns the processes.
func StartControlPlane(ctx context.Context, dir string, tools toolenv.Tools, procs *procs.Processes, ports *procs.Ports, opts ...ControlPlaneOptions) (*ControlPlane, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: dir, procs: procs, ServiceCIDR: "10.96.0.0/16", tokens: map[string]string{}}
	if len(opts) > 0 {
		cp.opts = opts[0]
	}
	etcdURL, err := cp.startEtcd(ctx, tools, ports)
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	if cp.opts.ForNode {
		hostIP, err := HostIP()
		if err != nil {
			return nil, err
		}
		// The host's address and the kubernetes Service's first address, as pods reach it.
		ips = append(ips, net.ParseIP(hostIP), net.ParseIP("10.96.0.1"))
	}
	if cp.pki, err = writePKI(dir, ips...); err != nil {
		return nil, err
	}
	cp.CAPEM = cp.pki.PEM
	if err := cp.startAPIServer(ctx, tools, ports, etcdURL); err != nil {
		return nil, err
	}
	if err := cp.startControllerManager(ctx, tools, ports); err != nil {
		return nil, err
	}
	if cp.opts.ForNode {
		if err := cp.startScheduler(ctx, tools, ports); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

func (cp *ControlPlane) startEtcd(ctx context.Context, tools toolenv.Tools, ports *procs.Ports) (string, error) {
	clientAddr, err := ports.Addr()
	if err != nil {
		return "", err
	}
	peerAddr, err := ports.Addr()
	if err != nil {
		return "", err
	}
	etcdURL, peerURL := "http://"+clientAddr, "http://"+peerAddr
	etcd, err := cp.procs.Start("etcd", tools.Etcd, []string{
		"--name=test",
		"--data-dir=" + filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=test=" + peerURL,
		// The CRDs of prometheus-operator are up to 0.8 MB each; leave room above the 1.5 MiB default.
		"--max-request-bytes=8388608",
		"--log-level=warn",
	}, nil, "")
	if err != nil {
		return "", err
	}
	return etcdURL, etcd.WaitUntil(ctx, 30*time.Second, func() error {
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
	})
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, tools toolenv.Tools, ports *procs.Ports, etcdURL string) error {
	tokenFile := filepath.Join(cp.Dir, "tokens.csv")
	// token,user,uid,"groups": system:masters is bound to cluster-admin by the bootstrap RBAC policy.
	var lines []string
	for user, group := range users {
		cp.tokens[user] = randomToken()
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", cp.tokens[user], user, user, group))
	}
	cp.Token = cp.tokens["admin"]
	if err := os.WriteFile(tokenFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	port, err := ports.Port()
	if err != nil {
		return err
	}
	cp.Server = fmt.Sprintf("https://127.0.0.1:%d", port)
	address := []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The "kubernetes" Service's endpoints may not point at loopback; nothing here needs them.
		"--endpoint-reconciler-type=none",
	}
	if cp.opts.ForNode {
		hostIP, err := HostIP()
		if err != nil {
			return err
		}
		address = []string{"--bind-address=0.0.0.0", "--advertise-address=" + hostIP}
	}
	apiserver, err := cp.procs.Start("kube-apiserver", tools.Kubernetes("kube-apiserver"), append(address,
		"--etcd-servers="+etcdURL,
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir="+filepath.Join(cp.Dir, "apiserver-certs"),
		"--tls-cert-file="+cp.pki.servingCert,
		"--tls-private-key-file="+cp.pki.servingKey,
		"--client-ca-file="+cp.pki.caFile,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=Node,RBAC",
		"--service-account-key-file="+cp.pki.serviceAccountKey,
		"--service-account-signing-key-file="+cp.pki.serviceAccountKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range="+cp.ServiceCIDR,
		"--enable-admission-plugins=NodeRestriction",
		// The API server asks the kubelet for logs and exec as a client of the cluster's CA.
		"--kubelet-client-certificate="+cp.pki.servingCert,
		"--kubelet-client-key="+cp.pki.servingKey,
		"--anonymous-auth=false",
		"--profiling=false",
		"--v=1",
	), nil, "")
	if err != nil {
		return err
	}
	if cp.Client, err = NewKubeClient(cp.Server, cp.Token, cp.CAPEM); err != nil {
		return err
	}
	if err := apiserver.WaitUntil(ctx, 3*time.Minute, func() error {
		body, status, err := cp.Client.Do(ctx, http.MethodGet, "/readyz", nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("/readyz %d: %s", status, body)
		}
		return nil
	}); err != nil {
		return err
	}
	cp.Kubeconfig = KubeconfigYAML(cp.Server, cp.CAPEM, cp.Token)
	cp.KubeconfigFile = filepath.Join(cp.Dir, "admin.kubeconfig")
	return os.WriteFile(cp.KubeconfigFile, []byte(cp.Kubeconfig), 0o600)
}

func (cp *ControlPlane) startControllerManager(ctx context.Context, tools toolenv.Tools, ports *procs.Ports) error {
	port, err := ports.Port()
	if err != nil {
		return err
	}
	kubeconfig, err := cp.UserKubeconfig(filepath.Join(cp.Dir, "controller-manager"), "system:kube-controller-manager")
	if err != nil {
		return err
	}
	cm, err := cp.procs.Start("kube-controller-manager", tools.Kubernetes("kube-controller-manager"), []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + filepath.Join(cp.Dir, "controller-manager-certs"),
		// Signs nothing, but lets the ServiceAccount and root CA controllers run.
		"--service-account-private-key-file=" + cp.pki.serviceAccountKey,
		"--root-ca-file=" + cp.pki.caFile,
		"--service-cluster-ip-range=" + cp.ServiceCIDR,
		// Each controller with its own ServiceAccount, as kubeadm runs it.
		"--use-service-account-credentials=true",
		"--leader-elect=false",
		"--v=1",
	}, nil, "")
	if err != nil {
		return err
	}
	return cp.waitHealthz(ctx, cm, port)
}

// waitHealthz waits until a control-plane component's secure /healthz answers 200.
func (cp *ControlPlane) waitHealthz(ctx context.Context, p *procs.Process, port int) error {
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return p.WaitUntil(ctx, 2*time.Minute, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/healthz", port), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+cp.Token)
		resp, err := insecure.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("/healthz %d: %s", resp.StatusCode, body)
		}
		return nil
	})
}

func (cp *ControlPlane) startScheduler(ctx context.Context, tools toolenv.Tools, ports *procs.Ports) error {
	port, err := ports.Port()
	if err != nil {
		return err
	}
	kubeconfig, err := cp.UserKubeconfig(filepath.Join(cp.Dir, "scheduler"), "system:kube-scheduler")
	if err != nil {
		return err
	}
	s, err := cp.procs.Start("kube-scheduler", tools.Kubernetes("kube-scheduler"), []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--leader-elect=false",
		"--v=1",
	}, nil, "")
	if err != nil {
		return err
	}
	return cp.waitHealthz(ctx, s, port)
}

// UserKubeconfig writes a kubeconfig for one of the control plane's users into dir and returns
// its path.
func (cp *ControlPlane) UserKubeconfig(dir, user string) (string, error) {
	token, ok := cp.tokens[user]
	if !ok {
		return "", fmt.Errorf("the control plane has no user %q", user)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	file := filepath.Join(dir, "kubeconfig")
	return file, os.WriteFile(file, []byte(KubeconfigYAML(cp.Server, cp.CAPEM, token)), 0o600)
}

// ServiceAccountKubeconfig is a kubeconfig that authenticates as a ServiceAccount, with a token
// from the TokenRequest API: what the ServiceAccount's pod would get mounted.
func (cp *ControlPlane) ServiceAccountKubeconfig(ctx context.Context, namespace, name string) (string, error) {
	var answer struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	request := map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		"spec": map[string]any{"expirationSeconds": 24 * 3600},
	}
	if err := cp.Client.Post(ctx, fmt.Sprintf("/api/v1/namespaces/%s/serviceaccounts/%s/token", namespace, name), request, &answer); err != nil {
		return "", err
	}
	return KubeconfigYAML(cp.Server, cp.CAPEM, answer.Status.Token), nil
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// KubeconfigYAML is a kubeconfig for a bearer token.
func KubeconfigYAML(server string, caPEM []byte, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: user
  user:
    token: %s
contexts:
- name: test
  context:
    cluster: test
    user: user
current-context: test
`, server, base64.StdEncoding.EncodeToString(caPEM), token)
}

// pki holds the files of a throwaway CA, the API server's serving certificate, and the service
// account signing key.
type pki struct {
	*CA
	caFile, servingCert, servingKey, serviceAccountKey string
}

func writePKI(dir string, extraIPs ...net.IP) (pki, error) {
	var out pki
	var err error
	if out.CA, err = NewCA("test-ca"); err != nil {
		return out, err
	}
	certPEM, keyPEM, err := out.Issue("kube-apiserver", []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + ClusterDomain},
		append([]net.IP{net.ParseIP("127.0.0.1")}, extraIPs...)...)
	if err != nil {
		return out, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return out, err
	}
	saPEM, err := ecKeyPEM(saKey)
	if err != nil {
		return out, err
	}
	for _, f := range []struct {
		path *string
		name string
		data []byte
	}{
		{&out.caFile, "ca.crt", out.PEM},
		{&out.servingCert, "apiserver.crt", certPEM},
		{&out.servingKey, "apiserver.key", keyPEM},
		{&out.serviceAccountKey, "sa.key", saPEM},
	} {
		*f.path = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.path, f.data, 0o600); err != nil {
			return out, err
		}
	}
	return out, nil
}

// CA is a throwaway certificate authority valid for a day: the cluster's, or a test's own.
type CA struct {
	// PEM is the CA's certificate.
	PEM  []byte
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// NewCA makes a CA named commonName.
func NewCA(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca := &CA{key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	ca.cert, err = x509.ParseCertificate(der)
	return ca, err
}

// Issue signs a certificate for the names and addresses, good for a server and a client.
func (c *CA) Issue(commonName string, names []string, ips ...net.IP) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  ips,
		DNSNames:     names,
	}, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = ecKeyPEM(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, err
}

// IssueCertificate writes a serving certificate and key for the names, signed by the cluster's
// CA, into dir as <name>.crt and <name>.key, and returns their paths.
func (cp *ControlPlane) IssueCertificate(dir, name string, dnsNames []string, ips ...string) (certFile, keyFile string, err error) {
	addrs := []net.IP{net.ParseIP("127.0.0.1")}
	for _, ip := range ips {
		addrs = append(addrs, net.ParseIP(ip))
	}
	certPEM, keyPEM, err := cp.pki.Issue(name, dnsNames, addrs...)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, keyPEM, 0o600)
}

func ecKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}
