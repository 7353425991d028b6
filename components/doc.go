// Package components holds what the program's components share: labels, object names and
// versions, container resources, the objstore config format and setting errors. The components
// themselves (pulumi.ComponentResource, one per file, each beside the pure functions that build its
// values and flags, testable without Pulumi) live in one package per thing they provision:
//
//   - bucket: AWS, the S3 bucket, its KMS key and policies, and the IRSA roles;
//   - chart: the kube-prometheus-stack release, its values and CRDs;
//   - thanos: the Thanos workloads, the mixin and the stack's own alerts;
//   - network: the NetworkPolicies around the Thanos and the chart's pods.
//
// Each imports this package and none imports bucket: AWS and Kubernetes meet only in package
// program, which reads the configuration into the components' settings types and wires the
// components together; nothing here reads configuration.
//
// Naming, one rule for the whole tree:
//
//   - A Thanos workload is named by its role, never by its Thanos subcommand: Querier,
//     QueryFrontend, StoreGateway, Compactor. Everything of a workload carries that name: its
//     file (thanos/store_gateway.go), its args and settings (StoreGatewayArgs,
//     StoreGatewaySettings), its builders (StoreGatewayFlags, StoreGatewayLabels) and its defaults.
//   - The subcommand (query, store, compact) appears only where Thanos or Kubernetes objects carry
//     it: the app.kubernetes.io/component label, object and ServiceAccount names, data paths.
//   - A default is a constant Default<Role><Setting> (DefaultCompactorDeleteDelay), defined once
//     and read by the flag builders and by the program's table of config keys.
//   - A settings type's Validate holds every rule of its settings, once, and names a bad setting
//     by its field; SettingNames give the caller's names (the program's config keys) instead.
//   - A name does not repeat its package: chart.Source, thanos.WorkloadArgs, network.Policies.
package components
