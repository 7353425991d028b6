//go:build e2e && linux

package e2e

import "syscall"

// sysProcAttr kills a child when the test process dies (a `go test -timeout` panic skips
// t.Cleanup), so no Prometheus or MinIO outlives the run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
