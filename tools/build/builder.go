package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tools/build/toolset"
)

// mainModule is the repository's module path, by which the builder finds the repository root.
const mainModule = "github.com/prometheus-thanos/prometheus-thanos"

// Compile settings of every tool, shared with scripts/test.sh so that what the tests and the tools
// share compiles once: no DWARF (nothing here runs a debugger; the compile is about 10% faster),
// -trimpath, and static binaries without symbol tables (as Kubernetes' release builds link; each
// link is about 3x faster).
var (
	goBuildFlags = []string{"-trimpath", "-gcflags=all=-dwarf=false"}
	stripLDFlags = "-s -w"
)

type builder struct {
	root, cache string
	jobs        int
	pins        map[string]toolset.Pins
	lock        *os.File
	mu          sync.Mutex // guards lock
}

func newBuilder() (*builder, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cache := os.Getenv("PROMETHEUS_THANOS_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("no cache directory: set PROMETHEUS_THANOS_CACHE: %w", err)
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "prometheus-thanos")
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	if cache, err = filepath.EvalSymlinks(cache); err != nil {
		return nil, err
	}
	if cache, err = filepath.Abs(cache); err != nil {
		return nil, err
	}
	if strings.HasPrefix(cache+"/", root+"/") {
		logf("warning: cache %s is inside the clone; it should live outside it", cache)
	}
	jobs := 2
	if v := os.Getenv("BUILD_TOOLS_JOBS"); v != "" {
		if jobs, err = strconv.Atoi(v); err != nil || jobs < 1 {
			return nil, usageError{fmt.Errorf("BUILD_TOOLS_JOBS must be a positive integer, got %q", v)}
		}
	}
	b := &builder{root: root, cache: cache, jobs: jobs, pins: map[string]toolset.Pins{}}
	for _, t := range toolset.Table {
		p, err := toolset.ReadPins(root, t)
		if err != nil {
			return nil, err
		}
		b.pins[t.Name] = p
	}
	return b, nil
}

// repoRoot walks up from the working directory to the go.mod of mainModule.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		raw, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(raw, []byte("module "+mainModule+"\n")) {
			return filepath.EvalSymlinks(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the repository (no go.mod of %s above the working directory)", mainModule)
		}
		dir = parent
	}
}

// binDir is where a tool's binaries live in the cache.
func (b *builder) binDir(t toolset.Tool) string {
	return filepath.Join(b.cache, t.CacheDir(b.pins[t.Name]), "bin")
}

// built says whether path is an executable file.
func built(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// isBuilt says whether every binary of a Go or C tool is in the cache.
func (b *builder) isBuilt(t toolset.Tool) bool {
	for _, bin := range t.Binaries {
		if !built(filepath.Join(b.binDir(t), bin.Name)) {
			return false
		}
	}
	return true
}

// missingGoTools lists the wanted Go tools not in the cache, longest cold build first.
func (b *builder) missingGoTools(wanted []toolset.Tool) []toolset.Tool {
	var missing []toolset.Tool
	for _, t := range wanted {
		if t.Kind == toolset.GoBuild && !b.isBuilt(t) {
			missing = append(missing, t)
		}
	}
	sort.SliceStable(missing, func(i, j int) bool { return missing[i].ColdMinutes > missing[j].ColdMinutes })
	return missing
}

func (b *builder) plan(wanted []toolset.Tool) error {
	missing := b.missingGoTools(wanted)
	if len(missing) == 0 {
		logf("every tool is in the cache (%s): nothing to build", b.cache)
		return nil
	}
	var names []string
	minutes := 0
	for _, t := range missing {
		names = append(names, t.Name)
		minutes += t.ColdMinutes
	}
	logf("to build once on this machine, into %s: %s", b.cache, strings.Join(names, " "))
	logf("  about %d minutes of builds cold, measured one at a time on 2 cores; %d at a time, the tests' compiles yielding to them (docs/testing.md, \"Tool cache\")", minutes, b.jobs)
	return nil
}

// build builds or finds every wanted tool and returns the variables --print-env prints, in table
// order.
func (b *builder) build(wanted []toolset.Tool) ([][2]string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return nil, errors.New("go is not on PATH")
	}
	defer b.unlock()
	start := time.Now()
	if err := b.buildGoTools(b.missingGoTools(wanted)); err != nil {
		return nil, err
	}
	var env [][2]string
	for _, t := range wanted {
		var vars [][2]string
		var err error
		switch t.Kind {
		case toolset.GoBuild:
			vars, err = b.goToolEnv(t)
		case toolset.Debian:
			vars, err = b.debianTool(t)
		case toolset.CSource:
			vars, err = b.cTool(t)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		env = append(env, vars...)
	}
	logf("done in %s (cache: %s)", minutes(time.Since(start)), b.cache)
	return env, nil
}

// takeLock serialises builds across concurrent runs; it is taken only when something must be
// built, and held until the run ends.
func (b *builder) takeLock() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lock != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(b.cache, ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		logf("another build is running in %s; waiting for it", b.cache)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return err
		}
	}
	b.lock = f
	return nil
}

func (b *builder) unlock() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lock != nil {
		b.lock.Close()
		b.lock = nil
	}
}

// buildGoTools builds the missing Go tools, b.jobs at a time. The first failure starts no further
// build; the running ones finish, and every failure is reported.
func (b *builder) buildGoTools(missing []toolset.Tool) error {
	if len(missing) == 0 {
		return nil
	}
	if err := b.takeLock(); err != nil {
		return err
	}
	missing = b.missingGoTools(missing) // another run may have built some while we waited
	if len(missing) == 0 {
		return nil
	}
	if len(missing) > 1 && b.jobs > 1 {
		// The standard library once, before parallel builds would each compile it (scripts/test.sh
		// has usually done this already: then it is a cache hit).
		if err := b.goCommand(b.root, append([]string{"build"}, append(goBuildFlags, "std")...)...).Run(); err != nil {
			return fmt.Errorf("go build std: %w", err)
		}
	}
	var names []string
	for _, t := range missing {
		names = append(names, t.Name)
	}
	logf("building %s, %d at a time", strings.Join(names, " "), b.jobs)
	sem := make(chan struct{}, b.jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for _, t := range missing {
		sem <- struct{}{}
		mu.Lock()
		stop := len(failed) > 0
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func(t toolset.Tool) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := b.buildGoTool(t); err != nil {
				mu.Lock()
				failed = append(failed, fmt.Errorf("%s: %w", t.Name, err))
				mu.Unlock()
			}
		}(t)
	}
	wg.Wait()
	return errors.Join(failed...)
}

// buildGoTool builds every binary of a Go tool in one `go build`, smoke-tests each and renames it
// into place.
func (b *builder) buildGoTool(t toolset.Tool) error {
	p := b.pins[t.Name]
	bin := b.binDir(t)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(bin, ".build.")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(b.root, t.HelperDir())
	if t.ModulePatch != nil {
		work, err := b.patchedModule(t)
		if work != "" {
			defer removeTree(work)
		}
		if err != nil {
			return err
		}
		dir = work
	}
	args := append([]string(nil), goBuildFlags...)
	if len(t.Tags) > 0 {
		args = append(args, "-tags", strings.Join(t.Tags, ","))
	}
	ldflags := stripLDFlags
	if t.LDFlags != nil {
		ldflags = t.LDFlags(p) + " " + stripLDFlags
	}
	args = append(args, "-ldflags", ldflags)
	if len(t.Binaries) == 1 {
		args = append(args, "-o", filepath.Join(tmp, t.Binaries[0].Name), t.Binaries[0].Package)
	} else {
		// `go build -o <dir>/` names each binary after its package's last path element.
		args = append(args, "-o", tmp+string(filepath.Separator))
		for _, bin := range t.Binaries {
			args = append(args, bin.Package)
		}
	}
	logf("building %s %s (in %s) -> %s", t.Name, t.Version(p), t.HelperDir(), bin)
	start := time.Now()
	cmd := b.goCommand(dir, append([]string{"build"}, args...)...)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	wall := time.Since(start)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	for _, binary := range t.Binaries {
		path := filepath.Join(tmp, binary.Name)
		if !built(path) {
			return fmt.Errorf("go build left no %s in %s", binary.Name, tmp)
		}
		if _, err := smoke(t, binary, path); err != nil {
			return err
		}
		if err := os.Rename(path, filepath.Join(bin, binary.Name)); err != nil {
			return err
		}
	}
	logf("built %s in %s (%s of CPU)", t.Name, minutes(wall), minutes(cpu))
	b.record(t, p, wall, cpu)
	return nil
}

// goCommand is a go command in dir, its output on stderr. Helper modules stand alone (GOWORK=off),
// binaries are static, and a complete go.sum is required (the default -mod=readonly).
func (b *builder) goCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	return cmd
}

// patchedModule makes a writable copy of a tool's first module beside a copy of its helper
// module, applies the tool's patch to it and points the helper's go.mod at it; it returns the
// helper copy's directory (to remove afterwards, also on error).
func (b *builder) patchedModule(t toolset.Tool) (string, error) {
	work, err := os.MkdirTemp("", "build-tools-"+t.Name+".")
	if err != nil {
		return "", err
	}
	helper := filepath.Join(b.root, t.HelperDir())
	entries, err := os.ReadDir(helper)
	if err != nil {
		return work, err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			raw, err := os.ReadFile(filepath.Join(helper, e.Name()))
			if err != nil {
				return work, err
			}
			if err := os.WriteFile(filepath.Join(work, e.Name()), raw, 0o644); err != nil {
				return work, err
			}
		}
	}
	module := t.PatchTarget()
	src, err := b.moduleDir(work, module)
	if err != nil {
		return work, err
	}
	copyDir := filepath.Join(work, "module")
	if err := exec.Command("cp", "-R", src, copyDir).Run(); err != nil {
		return work, fmt.Errorf("copying %s: %w", src, err)
	}
	if err := exec.Command("chmod", "-R", "u+w", copyDir).Run(); err != nil {
		return work, err
	}
	if err := t.ModulePatch(copyDir); err != nil {
		return work, err
	}
	if err := b.goCommand(work, "mod", "edit", "-replace", module+"=./module").Run(); err != nil {
		return work, err
	}
	return work, nil
}

// removeTree removes a tree that may hold read-only directories (module cache copies).
func removeTree(dir string) {
	_ = exec.Command("chmod", "-R", "u+w", dir).Run()
	_ = os.RemoveAll(dir)
}

// smoke runs a fresh binary before it goes into the cache (or a Debian tool once found), logs its
// first line of output and returns it.
func smoke(t toolset.Tool, binary toolset.Binary, path string) (string, error) {
	if binary.Plugin {
		return "", smokePlugin(path)
	}
	if binary.Smoke == nil {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, binary.Smoke...)
	cmd.Env = append(os.Environ(), t.SmokeEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s does not run: %w\n%s", binary.Name, strings.Join(binary.Smoke, " "), err, out)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	logf("  %s", strings.ReplaceAll(first, path, binary.Name))
	return first, nil
}

// smokePlugin starts a Pulumi plugin, which prints the port it serves on and then waits.
func smokePlugin(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	line = strings.TrimSpace(line)
	if _, err := strconv.Atoi(line); err != nil {
		return fmt.Errorf("%s did not start (printed %q)", filepath.Base(path), line)
	}
	logf("  serves (printed port %s)", line)
	return nil
}

// record appends one build's times to build-times.tsv in the cache: when, tool, cache directory,
// builds at a time, wall seconds, CPU seconds (the go command's and its compilers').
func (b *builder) record(t toolset.Tool, p toolset.Pins, wall, cpu time.Duration) {
	f, err := os.OpenFile(filepath.Join(b.cache, "build-times.tsv"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		logf("warning: cannot record build times: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s\t%s\t%d\t%.0f\t%.0f\n", time.Now().UTC().Format(time.RFC3339), t.Name, t.CacheDir(p), b.jobs, wall.Seconds(), cpu.Seconds())
}

// goToolEnv is what --print-env prints for a built Go tool.
func (b *builder) goToolEnv(t toolset.Tool) ([][2]string, error) {
	if !b.isBuilt(t) {
		return nil, errors.New("not built")
	}
	return b.env(t, b.binDir(t), nil)
}

// env lists a tool's variables: its directory, its binaries, its versions (extra gives those the
// builder read itself).
func (b *builder) env(t toolset.Tool, dir string, extra map[string]string) ([][2]string, error) {
	var vars [][2]string
	if t.DirEnv != "" {
		vars = append(vars, [2]string{t.DirEnv, dir})
	}
	for _, bin := range t.Binaries {
		if bin.Env != "" {
			path := bin.Name
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, bin.Name)
			}
			vars = append(vars, [2]string{bin.Env, path})
		}
	}
	for _, v := range t.Versions {
		value := extra[v.Env]
		if v.From != nil {
			var err error
			if value, err = v.From(b.pins[t.Name]); err != nil {
				return nil, err
			}
		}
		if value == "" {
			return nil, fmt.Errorf("no value for %s", v.Env)
		}
		vars = append(vars, [2]string{v.Env, value})
	}
	return vars, nil
}

// debianTool finds a Debian tool's commands, installing its packages when one is missing.
func (b *builder) debianTool(t toolset.Tool) ([][2]string, error) {
	locate := func() (map[string]string, bool) {
		paths := map[string]string{}
		for _, bin := range t.Binaries {
			if filepath.IsAbs(bin.Name) {
				if !built(bin.Name) {
					return nil, false
				}
				paths[bin.Name] = bin.Name
				continue
			}
			path, err := exec.LookPath(bin.Name)
			if err != nil {
				return nil, false
			}
			paths[bin.Name] = path
		}
		return paths, true
	}
	paths, ok := locate()
	if !ok {
		logf("installing Debian packages for %s: %s", t.Name, strings.Join(t.Packages, " "))
		if err := b.aptInstall(t.Packages); err != nil {
			return nil, err
		}
		if paths, ok = locate(); !ok {
			return nil, fmt.Errorf("installed %s, but a command is still missing", strings.Join(t.Packages, " "))
		}
	}
	var vars [][2]string
	if t.DirEnv != "" {
		vars = append(vars, [2]string{t.DirEnv, t.Dir})
	}
	for _, bin := range t.Binaries {
		path := paths[bin.Name]
		first, err := smoke(t, bin, path)
		if err != nil {
			return nil, err
		}
		if bin.Smoke != nil && t.ExpectVersion != "" && !strings.Contains(first, t.ExpectVersion) {
			logf("warning: %s is not %s %s (%s)", path, t.Name, t.ExpectVersion, first)
		}
		if bin.Env != "" {
			vars = append(vars, [2]string{bin.Env, path})
		}
	}
	return vars, nil
}

// aptInstall installs Debian packages (as root, or through sudo) without letting them start
// services: etcd would hold 127.0.0.1:2379, and the suites run their own instances.
func (b *builder) aptInstall(packages []string) error {
	if err := b.takeLock(); err != nil {
		return err
	}
	var sudo []string
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return fmt.Errorf("need root (or sudo) to apt-get install %s", strings.Join(packages, " "))
		}
		sudo = []string{"sudo"}
	}
	run := func(args ...string) error {
		all := append(append([]string(nil), sudo...), args...)
		cmd := exec.Command(all[0], all[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	const policy = "/usr/sbin/policy-rc.d"
	if _, err := os.Stat(policy); errors.Is(err, os.ErrNotExist) {
		if err := run("sh", "-c", "printf '#!/bin/sh\\nexit 101\\n' > "+policy+" && chmod 0755 "+policy); err != nil {
			return err
		}
		defer func() { _ = run("rm", "-f", policy) }()
	}
	if err := run("apt-get", "update", "-q"); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := run(append([]string{"apt-get", "install", "-y", "-q", "--no-install-recommends"}, packages...)...); err != nil {
		return fmt.Errorf("apt-get install %s: %w", strings.Join(packages, " "), err)
	}
	// On a systemd machine packages enable their services; the suites run their own.
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		for _, unit := range []string{"etcd.service", "containerd.service"} {
			_ = run("systemctl", "disable", "--now", unit)
		}
	}
	return nil
}

// cTool compiles a C tool from its module's source with gcc, static, and reads its version (the
// image tag) from the Makefile beside it.
func (b *builder) cTool(t toolset.Tool) ([][2]string, error) {
	src, err := b.moduleDir(filepath.Join(b.root, t.HelperDir()), t.Modules[0])
	if err != nil {
		return nil, err
	}
	bin := t.Binaries[0]
	file := filepath.Join(src, bin.Package)
	makefile, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(file)), "Makefile"))
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`(?m)^TAG \?= *(\S+)`).FindSubmatch(makefile)
	if m == nil {
		return nil, fmt.Errorf("no TAG in the Makefile beside %s", file)
	}
	dir := b.binDir(t)
	target := filepath.Join(dir, bin.Name)
	if !built(target) {
		if err := b.takeLock(); err != nil {
			return nil, err
		}
		if !built(target) {
			if _, err := exec.LookPath("gcc"); err != nil {
				return nil, errors.New("gcc is not on PATH")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			tmp := target + ".tmp"
			logf("building %s from %s", t.Name, file)
			cmd := exec.Command("gcc", "-Os", "-Wall", "-Werror", "-static", "-DVERSION="+strings.TrimPrefix(t.Version(b.pins[t.Name]), "v"), "-o", tmp, file)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				os.Remove(tmp)
				return nil, fmt.Errorf("gcc: %w", err)
			}
			if err := os.Rename(tmp, target); err != nil {
				return nil, err
			}
		}
	}
	return b.env(t, dir, map[string]string{t.Versions[0].Env: string(m[1])})
}

// moduleDir is the module cache directory of a module that the go.mod in dir requires,
// downloaded if needed.
func (b *builder) moduleDir(dir, module string) (string, error) {
	var out bytes.Buffer
	cmd := b.goCommand(dir, "mod", "download", "-json", module)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download gave no directory for %s", module)
	}
	return info.Dir, nil
}

// minutes formats a duration as 12m05s.
func minutes(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}
