package thanos

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// The keys of a TLS Secret, as Kubernetes's kubernetes.io/tls type names the first two and
// cert-manager names the third (the CA of the issuer that signed tls.crt). The program reads
// each from the Secret's volume by this name.
const (
	TLSCertKey = "tls.crt"
	TLSKeyKey  = "tls.key"
	TLSCAKey   = "ca.crt"
)

// TLSSecretKeys are the keys a TLS Secret must hold for mutual TLS: the pod's certificate and key,
// and the CA that verifies the other side's certificate.
var TLSSecretKeys = []string{TLSCertKey, TLSKeyKey, TLSCAKey}

// Where a querier mounts the TLS Secret of each side of its gRPC connections.
const (
	serverTLSMountPath = "/etc/thanos/tls/server"
	clientTLSMountPath = "/etc/thanos/tls/client"
	tlsVolume          = "tls"
)

// tlsMount is a TLS Secret mounted read-only into a Thanos container.
type tlsMount struct {
	// Secret names the Secret; nil: none.
	Secret pulumi.StringInput
	// Path is the directory its keys appear in.
	Path string
}

// volume and mount are the pod's volume and the container's mount of the Secret. Only the three
// keys are projected, so a Secret missing one fails the pod's start with the key's name
// (CreateContainerConfigError) rather than Thanos's start with a missing file.
func (m tlsMount) volume() corev1.VolumeArgs {
	var items corev1.KeyToPathArray
	for _, key := range TLSSecretKeys {
		items = append(items, corev1.KeyToPathArgs{Key: pulumi.String(key), Path: pulumi.String(key)})
	}
	return corev1.VolumeArgs{
		Name:   pulumi.String(tlsVolume),
		Secret: corev1.SecretVolumeSourceArgs{SecretName: m.Secret, Items: items},
	}
}

func (m tlsMount) mount() corev1.VolumeMountArgs {
	return corev1.VolumeMountArgs{Name: pulumi.String(tlsVolume), MountPath: pulumi.String(m.Path), ReadOnly: pulumi.Bool(true)}
}

// ServerTLSFlags make a Thanos gRPC server require mutual TLS: it presents tls.crt and accepts only
// clients whose certificate ca.crt verifies (tls.RequireAndVerifyClientCert in ThanosVersion's
// pkg/tls/options.go), TLS 1.3 at least (the flag's default). Thanos reads tls.crt and tls.key
// again when their files change, so a renewed certificate is served without a restart; it reads
// ca.crt once, so a new client CA needs the pods rolled (docs/operations.md, "Global view").
func ServerTLSFlags(dir string) []string {
	return []string{
		flag("grpc-server-tls-cert", dir+"/"+TLSCertKey),
		flag("grpc-server-tls-key", dir+"/"+TLSKeyKey),
		flag("grpc-server-tls-client-ca", dir+"/"+TLSCAKey),
	}
}

// RemoteStoreAPI is a StoreAPI in another cluster that a querier reaches over mutual TLS: another
// stack's edge querier (EdgeQuerier).
type RemoteStoreAPI struct {
	// Address is host:port, as the remote stack exports it. Required.
	Address string
	// ServerName is the name the remote server's certificate must carry. Required.
	ServerName string
}

// CheckRemoteStoreAPI checks a remote StoreAPI's address and server name as the querier dials them:
// a host and a port, no DNS service discovery prefix (strict endpoints refuse one).
func CheckRemoteStoreAPI(r RemoteStoreAPI) error {
	if err := CheckHostPort(r.Address); err != nil {
		return err
	}
	if r.ServerName == "" {
		return fmt.Errorf("address %q: the TLS server name is empty", r.Address)
	}
	return nil
}

// CheckHostPort checks an address that a querier dials as it is: a DNS name or an IP address, and
// a port; no service discovery prefix (dns+, dnssrv+), which a strict endpoint may not have.
func CheckHostPort(address string) error {
	host, port, err := net.SplitHostPort(address)
	if err != nil || host == "" {
		return fmt.Errorf("address %q: want host:port", address)
	}
	// A fully qualified name may end in a dot.
	if net.ParseIP(host) == nil && !components.DNSName.MatchString(strings.TrimSuffix(host, ".")) {
		return fmt.Errorf("address %q: %q is neither a DNS name nor an IP address", address, host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port %q is not 1-65535", address, port)
	}
	return nil
}

// RemoteStoreAPIs are the remote StoreAPIs of a querier and how it reaches them.
type RemoteStoreAPIs struct {
	// Endpoints are the remote StoreAPIs. Empty: none.
	Endpoints []RemoteStoreAPI
	// ClientTLSSecret names the Secret with the querier's client certificate (tls.crt, tls.key) and
	// the CA that verifies the remote servers (ca.crt). Required with Endpoints.
	ClientTLSSecret pulumi.StringInput
	// ResponseTimeout is how long the querier waits for the next frame of a StoreAPI's answer
	// before it answers without it, with a warning (--store.response-timeout, a Prometheus
	// duration). Default DefaultRemoteResponseTimeout.
	ResponseTimeout string
}

// DefaultRemoteResponseTimeout bounds how long a remote cluster that stopped answering mid-way
// (a network path that drops packets rather than refusing them) holds every query up: the querier
// answers from the others after it, with a partial-response warning. It applies to every StoreAPI
// of that querier, its own store gateways' first frames included, so it sits well above their
// usual first-frame time (seconds on the 30-day benchmark of docs/testing.md).
const DefaultRemoteResponseTimeout = "20s"

// RemoteConnectTimeout is how long a querier's attempt to connect to a StoreAPI may take: gRPC's
// minimum connect timeout, which ThanosVersion's dial options (pkg/extgrpc/client.go) leave at
// its default and no flag sets. A query that finds a remote StoreAPI's connection being made
// (the first after it went, or one after each reconnect backoff) waits for it, up to this long,
// whatever the response timeout; between attempts the querier fails it at once.
const RemoteConnectTimeout = 20 * time.Second

// endpoints are the EndpointSDEntry of each remote StoreAPI: strict, so that one the querier cannot
// reach stays in its endpoint set (ThanosVersion's pkg/query/endpointset.go keeps a strict endpoint
// queryable whatever its health checks say): a query then fails on it at once and answers with the
// others and a warning naming its address. A non-strict endpoint would leave the set on its first
// failed check, and its cluster's series would be missing from every answer without a word.
func (r RemoteStoreAPIs) endpoints() []EndpointSDEntry {
	var entries []EndpointSDEntry
	for _, e := range r.Endpoints {
		entries = append(entries, EndpointSDEntry{
			Address: e.Address,
			Strict:  true,
			ClientConfig: &EndpointClientConfig{
				ServerName: e.ServerName,
				TLSConfig: EndpointTLSConfig{
					Enabled:  true,
					CertFile: clientTLSMountPath + "/" + TLSCertKey,
					KeyFile:  clientTLSMountPath + "/" + TLSKeyKey,
					CAFile:   clientTLSMountPath + "/" + TLSCAKey,
				},
			},
		})
	}
	return entries
}

// validate checks the remote StoreAPIs, as NewQuerier and QuerierFlags need them.
func (r RemoteStoreAPIs) validate() error {
	seen := map[string]bool{}
	for _, e := range r.Endpoints {
		if err := CheckRemoteStoreAPI(e); err != nil {
			return err
		}
		if seen[e.Address] {
			return fmt.Errorf("address %q is listed twice", e.Address)
		}
		seen[e.Address] = true
	}
	if r.ResponseTimeout != "" {
		if d, err := model.ParseDuration(r.ResponseTimeout); err != nil || d <= 0 {
			return fmt.Errorf("response timeout %q: want a Prometheus duration above 0", r.ResponseTimeout)
		}
	}
	return nil
}

// flags are the querier flags the remote StoreAPIs add besides their endpoints.
func (r RemoteStoreAPIs) flags() []string {
	if len(r.Endpoints) == 0 {
		return nil
	}
	timeout := r.ResponseTimeout
	if timeout == "" {
		timeout = DefaultRemoteResponseTimeout
	}
	return []string{flag("store.response-timeout", timeout)}
}
