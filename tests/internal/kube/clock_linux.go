package kube

import (
	"fmt"
	"syscall"
)

// staUnsync is the kernel's STA_UNSYNC clock status bit (include/uapi/linux/timex.h): the clock
// is not synchronised, which node-exporter reports as node_timex_sync_status 0.
const staUnsync = 0x40

// ClockUnsynchronised reports whether the kernel says this machine's clock is not synchronised
// (adjtimex), with the status and maximum error it reports.
func ClockUnsynchronised() (bool, string) {
	var tx syscall.Timex
	if _, err := syscall.Adjtimex(&tx); err != nil {
		return false, "adjtimex: " + err.Error()
	}
	return tx.Status&staUnsync != 0, fmt.Sprintf("adjtimex status %#x, maximum error %d µs", tx.Status, tx.Maxerror)
}
