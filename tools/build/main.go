// Command build builds the real tools the tagged test suites run, from their Go modules (this
// machine kind reaches only the Go module proxy, Debian's packages and npm), into a cache outside
// the clone, keyed by tool, version, build tags and the helper module's go.sum, so a fresh clone on
// a warm machine builds nothing:
//
//	${PROMETHEUS_THANOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-thanos}/<tool>-<version>.../bin/
//
// Usage, from the repository root:
//
//	go run ./tools/build [--plan] [--print-env] <suite|tool|all>...
//
// The suites are integration, e2e and cluster (each needs the tools of the ones before); the tools
// are those of tools/build/toolset's table, where each is declared once. --plan builds nothing and
// says what a run would build; --print-env prints `export VAR=...` lines for the suites' harness:
//
//	env=$(go run ./tools/build --print-env e2e) && eval "$env"
//
// Progress goes to stderr, each line starting [build-tools]. A binary in the cache is never rebuilt;
// each is built under a temporary name, smoke-tested and renamed into place, so an interrupted build
// never leaves a binary that looks complete. Builds take a lock in the cache, so two runs never
// build the same tool at once. Missing Go tools build BUILD_TOOLS_JOBS (default 2) at a time: one
// `go build` keeps 2 cores only about 70% busy (large packages serialise the compile graph; linking
// is single-threaded), so two side by side fill the gaps. Every build's wall and CPU time is logged
// and appended to build-times.tsv in the cache: docs/testing.md's per-tool figures come from there.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		logf("error: %v", err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

func run(args []string) error {
	flags := flag.NewFlagSet("build", flag.ContinueOnError)
	plan := flags.Bool("plan", false, "build nothing: say which of the requested Go tools are not in the cache yet")
	printEnv := flags.Bool("print-env", false, "after building, print export lines of the requested tools' variables on stdout")
	flags.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./tools/build [--plan] [--print-env] <suite|tool|all>...\n  suites: %s\n  tools:  %s\n",
			strings.Join(suiteNames(), " "), strings.Join(toolNames(), " "))
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	wanted, err := selectTools(flags.Args())
	if err != nil {
		flags.Usage()
		return usageError{err}
	}
	b, err := newBuilder()
	if err != nil {
		return err
	}
	if *plan {
		return b.plan(wanted)
	}
	env, err := b.build(wanted)
	if err != nil {
		return err
	}
	if *printEnv {
		for _, kv := range env {
			fmt.Printf("export %s=%s\n", kv[0], shellQuote(kv[1]))
		}
	}
	return nil
}

// selectTools resolves suite and tool names to tools of the table, in table order.
func selectTools(names []string) ([]toolset.Tool, error) {
	if len(names) == 0 {
		return nil, errors.New("name a suite, a tool or all")
	}
	want := map[string]bool{}
	for _, name := range names {
		switch {
		case name == "all":
			for _, t := range toolset.Table {
				want[t.Name] = true
			}
		case isSuite(name):
			tools, err := toolset.For(toolset.Suite(name))
			if err != nil {
				return nil, err
			}
			for _, t := range tools {
				want[t.Name] = true
			}
		default:
			if _, ok := toolset.Named(name); !ok {
				return nil, fmt.Errorf("unknown suite or tool %q", name)
			}
			want[name] = true
		}
	}
	var out []toolset.Tool
	for _, t := range toolset.Table {
		if want[t.Name] {
			out = append(out, t)
		}
	}
	return out, nil
}

func isSuite(name string) bool {
	for _, s := range toolset.Suites {
		if string(s) == name {
			return true
		}
	}
	return false
}

func suiteNames() []string {
	var names []string
	for _, s := range toolset.Suites {
		names = append(names, string(s))
	}
	return append(names, "all")
}

func toolNames() []string {
	var names []string
	for _, t := range toolset.Table {
		names = append(names, t.Name)
	}
	return names
}

// shellQuote quotes a value for a POSIX shell's eval.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=+,@") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[build-tools] "+format+"\n", args...)
}
