//go:build e2e

package loopback

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/promapi"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// CheckThanosBuild checks that the Thanos binary was built the way Thanos releases are: with the
// "slicelabels" build tag (.promu.yml of Thanos v0.42.4 builds with tags netgo and slicelabels).
// Thanos's labelpb converts Prometheus label sets to protobuf labels through unsafe casts that
// assume Prometheus's slice-based labels; built without the tag, Prometheus's default string-based
// labels make the gRPC StoreAPI panic on its first Info call ("index out of range [64] with length
// 63" in grpc's buffer pool, from a negative message size).
func CheckThanosBuild(path string) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range info.Settings {
		if s.Key == "-tags" && slices.Contains(strings.Split(s.Value, ","), "slicelabels") {
			return nil
		}
	}
	return fmt.Errorf("%s was built without -tags slicelabels (Thanos's release builds use -tags netgo,slicelabels): its StoreAPI panics on the first gRPC call; rebuild it with those tags", path)
}

// Component is one running process of the deployment.
type Component struct {
	Name string
	Site *harness.Site
	// Generated are the container's arguments as generated; Args the command line that ran.
	Generated, Args []string
	Proc            *procs.Process
}

// Replica is one Prometheus pod: Prometheus and its Thanos sidecar over one TSDB directory.
type Replica struct {
	Index      int
	Pod        PrometheusPod
	TSDBDir    string
	Prometheus *Component
	Sidecar    *Component
}

// Labels are the replica's external labels.
func (r *Replica) Labels() map[string]string { return r.Pod.ExternalLabels() }

// Stop stops the pod: Prometheus and its sidecar.
func (r *Replica) Stop() {
	r.Sidecar.Proc.Stop()
	r.Prometheus.Proc.Stop()
}

// Loopback is the whole deployment on loopback, run from what the program, the chart and the
// operator generated (Generated), changed only by harness.Substitutions.
type Loopback struct {
	Tools toolenv.Tools
	D     *Generated
	Dir   string
	Procs *procs.Processes
	Ports *procs.Ports
	MinIO *harness.MinIO

	// ObjstoreFile holds the objstore Secret's config, for the test's own uploads.
	ObjstoreFile string

	Replicas []*Replica
	Stores   []*Component
	Queriers []*Component
	// QueryFrontends query the first querier.
	QueryFrontends []*Component
	Compactor      *Component
}

// NewLoopback prepares the deployment d on loopback; components start with StartAll.
func NewLoopback(tools toolenv.Tools, d *Generated, minio *harness.MinIO, procs *procs.Processes, ports *procs.Ports, dir string) (*Loopback, error) {
	c := &Loopback{Tools: tools, D: d, Dir: dir, Procs: procs, Ports: ports, MinIO: minio}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c.ObjstoreFile = filepath.Join(dir, components.ObjstoreSecretKey)
	return c, os.WriteFile(c.ObjstoreFile, []byte(d.ObjstoreYAML), 0o600)
}

func (c *Loopback) site(name string, grpc bool) (*harness.Site, error) {
	s := &harness.Site{Dir: filepath.Join(c.Dir, name), ObjstoreFile: filepath.Join(c.Dir, name, "objstore", components.ObjstoreSecretKey)}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	var err error
	if s.HTTPAddr, err = c.Ports.Addr(); err != nil {
		return nil, err
	}
	if grpc {
		if s.GRPCAddr, err = c.Ports.Addr(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// StartAll starts the Prometheus pods with their sidecars, the store gateways and the queriers, in
// the generated replica counts, and waits for each to be ready.
func (c *Loopback) StartAll(ctx context.Context, logf func(string, ...any)) error {
	d := c.D
	// Addresses first: Prometheus scrapes every component, the querier needs every StoreAPI. The
	// scrape jobs carry the job labels kubernetes_sd would give them.
	targets := map[string][]string{}
	for i, pod := range d.Prometheus.Pods {
		r := &Replica{Index: i, Pod: pod, TSDBDir: filepath.Join(c.Dir, pod.Name, "prometheus")}
		p, err := c.site(pod.Name, false)
		if err != nil {
			return err
		}
		s, err := c.site(pod.Name+"-sidecar", true)
		if err != nil {
			return err
		}
		p.TSDBDir, s.TSDBDir, s.PrometheusAddr = r.TSDBDir, r.TSDBDir, p.HTTPAddr
		r.Prometheus = &Component{Name: pod.Name, Site: p, Generated: pod.Prometheus.Args}
		r.Sidecar = &Component{Name: pod.Name + "-sidecar", Site: s, Generated: pod.Sidecar.Args}
		c.Replicas = append(c.Replicas, r)
		targets[d.Prometheus.Service] = append(targets[d.Prometheus.Service], p.HTTPAddr)
		sidecarJob := d.Namespace + "/" + components.SidecarPodMonitorName
		targets[sidecarJob] = append(targets[sidecarJob], s.HTTPAddr)
	}
	for i := range d.Store.Replicas {
		s, err := c.site(fmt.Sprintf("%s-%d", d.Store.Name, i), true)
		if err != nil {
			return err
		}
		c.Stores = append(c.Stores, &Component{Name: fmt.Sprintf("%s-%d", d.Store.Name, i), Site: s, Generated: d.Store.Container.Args})
		targets[d.Store.Name] = append(targets[d.Store.Name], s.HTTPAddr)
	}
	var storeAPIs []string
	for _, r := range c.Replicas {
		storeAPIs = append(storeAPIs, r.Sidecar.Site.GRPCAddr)
	}
	for _, s := range c.Stores {
		storeAPIs = append(storeAPIs, s.Site.GRPCAddr)
	}
	for i := range d.Query.Replicas {
		s, err := c.site(fmt.Sprintf("%s-%d", d.Query.Name, i), true)
		if err != nil {
			return err
		}
		s.StoreAPIs = storeAPIs
		c.Queriers = append(c.Queriers, &Component{Name: fmt.Sprintf("%s-%d", d.Query.Name, i), Site: s, Generated: d.Query.Container.Args})
		targets[d.Query.Name] = append(targets[d.Query.Name], s.HTTPAddr)
	}

	for i := range d.QueryFrontend.Replicas {
		name := fmt.Sprintf("%s-%d", d.QueryFrontend.Name, i)
		s, err := c.site(name, false)
		if err != nil {
			return err
		}
		s.QuerierAddr = c.Queriers[0].Site.HTTPAddr
		c.QueryFrontends = append(c.QueryFrontends, &Component{Name: name, Site: s, Generated: d.QueryFrontend.Container.Args})
		targets[d.QueryFrontend.Name] = append(targets[d.QueryFrontend.Name], s.HTTPAddr)
	}

	for _, r := range c.Replicas {
		r.Prometheus.Site.ScrapeTargets = targets
		if err := c.startPrometheus(r); err != nil {
			return err
		}
	}
	for _, r := range c.Replicas {
		if err := c.startThanos(r.Sidecar, harness.SidecarFlags, r.Pod.Files); err != nil {
			return err
		}
	}
	for _, s := range c.Stores {
		if err := c.startThanos(s, harness.StoreGatewayFlags, d.Store.Files); err != nil {
			return err
		}
	}
	for _, q := range c.Queriers {
		if err := c.startThanos(q, harness.QuerierFlags, d.Query.Files); err != nil {
			return err
		}
	}
	for _, f := range c.QueryFrontends {
		if err := c.startThanos(f, harness.QueryFrontendFlags, d.QueryFrontend.Files); err != nil {
			return err
		}
	}
	for _, comp := range c.Components() {
		start := time.Now()
		if err := comp.Proc.WaitReady(ctx, 2*time.Minute); err != nil {
			return err
		}
		logf("%s ready at http://%s (waited %v)", comp.Name, comp.Site.HTTPAddr, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// Components are every started component except MinIO, in start order.
func (c *Loopback) Components() []*Component {
	var out []*Component
	for _, r := range c.Replicas {
		out = append(out, r.Prometheus)
	}
	for _, r := range c.Replicas {
		out = append(out, r.Sidecar)
	}
	out = append(out, c.Stores...)
	out = append(out, c.Queriers...)
	out = append(out, c.QueryFrontends...)
	if c.Compactor != nil {
		out = append(out, c.Compactor)
	}
	return out
}

// startPrometheus starts a pod's Prometheus with the operator's arguments, the configuration the
// config reloader wrote for the pod, and the files of the pod's volumes.
func (c *Loopback) startPrometheus(r *Replica) error {
	comp := r.Prometheus
	args, err := harness.ApplyFlags(harness.PrometheusFlags, comp.Site, comp.Generated)
	if err != nil {
		return err
	}
	// The rule files reach Prometheus through the reloader's watched directory.
	reloaderArgs, err := harness.ApplyFlags(harness.ReloaderFlags, comp.Site, r.Pod.Reloader.Args)
	if err != nil {
		return err
	}
	for _, files := range [][2][]string{{comp.Generated, args}, {r.Pod.Reloader.Args, reloaderArgs}} {
		if err := WriteMountedFiles(files[0], files[1], r.Pod.Files); err != nil {
			return err
		}
	}
	cfg, err := deepCopy(r.Pod.Config)
	if err != nil {
		return err
	}
	if err := harness.ApplyPrometheusConfig(cfg, comp.Site); err != nil {
		return err
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(FlagValue(args, "config.file"), raw, 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(r.TSDBDir, 0o755); err != nil {
		return err
	}
	comp.Args = args
	comp.Proc, err = c.Procs.Start(comp.Name, c.Tools.Prometheus, args, nil, "http://"+comp.Site.HTTPAddr+"/-/ready")
	return err
}

// startThanos starts a Thanos component: its generated subcommand and flags, substituted (by each
// target's rows in turn), with the files of its volumes.
func (c *Loopback) startThanos(comp *Component, target harness.Target, files map[string][]byte, more ...harness.Target) error {
	return c.startThanosIn(comp, nil, target, files, more...)
}

// launcher runs a Thanos command line inside something (a private mount namespace): it returns the
// program to start and its arguments.
type launcher func(thanos string, args []string) (string, []string)

// startThanosIn is startThanos with the command line run by launch (nil: as it is).
func (c *Loopback) startThanosIn(comp *Component, launch launcher, target harness.Target, files map[string][]byte, more ...harness.Target) error {
	if len(comp.Generated) == 0 {
		return fmt.Errorf("%s has no arguments", comp.Name)
	}
	subcommand := comp.Generated[0]
	args := comp.Generated[1:]
	for _, t := range append([]harness.Target{target}, more...) {
		var err error
		if args, err = harness.ApplyFlags(t, comp.Site, args); err != nil {
			return err
		}
	}
	if err := WriteMountedFiles(comp.Generated[1:], args, files); err != nil {
		return err
	}
	comp.Args = append([]string{subcommand}, args...)
	bin, binArgs := c.Tools.Thanos, comp.Args
	if launch != nil {
		bin, binArgs = launch(bin, binArgs)
	}
	var err error
	comp.Proc, err = c.Procs.Start(comp.Name, bin, binArgs, nil, "http://"+comp.Site.HTTPAddr+"/-/ready")
	return err
}

// StartCompactor starts the compactor and waits for it to be ready; it becomes c.Compactor.
func (c *Loopback) StartCompactor(ctx context.Context) error {
	return c.startCompactor(ctx, c.D.Compact.Name)
}

// StartDedupCompactor starts a compactor with deduplication on (harness.CompactDedupFlags) in place
// of the running one; it becomes c.Compactor.
func (c *Loopback) StartDedupCompactor(ctx context.Context) error {
	return c.startCompactor(ctx, c.D.Compact.Name+"-dedup", harness.CompactDedupFlags)
}

// startCompactor stops the running compactor, if any (one compactor per bucket, always), starts one
// from the generated flags with the CompactorFlags substitutions and those of more, and waits for it
// to be ready.
func (c *Loopback) startCompactor(ctx context.Context, name string, more ...harness.Target) error {
	if c.Compactor != nil {
		c.Compactor.Proc.Stop()
	}
	s, err := c.site(name, false)
	if err != nil {
		return err
	}
	c.Compactor = &Component{Name: name, Site: s, Generated: c.D.Compact.Container.Args}
	if err := c.startThanos(c.Compactor, harness.CompactorFlags, c.D.Compact.Files, more...); err != nil {
		return err
	}
	return c.Compactor.Proc.WaitReady(ctx, 2*time.Minute)
}

// WaitIteration waits until a compactor has completed one iteration over the bucket (compaction,
// both downsampling passes, retention), polling its metrics; an exit or a halt is an error.
func (c *Component) WaitIteration(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if exited, err := c.Proc.Exited(); exited {
			return fmt.Errorf("%s exited: %v\n%s", c.Name, err, c.Proc.Tail(30))
		}
		if halted, _, _ := promapi.Metric(ctx, c.Site.HTTPAddr, "thanos_compact_halted"); halted > 0 {
			return fmt.Errorf("%s halted:\n%s", c.Name, c.Proc.Tail(30))
		}
		if n, _, err := promapi.Metric(ctx, c.Site.HTTPAddr, "thanos_compact_iterations_total"); err == nil && n >= 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: no iteration done after %v", c.Name, timeout)
		case <-time.After(time.Second):
		}
	}
}

// StartLimitedStore starts one more store gateway from the generated flags with the limits step's
// substitutions (StoreLimitFlags), and a querier whose only StoreAPI it is; it returns the querier
// once it sees the store gateway. Both are stopped with the cluster.
func (c *Loopback) StartLimitedStore(ctx context.Context) (store, querier *Component, err error) {
	return c.StartStoreAndQuerier(ctx, "limited", harness.StoreLimitFlags)
}

// StartStoreAndQuerier starts one more store gateway from the generated flags (the StoreGatewayFlags
// substitutions, then those of more), and a querier whose only StoreAPI it is, both named with
// suffix (unique per cluster); it returns them once the querier sees the store gateway. Both are
// stopped with the cluster.
func (c *Loopback) StartStoreAndQuerier(ctx context.Context, suffix string, more ...harness.Target) (store, querier *Component, err error) {
	return c.startStoreAndQuerier(ctx, suffix, nil, more...)
}

// StartStoreOnTmpfs is StartStoreAndQuerier for a store gateway whose --data-dir (its volume in a
// pod) is a tmpfs of size bytes, mounted in a mount namespace of its own, so that its volume fills
// up as a small volume does: `unshare --user --map-root-user --mount` (util-linux; a user namespace
// lets it mount without privileges), then `mount -t tmpfs`, then the store gateway's command line.
func (c *Loopback) StartStoreOnTmpfs(ctx context.Context, suffix string, size int64) (store, querier *Component, err error) {
	launch := func(thanos string, args []string) (string, []string) {
		dataDir := FlagValue(args, "data-dir")
		script := fmt.Sprintf(`mkdir -p %q && mount -t tmpfs -o size=%d tmpfs %q && exec "$0" "$@"`, dataDir, size, dataDir)
		return "unshare", append([]string{"--user", "--map-root-user", "--mount", "sh", "-c", script, thanos}, args...)
	}
	return c.startStoreAndQuerier(ctx, suffix, launch)
}

func (c *Loopback) startStoreAndQuerier(ctx context.Context, suffix string, launch launcher, more ...harness.Target) (store, querier *Component, err error) {
	name := c.D.Store.Name + "-" + suffix
	s, err := c.site(name, true)
	if err != nil {
		return nil, nil, err
	}
	store = &Component{Name: name, Site: s, Generated: c.D.Store.Container.Args}
	if err := c.startThanosIn(store, launch, harness.StoreGatewayFlags, c.D.Store.Files, more...); err != nil {
		return nil, nil, err
	}
	q, err := c.site(c.D.Query.Name+"-"+suffix, true)
	if err != nil {
		return nil, nil, err
	}
	q.StoreAPIs = []string{s.GRPCAddr}
	querier = &Component{Name: c.D.Query.Name + "-" + suffix, Site: q, Generated: c.D.Query.Container.Args}
	if err := c.startThanos(querier, harness.QuerierFlags, c.D.Query.Files); err != nil {
		return nil, nil, err
	}
	for _, comp := range []*Component{store, querier} {
		if err := comp.Proc.WaitReady(ctx, 2*time.Minute); err != nil {
			return nil, nil, err
		}
	}
	return store, querier, WaitForStores(ctx, querier, 1, time.Minute)
}

// WaitForStores waits until a querier reports n healthy StoreAPIs.
func WaitForStores(ctx context.Context, q *Component, n int, timeout time.Duration) error {
	api := &promapi.PromAPI{Addr: q.Site.HTTPAddr}
	deadline := time.Now().Add(timeout)
	var last string
	for {
		var stores map[string][]struct {
			Name      string          `json:"name"`
			LastError json.RawMessage `json:"lastError"`
		}
		err := api.Get(ctx, "/api/v1/stores", &stores)
		healthy := 0
		var names []string
		if err == nil {
			for _, list := range stores {
				for _, s := range list {
					if len(s.LastError) == 0 || string(s.LastError) == "null" {
						healthy++
						names = append(names, s.Name)
					}
				}
			}
			if healthy >= n {
				return nil
			}
			last = fmt.Sprintf("%d healthy: %v", healthy, names)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s sees %s, want %d StoreAPIs", q.Name, last, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// HiddenFlags are flags the pinned binaries accept but leave out of --help (kingpin's Hidden()):
// the flag check below accepts them only by name, and the process starting proves the binary knows them.
var HiddenFlags = map[string][]string{
	// thanos cmd/thanos/config.go, shipperConfig.registerFlag: Hidden().
	"sidecar": {"shipper.ignore-unequal-block-size"},
	// prometheus cmd/prometheus/main.go (v3.14.0): Hidden() "for use in testing", and two hidden
	// flags prometheus-operator passes.
	"prometheus": {"storage.tsdb.min-block-duration", "storage.tsdb.max-block-duration",
		"storage.tsdb.wal-compression", "storage.tsdb.allow-overlapping-compaction"},
}

// CheckFlagsKnown runs `<bin> [subcommand] --help` and checks that every flag's name is listed.
func CheckFlagsKnown(ctx context.Context, bin, subcommand string, flags []string) error {
	args := []string{"--help"}
	key := "prometheus"
	if subcommand != "" {
		args = []string{subcommand, "--help"}
		key = subcommand
	}
	help, err := procs.Run(ctx, bin, args...)
	if err != nil {
		return err
	}
	var unknown []string
	for _, f := range flags {
		name, _, _ := harness.SplitFlag(f)
		// A boolean flag's negation, --no-<name>, is listed as --[no-]<name>.
		if base, negated := strings.CutPrefix(name, "no-"); negated && !strings.Contains(help, "--"+name) {
			name = base
		}
		re := regexp.MustCompile(`(?m)^\s+--(\[no-\])?` + regexp.QuoteMeta(name) + `(=|\s|$)`)
		if !re.MatchString(help) && !slices.Contains(HiddenFlags[key], name) {
			unknown = append(unknown, "--"+name)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s %s --help does not list %s", filepath.Base(bin), subcommand, strings.Join(unknown, ", "))
	}
	return nil
}

func deepCopy(m map[string]any) (map[string]any, error) {
	raw, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, yaml.Unmarshal(raw, &out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	return keys
}
