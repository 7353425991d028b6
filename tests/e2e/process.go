//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/logtail"
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

// Process is one real binary the suite started; its output goes to a log file.
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
	logPath := filepath.Join(ps.Dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logFile, "# %s %s\n", bin, strings.Join(quoteArgs(args), " "))
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

// StopAll stops every process still running, newest first.
func (ps *Processes) StopAll() {
	ps.mu.Lock()
	procs := append([]*Process(nil), ps.procs...)
	ps.mu.Unlock()
	var wg sync.WaitGroup
	for i := len(procs) - 1; i >= 0; i-- {
		wg.Add(1)
		go func(p *Process) { defer wg.Done(); p.Stop() }(procs[i])
	}
	wg.Wait()
}

// All returns every process started so far.
func (ps *Processes) All() []*Process {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]*Process(nil), ps.procs...)
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

// WaitReady polls ReadyURL until it answers 200. A process that exits meanwhile fails at once
// (Thanos's flag parser rejects an unknown flag at start, so a wrong generated flag ends here).
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s exited before it was ready (%v); log:\n%s", p.Name, err, p.Tail(40))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.ReadyURL, nil)
		resp, err := client.Do(req)
		if err == nil {
			body := make([]byte, 200)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body[:n])))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s after %v (last: %s); log:\n%s", p.Name, p.ReadyURL, timeout, last, p.Tail(40))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string { return logtail.Last(p.LogPath, n) }

// Run runs a short command to completion and returns its combined output.
func Run(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = sysProcAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(quoteArgs(args), " "), err, out.String())
	}
	return out.String(), nil
}

func quoteArgs(args []string) []string {
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used == nil {
		p.used = map[int]bool{}
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !p.used[port] {
			p.used[port] = true
			return fmt.Sprintf("127.0.0.1:%d", port), nil
		}
	}
	return "", errors.New("no free port")
}
