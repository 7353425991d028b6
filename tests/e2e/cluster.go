//go:build e2e

package e2e

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Binaries are the real tools, from scripts/build-tools.sh --print-env e2e.
type Binaries struct {
	Thanos, Prometheus, Promtool, MinIO string
}

// BinariesFromEnv reads THANOS_BIN, PROMETHEUS_BIN, PROMTOOL_BIN and MINIO_BIN; it returns the
// names of the unset or unusable ones.
func BinariesFromEnv() (Binaries, []string) {
	b := Binaries{
		Thanos: os.Getenv("THANOS_BIN"), Prometheus: os.Getenv("PROMETHEUS_BIN"),
		Promtool: os.Getenv("PROMTOOL_BIN"), MinIO: os.Getenv("MINIO_BIN"),
	}
	var missing []string
	for _, v := range []struct{ name, path string }{
		{"THANOS_BIN", b.Thanos}, {"PROMETHEUS_BIN", b.Prometheus}, {"PROMTOOL_BIN", b.Promtool}, {"MINIO_BIN", b.MinIO},
	} {
		if st, err := os.Stat(v.path); v.path == "" || err != nil || st.IsDir() {
			missing = append(missing, v.name)
		}
	}
	return b, missing
}

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
	Site *Site
	// Generated are the flags before substitution; Args the command line that ran.
	Generated, Args []string
	Proc            *Process
}

// Replica is one Prometheus pod: Prometheus and its Thanos sidecar over one TSDB directory.
type Replica struct {
	Index      int
	Pod        string
	Labels     map[string]string
	TSDBDir    string
	Prometheus *Component
	Sidecar    *Component
}

// Stop stops the pod: Prometheus and its sidecar.
func (r *Replica) Stop() {
	r.Sidecar.Proc.Stop()
	r.Prometheus.Proc.Stop()
}

// Cluster is the whole deployment on loopback.
type Cluster struct {
	Bins  Binaries
	Plan  *Plan
	Dir   string
	Procs *Processes
	Ports *Ports
	MinIO *MinIO

	ObjstoreFile string
	ObjstoreYAML string

	Replicas  []*Replica
	Stores    []*Component
	Queriers  []*Component
	Compactor *Component
}

// NewCluster starts MinIO and writes the objstore config; components start with StartAll.
func NewCluster(ctx context.Context, bins Binaries, plan *Plan, dir string) (*Cluster, error) {
	c := &Cluster{Bins: bins, Plan: plan, Dir: dir, Procs: &Processes{Dir: dir}, Ports: &Ports{}}
	var err error
	if c.MinIO, err = StartMinIO(ctx, c.Procs, c.Ports, bins.MinIO, plan.Config.Region); err != nil {
		return c, err
	}
	args, err := ObjstoreArgs(plan.Objstore, &Site{S3: c.MinIO.S3})
	if err != nil {
		return c, err
	}
	if c.ObjstoreYAML, err = components.ObjstoreConfigYAML(args); err != nil {
		return c, err
	}
	c.ObjstoreFile = filepath.Join(dir, components.ObjstoreSecretKey)
	return c, os.WriteFile(c.ObjstoreFile, []byte(c.ObjstoreYAML), 0o600)
}

// Stop stops every process.
func (c *Cluster) Stop() { c.Procs.StopAll() }

func (c *Cluster) site(name string, grpc bool) (*Site, error) {
	s := &Site{Dir: filepath.Join(c.Dir, name), S3: c.MinIO.S3, ObjstoreFile: c.ObjstoreFile}
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

// StartAll starts the Prometheus replicas with their sidecars, the store gateways and the
// queriers, in the stack's replica counts, and waits for each to be ready.
func (c *Cluster) StartAll(ctx context.Context, logf func(string, ...any)) error {
	cfg := c.Plan.Config
	// Addresses first: Prometheus scrapes every component, the querier needs every StoreAPI.
	targets := map[string][]string{}
	for i := range c.Plan.Prometheus.Replicas {
		r := &Replica{Index: i, Pod: c.Plan.Prometheus.PodName(i), Labels: c.Plan.Prometheus.ExternalLabels(i)}
		r.TSDBDir = filepath.Join(c.Dir, r.Pod, "prometheus")
		p, err := c.site(r.Pod, false)
		if err != nil {
			return err
		}
		s, err := c.site(r.Pod+"-sidecar", true)
		if err != nil {
			return err
		}
		p.TSDBDir, s.TSDBDir, s.PrometheusAddr = r.TSDBDir, r.TSDBDir, p.HTTPAddr
		r.Prometheus = &Component{Name: r.Pod, Site: p, Generated: c.Plan.Prometheus.PrometheusFlags}
		r.Sidecar = &Component{Name: r.Pod + "-sidecar", Site: s, Generated: c.Plan.Prometheus.SidecarFlags}
		c.Replicas = append(c.Replicas, r)
		targets["prometheus"] = append(targets["prometheus"], p.HTTPAddr)
		targets["thanos-sidecar"] = append(targets["thanos-sidecar"], s.HTTPAddr)
	}
	for i := range cfg.StoreReplicas {
		s, err := c.site(fmt.Sprintf("thanos-store-%d", i), true)
		if err != nil {
			return err
		}
		c.Stores = append(c.Stores, &Component{Name: fmt.Sprintf("thanos-store-%d", i), Site: s, Generated: c.Plan.Store.Flags})
		targets["thanos-store"] = append(targets["thanos-store"], s.HTTPAddr)
	}
	var storeAPIs []string
	for _, r := range c.Replicas {
		storeAPIs = append(storeAPIs, r.Sidecar.Site.GRPCAddr)
	}
	for _, s := range c.Stores {
		storeAPIs = append(storeAPIs, s.Site.GRPCAddr)
	}
	for i := range cfg.QuerierReplicas {
		s, err := c.site(fmt.Sprintf("thanos-query-%d", i), true)
		if err != nil {
			return err
		}
		s.StoreAPIs = storeAPIs
		c.Queriers = append(c.Queriers, &Component{Name: fmt.Sprintf("thanos-query-%d", i), Site: s, Generated: c.Plan.Query.Flags})
		targets["thanos-query"] = append(targets["thanos-query"], s.HTTPAddr)
	}

	for _, r := range c.Replicas {
		r.Prometheus.Site.ScrapeTargets = targets
		if err := c.startPrometheus(r); err != nil {
			return err
		}
	}
	for _, r := range c.Replicas {
		if err := c.startThanos(r.Sidecar, SidecarFlags, "sidecar", map[string]string{"OBJSTORE_CONFIG": c.ObjstoreYAML}); err != nil {
			return err
		}
	}
	for _, s := range c.Stores {
		if err := c.startThanos(s, StoreFlags, c.Plan.Store.Subcommand, nil); err != nil {
			return err
		}
	}
	for _, q := range c.Queriers {
		if err := c.startThanos(q, QueryFlags, c.Plan.Query.Subcommand, nil); err != nil {
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
func (c *Cluster) Components() []*Component {
	var out []*Component
	for _, r := range c.Replicas {
		out = append(out, r.Prometheus)
	}
	for _, r := range c.Replicas {
		out = append(out, r.Sidecar)
	}
	out = append(out, c.Stores...)
	out = append(out, c.Queriers...)
	if c.Compactor != nil {
		out = append(out, c.Compactor)
	}
	return out
}

func (c *Cluster) startPrometheus(r *Replica) error {
	comp := r.Prometheus
	args, err := ApplyFlags(PrometheusFlags, comp.Site, comp.Generated)
	if err != nil {
		return err
	}
	cfg := c.Plan.Prometheus.Config(r.Index)
	if err := ApplyPrometheusConfig(cfg, comp.Site); err != nil {
		return err
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	files := map[string][]byte{"config.file": raw, "web.config.file": nil}
	for _, f := range args {
		name, value, _ := splitFlag(f)
		if content, ok := files[name]; ok {
			if err := os.WriteFile(value, content, 0o644); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(r.TSDBDir, 0o755); err != nil {
		return err
	}
	comp.Args = args
	comp.Proc, err = c.Procs.Start(comp.Name, c.Bins.Prometheus, args, nil, "http://"+comp.Site.HTTPAddr+"/-/ready")
	return err
}

func (c *Cluster) startThanos(comp *Component, target Target, subcommand string, env map[string]string) error {
	args, err := ApplyFlags(target, comp.Site, comp.Generated)
	if err != nil {
		return err
	}
	args = ExpandEnv(args, env)
	for _, f := range args {
		// The sidecar's HTTP client file comes from a Secret the operator writes.
		if name, value, _ := splitFlag(f); target == SidecarFlags && name == "prometheus.http-client-file" {
			if err := os.WriteFile(value, []byte(c.Plan.Prometheus.SidecarHTTPClientConfig), 0o644); err != nil {
				return err
			}
		}
	}
	comp.Args = append([]string{subcommand}, args...)
	comp.Proc, err = c.Procs.Start(comp.Name, c.Bins.Thanos, comp.Args, nil, "http://"+comp.Site.HTTPAddr+"/-/ready")
	return err
}

// StartCompactor starts the compactor (generated flags, substituted) and waits for it to be ready.
func (c *Cluster) StartCompactor(ctx context.Context) error {
	s, err := c.site("thanos-compact", false)
	if err != nil {
		return err
	}
	c.Compactor = &Component{Name: "thanos-compact", Site: s, Generated: c.Plan.Compact.Flags}
	if err := c.startThanos(c.Compactor, CompactFlags, c.Plan.Compact.Subcommand, nil); err != nil {
		return err
	}
	return c.Compactor.Proc.WaitReady(ctx, 2*time.Minute)
}

// WaitForStores waits until a querier reports n healthy StoreAPIs.
func WaitForStores(ctx context.Context, q *Component, n int, timeout time.Duration) error {
	api := &PromAPI{Addr: q.Site.HTTPAddr}
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
	// prometheus cmd/prometheus/main.go: Hidden() "for use in testing".
	"prometheus": {"storage.tsdb.min-block-duration", "storage.tsdb.max-block-duration"},
}

// CheckFlagsKnown runs `<bin> [subcommand] --help` and checks that every flag's name is listed.
func CheckFlagsKnown(ctx context.Context, bin, subcommand string, flags []string) error {
	args := []string{"--help"}
	key := "prometheus"
	if subcommand != "" {
		args = []string{subcommand, "--help"}
		key = subcommand
	}
	help, err := Run(ctx, bin, args...)
	if err != nil {
		return err
	}
	var unknown []string
	for _, f := range flags {
		name, _, _ := splitFlag(f)
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
