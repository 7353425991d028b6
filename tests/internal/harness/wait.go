package harness

import (
	"context"
	"testing"
	"time"
)

// WaitFor polls cond every second until it holds, failing the test after timeout (or when ctx
// ends) with the last state cond described.
func WaitFor(ctx context.Context, t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("timed out after %v waiting for %s (last: %s)", timeout, what, state)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
