//go:build integration

package integration

import "syscall"

// childProcAttr makes etcd and kube-apiserver die with the test binary, even when `go test` kills
// it on a timeout before TestMain can stop them.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
