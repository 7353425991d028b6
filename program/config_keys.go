package program

import (
	"strconv"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
)

// configKey declares one configuration key of the project. The table below is the single source of
// the keys' types, defaults and descriptions; Pulumi.yaml repeats it for the CLI, and a test holds
// the two equal.
type configKey struct {
	Name        string
	Type        string // "string", "integer" or "boolean", as Pulumi.yaml spells them
	Default     string // empty: no default (optional, or required where Required is set)
	Secret      bool
	Description string
}

// storeConcurrency is storeMaxConcurrentRequests' default: Thanos's,
// thanos.DefaultStoreGatewayMaxConcurrentRequests.
var storeConcurrency = strconv.Itoa(thanos.DefaultStoreGatewayMaxConcurrentRequests)

// ProjectName is the Pulumi project; its config keys are "<ProjectName>:<key>".
const ProjectName = "prometheus-thanos"

// resourceKeys are the four resource keys of one container, named <prefix>CpuRequest etc.
func resourceKeys(prefix, who, cpuRequest, memoryRequest, cpuLimit, memoryLimit string) []configKey {
	return []configKey{
		{prefix + "CpuRequest", "string", cpuRequest, false, "CPU request of " + who + " (Kubernetes quantity)."},
		{prefix + "MemoryRequest", "string", memoryRequest, false, "Memory request of " + who + " (Kubernetes quantity)."},
		{prefix + "CpuLimit", "string", cpuLimit, false, "CPU limit of " + who + "; empty for none (Kubernetes quantity)."},
		{prefix + "MemoryLimit", "string", memoryLimit, false, "Memory limit of " + who + " (Kubernetes quantity)."},
	}
}

// ephemeralStorageKeys are the ephemeral-storage keys of one container, named
// <prefix>EphemeralStorageRequest and <prefix>EphemeralStorageLimit. The defaults fit a container
// whose only writes outside its volumes are its logs, which the kubelet rotates at 5 files of 10Mi
// by default: the Thanos containers and Prometheus (as prometheus-operator runs it) have a
// read-only root filesystem and keep their data on a volume.
func ephemeralStorageKeys(prefix, who string) []configKey {
	return []configKey{
		{prefix + "EphemeralStorageRequest", "string", "64Mi", false, "Ephemeral-storage request of " + who + " (Kubernetes quantity)."},
		{prefix + "EphemeralStorageLimit", "string", "256Mi", false, "Ephemeral-storage limit of " + who + ": over it, the kubelet evicts the pod (Kubernetes quantity)."},
	}
}

// configKeys lists every key the program reads, in the order docs/configuration.md documents them.
var configKeys = concat(
	[]configKey{
		{"clusterName", "string", "", false, "Name of the Kubernetes cluster: the `cluster` external label of every series and, with the stack name, the start of AWS resource names (<clusterName>-<stack>-thanos-compactor, an IAM role name, at most 64 characters). Required; lowercase letters, digits and '-', at most 32 characters."},
		{"namespace", "string", "monitoring", false, "Namespace the program creates and installs everything into."},
		{"kubeconfig", "string", "", true, "Kubeconfig of the target cluster (secret). Either this or clusterStack is required."},
		{"clusterStack", "string", "", false, "Fully qualified name (org/project/stack) of the stack that created the cluster; its outputs give the kubeconfig and OIDC provider."},
		{"clusterStackKubeconfigOutput", "string", "kubeconfig", false, "Name of the cluster stack's kubeconfig output: a string (YAML or JSON), or an object, as pulumi-eks's `kubeconfig` output, which the program marshals to JSON."},
		{"clusterStackOidcProviderArnOutput", "string", "oidcProviderArn", false, "Name of the cluster stack's IAM OIDC provider ARN output."},
		{"clusterStackOidcIssuerUrlOutput", "string", "oidcIssuerUrl", false, "Name of the cluster stack's OIDC issuer output, with or without https:// (pulumi-eks exports both: `oidcProviderUrl` and `oidcIssuer`)."},
		{"oidcProviderArn", "string", "", false, "ARN of the cluster's IAM OIDC provider (IRSA); overrides the cluster stack's output."},
		{"oidcIssuerUrl", "string", "", false, "The cluster's OIDC issuer (https://oidc.eks.<region>.amazonaws.com/id/<id>, https:// optional); overrides the cluster stack's output."},
		{"kubernetesSkipAwait", "boolean", "false", false, "Do not wait for workloads to become ready. Only for clusters that cannot run pods (the integration suite's API server without nodes)."},
		{"controlPlaneMetrics", "boolean", "false", false, "Scrape kube-controller-manager, kube-scheduler and etcd, and load the chart's rules for them (KubeControllerManagerDown, KubeSchedulerDown, the etcd alerts). Only where they serve metrics on their nodes' addresses: kubeadm, kind and minikube bind them to 127.0.0.1 unless configured otherwise. Refused on EKS, whose control plane does not expose them to the chart's scrapes (docs/operations.md, \"What the program does not scrape\")."},
		{"kubeProxyMetrics", "boolean", "false", false, "Scrape kube-proxy and load the chart's rules for it (KubeProxyDown). Only where kube-proxy serves metrics on the node's address (metricsBindAddress 0.0.0.0:10249): EKS's kube-proxy add-on, kind and minikube bind them to 127.0.0.1."},

		{"bucketName", "string", "", false, "Exact name of the S3 bucket to create. Default: a name Pulumi generates, thanos-<random suffix>."},
		{"bucketVersioning", "boolean", "false", false, "Keep old object versions. Off by default: the compactor deletes blocks on purpose."},
		{"bucketNoncurrentVersionExpirationDays", "integer", "30", false, "Days after which old object versions expire, when bucketVersioning is on."},
		{"bucketAbortIncompleteUploadDays", "integer", "7", false, "Days after which incomplete multipart uploads are aborted."},
		{"bucketForceDestroy", "boolean", "false", false, "Let `pulumi destroy` delete a bucket that still holds blocks. Refused together with protectData."},
		{"protectData", "boolean", "true", false, "Protect the bucket and its KMS key from deletion by Pulumi (`pulumi destroy` fails instead of losing data)."},
		{"kmsKeyDeletionWindowDays", "integer", "30", false, "Waiting period (7 to 30 days) before a deleted KMS key is gone."},

		{"existingBucketName", "string", "", false, "Use this existing S3-compatible bucket instead of creating one: no AWS resource is created and no AWS API is called."},
		{"existingBucketEndpoint", "string", "", false, "S3 endpoint host[:port] of the existing bucket. Default: the regional AWS endpoint of aws:region."},
		{"existingBucketRegion", "string", "", false, "Region of the existing bucket. Default: aws:region."},
		{"existingBucketInsecure", "boolean", "false", false, "Talk plain http to existingBucketEndpoint (in-cluster MinIO or Ceph)."},
		{"existingBucketKmsKeyId", "string", "", false, "KMS key id or ARN for SSE-KMS uploads to the existing bucket. Default: no SSE-KMS header (the bucket's default encryption applies)."},
		{"existingBucketAccessKey", "string", "", true, "Static access key for the existing bucket (secret); written only into the objstore Secret."},
		{"existingBucketSecretKey", "string", "", true, "Static secret key for the existing bucket (secret); written only into the objstore Secret."},
		{"sidecarRoleArn", "string", "", false, "IRSA role ARN of the Prometheus sidecars, with an existing bucket and no static keys."},
		{"storeRoleArn", "string", "", false, "IRSA role ARN of the store gateway, with an existing bucket and no static keys."},
		{"compactorRoleArn", "string", "", false, "IRSA role ARN of the compactor, with an existing bucket and no static keys."},

		{"chartRepository", "string", components.ChartRepository, false, "Helm repository of the prometheus-operator chart."},
		{"chartName", "string", components.ChartName, false, "Name of the prometheus-operator chart."},
		{"chartVersion", "string", components.ChartVersion, false, "Version of the prometheus-operator chart. From a repository only the pinned version: the program applies the CRDs of the package it keeps (charts/). Another version needs chartPath."},
		{"chartPath", "string", "", false, "Local path of the chart, a package or a directory (air-gapped clusters, another version); replaces chartRepository and chartVersion. The program applies this chart's CRDs."},
		{"chartReleaseName", "string", chart.DefaultReleaseName, false, "Helm release of the chart: the prefix of its objects' names, cluster-wide ones included (ClusterRoles, admission webhooks, the kubelet Service). A second stack in the same cluster needs another (and another nodeExporterPort, and both stacks monitorNamespaces). At most 26 characters. Set it when the stack is created: another name replaces the release, the old one deleted first with all of its workloads, and what its Prometheus replicas have not yet uploaded with them."},
		{"chartValues", "string", "", false, "More kube-prometheus-stack values, as a YAML mapping, deep-merged into the program's (alertmanager, grafana, exporters). Values the program owns (the Thanos sidecar and its object storage, the replica label, the Prometheus ServiceAccount, and what other keys set) are refused."},
		{"chartSecretValues", "string", "", true, "More kube-prometheus-stack values, as chartValues, each of them a secret, encrypted in the state and masked in previews and diffs (Alertmanager receivers' keys, SMTP passwords). Set it with --secret. A value also in chartValues is refused; a chartValues set with --secret is kept secret the same way."},

		{"monitorNamespaces", "string", "", false, "Comma-separated namespaces whose ServiceMonitors, PodMonitors, Probes, ScrapeConfigs and PrometheusRules the stack's Prometheus loads, and whose AlertmanagerConfigs its Alertmanager does, besides the stack's own namespace and nodeExporterNamespace. Default: every namespace's. Set it where several stacks share a cluster: otherwise each scrapes the other's components and evaluates the other's Thanos alerts."},
		{"prometheusReplicas", "integer", "2", false, "Prometheus replicas; the querier deduplicates them. At least 1."},
		{"prometheusRetention", "string", "24h", false, "Local retention of Prometheus (Prometheus duration, at least 6h); older data is read from the bucket."},
		{"prometheusStorageSize", "string", "50Gi", false, "Volume size of each Prometheus replica (Kubernetes quantity)."},
		{"storageClass", "string", "", false, "Storage class of every persistent volume. Default: the cluster's default class."},
	},
	resourceKeys("prometheus", "each Prometheus container", "500m", "2Gi", "", "4Gi"),
	ephemeralStorageKeys("prometheus", "each Prometheus container"),
	resourceKeys("sidecar", "each Thanos sidecar", "50m", "128Mi", "", "512Mi"),
	ephemeralStorageKeys("sidecar", "each Thanos sidecar"),
	[]configKey{
		{"querierReplicas", "integer", "2", false, "Thanos querier replicas. At least 1."},
		{"querierTimeout", "string", thanos.DefaultQuerierTimeout, false, "Longest a query may run in the querier (--query.timeout; Prometheus duration)."},
		{"queryFrontend", "boolean", "true", false, "A Thanos query-frontend in front of the querier: range queries split by day, a results cache, retries, slow-query logs. The chart's Grafana and the output queryFrontendUrl use it."},
		{"queryFrontendReplicas", "integer", "2", false, "Query-frontend replicas (each has its own in-memory cache). At least 1."},
		{"queryFrontendSplitInterval", "string", thanos.DefaultQueryFrontendSplitInterval, false, "Length of the pieces a range query is split into, run in parallel and cached one by one (--query-range.split-interval; Go duration: 24h, not 1d)."},
		{"queryFrontendCacheSize", "string", thanos.DefaultQueryFrontendCacheSize, false, "In-memory results cache of each query-frontend (256MB, 1GiB); at most half of queryFrontendMemoryLimit."},
		{"queryFrontendCacheValidity", "string", thanos.DefaultQueryFrontendCacheValidity, false, "How long a cached result is served (Go duration). The newest minute of a result is never cached."},
		{"queryFrontendMemcachedAddresses", "string", "", false, "Comma-separated memcached addresses (host:port or dns+host:port) for a results cache the replicas share, instead of the in-memory one. Default: in memory."},
		{"queryFrontendSlowQueryThreshold", "string", thanos.DefaultQueryFrontendSlowQueryThreshold, false, "The query-frontend logs every query that runs longer (--query-frontend.log-queries-longer-than; Go duration)."},
		{"storeReplicas", "integer", "2", false, "Thanos store gateway replicas (each serves every block). At least 1."},
		{"storeIndexCacheSize", "string", thanos.DefaultStoreGatewayIndexCacheSize, false, "In-memory index cache of each store gateway (Thanos byte size: 250MB, 1GB; at least 125MB, Thanos's largest cache item)."},
		{"storeSyncInterval", "string", thanos.DefaultStoreGatewaySyncInterval, false, "How often each store gateway re-reads the bucket's list of blocks (--sync-block-duration; Prometheus duration). The sidecars serve the newest blocks meanwhile."},
		// Strings, not integers: the engine gives an integer key declared without a default the
		// value 0 (no limit), which would hide the derived default; seen in the e2e suite.
		{"storeMaxConcurrentRequests", "integer", storeConcurrency, false, "Series requests each store gateway serves at once (--store.grpc.series-max-concurrency; more wait). The derived per-request limits share the memory among them: fewer admit larger requests. At least 1."},
		{"storeRequestSeriesLimit", "string", "", false, "Most series one query may touch in a store gateway (--store.limits.request-series; 0: no limit). Default: derived from storeMemoryLimit, so that storeMaxConcurrentRequests concurrent requests fit in it (docs/operations.md, \"Store gateway limits\")."},
		{"storeRequestSamplesLimit", "string", "", false, "Most samples one query may load from a store gateway (--store.limits.request-samples; 0: no limit). Default: derived from storeMemoryLimit, like storeRequestSeriesLimit."},
		{"storeRequestDownloadedBytesLimit", "string", "", false, "Most index and chunk bytes one query may fetch in a store gateway (--store.grpc.downloaded-bytes-limit; a byte size such as 64MB, 0 for no limit). Default: half of storeMemoryLimit less the index cache and a 256MiB baseline, divided among storeMaxConcurrentRequests (a request's memory is up to about twice what the limit counts)."},
		{"storeStorageSize", "string", thanos.DefaultStoreGatewayStorageSize, false, "Volume size of each store gateway (Kubernetes quantity)."},
		{"compactorStorageSize", "string", thanos.DefaultCompactorStorageSize, false, "Scratch volume size of the compactor (Kubernetes quantity)."},
		{"compactorRetentionRaw", "string", thanos.DefaultCompactorRetentionRaw, false, "Bucket retention of raw samples (Prometheus duration, at least 40h, as the compactor downsamples 40h of raw data to 5m and refuses less; 0d keeps them forever)."},
		{"compactorRetention5m", "string", thanos.DefaultCompactorRetentionFiveMinutes, false, "Bucket retention of 5m-downsampled samples (Prometheus duration, at least 10d, as the compactor downsamples 10d of 5m data to 1h and refuses less; 0d keeps them forever)."},
		{"compactorRetention1h", "string", thanos.DefaultCompactorRetentionOneHour, false, "Bucket retention of 1h-downsampled samples (Prometheus duration; 0d keeps them forever)."},
		{"compactorDeleteDelay", "string", thanos.DefaultCompactorDeleteDelay, false, "How long a block the compactor marked for deletion stays in the bucket before it deletes it (--delete-delay; Prometheus duration, at least twice storeSyncInterval, so every store gateway has dropped the block first)."},
		{"compactorDeduplication", "boolean", "false", false, "Let the compactor merge the Prometheus replicas' blocks into one (vertical compaction on the replica label, penalty algorithm), halving the bucket. Experimental in Thanos and irreversible: back the bucket up first (docs/operations.md, \"Deduplication in the bucket\")."},
		{"podDisruptionBudgets", "boolean", "true", false, "PodDisruptionBudgets for Prometheus, the querier, the query-frontend and the store gateway. Needs prometheusReplicas, querierReplicas, queryFrontendReplicas and storeReplicas of at least 2."},
		{"thanosAlerts", "boolean", "true", false, "The Thanos mixin's alerts for the sidecar, querier, store gateway and compactor, and the stack's own (store gateway block loads and bucket syncs, Thanos volumes), as PrometheusRules the chart's Prometheus loads."},
		{"thanosDashboards", "boolean", "true", false, "The Thanos mixin's Grafana dashboards (overview, query, query-frontend, store, compact, sidecar), as ConfigMaps the chart's Grafana loads."},
		{"networkPolicies", "boolean", "true", false, "NetworkPolicies for the Thanos and Prometheus pods and the chart's own (docs/security.md): StoreAPI gRPC only from the querier, metrics only from Prometheus, the query path (query-frontend, querier, Prometheus's HTTP API) only from Prometheus, the chart's Grafana, queryClientNamespaces and queryClientCidrs; Thanos egress only to DNS, the StoreAPIs, the querier (query-frontend) and the bucket. Only a CNI that implements NetworkPolicy enforces them (EKS: the VPC CNI with its network policy agent on; Calico; Cilium). Turn off where another tool owns the namespace's policies."},
		{"queryClientNamespaces", "string", "", false, "Comma-separated namespaces whose pods may use the query path through the NetworkPolicies: an ingress controller, a Grafana or a querier federating this one from another namespace."},
		{"queryClientCidrs", "string", "", false, "Comma-separated CIDR blocks (IPv4 or IPv6) whose addresses may use the query path through the NetworkPolicies, where queryClientNamespaces may: a load balancer in IP mode, whose connections come from no namespace (the AWS Load Balancer Controller's NLB with target-type ip: its subnets' CIDRs). Each block is written with its network's address (10.0.0.0/16, not 10.0.0.1/16; 10.0.0.1/32 for one address), and 0.0.0.0/0 and ::/0 are refused. Pods whose addresses fall in a block may be admitted too (docs/security.md)."},
		{"apiServerCidrs", "string", "", false, "Comma-separated CIDR blocks (IPv4 or IPv6) the Kubernetes API server calls admission webhooks from: on EKS the subnets of the control plane's network interfaces (the cluster's own subnets). Set, the operator's port 10250, which serves its admission webhook and its metrics, admits only these and Prometheus; empty, it admits any address, as the API server is no pod and no selector names it (docs/security.md). Written as queryClientCidrs."},
		{"nodeExporterNamespace", "string", "", false, "Namespace the chart's node-exporter runs in, at the privileged Pod Security level: it needs the host's network, PID namespace and filesystem. The program creates it. Default: <namespace>-node-exporter. The namespace itself enforces restricted."},
		{"nodeExporterPort", "integer", strconv.Itoa(chart.DefaultNodeExporterPort), false, "Port the chart's node-exporter listens on, on each node's own network (1024-65535: it runs as no root). A second stack in the same cluster needs another: two cannot listen on one."},
	},
	[]configKey{
		{"globalViewEdge", "boolean", "false", false, "Serve this stack's StoreAPIs to global stacks (docs/operations.md, \"Global view\"): an edge querier of the stack's own Prometheus replicas and store gateways, sized by the querier* keys, whose gRPC port requires mutual TLS, behind a Service of its own. Exports globalViewEndpoint, globalViewTlsServerName and externalLabels."},
		{"globalViewEdgeReplicas", "integer", "2", false, "Edge querier replicas. At least 1."},
		{"globalViewEdgeTlsSecret", "string", "", false, "Secret in the stack's namespace with the edge querier's server certificate (tls.crt, tls.key) and the CA its clients' certificates must chain to (ca.crt), as cert-manager writes them. Required with globalViewEdge."},
		{"globalViewEdgeTlsServerName", "string", "", false, "DNS name in the edge querier's certificate, which global stacks verify. Required with globalViewEdge."},
		{"globalViewEdgeClientCidrs", "string", "", false, "Comma-separated CIDR blocks the global stacks' queriers connect from: the only addresses the edge querier's NetworkPolicy and load balancer (loadBalancerSourceRanges) admit. Written as queryClientCidrs. Required with globalViewEdge."},
		{"globalViewEdgeServiceType", "string", "", false, "Type of the edge querier's Service: LoadBalancer, ClusterIP or NodePort. Default: LoadBalancer on EKS (an internal NLB through the AWS Load Balancer Controller, client addresses preserved), ClusterIP elsewhere."},
		{"globalViewEdgeServiceAnnotations", "string", "", false, "Annotations of the edge querier's Service, as a YAML mapping, over the defaults (on EKS the AWS Load Balancer Controller's for an internal NLB)."},
		{"globalViewEdgeAddress", "string", "", false, "host:port global stacks dial, exported as globalViewEndpoint, where the Service's own is not it (a DNS name of the load balancer; a node for NodePort, where it is required). Default: the load balancer's hostname or IP, or the Service's cluster DNS name."},
		{"globalViewMembers", "string", "", false, "Comma-separated fully qualified names (org/project/stack) of the stacks this stack's querier also fans out to, over mutual TLS: a global view. Each must run with globalViewEdge; the program reads its outputs globalViewEndpoint, globalViewTlsServerName and externalLabels."},
		{"globalViewClientTlsSecret", "string", "", false, "Secret in the stack's namespace with the querier's client certificate (tls.crt, tls.key) and the CA the members' certificates chain to (ca.crt). Required with globalViewMembers."},
		{"globalViewResponseTimeout", "string", thanos.DefaultRemoteResponseTimeout, false, "How long the querier waits for the next part of a StoreAPI's answer before it answers without it, with a warning (--store.response-timeout; Prometheus duration). Applies to every StoreAPI of a global stack's querier, its own included."},
	},
	resourceKeys("querier", "each querier", "100m", "256Mi", "", "1Gi"),
	ephemeralStorageKeys("querier", "each querier"),
	resourceKeys("queryFrontend", "each query-frontend", "100m", "256Mi", "", "1Gi"),
	ephemeralStorageKeys("queryFrontend", "each query-frontend"),
	resourceKeys("store", "each store gateway", "100m", "512Mi", "", "2Gi"),
	ephemeralStorageKeys("store", "each store gateway"),
	resourceKeys("compactor", "the compactor", "100m", "512Mi", "", "2Gi"),
	ephemeralStorageKeys("compactor", "the compactor"),
	chartResourceKeys,
)

func concat(groups ...[]configKey) []configKey {
	var out []configKey
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
