//go:build !linux

package harness

import (
	"errors"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

var errNoProcMemory = errors.New("a process's resident memory is read from Linux's /proc")

// Memory is the process's resident memory and its peak: Linux only.
func (p *Process) Memory() (rss, peak int64, err error) { return 0, 0, errNoProcMemory }

// ResetPeakMemory resets the process's peak resident memory: Linux only.
func (p *Process) ResetPeakMemory() error { return errNoProcMemory }

// ClockUnsynchronised reports whether the machine's clock is unsynchronised: Linux only.
func ClockUnsynchronised() (bool, string) { return false, "adjtimex is Linux's" }
