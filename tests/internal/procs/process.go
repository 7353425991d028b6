package procs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one real binary a suite started; its output goes to a log file.
type Process struct {
	Name    string
	Args    []string
	LogPath string
	// ReadyURL answers 200 once the process is ready (empty: none).
	ReadyURL string

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Processes tracks every process of a run so that all are stopped at the end.
type Processes struct {
	Dir string

	mu    sync.Mutex
	procs []*Process
}

// Start runs bin with args (and extra environment), logging to <Dir>/<name>.log.
func (ps *Processes) Start(name, bin string, args []string, env []string, readyURL string) (*Process, error) {
	if err := os.MkdirAll(ps.Dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(ps.Dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logFile, "# %s %s\n", bin, strings.Join(QuoteArgs(args), " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Args: args, LogPath: logPath, ReadyURL: readyURL, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.procs = append(ps.procs, p)
	ps.mu.Unlock()
	return p, nil
}

// StopAll stops every process still running, newest first, one after the other: the control
// plane's processes depend on each other in start order.
func (ps *Processes) StopAll() {
	ps.mu.Lock()
	procs := append([]*Process(nil), ps.procs...)
	ps.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop()
	}
}

// All returns every process started so far.
func (ps *Processes) All() []*Process {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]*Process(nil), ps.procs...)
}

// Logs returns the tail of every process's log, for a failure message.
func (ps *Processes) Logs(lines int) string {
	var b strings.Builder
	for _, p := range ps.All() {
		fmt.Fprintf(&b, "---- %s (%s), last lines:\n%s\n", p.Name, p.LogPath, p.Tail(lines))
	}
	return b.String()
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Stop sends SIGTERM, then SIGKILL after 20 seconds. It returns once the process is gone.
func (p *Process) Stop() {
	if exited, _ := p.Exited(); exited {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// WaitUntil polls check until it succeeds. A process that exits meanwhile fails at once, with the
// end of its log.
func (p *Process) WaitUntil(ctx context.Context, timeout time.Duration, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s exited before it was ready (%v); log:\n%s", p.Name, err, p.Tail(40))
		}
		if last = check(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (last: %v); log:\n%s", p.Name, timeout, last, p.Tail(40))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// WaitReady polls ReadyURL until it answers 200 (Thanos's flag parser rejects an unknown flag at
// start, so a wrong generated flag ends here).
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return p.WaitUntil(ctx, timeout, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.ReadyURL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body := make([]byte, 200)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body[:n])))
		}
		return nil
	})
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string { return LogTail(p.LogPath, n) }

// Run runs a short command to completion and returns its combined output.
func Run(ctx context.Context, bin string, args ...string) (string, error) {
	return RunEnv(ctx, nil, bin, args...)
}

// RunEnv is Run with extra environment variables ("NAME=value").
func RunEnv(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(QuoteArgs(args), " "), err, out.String())
	}
	return out.String(), nil
}

// QuoteArgs quotes the arguments that hold blanks or quotes, for logs.
func QuoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \n\t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		out[i] = a
	}
	return out
}

// Ports hands out free loopback addresses, never the same one twice in a run.
type Ports struct {
	mu   sync.Mutex
	used map[int]bool
}

// Addr returns "127.0.0.1:<port>" for a port that was free a moment ago.
func (p *Ports) Addr() (string, error) {
	port, err := p.Port()
	return fmt.Sprintf("127.0.0.1:%d", port), err
}

// Port returns a loopback port that was free a moment ago.
func (p *Ports) Port() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used == nil {
		p.used = map[int]bool{}
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !p.used[port] {
			p.used[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free port")
}
