//go:build !linux

package kube

// ClockUnsynchronised reports whether the machine's clock is unsynchronised: Linux only.
func ClockUnsynchronised() (bool, string) { return false, "adjtimex is Linux's" }
