package program

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// The outputs of a stack with globalViewEdge that a global stack reads.
const (
	OutputGlobalViewEndpoint      = "globalViewEndpoint"
	OutputGlobalViewTLSServerName = "globalViewTlsServerName"
	OutputExternalLabels          = "externalLabels"
)

// globalViewMember is what a global stack takes from one member stack's outputs.
type globalViewMember struct {
	StoreAPI thanos.RemoteStoreAPI
	// Cluster is its cluster external label.
	Cluster string
}

// memberFromOutputs reads a member stack's outputs, failing with the stack and the output that is
// missing or wrong, and what to do about it.
func memberFromOutputs(stack string, outputs map[string]any) (globalViewMember, error) {
	text := func(name string) (string, error) {
		s, ok := outputs[name].(string)
		if !ok || s == "" {
			return "", fmt.Errorf("config %s:globalViewMembers: stack %q has no output %q; run it with globalViewEdge true (`pulumi up` there first), or remove it from globalViewMembers",
				ProjectName, stack, name)
		}
		return s, nil
	}
	var m globalViewMember
	var err error
	if m.StoreAPI.Address, err = text(OutputGlobalViewEndpoint); err != nil {
		return m, err
	}
	if m.StoreAPI.ServerName, err = text(OutputGlobalViewTLSServerName); err != nil {
		return m, err
	}
	if err := thanos.CheckRemoteStoreAPI(m.StoreAPI); err != nil {
		return m, fmt.Errorf("config %s:globalViewMembers: stack %q: output %q: %w", ProjectName, stack, OutputGlobalViewEndpoint, err)
	}
	labels, _ := outputs[OutputExternalLabels].(map[string]any)
	if m.Cluster, _ = labels[components.ClusterLabel].(string); m.Cluster == "" {
		return m, fmt.Errorf("config %s:globalViewMembers: stack %q has no output %q with a %q label; run it with globalViewEdge true (`pulumi up` there first)",
			ProjectName, stack, OutputExternalLabels, components.ClusterLabel)
	}
	return m, nil
}

// checkMemberClusters refuses two stacks of one global view with the same cluster label, the
// global stack's own among them: the querier would take their series for replicas of one another
// and keep one of each pair.
func checkMemberClusters(ownCluster string, stacks []string, members []globalViewMember) error {
	owner := map[string]string{ownCluster: "this stack (clusterName)"}
	for i, m := range members {
		if other, ok := owner[m.Cluster]; ok {
			return fmt.Errorf("config %s:globalViewMembers: stack %q has the cluster label %q of %s; every cluster of a global view needs a clusterName of its own",
				ProjectName, stacks[i], m.Cluster, other)
		}
		owner[m.Cluster] = fmt.Sprintf("stack %q", stacks[i])
	}
	return nil
}

// resolveGlobalViewMembers reads every member stack's outputs before any resource is registered:
// a missing stack or output fails the program with its name and changes nothing.
func resolveGlobalViewMembers(ctx *pulumi.Context, cfg Config) ([]thanos.RemoteStoreAPI, error) {
	if cfg.GlobalView == nil {
		return nil, nil
	}
	var members []globalViewMember
	for _, stack := range cfg.GlobalView.Members {
		// Named after the key: where the stack does not exist the engine fails the read itself,
		// before the program sees an error, naming the resource and the stack.
		ref, err := pulumi.NewStackReference(ctx, ProjectName+":globalViewMembers/"+stack, &pulumi.StackReferenceArgs{Name: pulumi.String(stack)})
		if err != nil {
			return nil, fmt.Errorf("config %s:globalViewMembers: stack %q: %w", ProjectName, stack, err)
		}
		outputs := map[string]any{}
		for _, name := range []string{OutputGlobalViewEndpoint, OutputGlobalViewTLSServerName, OutputExternalLabels} {
			details, err := ref.GetOutputDetails(name)
			if err != nil {
				return nil, fmt.Errorf("config %s:globalViewMembers: reading stack %q: %w", ProjectName, stack, err)
			}
			outputs[name] = details.Value
		}
		m, err := memberFromOutputs(stack, outputs)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	if err := checkMemberClusters(cfg.ClusterName, cfg.GlobalView.Members, members); err != nil {
		return nil, err
	}
	var apis []thanos.RemoteStoreAPI
	seen := map[string]string{}
	for i, m := range members {
		if other, ok := seen[m.StoreAPI.Address]; ok {
			return nil, fmt.Errorf("config %s:globalViewMembers: stacks %q and %q export the same %s %q", ProjectName, other, cfg.GlobalView.Members[i], OutputGlobalViewEndpoint, m.StoreAPI.Address)
		}
		seen[m.StoreAPI.Address] = cfg.GlobalView.Members[i]
		apis = append(apis, m.StoreAPI)
	}
	return apis, nil
}

// remoteStoreAPIPorts are the ports of the remote StoreAPIs (checked addresses), for the
// querier's egress.
func remoteStoreAPIPorts(apis []thanos.RemoteStoreAPI) []int {
	var ports []int
	for _, a := range apis {
		_, p, _ := net.SplitHostPort(a.Address)
		if port, err := strconv.Atoi(p); err == nil && !slices.Contains(ports, port) {
			ports = append(ports, port)
		}
	}
	return ports
}
