package kube

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// Cluster networking of the one-node cluster.
const (
	// NodeName is the one node's name.
	NodeName = "node-0"
	// PodCIDR is the pods' range on the node's bridge; ClusterCIDR the cluster's.
	PodCIDR     = "10.244.0.0/24"
	ClusterCIDR = "10.244.0.0/16"
	// ClusterDNS is the cluster DNS Service's address, in the Service range.
	ClusterDNS    = "10.96.0.10"
	ClusterDomain = "cluster.local"
	// bridgeName is the CNI bridge on the host.
	bridgeName = "cni0"
)

// NodeTools are the node's binaries: Debian's containerd, ctr, runc and CNI plugins, and
// kube-router, which enforces NetworkPolicies.
type NodeTools struct {
	Containerd, Ctr, Runc, CNIBinDir string
	KubeRouter                       string
}

// Node is the one node of the cluster: containerd (its runc behind the oom_score_adj wrapper), the
// CNI bridge, the kubelet, kube-proxy and kube-router's NetworkPolicy firewall, all in dir, stopped
// and cleaned up by Stop.
type Node struct {
	Dir string
	// Socket is containerd's socket; the kubelet and ctr talk to it.
	Socket string
	tools  NodeTools
	procs  *procs.Processes
}

// HostIP is the address the API server advertises and pods reach the host at: the machine's
// first global IPv4 address (pods reach it through the bridge's gateway).
func HostIP() (string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 || iface.Name == bridgeName || strings.HasPrefix(iface.Name, "veth") {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok && ipnet.IP.To4() != nil && ipnet.IP.IsGlobalUnicast() {
				return ipnet.IP.String(), nil
			}
		}
	}
	return "", errors.New("no global IPv4 address on this machine for the API server to advertise")
}

// CheckNodeHost checks what the node needs of the machine: root, overlayfs, bridge netfilter, and
// IP forwarding (which it turns on).
func CheckNodeHost() error {
	if os.Geteuid() != 0 {
		return errors.New("the one-node cluster needs root (containerd, runc, the kubelet and the CNI bridge)")
	}
	fs, err := os.ReadFile("/proc/filesystems")
	if err != nil || !strings.Contains(string(fs), "overlay") {
		return errors.New("the kernel has no overlay filesystem (containerd's snapshotter needs it)")
	}
	// Pods that mount host paths with HostToContainer propagation (the chart's node-exporter mounts
	// / so) need the host's / to be a shared mount, as systemd makes it at boot.
	if err := syscall.Mount("", "/", "", syscall.MS_SHARED|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("make / a shared mount: %w", err)
	}
	// What a killed run left: the bridge and the kubelet's and kube-proxy's iptables rules.
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		if out, err := exec.Command("ip", "link", "delete", bridgeName).CombinedOutput(); err != nil {
			return fmt.Errorf("remove the bridge a previous run left: %w: %s", err, out)
		}
	}
	if errs := append(RemoveKubeIptables(), removeKubeRouterIPSets()...); len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, sysctl := range []string{"net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables"} {
		if err := os.WriteFile("/proc/sys/"+sysctl, []byte("1"), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=1: %w (kube-proxy's Services need it)", strings.ReplaceAll(sysctl, "/", "."), err)
		}
	}
	return nil
}

// NodeOptions configure the node.
type NodeOptions struct {
	Tools NodeTools
	// RuncWrapper is the built tests/internal/runcoomclamp, which containerd runs as runc.
	RuncWrapper string
	// Images are imported into containerd before the kubelet starts; PauseImage (one of them) is
	// every pod's sandbox.
	Images     []Image
	PauseImage string
}

// StartNode starts containerd and imports the images, then starts the kubelet, kube-proxy and
// kube-router against the control plane, and waits until the node is Ready.
func StartNode(ctx context.Context, dir string, cp *ControlPlane, tools toolenv.Tools, opts NodeOptions, procs *procs.Processes, ports *procs.Ports) (*Node, error) {
	n := &Node{Dir: dir, tools: opts.Tools, procs: procs, Socket: filepath.Join(dir, "containerd", "containerd.sock")}
	for _, d := range []string{"containerd/root", "containerd/state", "cni/conf", "cni/ipam", "kubelet", "pki"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := n.writeCNIConfig(); err != nil {
		return nil, err
	}
	if err := n.startContainerd(ctx, opts.RuncWrapper, opts.PauseImage); err != nil {
		return nil, err
	}
	if err := ImportImages(ctx, n.tools.Ctr, n.Socket, filepath.Join(dir, "images"), opts.Images); err != nil {
		return nil, err
	}
	if err := isolatePods(); err != nil {
		return nil, err
	}
	if err := n.startKubelet(ctx, cp, tools, ports); err != nil {
		return nil, err
	}
	if err := n.startKubeProxy(ctx, cp, tools, ports); err != nil {
		return nil, err
	}
	if err := n.startKubeRouter(ctx, cp, ports); err != nil {
		return nil, err
	}
	return n, n.waitReady(ctx, cp)
}

func (n *Node) startContainerd(ctx context.Context, runcWrapper, pauseImage string) error {
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %q
        Root = %q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
`, filepath.Join(n.Dir, "containerd", "root"), filepath.Join(n.Dir, "containerd", "state"), n.Socket, pauseImage,
		runcWrapper, filepath.Join(n.Dir, "containerd", "runc"), n.tools.CNIBinDir, filepath.Join(n.Dir, "cni", "conf"))
	file := filepath.Join(n.Dir, "containerd", "config.toml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return err
	}
	p, err := n.procs.Start("containerd", n.tools.Containerd, []string{"--config", file, "--log-level", "warn"},
		[]string{RuncWrapperRealEnv + "=" + n.tools.Runc}, "")
	if err != nil {
		return err
	}
	return p.WaitUntil(ctx, time.Minute, func() error {
		_, err := procs.Run(ctx, n.tools.Ctr, "--address", n.Socket, "version")
		return err
	})
}

// RuncWrapperRealEnv names the real runc for the wrapper containerd runs instead of it.
const RuncWrapperRealEnv = "RUNC_OOMCLAMP_REAL_RUNC"

func (n *Node) writeCNIConfig() error {
	conf := fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": %q,
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": %q,
        "ranges": [[{"subnet": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, bridgeName, filepath.Join(n.Dir, "cni", "ipam"), PodCIDR)
	return os.WriteFile(filepath.Join(n.Dir, "cni", "conf", "10-pods.conflist"), []byte(conf), 0o644)
}

func (n *Node) startKubelet(ctx context.Context, cp *ControlPlane, tools toolenv.Tools, ports *procs.Ports) error {
	hostIP, err := HostIP()
	if err != nil {
		return err
	}
	certFile, keyFile, err := cp.IssueCertificate(filepath.Join(n.Dir, "pki"), "kubelet", []string{NodeName}, hostIP)
	if err != nil {
		return err
	}
	kubeconfig, err := cp.UserKubeconfig(filepath.Join(n.Dir, "kubelet"), "system:node:"+NodeName)
	if err != nil {
		return err
	}
	healthz, err := ports.Port()
	if err != nil {
		return err
	}
	config := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://%s
clusterDNS: [%s]
clusterDomain: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization: {mode: Webhook}
tlsCertFile: %s
tlsPrivateKeyFile: %s
healthzBindAddress: 127.0.0.1
healthzPort: %d
failSwapOn: false
resolvConf: /etc/resolv.conf
podLogsDir: %s
serializeImagePulls: false
# The node's disk is shared with the test machine: evict only when it is really full.
evictionHard: {nodefs.available: "1%%", imagefs.available: "1%%", memory.available: "100Mi"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`, n.Socket, ClusterDNS, ClusterDomain, cp.pki.caFile, certFile, keyFile, healthz, filepath.Join(n.Dir, "pod-logs"))
	file := filepath.Join(n.Dir, "kubelet", "config.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return err
	}
	p, err := n.procs.Start("kubelet", tools.Kubernetes("kubelet"), []string{
		"--config=" + file,
		"--kubeconfig=" + kubeconfig,
		"--hostname-override=" + NodeName,
		"--node-ip=" + hostIP,
		"--root-dir=" + filepath.Join(n.Dir, "kubelet", "root"),
		"--cert-dir=" + filepath.Join(n.Dir, "kubelet", "pki"),
		"--v=1",
	}, nil, fmt.Sprintf("http://127.0.0.1:%d/healthz", healthz))
	if err != nil {
		return err
	}
	return p.WaitReady(ctx, 2*time.Minute)
}

func (n *Node) startKubeProxy(ctx context.Context, cp *ControlPlane, tools toolenv.Tools, ports *procs.Ports) error {
	kubeconfig, err := cp.UserKubeconfig(filepath.Join(n.Dir, "kube-proxy"), "system:kube-proxy")
	if err != nil {
		return err
	}
	healthz, err := ports.Port()
	if err != nil {
		return err
	}
	metrics, err := ports.Port()
	if err != nil {
		return err
	}
	config := fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: %s
hostnameOverride: %s
clientConnection: {kubeconfig: %s}
healthzBindAddress: 127.0.0.1:%d
metricsBindAddress: 127.0.0.1:%d
conntrack: {maxPerCore: 0}
`, ClusterCIDR, NodeName, kubeconfig, healthz, metrics)
	file := filepath.Join(n.Dir, "kube-proxy", "config.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return err
	}
	p, err := n.procs.Start("kube-proxy", tools.Kubernetes("kube-proxy"), []string{"--config=" + file, "--v=1"}, nil,
		fmt.Sprintf("http://127.0.0.1:%d/healthz", healthz))
	if err != nil {
		return err
	}
	return p.WaitReady(ctx, time.Minute)
}

// startKubeRouter runs kube-router as its firewall-only DaemonSet does
// (daemonset/kube-router-firewall-daemonset.yaml of the pinned version: no routing, no service
// proxy), on the host like the kubelet: it enforces NetworkPolicies with iptables and ipsets on the
// bridge's traffic, which the bridge CNI alone does not. Its credentials are the admin's: what is
// under test is the policies it enforces, not its RBAC.
func (n *Node) startKubeRouter(ctx context.Context, cp *ControlPlane, ports *procs.Ports) error {
	kubeconfig, err := cp.UserKubeconfig(filepath.Join(n.Dir, "kube-router"), "admin")
	if err != nil {
		return err
	}
	health, err := ports.Port()
	if err != nil {
		return err
	}
	p, err := n.procs.Start("kube-router", n.tools.KubeRouter, []string{
		"--run-router=false",
		"--run-firewall=true",
		"--run-service-proxy=false",
		"--enable-cni=false", // the bridge CNI stays
		"--kubeconfig=" + kubeconfig,
		"--hostname-override=" + NodeName,
		"--service-cluster-ip-range=" + cp.ServiceCIDR,
		fmt.Sprintf("--health-port=%d", health),
		"--v=1",
	}, nil, fmt.Sprintf("http://127.0.0.1:%d/healthz", health))
	if err != nil {
		return err
	}
	return p.WaitReady(ctx, time.Minute)
}

func (n *Node) waitReady(ctx context.Context, cp *ControlPlane) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		node, found, err := cp.Client.Get(ctx, "/api/v1/nodes/"+NodeName)
		if err == nil && found {
			for _, c := range objects.List(node, "status", "conditions") {
				if objects.Str(c, "type") == "Ready" && objects.Str(c, "status") == "True" {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s not Ready after 2 minutes (found %v, %v): %v", NodeName, found, err, objects.List(node, "status", "conditions"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Stop stops kube-router, the kubelet and kube-proxy, every container and sandbox, and containerd,
// then removes what they left on the host: mounts under the node's directory, kube-proxy's and
// kube-router's iptables rules and ipsets, the CNI bridge and its veths.
func (n *Node) Stop(ctx context.Context, tools toolenv.Tools) []error {
	var errs []error
	for _, name := range []string{"kube-router", "kube-proxy", "kubelet"} {
		for _, p := range n.procs.All() {
			if p.Name == name {
				p.Stop()
			}
		}
	}
	// Every container and sandbox: kill, wait, delete (containerd keeps running for it).
	if out, err := procs.Run(ctx, n.tools.Ctr, "--address", n.Socket, "--namespace", "k8s.io", "tasks", "list", "--quiet"); err == nil {
		for _, id := range strings.Fields(out) {
			_, _ = procs.Run(ctx, n.tools.Ctr, "--address", n.Socket, "--namespace", "k8s.io", "tasks", "kill", "--signal", "SIGKILL", id)
		}
		time.Sleep(2 * time.Second)
		for _, id := range strings.Fields(out) {
			_, _ = procs.Run(ctx, n.tools.Ctr, "--address", n.Socket, "--namespace", "k8s.io", "tasks", "delete", "--force", id)
		}
	}
	if out, err := procs.Run(ctx, n.tools.Ctr, "--address", n.Socket, "--namespace", "k8s.io", "containers", "list", "--quiet"); err == nil {
		for _, id := range strings.Fields(out) {
			_, _ = procs.Run(ctx, n.tools.Ctr, "--address", n.Socket, "--namespace", "k8s.io", "containers", "delete", id)
		}
	}
	for _, p := range n.procs.All() {
		if p.Name == "containerd" {
			p.Stop()
		}
	}
	// Shims outlive containerd by design; none may outlive the node.
	if out, err := exec.Command("pgrep", "-f", "containerd-shim.*"+n.Dir).Output(); err == nil {
		for _, pid := range strings.Fields(string(out)) {
			_ = exec.Command("kill", "-9", pid).Run()
		}
	}
	errs = append(errs, UnmountUnder(n.Dir)...)
	// The kubelet links every container's log into /var/log/containers, whatever its podLogsDir.
	if links, err := filepath.Glob("/var/log/containers/*.log"); err == nil {
		for _, l := range links {
			if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, n.Dir+"/") {
				os.Remove(l)
			}
		}
	}
	if out, err := procs.Run(ctx, tools.Kubernetes("kube-proxy"), "--cleanup"); err != nil {
		errs = append(errs, fmt.Errorf("kube-proxy --cleanup: %w: %s", err, out))
	}
	// Not kube-router --cleanup-config: v2.1.0's cleans up its service proxy too, which never ran
	// here, and panics doing so. Its firewall's chains are KUBE-*; its ipsets go after them.
	errs = append(errs, RemoveKubeIptables()...)
	errs = append(errs, removeKubeRouterIPSets()...)
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		if out, err := exec.Command("ip", "link", "delete", bridgeName).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip link delete %s: %w: %s", bridgeName, err, out))
		}
	}
	return errs
}

// RemoveLeftoverNodes removes what runs that died without their teardown (killed, or a test that
// panicked: Go then skips TestMain's deferred calls) left in the directories matching glob:
// containerd's shims and the containers they keep, every mount under the directories, and the
// directories. Only one cluster runs on a machine at a time (CheckNodeHost takes the bridge and the
// KUBE-* iptables chains), so any such directory belongs to a dead run.
func RemoveLeftoverNodes(glob string) []error {
	dirs, err := filepath.Glob(glob)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, dir := range dirs {
		if out, err := exec.Command("pgrep", "-f", "containerd-shim.*"+dir+"/").Output(); err == nil {
			for _, pid := range strings.Fields(string(out)) {
				_ = exec.Command("kill", "-9", pid).Run()
			}
		}
		errs = append(errs, UnmountUnder(dir)...)
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if links, err := filepath.Glob("/var/log/containers/*.log"); err == nil {
		for _, l := range links {
			if _, err := os.Stat(l); errors.Is(err, os.ErrNotExist) {
				os.Remove(l) // dangling: its pod's log directory went with its run
			}
		}
	}
	return errs
}

// UnmountUnder unmounts every mount point under dir, deepest first (secret and projected volumes,
// overlay root filesystems, sandboxes' network namespaces).
func UnmountUnder(dir string) []error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return []error{err}
	}
	defer f.Close()
	var points []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			points = append(points, fields[4])
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errs
}

// HTTPGetOK is a readiness check: GET url answers 200.
func HTTPGetOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// RemoveKubeIptables removes the KUBE-* chains the kubelet leaves (KUBE-FIREWALL,
// KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT; kube-proxy --cleanup removes its own), the rules jumping
// to them, and the harness's own isolation rules, from every table of iptables and ip6tables.
func RemoveKubeIptables() []error {
	var errs []error
	for _, cmd := range []string{"iptables", "ip6tables"} {
		if _, err := exec.LookPath(cmd); err != nil {
			continue
		}
		for _, table := range []string{"filter", "nat", "mangle"} {
			out, err := exec.Command(cmd, "-t", table, "-S").Output()
			if err != nil {
				continue
			}
			var chains []string
			for _, line := range strings.Split(string(out), "\n") {
				fields := splitRule(line)
				switch {
				case len(fields) == 2 && fields[0] == "-N" && strings.HasPrefix(fields[1], "KUBE-"):
					chains = append(chains, fields[1])
				case len(fields) > 3 && fields[0] == "-A" && !strings.HasPrefix(fields[1], "KUBE-") &&
					(strings.Contains(line, " -j KUBE-") || strings.Contains(line, isolationComment)):
					args := append([]string{"-t", table, "-D"}, fields[1:]...)
					if out, err := exec.Command(cmd, args...).CombinedOutput(); err != nil {
						errs = append(errs, fmt.Errorf("%s %v: %w: %s", cmd, args, err, out))
					}
				}
			}
			for _, chain := range chains {
				_ = exec.Command(cmd, "-t", table, "-F", chain).Run()
			}
			for _, chain := range chains {
				if out, err := exec.Command(cmd, "-t", table, "-X", chain).CombinedOutput(); err != nil {
					errs = append(errs, fmt.Errorf("%s -t %s -X %s: %w: %s", cmd, table, chain, err, out))
				}
			}
		}
	}
	return errs
}

// removeKubeRouterIPSets destroys the ipsets kube-router's firewall made (KUBE-SRC-*, KUBE-DST-*
// and its kube-router-* sets); the iptables rules that use them must be gone first.
func removeKubeRouterIPSets() []error {
	if _, err := exec.LookPath("ipset"); err != nil {
		return nil
	}
	out, err := exec.Command("ipset", "list", "-n").Output()
	if err != nil {
		return []error{fmt.Errorf("ipset list -n: %w", err)}
	}
	var errs []error
	for _, set := range strings.Fields(string(out)) {
		if !strings.HasPrefix(set, "KUBE-") && !strings.HasPrefix(set, "kube-router-") {
			continue
		}
		if out, err := exec.Command("ipset", "destroy", set).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ipset destroy %s: %w: %s", set, err, out))
		}
	}
	return errs
}

// splitRule splits a line of `iptables -S` into its words, a double-quoted comment being one.
func splitRule(line string) []string {
	var out []string
	var word strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				out = append(out, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, word.String())
	}
	return out
}

// isolationComment marks the harness's own iptables rules, so Stop finds them.
const isolationComment = "prometheus-thanos test node: keep traffic on this machine"

// isolatePods keeps all cluster traffic on this machine: pods may reach each other, Services and
// the host, nothing beyond it (there is no masquerading either), and a Service address that
// kube-proxy has not programmed yet is unreachable instead of leaving through the default route.
func isolatePods() error {
	for _, args := range [][]string{
		{"-I", "FORWARD", "-s", PodCIDR, "!", "-d", ClusterCIDR, "-m", "comment", "--comment", isolationComment, "-j", "REJECT"},
		{"-I", "OUTPUT", "-d", "10.96.0.0/16", "-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", isolationComment, "-j", "REJECT"},
	} {
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("iptables %v: %w: %s", args, err, out)
		}
	}
	return nil
}
