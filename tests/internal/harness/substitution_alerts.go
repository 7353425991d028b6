package harness

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/kube"
)

// SubstitutionAlert is an alert that a healthy stack raises on the one-node cluster only because
// of what the cluster substitutes for a real one. The cluster suite's settled step allows exactly
// these (while each one's cause holds), besides the chart's always-on alerts.
type SubstitutionAlert struct {
	// Alert is the alertname, as the chart's rules (ChartVersion) name it.
	Alert string
	// Cause is the row of Substitutions that makes the alert fire; nil where the cause is the
	// machine the node runs on, which no row changes.
	Cause *Substitution
	// Reason says why the alert fires on the one-node cluster and not on a real one.
	Reason string
	// Holds reports whether the cause holds now, and what was seen; the settled step allows the
	// alert only then.
	Holds func() (bool, string)
}

// substitution is the row of Substitutions for target and key; it panics on a missing row, so
// that SubstitutionAlerts cannot name a row that is gone.
func substitution(target Target, key string) *Substitution {
	for i, s := range Substitutions {
		if s.Target == target && s.Key == key {
			return &Substitutions[i]
		}
	}
	panic(fmt.Sprintf("no substitution %s %s", target, key))
}

// SubstitutionAlerts are every alert the one-node cluster raises because of a substitution or of
// the machine it runs on; docs/substitutions.md carries them (TestSubstitutionsDocumented).
var SubstitutionAlerts = []SubstitutionAlert{
	{
		Alert: "PrometheusNotConnectedToAlertmanagers",
		Cause: substitution(ClusterChartValues, "alertmanager.enabled"),
		Reason: "no Alertmanager runs on the one-node cluster, so Prometheus discovers none " +
			"(prometheus_notifications_alertmanagers_discovered is 0); with the chart's Alertmanager, " +
			"as every real stack runs it, the alert stays silent",
		Holds: func() (bool, string) { return true, "the chart's Alertmanager is off" },
	},
	{
		Alert: "NodeSystemSaturation",
		Reason: "the node is this VM, whose two cores also compile the tools and run the other suites beside the cluster suite: its load " +
			"average passes 2 per CPU, the alert's threshold, while they run. Allowed only while the 1-minute load average read here is " +
			"above 1.8 per CPU (the threshold less the change of up to one evaluation interval before Prometheus's last evaluation)",
		Holds: NodeSaturated,
	},
	{
		Alert: "NodeCPUHighUsage",
		Reason: "the node is this VM, whose two cores also compile the tools and run the other suites beside the cluster suite: more than 90% " +
			"of its CPU time is busy, the alert's threshold, while they run. Allowed only while the CPU time read here (/proc/stat, as " +
			"node-exporter reads it) was more than 85% busy over the last 2 minutes, the alert's rate window (the threshold less a " +
			"margin for the evaluation Prometheus made before this reading)",
		Holds: CPUBusy,
	},
	{
		Alert: "NodeClockNotSynchronising",
		Reason: "the node is this VM, whose kernel clock no NTP daemon disciplines (adjtimex reports " +
			"it unsynchronised, maximum error 16 s), and no time server can be reached from here; " +
			"EKS nodes run chrony against the Amazon Time Sync Service. Allowed only while adjtimex " +
			"reports the clock unsynchronised",
		Holds: kube.ClockUnsynchronised,
	},
}

// SubstitutionAlertTable renders SubstitutionAlerts as the Markdown table the docs carry.
func SubstitutionAlertTable() string {
	var b strings.Builder
	b.WriteString("| Alert | Caused by | Why |\n|---|---|---|\n")
	for _, a := range SubstitutionAlerts {
		cause := "the machine the node runs on"
		if a.Cause != nil {
			cause = fmt.Sprintf("%s `%s`", a.Cause.Target, a.Cause.Key)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a.Alert, cause, a.Reason)
	}
	return b.String()
}

// saturatedLoadPerCPU is the 1-minute load average per CPU above which NodeSaturated holds: the
// chart's NodeSystemSaturation threshold (2) less a tenth, for the load's change since Prometheus's
// last evaluation.
const saturatedLoadPerCPU = 1.8

// NodeSaturated reports whether this machine's 1-minute load average (/proc/loadavg, which
// node-exporter reads as node_load1) is above saturatedLoadPerCPU per CPU now.
func NodeSaturated() (bool, string) {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return false, err.Error()
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return false, "empty /proc/loadavg"
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return false, err.Error()
	}
	cpus := runtime.NumCPU()
	return load > saturatedLoadPerCPU*float64(cpus), fmt.Sprintf("load average %.2f over %d CPUs", load, cpus)
}

// busyCPUFraction and busyCPUWindow: CPUBusy holds where more than this fraction of the machine's
// CPU time was busy over the window, NodeCPUHighUsage's rate window (2m) and threshold (90%) less
// a margin for the evaluation before the reading.
const (
	busyCPUFraction = 0.85
	busyCPUWindow   = 2 * time.Minute
)

// cpuSample is the machine's CPU time, in ticks, at one moment.
type cpuSample struct {
	at          time.Time
	busy, total uint64
}

// cpuSamples are CPUBusy's earlier readings, the oldest at most one window before the newest.
var cpuSamples struct {
	sync.Mutex
	list []cpuSample
}

// readCPU reads the machine's CPU time from /proc/stat's first line: busy is every mode but idle
// and iowait, as NodeCPUHighUsage counts node_cpu_seconds_total; guest time is already in user
// and nice.
func readCPU() (cpuSample, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuSample{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	s := cpuSample{at: time.Now()}
	for i, f := range fields[1:9] { // user nice system idle iowait irq softirq steal
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuSample{}, fmt.Errorf("/proc/stat: %w", err)
		}
		s.total += v
		if i != 3 && i != 4 {
			s.busy += v
		}
	}
	return s, nil
}

// CPUBusy reports whether more than busyCPUFraction of this machine's CPU time was busy over the
// last busyCPUWindow: since the newest earlier reading at least that old, or the oldest one there
// is (the first call samples one second).
func CPUBusy() (bool, string) {
	now, err := readCPU()
	if err != nil {
		return false, err.Error()
	}
	cpuSamples.Lock()
	defer cpuSamples.Unlock()
	if len(cpuSamples.list) == 0 {
		cpuSamples.list = append(cpuSamples.list, now)
		time.Sleep(time.Second)
		if now, err = readCPU(); err != nil {
			return false, err.Error()
		}
	}
	since := cpuSamples.list[0]
	for _, s := range cpuSamples.list {
		if now.at.Sub(s.at) >= busyCPUWindow {
			since = s
		}
	}
	cpuSamples.list = append(cpuSamples.list, now)
	for len(cpuSamples.list) > 1 && now.at.Sub(cpuSamples.list[1].at) >= busyCPUWindow {
		cpuSamples.list = cpuSamples.list[1:]
	}
	if now.total == since.total {
		return false, "no CPU time passed"
	}
	busy := float64(now.busy-since.busy) / float64(now.total-since.total)
	return busy > busyCPUFraction, fmt.Sprintf("CPU time %.0f%% busy over the last %s", 100*busy, now.at.Sub(since.at).Round(time.Second))
}
