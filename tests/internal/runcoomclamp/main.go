// Command runcoomclamp stands between containerd and runc on the test cluster's node: the VM the
// suites run in refuses a negative oom_score_adj, which the kubelet asks for every pod sandbox
// (-998) and Guaranteed container (-997), and runc then fails ("can't get final child's PID from
// pipe: EOF"). Before runc creates a container, this sets a negative process.oomScoreAdj in the
// bundle's config.json to 0, then executes the real runc ($RUNC_OOMCLAMP_REAL_RUNC) with the same
// arguments. It is one row of the suites' substitution table (docs/substitutions.md).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

const realRuncEnv = "RUNC_OOMCLAMP_REAL_RUNC"

func main() {
	real := os.Getenv(realRuncEnv)
	if real == "" {
		fmt.Fprintf(os.Stderr, "runcoomclamp: %s is not set\n", realRuncEnv)
		os.Exit(2)
	}
	if bundle := bundleArg(os.Args[1:]); bundle != "" {
		if err := clamp(filepath.Join(bundle, "config.json")); err != nil {
			fmt.Fprintf(os.Stderr, "runcoomclamp: %v\n", err)
			os.Exit(2)
		}
	}
	err := syscall.Exec(real, append([]string{real}, os.Args[1:]...), os.Environ())
	fmt.Fprintf(os.Stderr, "runcoomclamp: exec %s: %v\n", real, err)
	os.Exit(2)
}

// bundleArg is the value of --bundle (or -b), which runc's create and run take.
func bundleArg(args []string) string {
	for i, a := range args {
		switch {
		case (a == "--bundle" || a == "-b") && i+1 < len(args):
			return args[i+1]
		case len(a) > len("--bundle=") && a[:len("--bundle=")] == "--bundle=":
			return a[len("--bundle="):]
		}
	}
	return ""
}

// clamp rewrites config.json with a negative process.oomScoreAdj set to 0, keeping every other
// field as it is.
func clamp(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var process map[string]json.RawMessage
	if err := json.Unmarshal(spec["process"], &process); err != nil || process == nil {
		return nil // no process section: nothing to clamp
	}
	var adj int
	if err := json.Unmarshal(process["oomScoreAdj"], &adj); err != nil || adj >= 0 {
		return nil
	}
	process["oomScoreAdj"] = json.RawMessage("0")
	if spec["process"], err = json.Marshal(process); err != nil {
		return err
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
