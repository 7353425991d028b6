//go:build !linux

package procs

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
