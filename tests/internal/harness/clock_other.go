//go:build !linux

package harness

// ClockUnsynchronised reports whether the machine's clock is unsynchronised: Linux only.
func ClockUnsynchronised() (bool, string) { return false, "adjtimex is Linux's" }
