package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func TestMemoryEvictsOverMaxBytes(t *testing.T) {
	t.Parallel()
	const (
		maxBytes = 10_000
		entries  = 1_000
		weight   = 100 // len(key) + len(value)
	)
	c, err := cache.NewMemory(cache.MemoryOptions{MaxBytes: maxBytes})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	ctx := context.Background()

	keys := make([]string, entries)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%04d", i)
		require.NoError(t, c.Set(ctx, keys[i], make([]byte, weight-len(keys[i])), time.Hour))
	}
	// Ten times the bound went in; eviction runs in otter's maintenance, so
	// the cache may overshoot for a moment, but it must come back under.
	present := func() int {
		n := 0
		for _, k := range keys {
			if _, found, err := c.Get(ctx, k); err == nil && found {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return present()*weight <= maxBytes }, 5*time.Second, 10*time.Millisecond)
	require.Positive(t, present(), "eviction keeps what fits")
}

func TestNewMemoryRejectsNegativeMaxBytes(t *testing.T) {
	t.Parallel()
	_, err := cache.NewMemory(cache.MemoryOptions{MaxBytes: -1})
	require.Equal(t, "cache.max_bytes", errs.FieldOf(err))
}
