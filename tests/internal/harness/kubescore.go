package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// LintFinding is one comment of a kube-score check that graded an object warning or critical.
type LintFinding struct {
	// Object is kube-score's name of the object: <kind>/<apiVersion>/<namespace>/<name>.
	Object  string
	Kind    string
	Name    string
	Check   string // the check's ID, e.g. "container-ephemeral-storage-request-and-limit"
	Grade   string // WARNING or CRITICAL
	Comment string // the comment's path and summary
}

func (f LintFinding) String() string {
	return fmt.Sprintf("[%s] %s: %s: %s", f.Grade, f.Object, f.Check, f.Comment)
}

// kubeScoreObject is the part of kube-score's JSON output (--output-format json, version v2:
// renderer/json_v2 of kube-score v1.20.0) that the findings come from.
type kubeScoreObject struct {
	ObjectName string `json:"object_name"`
	Checks     []struct {
		Check struct {
			ID string `json:"id"`
		} `json:"check"`
		Grade    int  `json:"grade"`
		Skipped  bool `json:"skipped"`
		Comments []struct {
			Path    string `json:"path"`
			Summary string `json:"summary"`
		} `json:"comments"`
	} `json:"checks"`
}

// kube-score's grades (scorecard.Grade): a check passes at GradeAlmostOK (7) or GradeAllOK (10).
const (
	kubeScoreCritical = 1
	kubeScoreWarning  = 5
)

// KubeScore runs the kube-score binary over objects (each a Kubernetes object as read back from the
// API server) with its default checks and the given flags of `kube-score score` (--ignore-test ...),
// and returns every finding, sorted. kube-score exits 1 when it grades something critical; its
// findings are in its output either way.
func KubeScore(ctx context.Context, bin string, objects []map[string]any, flags []string) ([]LintFinding, error) {
	var input bytes.Buffer
	for _, obj := range objects {
		doc, err := json.Marshal(lintable(obj))
		if err != nil {
			return nil, err
		}
		input.WriteString("---\n")
		input.Write(doc)
		input.WriteString("\n")
	}
	args := append([]string{"score", "--output-format", "json"}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, "-")...)
	cmd.Stdin = &input
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	var scored []kubeScoreObject
	if err := json.Unmarshal(stdout.Bytes(), &scored); err != nil {
		return nil, fmt.Errorf("kube-score output is not its JSON v2 format: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	// Every object given must have been scored: one it cannot parse would otherwise pass unseen.
	if len(scored) != len(objects) {
		return nil, fmt.Errorf("kube-score scored %d of the %d objects given\n%s", len(scored), len(objects), stderr.String())
	}
	var findings []LintFinding
	for _, obj := range scored {
		parts := strings.Split(obj.ObjectName, "/")
		kind, name := parts[0], parts[len(parts)-1]
		for _, check := range obj.Checks {
			if check.Skipped || check.Grade > kubeScoreWarning {
				continue
			}
			grade := "WARNING"
			if check.Grade <= kubeScoreCritical {
				grade = "CRITICAL"
			}
			if len(check.Comments) == 0 {
				findings = append(findings, LintFinding{obj.ObjectName, kind, name, check.Check.ID, grade, ""})
			}
			for _, c := range check.Comments {
				comment := c.Summary
				if c.Path != "" {
					comment = "(" + c.Path + ") " + comment
				}
				findings = append(findings, LintFinding{obj.ObjectName, kind, name, check.Check.ID, grade, comment})
			}
		}
	}
	slices.SortFunc(findings, func(a, b LintFinding) int { return strings.Compare(a.String(), b.String()) })
	return findings, nil
}

// lintable is an object as it would be written in a manifest: without status and the fields the
// API server sets.
func lintable(obj map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		if k != "status" {
			out[k] = v
		}
	}
	if meta, ok := obj["metadata"].(map[string]any); ok {
		m := map[string]any{}
		for k, v := range meta {
			switch k {
			case "managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink":
			default:
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	return out
}

// LintAccepted is a kube-score finding on the chart's or the operator's objects that the program
// leaves, with its reason: the check, the objects (kind/name) and, where the finding names one, the
// containers it is accepted for (none: all).
type LintAccepted struct {
	Check      string
	Objects    []string
	Containers []string
	Reason     string
}

// chartWorkloads are the chart's and the operator's workloads the suite reads back (kind/name).
// The release is named after the chart (chart.NewPrometheusStack).
var (
	prometheusWorkload   = "StatefulSet/prometheus-" + components.ChartName + "-prometheus"
	alertmanagerWorkload = "StatefulSet/alertmanager-" + components.ChartName + "-alertmanager"
	operatorWorkload     = "Deployment/" + components.ChartName + "-operator"
	grafanaWorkload      = "Deployment/" + components.ChartName + "-grafana"
	ksmWorkload          = "Deployment/" + components.ChartName + "-kube-state-metrics"
)

// ChartLintAccepted is every kube-score finding the chart's and the operator's objects keep, each
// with its reason; docs/security.md carries it (TestChartLintAcceptedDocumented). The integration
// suite fails on any other finding, and on an entry that matches none (stale).
var ChartLintAccepted = []LintAccepted{
	{"pod-networkpolicy", []string{prometheusWorkload, alertmanagerWorkload, operatorWorkload, grafanaWorkload, ksmWorkload}, nil,
		"egress stays open (a warning): Prometheus scrapes every namespace and node, the operator, kube-state-metrics and Grafana's sidecars call the API server, " +
			"whose addresses are the cloud's and no selector names, and Alertmanager and Grafana reach receivers and datasources outside the cluster; ingress is fenced"},
	{"container-security-context-user-group-id", []string{prometheusWorkload, alertmanagerWorkload, grafanaWorkload}, nil,
		"the chart's UIDs (Prometheus and Alertmanager 1000:2000, Grafana 472) own the files of existing volumes; a new UID is a migration of every stack's " +
			"Prometheus data (the kubelet's recursive fsGroup change at the next start), and Grafana's and Alertmanager's images cannot run here to prove it"},
	{"container-ephemeral-storage-request-and-limit", []string{prometheusWorkload, alertmanagerWorkload}, []string{"config-reloader", "init-config-reloader"},
		"prometheus-operator v0.93.1 sizes its config reloaders from its --config-reloader-* flags, which have CPU and memory only"},
	{"pod-probes-identical", []string{operatorWorkload}, nil,
		"prometheus-operator v0.93.1 serves one health endpoint, /healthz, on the port of its webhook and metrics: its readiness and liveness probes can differ only in timing"},
	{"pod-probes-identical", []string{grafanaWorkload}, nil,
		"the chart's liveness probe on /api/health tolerates far more (10 failures, 30 s timeout, after 60 s) than its readiness probe; Grafana cannot run here to prove another endpoint"},
	{"container-security-context-readonlyrootfilesystem", []string{grafanaWorkload}, nil,
		"Grafana and its k8s-sidecar containers write outside their volumes in places the chart does not mount; their images cannot run here to prove a read-only root"},
}

// Accepts reports whether the entry covers the finding.
func (a LintAccepted) Accepts(f LintFinding) bool {
	if f.Check != a.Check || !slices.Contains(a.Objects, f.Kind+"/"+f.Name) {
		return false
	}
	if len(a.Containers) == 0 {
		return true
	}
	for _, c := range a.Containers {
		if strings.HasPrefix(f.Comment, "("+c+") ") {
			return true
		}
	}
	return false
}

// ChartLintAcceptedTable renders ChartLintAccepted as the Markdown table docs/security.md carries.
func ChartLintAcceptedTable() string {
	var b strings.Builder
	b.WriteString("| Check | Objects | Containers | Reason |\n|---|---|---|---|\n")
	for _, a := range ChartLintAccepted {
		containers := "all"
		if len(a.Containers) > 0 {
			containers = strings.Join(a.Containers, ", ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", a.Check, strings.Join(a.Objects, ", "), containers, a.Reason)
	}
	return b.String()
}
