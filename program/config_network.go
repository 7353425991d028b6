package program

import (
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/components/network"
)

// readNetworkPolicies reads the NetworkPolicies' section: whether the program makes them, and
// whom they admit beyond the stack's own pods.
func readNetworkPolicies(r *reader, c *Config) {
	c.NetworkPolicies = r.boolean("networkPolicies")
	c.QueryClientNamespaces = readNamespaceList(r, "queryClientNamespaces")
	if len(c.QueryClientNamespaces) > 0 && !c.NetworkPolicies {
		r.fail("queryClientNamespaces", "only applies with networkPolicies true; turn networkPolicies on or remove this key")
	}
	c.QueryClientCIDRs = readCIDRList(r, "queryClientCidrs", network.QueryClientCIDR)
	if len(c.QueryClientCIDRs) > 0 && !c.NetworkPolicies {
		r.fail("queryClientCidrs", "only applies with networkPolicies true; turn networkPolicies on or remove this key")
	}
	c.APIServerCIDRs = readCIDRList(r, "apiServerCidrs", network.APIServerCIDR)
	if len(c.APIServerCIDRs) > 0 && !c.NetworkPolicies {
		r.fail("apiServerCidrs", "only applies with networkPolicies true; turn networkPolicies on or remove this key")
	}
}

// readNamespaceList reads a comma-separated list of namespace names.
func readNamespaceList(r *reader, key string) []string {
	var namespaces []string
	for _, name := range strings.Split(r.raw(key), ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !dns1123Label.MatchString(name) {
			r.fail(key, "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63); give names separated by commas", name)
			continue
		}
		namespaces = append(namespaces, name)
	}
	return namespaces
}

// readCIDRList reads a comma-separated list of address blocks, as check (network.QueryClientCIDR,
// network.APIServerCIDR) checks and spells them.
func readCIDRList(r *reader, key string, check func(string) (string, error)) []string {
	var blocks []string
	for _, entry := range strings.Split(r.raw(key), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		block, err := check(entry)
		if err != nil {
			r.fail(key, "%v; give CIDR blocks separated by commas", err)
			continue
		}
		blocks = append(blocks, block)
	}
	return blocks
}
