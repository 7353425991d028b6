package mocks

import (
	"maps"
	"strings"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// TestInvalidConfigFailsBeforeAnyResource runs the program with one bad setting at a time (on top
// of the committed dev stack) and checks the error names the key and what is allowed, and that no
// resource at all was registered.
func TestInvalidConfigFailsBeforeAnyResource(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		drop []string
		want []string
	}{
		{"retention not a duration", map[string]string{"prometheus-thanos:compactorRetentionRaw": "a month"},
			nil, []string{"prometheus-thanos:compactorRetentionRaw", `"a month" is not a duration`}},
		{"querier timeout not a duration", map[string]string{"prometheus-thanos:querierTimeout": "soon"},
			nil, []string{"prometheus-thanos:querierTimeout", `"soon" is not a duration`}},
		{"delete delay not a duration", map[string]string{"prometheus-thanos:compactorDeleteDelay": "later"},
			nil, []string{"prometheus-thanos:compactorDeleteDelay", `"later" is not a duration`}},
		{"prometheus retention too short", map[string]string{"prometheus-thanos:prometheusRetention": "2h"},
			nil, []string{"prometheus-thanos:prometheusRetention", "shorter than 6h"}},
		{"ephemeral-storage request above its limit", map[string]string{"prometheus-thanos:storeEphemeralStorageRequest": "1Gi"},
			nil, []string{"prometheus-thanos:storeEphemeralStorageRequest", `"1Gi" is above storeEphemeralStorageLimit "256Mi"`}},
		{"memory request above its limit", map[string]string{"prometheus-thanos:querierMemoryRequest": "2Gi"},
			nil, []string{"prometheus-thanos:querierMemoryRequest", `"2Gi" is above querierMemoryLimit "1Gi"`}},
		{"ephemeral-storage limit not a quantity", map[string]string{"prometheus-thanos:sidecarEphemeralStorageLimit": "lots"},
			nil, []string{"prometheus-thanos:sidecarEphemeralStorageLimit", `"lots" is not a positive Kubernetes quantity`}},
		{"replicas below 1", map[string]string{"prometheus-thanos:querierReplicas": "0"},
			nil, []string{"prometheus-thanos:querierReplicas", "below the minimum of 1"}},
		{"replicas not a number", map[string]string{"prometheus-thanos:prometheusReplicas": "two"},
			nil, []string{"prometheus-thanos:prometheusReplicas", `"two" is not a whole number`}},
		{"malformed bucket name", map[string]string{"prometheus-thanos:bucketName": "Thanos_Blocks"},
			nil, []string{"prometheus-thanos:bucketName", "not a valid S3 bucket name"}},
		{"bucket name like an IP address", map[string]string{"prometheus-thanos:bucketName": "10.0.0.1"},
			nil, []string{"prometheus-thanos:bucketName", "not an IP address"}},
		{"missing region", nil, []string{"aws:region"}, []string{"aws:region", "is required"}},
		{"malformed region", map[string]string{"aws:region": "Europe"}, nil, []string{"aws:region", "not an AWS region"}},
		{"missing cluster", nil, []string{"prometheus-thanos:clusterStack"},
			[]string{"prometheus-thanos:kubeconfig", "set kubeconfig (as a secret) or clusterStack"}},
		{"missing cluster name", nil, []string{"prometheus-thanos:clusterName"},
			[]string{"prometheus-thanos:clusterName", "is required"}},
		{"cluster stack not fully qualified", map[string]string{"prometheus-thanos:clusterStack": "dev"},
			nil, []string{"prometheus-thanos:clusterStack", "org/project/stack"}},
		{"control-plane metrics on EKS", map[string]string{
			"prometheus-thanos:oidcProviderArn":     "arn:aws:iam::" + account + ":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123",
			"prometheus-thanos:controlPlaneMetrics": "true",
		}, nil, []string{"prometheus-thanos:controlPlaneMetrics", "EKS cluster", "set it to false"}},
		{"kube-proxy metrics not a boolean", map[string]string{"prometheus-thanos:kubeProxyMetrics": "yes"},
			nil, []string{"prometheus-thanos:kubeProxyMetrics", `"yes" is not true or false`}},
		{"bad quantity", map[string]string{"prometheus-thanos:storeStorageSize": "ten gigs"},
			nil, []string{"prometheus-thanos:storeStorageSize", "not a positive Kubernetes quantity"}},
		{"bad index cache size", map[string]string{"prometheus-thanos:storeIndexCacheSize": "-1"},
			nil, []string{"prometheus-thanos:storeIndexCacheSize", "not a byte size"}},
		// Found by the one-node cluster: thanos store exits at start with such a cache.
		{"index cache below Thanos's largest item", map[string]string{"prometheus-thanos:storeIndexCacheSize": "64MB"},
			nil, []string{"prometheus-thanos:storeIndexCacheSize", "below 125MB"}},
		{"delete delay of zero", map[string]string{"prometheus-thanos:compactorDeleteDelay": "0s"},
			nil, []string{"prometheus-thanos:compactorDeleteDelay", `"0s" is shorter than 30m, twice storeSyncInterval "15m"`}},
		{"delete delay within two store syncs", map[string]string{"prometheus-thanos:compactorDeleteDelay": "1h", "prometheus-thanos:storeSyncInterval": "45m"},
			nil, []string{"prometheus-thanos:compactorDeleteDelay", `"1h" is shorter than 1h30m, twice storeSyncInterval "45m"`}},
		{"coarse retention shorter than raw", map[string]string{"prometheus-thanos:compactorRetention1h": "1d"},
			nil, []string{"prometheus-thanos:compactorRetention1h", "shorter than compactorRetention5m"}},
		{"PDB over one replica", map[string]string{"prometheus-thanos:podDisruptionBudgets": "true"},
			nil, []string{"prometheus-thanos:querierReplicas", "is 1 while podDisruptionBudgets is true: a PodDisruptionBudget keeps all but one replica up, which over 1 guards nothing"}},
		{"force destroy on protected data", map[string]string{"prometheus-thanos:protectData": "true"},
			nil, []string{"prometheus-thanos:bucketForceDestroy", "protectData"}},
		{"not a boolean", map[string]string{"prometheus-thanos:bucketVersioning": "yes please"},
			nil, []string{"prometheus-thanos:bucketVersioning", "not true or false"}},
		{"existing bucket without credentials", map[string]string{"prometheus-thanos:existingBucketName": "blocks"},
			nil, []string{"prometheus-thanos:sidecarRoleArn", "is required with existingBucketName"}},
		{"half a key pair", map[string]string{"prometheus-thanos:existingBucketName": "blocks", "prometheus-thanos:existingBucketAccessKey": "AKIA"},
			nil, []string{"prometheus-thanos:existingBucketAccessKey", "set together"}},
		{"existing-bucket key without the bucket", map[string]string{"prometheus-thanos:existingBucketEndpoint": "minio:9000"},
			nil, []string{"prometheus-thanos:existingBucketEndpoint", "only applies with existingBucketName"}},
		{"chart repository not a URL", map[string]string{"prometheus-thanos:chartRepository": "prometheus-community"},
			nil, []string{"prometheus-thanos:chartRepository", "https:// or oci://"}},
		{"another chart version from a repository", map[string]string{"prometheus-thanos:chartVersion": "89.0.0"},
			nil, []string{"prometheus-thanos:chartVersion", `"89.0.0"`, "only the pinned " + components.ChartVersion, "set chartPath"}},
		{"another chart from a repository", map[string]string{"prometheus-thanos:chartName": "prometheus-operator"},
			nil, []string{"prometheus-thanos:chartName", "only kube-prometheus-stack", "set chartPath"}},
		{"a chart path that is not there", map[string]string{"prometheus-thanos:chartPath": "charts/kube-prometheus-stack-0.0.0.tgz"},
			nil, []string{"prometheus-thanos:chartPath", "kube-prometheus-stack-0.0.0.tgz", "no such file"}},
		{"a chart path without CRDs", map[string]string{"prometheus-thanos:chartPath": "mocks_test.go"},
			nil, []string{"prometheus-thanos:chartPath", "mocks_test.go"}},
		{"a value in both chartValues and chartSecretValues", map[string]string{"prometheus-thanos:chartValues": "alertmanager: {config: {global: {resolve_timeout: 5m}}}", "prometheus-thanos:chartSecretValues": "alertmanager: {config: {global: {resolve_timeout: 1m, slack_api_url: https://hooks.slack.com/x}}}"},
			nil, []string{"prometheus-thanos:chartSecretValues", "sets alertmanager.config.global.resolve_timeout, which chartValues sets too"}},
		{"a release name Helm refuses", map[string]string{"prometheus-thanos:chartReleaseName": "Monitoring"},
			nil, []string{"prometheus-thanos:chartReleaseName", `"Monitoring" is not a Helm release name`}},
		{"a release name the chart would cut", map[string]string{"prometheus-thanos:chartReleaseName": "platform-monitoring-eu-west-1"},
			nil, []string{"prometheus-thanos:chartReleaseName", "longer than 26 characters"}},
		{"chart values not a mapping", map[string]string{"prometheus-thanos:chartValues": "- grafana"},
			nil, []string{"prometheus-thanos:chartValues", "not a YAML mapping"}},
		{"chart values replace the sidecar's object storage", map[string]string{"prometheus-thanos:chartValues": "prometheus:\n  prometheusSpec:\n    thanos:\n      objectStorageConfig:\n        secret: {type: S3}\n"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus.prometheusSpec.thanos.objectStorageConfig.secret.type is owned by the program", "objstore Secret"}},
		{"chart values turn the chart's CRD upgrade job on", map[string]string{"prometheus-thanos:chartValues": "crds: {upgradeJob: {enabled: true}}"},
			nil, []string{"prometheus-thanos:chartValues", "crds.upgradeJob.enabled is owned by the program", "applies the chart's CRDs itself"}},
		{"chart values change the replica label", map[string]string{"prometheus-thanos:chartValues": "prometheus: {prometheusSpec: {replicaExternalLabelName: replica}}"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus.prometheusSpec.replicaExternalLabelName is owned", "--query.replica-label"}},
		{"chart values replace the whole Prometheus spec", map[string]string{"prometheus-thanos:chartValues": "prometheus: {prometheusSpec: null}"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus.prometheusSpec is owned"}},
		{"chart values set the ServiceAccount", map[string]string{"prometheus-thanos:chartValues": "prometheus: {serviceAccount: {name: other}}"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus.serviceAccount.name is owned", "IRSA"}},
		{"query client not a namespace name", map[string]string{"prometheus-thanos:queryClientNamespaces": "ingress-nginx, Grafana"},
			nil, []string{"prometheus-thanos:queryClientNamespaces", `"Grafana" is not a valid namespace name`}},
		{"query clients without NetworkPolicies", map[string]string{"prometheus-thanos:queryClientNamespaces": "ingress-nginx", "prometheus-thanos:networkPolicies": "false"},
			nil, []string{"prometheus-thanos:queryClientNamespaces", "only applies with networkPolicies true"}},
		{"query client CIDR not a CIDR block", map[string]string{"prometheus-thanos:queryClientCidrs": "10.0.0.0/16, ingress-nginx"},
			nil, []string{"prometheus-thanos:queryClientCidrs", `"ingress-nginx" is not a CIDR block such as 10.0.0.0/16`, "give CIDR blocks separated by commas"}},
		{"query client CIDR with host bits", map[string]string{"prometheus-thanos:queryClientCidrs": "10.0.0.1/16"},
			nil, []string{"prometheus-thanos:queryClientCidrs", `"10.0.0.1/16" is not a network address: write the network "10.0.0.0/16", or "10.0.0.1/32" for the one address`}},
		{"query client CIDR of every IPv4 address", map[string]string{"prometheus-thanos:queryClientCidrs": "0.0.0.0/0"},
			nil, []string{"prometheus-thanos:queryClientCidrs", `"0.0.0.0/0" is every address`, "give the load balancer's subnets"}},
		{"query client CIDR of every IPv6 address", map[string]string{"prometheus-thanos:queryClientCidrs": "10.0.0.0/16,::/0"},
			nil, []string{"prometheus-thanos:queryClientCidrs", `"::/0" is every address`}},
		{"query client CIDRs without NetworkPolicies", map[string]string{"prometheus-thanos:queryClientCidrs": "10.0.0.0/16", "prometheus-thanos:networkPolicies": "false"},
			nil, []string{"prometheus-thanos:queryClientCidrs", "only applies with networkPolicies true"}},
		{"node-exporter in the restricted namespace", map[string]string{"prometheus-thanos:nodeExporterNamespace": "monitoring"},
			nil, []string{"prometheus-thanos:nodeExporterNamespace", "needs a namespace of its own"}},
		{"node-exporter namespace while it is off", map[string]string{"prometheus-thanos:nodeExporterNamespace": "exporters", "prometheus-thanos:chartValues": "nodeExporter: {enabled: false}"},
			nil, []string{"prometheus-thanos:nodeExporterNamespace", "nodeExporter.enabled: false"}},
		{"node-exporter on a port only root may take", map[string]string{"prometheus-thanos:nodeExporterPort": "910"},
			nil, []string{"prometheus-thanos:nodeExporterPort", "910 is below the minimum of 1024"}},
		{"node-exporter on no port", map[string]string{"prometheus-thanos:nodeExporterPort": "65536"},
			nil, []string{"prometheus-thanos:nodeExporterPort", "65536 is not a port (at most 65535)"}},
		{"node-exporter port while it is off", map[string]string{"prometheus-thanos:nodeExporterPort": "9101", "prometheus-thanos:chartValues": "nodeExporter: {enabled: false}"},
			nil, []string{"prometheus-thanos:nodeExporterPort", "nodeExporter.enabled: false"}},
		{"chart values move node-exporter's port", map[string]string{"prometheus-thanos:chartValues": "prometheus-node-exporter: {service: {port: 9101}}"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus-node-exporter.service.port is owned", "set from nodeExporterPort"}},
		{"monitor namespace not a namespace name", map[string]string{"prometheus-thanos:monitorNamespaces": "monitoring, Apps"},
			nil, []string{"prometheus-thanos:monitorNamespaces", `"Apps" is not a valid namespace name`}},
		{"chart values select monitor namespaces", map[string]string{"prometheus-thanos:chartValues": "prometheus: {prometheusSpec: {ruleNamespaceSelector: {matchLabels: {team: a}}}}"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus.prometheusSpec.ruleNamespaceSelector.matchLabels.team is owned", "set from monitorNamespaces"}},
		{"chart values move node-exporter", map[string]string{"prometheus-thanos:chartValues": "prometheus-node-exporter: {namespaceOverride: monitoring}"},
			nil, []string{"prometheus-thanos:chartValues", "prometheus-node-exporter.namespaceOverride is owned", "restricted Pod Security level"}},
		{"existing bucket endpoint with a bad port", map[string]string{"prometheus-thanos:existingBucketName": "blocks", "prometheus-thanos:existingBucketEndpoint": "minio:http", "prometheus-thanos:existingBucketAccessKey": "AKIA", "prometheus-thanos:existingBucketSecretKey": "secret"},
			nil, []string{"prometheus-thanos:existingBucketEndpoint", "with a port from 1 to 65535"}},
		{"existing bucket endpoint with a path", map[string]string{"prometheus-thanos:existingBucketName": "blocks", "prometheus-thanos:existingBucketEndpoint": "minio.storage.svc/thanos", "prometheus-thanos:existingBucketAccessKey": "AKIA", "prometheus-thanos:existingBucketSecretKey": "secret"},
			nil, []string{"prometheus-thanos:existingBucketEndpoint", "the host an IP address or a DNS name, without a path"}},
		{"existing bucket endpoint without a host", map[string]string{"prometheus-thanos:existingBucketName": "blocks", "prometheus-thanos:existingBucketEndpoint": ":9000", "prometheus-thanos:existingBucketAccessKey": "AKIA", "prometheus-thanos:existingBucketSecretKey": "secret"},
			nil, []string{"prometheus-thanos:existingBucketEndpoint", "the host an IP address or a DNS name"}},
		{"query-frontend split interval in days", map[string]string{"prometheus-thanos:queryFrontendSplitInterval": "1d"},
			nil, []string{"prometheus-thanos:queryFrontendSplitInterval", `"1d" is not a positive Go duration`}},
		{"query-frontend cache over half its memory", map[string]string{"prometheus-thanos:queryFrontendCacheSize": "768MB"},
			nil, []string{"prometheus-thanos:queryFrontendCacheSize", `more than half of queryFrontendMemoryLimit "1Gi"`}},
		{"query-frontend memcached by SRV", map[string]string{"prometheus-thanos:queryFrontendMemcachedAddresses": "dnssrv+_memcache._tcp.memcached"},
			nil, []string{"prometheus-thanos:queryFrontendMemcachedAddresses", "host:port or dns+host:port"}},
		{"store series limit negative", map[string]string{"prometheus-thanos:storeRequestSeriesLimit": "-5"},
			nil, []string{"prometheus-thanos:storeRequestSeriesLimit", "at least 0"}},
		{"store downloaded bytes limit not a size", map[string]string{"prometheus-thanos:storeRequestDownloadedBytesLimit": "lots"},
			nil, []string{"prometheus-thanos:storeRequestDownloadedBytesLimit", "not a byte size"}},
		{"no concurrent store requests", map[string]string{"prometheus-thanos:storeMaxConcurrentRequests": "0"},
			nil, []string{"prometheus-thanos:storeMaxConcurrentRequests", "below the minimum of 1"}},
		{"store memory too small for its index cache", map[string]string{"prometheus-thanos:storeMemoryLimit": "256Mi", "prometheus-thanos:storeMemoryRequest": "128Mi"},
			nil, []string{"prometheus-thanos:storeMemoryLimit", `"256Mi" is too small`}},
		{"PDB over one query-frontend", map[string]string{"prometheus-thanos:podDisruptionBudgets": "true", "prometheus-thanos:prometheusReplicas": "2", "prometheus-thanos:querierReplicas": "2", "prometheus-thanos:storeReplicas": "2"},
			nil, []string{"prometheus-thanos:queryFrontendReplicas", "guards nothing"}},
		{"PDB over one Prometheus", map[string]string{"prometheus-thanos:podDisruptionBudgets": "true", "prometheus-thanos:querierReplicas": "2", "prometheus-thanos:storeReplicas": "2"},
			nil, []string{"prometheus-thanos:prometheusReplicas", "guards nothing"}},
		{"edge without its Secret, server name and client blocks", map[string]string{"prometheus-thanos:globalViewEdge": "true"},
			nil, []string{"prometheus-thanos:globalViewEdgeTlsSecret", "tls.crt, tls.key, ca.crt", "prometheus-thanos:globalViewEdgeTlsServerName", "prometheus-thanos:globalViewEdgeClientCidrs"}},
		{"edge key without the edge", map[string]string{"prometheus-thanos:globalViewEdgeTlsSecret": "edge-tls"},
			nil, []string{"prometheus-thanos:globalViewEdgeTlsSecret", "only applies with globalViewEdge"}},
		{"edge open to every address", map[string]string{"prometheus-thanos:globalViewEdge": "true", "prometheus-thanos:globalViewEdgeTlsSecret": "edge-tls",
			"prometheus-thanos:globalViewEdgeTlsServerName": "edge.example.com", "prometheus-thanos:globalViewEdgeClientCidrs": "0.0.0.0/0"},
			nil, []string{"prometheus-thanos:globalViewEdgeClientCidrs", "0.0.0.0/0"}},
		{"edge on a NodePort without an address", map[string]string{"prometheus-thanos:globalViewEdge": "true", "prometheus-thanos:globalViewEdgeTlsSecret": "edge-tls",
			"prometheus-thanos:globalViewEdgeTlsServerName": "edge.example.com", "prometheus-thanos:globalViewEdgeClientCidrs": "10.0.0.0/16", "prometheus-thanos:globalViewEdgeServiceType": "NodePort"},
			nil, []string{"prometheus-thanos:globalViewEdgeAddress", "required with globalViewEdgeServiceType NodePort"}},
		{"edge Service of another type", map[string]string{"prometheus-thanos:globalViewEdge": "true", "prometheus-thanos:globalViewEdgeTlsSecret": "edge-tls",
			"prometheus-thanos:globalViewEdgeTlsServerName": "edge.example.com", "prometheus-thanos:globalViewEdgeClientCidrs": "10.0.0.0/16", "prometheus-thanos:globalViewEdgeServiceType": "ExternalName"},
			nil, []string{"prometheus-thanos:globalViewEdgeServiceType", `"ExternalName" is not one of LoadBalancer, ClusterIP, NodePort`}},
		{"edge address with a DNS SD prefix", map[string]string{"prometheus-thanos:globalViewEdge": "true", "prometheus-thanos:globalViewEdgeTlsSecret": "edge-tls",
			"prometheus-thanos:globalViewEdgeTlsServerName": "edge.example.com", "prometheus-thanos:globalViewEdgeClientCidrs": "10.0.0.0/16", "prometheus-thanos:globalViewEdgeAddress": "dns+edge.example.com:10901"},
			nil, []string{"prometheus-thanos:globalViewEdgeAddress", "neither a DNS name nor an IP address"}},
		{"members without a client Secret", map[string]string{"prometheus-thanos:globalViewMembers": "acme/prometheus-thanos/eu"},
			nil, []string{"prometheus-thanos:globalViewClientTlsSecret", "required with globalViewMembers"}},
		{"member not fully qualified", map[string]string{"prometheus-thanos:globalViewMembers": "eu", "prometheus-thanos:globalViewClientTlsSecret": "client-tls"},
			nil, []string{"prometheus-thanos:globalViewMembers", `"eu" is not a fully qualified stack name`}},
		{"member listed twice", map[string]string{"prometheus-thanos:globalViewMembers": "acme/p/eu,acme/p/eu", "prometheus-thanos:globalViewClientTlsSecret": "client-tls"},
			nil, []string{"prometheus-thanos:globalViewMembers", "listed twice"}},
		{"global key without members", map[string]string{"prometheus-thanos:globalViewResponseTimeout": "1m"},
			nil, []string{"prometheus-thanos:globalViewResponseTimeout", "only applies with globalViewMembers"}},
		{"PDB over one edge querier", map[string]string{"prometheus-thanos:globalViewEdge": "true", "prometheus-thanos:globalViewEdgeTlsSecret": "edge-tls",
			"prometheus-thanos:globalViewEdgeTlsServerName": "edge.example.com", "prometheus-thanos:globalViewEdgeClientCidrs": "10.0.0.0/16", "prometheus-thanos:globalViewEdgeReplicas": "1",
			"prometheus-thanos:podDisruptionBudgets": "true", "prometheus-thanos:prometheusReplicas": "2", "prometheus-thanos:querierReplicas": "2", "prometheus-thanos:storeReplicas": "2", "prometheus-thanos:queryFrontendReplicas": "2"},
			nil, []string{"prometheus-thanos:globalViewEdgeReplicas", "guards nothing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := stackConfig(t, "dev")
			for _, k := range c.drop {
				delete(config, k)
			}
			maps.Copy(config, c.set)
			r := runProgram(t, "dev", config)
			if r.err == nil {
				t.Fatalf("config %v was accepted", c.set)
			}
			for _, want := range c.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error %q does not contain %q", r.err, want)
				}
			}
			if len(r.resources) != 0 {
				t.Errorf("%d resources were registered before the error, first %s %s", len(r.resources), r.resources[0].Type, r.resources[0].Name)
			}
		})
	}
}

// TestMissingClusterStackOutputNamesTheKey: a cluster stack without the expected output fails
// with the config key that names the output.
func TestMissingClusterStackOutputNamesTheKey(t *testing.T) {
	config := stackConfig(t, "dev")
	config["prometheus-thanos:clusterStackKubeconfigOutput"] = "kubeConfig"
	r := runProgram(t, "dev", config)
	if r.err == nil {
		t.Fatal("a missing cluster stack output was accepted")
	}
	for _, want := range []string{"prometheus-thanos:clusterStackKubeconfigOutput", `no output "kubeConfig"`} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error %q does not contain %q", r.err, want)
		}
	}
	for _, res := range r.resources {
		if res.Type != "pulumi:pulumi:StackReference" {
			t.Errorf("%s %s registered before the error", res.Type, res.Name)
		}
	}
}
