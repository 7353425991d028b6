package harness

import "syscall"

// sysProcAttr kills a child when the test process dies (a `go test -timeout` panic skips
// t.Cleanup and TestMain's deferred stops), so no server outlives the run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
