//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// TestThanosRefusesWhatTheConfigRefuses runs the pinned thanos binary on each of
// harness.ThanosStartupChecks: the program's flags for the command (with the loopback rows of
// harness.Substitutions, against a MinIO bucket with the program's objstore config), the check's
// flag set once to the value the config refuses and once to the value it accepts. The refused value
// must stop the command at start with the check's error; with the accepted one it must start and
// report healthy (ready would need the query-frontend's querier): the boundaries the unit suite
// holds the config to are the binary's own.
func TestThanosRefusesWhatTheConfigRefuses(t *testing.T) {
	tools, err := toolenv.Read("e2e", []string{"THANOS_BIN", "MINIO_BIN"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, dir := context.Background(), t.TempDir()
	procs, ports := &procs.Processes{Dir: filepath.Join(dir, "logs")}, &procs.Ports{}
	t.Cleanup(procs.StopAll)
	minio, err := harness.StartMinIO(ctx, procs, ports, tools.MinIO, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	objstore, err := components.ObjstoreConfigYAML(components.ObjstoreConfigArgs{
		Bucket: minio.S3.Bucket, Endpoint: minio.S3.Endpoint, Region: minio.Region, Insecure: true,
		AccessKey: minio.S3.AccessKey, SecretKey: minio.S3.SecretKey, KMSKeyID: minio.S3.KMSKeyName,
	})
	if err != nil {
		t.Fatal(err)
	}

	for i, c := range harness.ThanosStartupChecks {
		generated, target := programFlags(t, c.Command)
		for _, v := range []struct {
			value   string
			refused bool
		}{{c.Refused, true}, {c.Accepted, false}} {
			name := c.Command + "-" + strings.ReplaceAll(c.Flag, ".", "-") + "-" + v.value
			site := &harness.Site{Dir: filepath.Join(dir, name), ObjstoreFile: filepath.Join(dir, name, "objstore.yml")}
			for _, addr := range []*string{&site.HTTPAddr, &site.GRPCAddr, &site.QuerierAddr} {
				if *addr, err = ports.Addr(); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(site.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(site.ObjstoreFile, []byte(objstore), 0o600); err != nil {
				t.Fatal(err)
			}
			args, err := harness.ApplyFlags(target, site, generated[1:])
			if err != nil {
				t.Fatal(err)
			}
			if args, err = setFlag(args, c.Flag, v.value); err != nil {
				t.Fatalf("check %d: %v", i, err)
			}
			proc, err := procs.Start(name, tools.Thanos, append([]string{c.Command}, args...), nil, "http://"+site.HTTPAddr+"/-/healthy")
			if err != nil {
				t.Fatal(err)
			}
			err = proc.WaitReady(ctx, time.Minute)
			proc.Stop()
			switch {
			case v.refused && err == nil:
				t.Errorf("thanos %s --%s=%s started; the config refuses it because %s says %q", c.Command, c.Flag, v.value, c.Source, c.ThanosError)
			case v.refused && !strings.Contains(err.Error(), c.ThanosError):
				t.Errorf("thanos %s --%s=%s failed, but not with %q (%s): %v", c.Command, c.Flag, v.value, c.ThanosError, c.Source, err)
			case !v.refused && err != nil:
				t.Errorf("thanos %s --%s=%s, which the config accepts, did not start: %v", c.Command, c.Flag, v.value, err)
			}
		}
	}
}

// programFlags are the command line the program generates for a thanos command with its default
// settings (retention kept forever, so only a check's own flag decides), and the substitution
// target of that command.
func programFlags(t *testing.T, command string) ([]string, harness.Target) {
	t.Helper()
	var flags []string
	var target harness.Target
	var err error
	switch command {
	case "compact":
		forever := thanos.CompactorRetention{Raw: "0d", FiveMinutes: "0d", OneHour: "0d"}
		flags, err = thanos.CompactorFlags(components.ObjstoreSecretKey, thanos.CompactorSettings{Retention: forever})
		target = harness.CompactorFlags
	case "store":
		flags, err = thanos.StoreGatewayFlags(components.ObjstoreSecretKey, thanos.StoreGatewaySettings{})
		target = harness.StoreGatewayFlags
	case "query-frontend":
		flags, err = thanos.QueryFrontendFlags("http://thanos-query.monitoring.svc:9090", thanos.QueryFrontendSettings{}.WithDefaults())
		target = harness.QueryFrontendFlags
	default:
		t.Fatalf("no flags for thanos %s", command)
	}
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{command}, flags...), target
}

// setFlag sets --name to value in args; the program must generate the flag.
func setFlag(args []string, name, value string) ([]string, error) {
	for i, a := range args {
		if n, _, _ := harness.SplitFlag(a); n == name {
			out := append([]string(nil), args...)
			out[i] = "--" + name + "=" + value
			return out, nil
		}
	}
	return nil, fmt.Errorf("the program generates no --%s in %q", name, args)
}
