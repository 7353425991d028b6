package program

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/network"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// EdgeConfig is the configuration of a stack that serves its StoreAPIs to global stacks: its edge
// querier (thanos.EdgeQuerier).
type EdgeConfig struct {
	Replicas int
	// TLSSecret names the Secret in the stack's namespace with the server certificate and the
	// clients' CA (thanos.TLSSecretKeys).
	TLSSecret string
	// ServerName is the name in the server certificate that clients verify.
	ServerName string
	// ClientCIDRs are the address blocks admitted (NetworkPolicy, load balancer source ranges).
	ClientCIDRs []string
	// ServiceType is the Service's type; empty: edgeServiceType's default for the cluster.
	ServiceType string
	// ServiceAnnotations are the user's, merged over the cluster's defaults (edgeService).
	ServiceAnnotations map[string]string
	// Address overrides the exported endpoint.
	Address string
}

// GlobalViewConfig is the configuration of a stack whose querier also fans out to other stacks'
// edge queriers.
type GlobalViewConfig struct {
	// Members are the fully qualified names of the stacks read.
	Members []string
	// ClientTLSSecret names the Secret in the stack's namespace with the querier's client
	// certificate and the members' CA (thanos.TLSSecretKeys).
	ClientTLSSecret string
	// ResponseTimeout is thanos.RemoteStoreAPIs.ResponseTimeout.
	ResponseTimeout string
}

// edgeKeys are the keys that apply only with globalViewEdge.
var edgeKeys = []string{"globalViewEdgeTlsSecret", "globalViewEdgeTlsServerName", "globalViewEdgeClientCidrs",
	"globalViewEdgeServiceType", "globalViewEdgeServiceAnnotations", "globalViewEdgeAddress", "globalViewEdgeReplicas"}

// globalViewKeys are the keys that apply only with globalViewMembers.
var globalViewKeys = []string{"globalViewClientTlsSecret", "globalViewResponseTimeout"}

// readEdge reads the edge querier's section; nil when globalViewEdge is off.
func readEdge(r *reader) *EdgeConfig {
	if !r.boolean("globalViewEdge") {
		refuseUnlessOn(r, "globalViewEdge", edgeKeys)
		return nil
	}
	e := &EdgeConfig{
		Replicas:    r.integer("globalViewEdgeReplicas", 1),
		TLSSecret:   readTLSSecretName(r, "globalViewEdgeTlsSecret", "globalViewEdge"),
		ServerName:  r.str("globalViewEdgeTlsServerName"),
		ClientCIDRs: readCIDRList(r, "globalViewEdgeClientCidrs", network.QueryClientCIDR),
		ServiceType: r.str("globalViewEdgeServiceType"),
		Address:     r.str("globalViewEdgeAddress"),
	}
	if e.ServerName == "" {
		r.fail("globalViewEdgeTlsServerName", "is required with globalViewEdge: the DNS name in the server certificate, which global stacks verify")
	} else if !components.DNSName.MatchString(e.ServerName) {
		r.fail("globalViewEdgeTlsServerName", "%q is not a DNS name", e.ServerName)
	}
	if len(e.ClientCIDRs) == 0 && r.raw("globalViewEdgeClientCidrs") == "" {
		r.fail("globalViewEdgeClientCidrs", "is required with globalViewEdge: the CIDR blocks the global stacks' queriers connect from, separated by commas")
	}
	if e.ServiceType != "" && !slices.Contains(thanos.EdgeServiceTypes, e.ServiceType) {
		r.fail("globalViewEdgeServiceType", "%q is not one of %s", e.ServiceType, strings.Join(thanos.EdgeServiceTypes, ", "))
	}
	if e.ServiceType == thanos.ServiceTypeNodePort && e.Address == "" {
		r.fail("globalViewEdgeAddress", "is required with globalViewEdgeServiceType NodePort: the host:port global stacks dial")
	}
	if e.Address != "" {
		if err := thanos.CheckHostPort(e.Address); err != nil {
			r.fail("globalViewEdgeAddress", "%v", err)
		}
	}
	if raw := r.raw("globalViewEdgeServiceAnnotations"); raw != "" {
		if err := yaml.Unmarshal([]byte(raw), &e.ServiceAnnotations); err != nil {
			r.fail("globalViewEdgeServiceAnnotations", "is not a YAML mapping of annotation names to strings: %v", err)
		}
	}
	return e
}

// readGlobalView reads the global view's section; nil without members.
func readGlobalView(r *reader) *GlobalViewConfig {
	var members []string
	for _, name := range strings.Split(r.raw("globalViewMembers"), ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			continue
		case !stackName.MatchString(name):
			r.fail("globalViewMembers", "%q is not a fully qualified stack name (org/project/stack); give names separated by commas", name)
		case slices.Contains(members, name):
			r.fail("globalViewMembers", "%q is listed twice", name)
		}
		members = append(members, name)
	}
	if len(members) == 0 {
		refuseUnlessOn(r, "globalViewMembers", globalViewKeys)
		return nil
	}
	g := &GlobalViewConfig{
		Members:         members,
		ClientTLSSecret: readTLSSecretName(r, "globalViewClientTlsSecret", "globalViewMembers"),
		ResponseTimeout: r.duration("globalViewResponseTimeout", false),
	}
	return g
}

// readTLSSecretName reads key, the name of a TLS Secret (thanos.TLSSecretKeys) in the stack's
// namespace, which switchKey requires.
func readTLSSecretName(r *reader, key, switchKey string) string {
	name := r.str(key)
	if name == "" {
		r.fail(key, "is required with %s: the name of a Secret in the stack's namespace with the keys %s", switchKey, strings.Join(thanos.TLSSecretKeys, ", "))
	} else if !dnsSubdomain.MatchString(name) {
		r.fail(key, "%q is not a Secret name (lowercase letters, digits, '-' and '.')", name)
	}
	return name
}

// refuseUnlessOn refuses each of keys that is set while switchKey leaves them without effect.
func refuseUnlessOn(r *reader, switchKey string, keys []string) {
	for _, key := range keys {
		if r.set(key) {
			r.fail(key, "only applies with %s; set %s or remove this key", switchKey, switchKey)
		}
	}
}

// dnsSubdomain is a Kubernetes object name (RFC 1123 subdomain), as Secrets are named.
var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)

// edgeService is the edge querier's Service for a cluster of kind: the configured type, by default
// an internal NLB on EKS (the AWS Load Balancer Controller's annotations, under the user's) and a
// ClusterIP Service elsewhere, where no load balancer controller is known to run.
func edgeService(e EdgeConfig, kind ClusterKind) thanos.EdgeService {
	s := thanos.EdgeService{Type: e.ServiceType, SourceRanges: e.ClientCIDRs, Address: e.Address}
	if s.Type == "" {
		s.Type = thanos.ServiceTypeClusterIP
		if kind == ClusterEKS {
			s.Type = thanos.ServiceTypeLoadBalancer
		}
	}
	if s.Type == thanos.ServiceTypeLoadBalancer && kind == ClusterEKS {
		s.Annotations = maps.Clone(thanos.EKSInternalNLBAnnotations)
	}
	if len(e.ServiceAnnotations) > 0 && s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	maps.Copy(s.Annotations, e.ServiceAnnotations)
	return s
}
