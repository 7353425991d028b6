package components

import psaapi "k8s.io/pod-security-admission/api"

// PodSecurityLabels are the Pod Security Admission labels of a namespace: the API server refuses
// pods that break the enforce level, and warns (to the client creating the pod) and audits (in its
// audit log) at warnAndAudit; empty leaves warn and audit off. Each level is checked against the
// latest version of the standards the API server knows: the tests evaluate every pod the program
// and the chart create with the pinned Kubernetes version's own checks
// (k8s.io/pod-security-admission), at that version.
func PodSecurityLabels(enforce, warnAndAudit psaapi.Level) map[string]string {
	labels := map[string]string{
		psaapi.EnforceLevelLabel:   string(enforce),
		psaapi.EnforceVersionLabel: psaapi.VersionLatest,
	}
	if warnAndAudit != "" {
		labels[psaapi.WarnLevelLabel] = string(warnAndAudit)
		labels[psaapi.WarnVersionLabel] = psaapi.VersionLatest
		labels[psaapi.AuditLevelLabel] = string(warnAndAudit)
		labels[psaapi.AuditVersionLabel] = psaapi.VersionLatest
	}
	return labels
}

// The Pod Security levels of the program's namespaces.
var (
	// ReleaseNamespacePodSecurity is the level the release's namespace enforces, warns and audits
	// at: every pod of the program and the chart there passes restricted.
	ReleaseNamespacePodSecurity = psaapi.LevelRestricted
	// NodeExporterNamespacePodSecurity is the level node-exporter's namespace enforces: it reads
	// the node's metrics through the host's network and PID namespaces and a hostPath mount of /,
	// which both baseline and restricted forbid. Only node-exporter runs there.
	NodeExporterNamespacePodSecurity = psaapi.LevelPrivileged
)
