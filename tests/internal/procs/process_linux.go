package procs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr kills a child when the test process dies (a `go test -timeout` panic skips
// t.Cleanup and TestMain's deferred stops), so no server outlives the run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// Memory is the process's resident memory now (VmRSS) and its peak (VmHWM) since it started or
// since ResetPeakMemory, in bytes, from /proc/<pid>/status.
func (p *Process) Memory() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fields := map[string]*int64{"VmRSS:": &rss, "VmHWM:": &peak}
	found := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		// "VmRSS:	  123456 kB"
		line := strings.Fields(sc.Text())
		if len(line) == 3 && fields[line[0]] != nil && line[2] == "kB" {
			kb, err := strconv.ParseInt(line[1], 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("%s: %q: %w", p.Name, sc.Text(), err)
			}
			*fields[line[0]] = kb << 10
			found++
		}
	}
	if found != len(fields) {
		return 0, 0, fmt.Errorf("%s: /proc/%d/status has no VmRSS or VmHWM", p.Name, p.cmd.Process.Pid)
	}
	return rss, peak, nil
}

// ResetPeakMemory sets the process's peak resident memory (VmHWM) to its current resident memory:
// proc(5), /proc/pid/clear_refs, value 5.
func (p *Process) ResetPeakMemory() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0o200)
}
