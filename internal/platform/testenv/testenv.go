// Package testenv holds the one rule for tests that need a server: skip with
// a message when it is absent locally, fail when CI=true, where every
// backend must be present.
package testenv

import (
	"os"
	"testing"
)

// CI reports whether the tests run in CI (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Missing stops the test because a backend it needs is absent: a skip
// locally, a failure in CI.
func Missing(t testing.TB, backend string, err error) {
	t.Helper()
	if CI() {
		t.Fatalf("%s is required in CI (CI=true) but unavailable: %v", backend, err)
	}
	t.Skipf("%s unavailable, skipping (start it, or run with CI=true to make this a failure): %v", backend, err)
}

// Get returns the environment variable key, or def when it is unset.
func Get(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
