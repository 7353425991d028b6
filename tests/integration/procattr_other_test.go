//go:build integration && !linux

package integration

import "syscall"

// childProcAttr: only Linux can tie a child's life to its parent's; elsewhere TestMain stops them.
func childProcAttr() *syscall.SysProcAttr { return nil }
