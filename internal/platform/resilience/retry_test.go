package resilience_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
)

// fast keeps real waits to a few milliseconds.
var fast = resilience.RetryPolicy{Initial: time.Millisecond, Max: 4 * time.Millisecond}

// flaky fails its first n calls with err, then succeeds, counting calls.
type flaky struct {
	mu    sync.Mutex
	n     int
	err   error
	calls int
}

func (f *flaky) call(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.n {
		return f.err
	}
	return nil
}

func TestRetryAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		maxAttempts int
		failures    int
		wantCalls   int
		wantErr     bool
	}{
		{"success first time", 0, 0, 1, false},
		{"success on last default attempt", 0, 2, 3, false},
		{"default of three attempts", 0, 10, 3, true},
		{"one attempt means no retry", 1, 10, 1, true},
		{"five attempts", 5, 10, 5, true},
		{"success within five", 5, 4, 5, false},
		{"no cap until success", -1, 20, 21, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &flaky{n: tt.failures, err: errDown}
			p := fast
			p.MaxAttempts = tt.maxAttempts
			var retries []int
			p.OnRetry = func(attempt int, err error, _ time.Duration) {
				require.ErrorIs(t, err, errDown)
				retries = append(retries, attempt)
			}
			err := resilience.Retry(context.Background(), p, f.call)
			if tt.wantErr {
				require.ErrorIs(t, err, errDown)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantCalls, f.calls)
			require.Len(t, retries, tt.wantCalls-1, "OnRetry for every attempt but the last")
		})
	}
}

func TestRetryStopsOnNonRetryable(t *testing.T) {
	t.Parallel()
	base := errors.New("card declined")
	tests := []struct {
		name    string
		err     error
		wantErr error
	}{
		{"permanent", resilience.Permanent(base), base},
		{"permanent wrapped", errors.Join(errors.New("charge"), resilience.Permanent(base)), base},
		{"not found", errs.NotFound("title %s", "x"), nil},
		{"invalid", errs.Invalid("q", "too long"), nil},
		{"open breaker", &resilience.OpenError{Name: "payment", RetryAfter: time.Minute}, resilience.ErrOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &flaky{n: 100, err: tt.err}
			err := resilience.Retry(context.Background(), fast, f.call)
			require.Equal(t, 1, f.calls)
			want := tt.wantErr
			if want == nil {
				want = tt.err
			}
			require.ErrorIs(t, err, want)
			_, marked := err.(*backoff.PermanentError) //nolint:errorlint // the top of the chain is what callers see
			require.False(t, marked, "the Permanent marker is removed")
		})
	}
}

func TestRetryPermanentOnLastAttemptIsUnwrapped(t *testing.T) {
	t.Parallel()
	base := errors.New("gone")
	p := fast
	p.MaxAttempts = 1
	err := resilience.Retry(context.Background(), p, func(context.Context) error { return resilience.Permanent(base) })
	require.Equal(t, base, err)
}

func TestRetryCustomRetryable(t *testing.T) {
	t.Parallel()
	p := fast
	p.MaxAttempts = 5
	p.Retryable = func(err error) bool { return errs.Is(err, errs.KindConflict) }
	f := &flaky{n: 3, err: errs.Conflict("version moved")}
	require.NoError(t, resilience.Retry(context.Background(), p, f.call))
	require.Equal(t, 4, f.calls)
}

func TestRetryStopsOnContextCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	f := &flaky{n: 100, err: errDown}
	p := resilience.RetryPolicy{
		Initial:     time.Hour, // the wait would outlast the test
		MaxAttempts: -1,
		Rand:        func() float64 { return 0.99 },
		// The caller gives up while Retry waits for the second attempt.
		OnRetry: func(int, error, time.Duration) { cancel() },
	}
	start := time.Now()
	err := resilience.Retry(ctx, p, f.call)
	require.Less(t, time.Since(start), time.Minute)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, errDown, "the last attempt's error is kept")
	require.Equal(t, 1, f.calls)

	// An already-ended context makes no call at all.
	err = resilience.Retry(ctx, p, f.call)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, f.calls)
}

func TestRetryMaxElapsed(t *testing.T) {
	t.Parallel()
	f := &flaky{n: 100, err: errDown}
	p := resilience.RetryPolicy{
		Initial:     100 * time.Millisecond,
		Multiplier:  10,
		Max:         time.Hour,
		MaxElapsed:  500 * time.Millisecond,
		MaxAttempts: -1,
		Rand:        func() float64 { return 0.999999 },
	}
	// Waits of about 100ms then 1s: the second would end past 500ms.
	err := resilience.Retry(context.Background(), p, f.call)
	require.ErrorIs(t, err, errDown)
	require.Equal(t, 2, f.calls)
}

func TestRetryAttemptTimeout(t *testing.T) {
	t.Parallel()
	p := fast
	p.MaxAttempts = 2
	p.AttemptTimeout = 20 * time.Millisecond
	calls := 0
	err := resilience.Retry(context.Background(), p, func(ctx context.Context) error {
		calls++
		<-ctx.Done()
		return ctx.Err()
	})
	var te *resilience.TimeoutError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 2, calls, "a timed-out attempt is retried")
}

func TestRetryFullJitterBounds(t *testing.T) {
	t.Parallel()
	// Ceilings: 1ms, 2ms, 4ms, then capped at 4ms.
	ceilings := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	tests := []struct {
		name string
		rand func() float64
		want func(ceiling time.Duration) time.Duration // nil: only check bounds
	}{
		{"bottom of the range", func() float64 { return 0 }, func(time.Duration) time.Duration { return 0 }},
		{"middle of the range", func() float64 { return 0.5 }, func(c time.Duration) time.Duration { return (c + 1) / 2 }},
		{"top of the range", func() float64 { return 1 - 1e-12 }, func(c time.Duration) time.Duration { return c }},
		{"real randomness", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var waits []time.Duration
			p := resilience.RetryPolicy{
				Initial: time.Millisecond, Max: 4 * time.Millisecond, Multiplier: 2,
				MaxAttempts: len(ceilings) + 1,
				Rand:        tt.rand,
				OnRetry:     func(_ int, _ error, wait time.Duration) { waits = append(waits, wait) },
			}
			require.Error(t, resilience.Retry(context.Background(), p, fail(errDown)))
			require.Len(t, waits, len(ceilings))
			for i, w := range waits {
				require.GreaterOrEqual(t, w, time.Duration(0), "wait %d", i)
				require.LessOrEqual(t, w, ceilings[i], "wait %d", i)
				if tt.want != nil {
					require.Equal(t, tt.want(ceilings[i]), w, "wait %d", i)
				}
			}
		})
	}
}

func TestBackoffGrowsWithFullJitterUpToMax(t *testing.T) {
	p := resilience.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}
	for range 100 {
		require.LessOrEqual(t, p.Backoff(1), 100*time.Millisecond)
		require.LessOrEqual(t, p.Backoff(3), 400*time.Millisecond)
		require.LessOrEqual(t, p.Backoff(1000), time.Second)
	}
	top := resilience.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second, Rand: func() float64 { return 0.999999999 }}
	require.InDelta(t, float64(400*time.Millisecond), float64(top.Backoff(3)), float64(time.Millisecond), "the ceiling doubles per failure")
	require.InDelta(t, float64(time.Second), float64(top.Backoff(50)), float64(time.Millisecond), "capped at Max")
	zero := resilience.RetryPolicy{Initial: 100 * time.Millisecond, Rand: func() float64 { return 0 }}
	require.Zero(t, zero.Backoff(2), "full jitter reaches zero")
}
