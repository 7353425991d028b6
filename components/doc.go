// Package components holds the program's component resources (pulumi.ComponentResource), one per
// file, and beside each the pure functions that build its values and flags, testable without
// Pulumi. The program (package program) reads the configuration into the components' settings
// types and wires the components together; nothing here reads configuration.
//
// Naming, one rule for the whole tree:
//
//   - A Thanos workload is named by its role, never by its Thanos subcommand: Querier,
//     QueryFrontend, StoreGateway, Compactor. Everything of a workload carries that name: its
//     file (thanos_store_gateway.go), its args and settings (StoreGatewayArgs,
//     StoreGatewaySettings), its builders (StoreGatewayFlags, StoreGatewayLabels) and its defaults.
//   - The subcommand (query, store, compact) appears only where Thanos or Kubernetes objects carry
//     it: the app.kubernetes.io/component label, object and ServiceAccount names, data paths.
//   - A default is a constant Default<Role><Setting> (DefaultCompactorDeleteDelay), defined once
//     and read by the flag builders and by the program's table of config keys.
//   - A settings type's Validate holds every rule of its settings, once, and names a bad setting
//     by its field; SettingNames give the caller's names (the program's config keys) instead.
package components
