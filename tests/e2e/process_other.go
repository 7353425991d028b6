//go:build e2e && !linux

package e2e

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
