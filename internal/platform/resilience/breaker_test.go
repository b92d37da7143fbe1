package resilience_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
)

var errDown = errors.New("connection refused")

func fail(error) func(context.Context) error {
	return func(context.Context) error { return errDown }
}

func succeed(context.Context) error { return nil }

// trip fails calls through b until it opens.
func trip(t testing.TB, b *resilience.Breaker, n int) {
	t.Helper()
	for range n {
		require.ErrorIs(t, b.Execute(context.Background(), fail(errDown)), errDown)
	}
	require.Equal(t, resilience.StateOpen, b.State())
}

func TestBreakerOpensAfterThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		threshold uint32
		wantOpen  int // failures that open it
	}{
		{"default threshold", 0, resilience.DefaultFailureThreshold},
		{"threshold 1", 1, 1},
		{"threshold 3", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := resilience.NewBreaker("inventory", resilience.BreakerOptions{FailureThreshold: tt.threshold, OpenTimeout: time.Minute})
			for range tt.wantOpen - 1 {
				require.ErrorIs(t, b.Execute(context.Background(), fail(errDown)), errDown)
			}
			require.Equal(t, resilience.StateClosed, b.State())
			require.ErrorIs(t, b.Execute(context.Background(), fail(errDown)), errDown)
			require.Equal(t, resilience.StateOpen, b.State())
		})
	}
}

func TestBreakerRejectsFastWhileOpen(t *testing.T) {
	t.Parallel()
	b := resilience.NewBreaker("payment", resilience.BreakerOptions{FailureThreshold: 2, OpenTimeout: time.Minute})
	trip(t, b, 2)

	var called atomic.Bool
	start := time.Now()
	err := b.Execute(context.Background(), func(context.Context) error {
		called.Store(true)
		return nil
	})
	require.Less(t, time.Since(start), 100*time.Millisecond)
	require.False(t, called.Load(), "an open breaker does not call through")

	require.ErrorIs(t, err, resilience.ErrOpen)
	require.True(t, errs.Is(err, errs.KindUnavailable), "rejections map to 503")
	var oe *resilience.OpenError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "payment", oe.Name)
	after, ok := resilience.RetryAfter(err)
	require.True(t, ok)
	require.Greater(t, after, 50*time.Second, "about the open timeout is left")
	require.LessOrEqual(t, after, time.Minute)

	_, ok = resilience.RetryAfter(errDown)
	require.False(t, ok)
}

func TestBreakerIgnoresHealthyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
	}{
		{"not found", errs.NotFound("title %s", "tt1")},
		{"invalid", errs.Invalid("year", "must be a number")},
		{"conflict", errs.Conflict("seat taken")},
		{"forbidden", errs.Forbidden("no")},
		{"caller cancelled", context.Canceled},
		{"success", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := resilience.NewBreaker("x", resilience.BreakerOptions{FailureThreshold: 2})
			for range 10 {
				err := b.Execute(context.Background(), func(context.Context) error { return tt.err })
				require.ErrorIs(t, err, tt.err)
			}
			require.Equal(t, resilience.StateClosed, b.State())
		})
	}
}

func TestBreakerCustomIsFailure(t *testing.T) {
	t.Parallel()
	b := resilience.NewBreaker("x", resilience.BreakerOptions{
		FailureThreshold: 1,
		IsFailure:        func(err error) bool { return errs.Is(err, errs.KindNotFound) },
	})
	require.Error(t, b.Execute(context.Background(), fail(errDown)))
	require.Equal(t, resilience.StateClosed, b.State())
	require.Error(t, b.Execute(context.Background(), func(context.Context) error { return errs.NotFound("x") }))
	require.Equal(t, resilience.StateOpen, b.State())
}

func TestBreakerHalfOpensAfterTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		trial func(context.Context) error
		want  resilience.State
	}{
		{"successful trial closes", succeed, resilience.StateClosed},
		{"failed trial reopens", fail(errDown), resilience.StateOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var transitions []string
			b := resilience.NewBreaker("x", resilience.BreakerOptions{
				FailureThreshold: 1,
				OpenTimeout:      50 * time.Millisecond,
				OnStateChange: func(_ string, from, to resilience.State) {
					transitions = append(transitions, string(from)+">"+string(to))
				},
			})
			trip(t, b, 1)
			require.Eventually(t, func() bool { return b.State() == resilience.StateHalfOpen },
				5*time.Second, 5*time.Millisecond)
			_ = b.Execute(context.Background(), tt.trial)
			require.Equal(t, tt.want, b.State())
			require.Equal(t, []string{"closed>open", "open>half-open", "half-open>" + string(tt.want)}, transitions)
		})
	}
}

func TestBreakerHalfOpenLimitsTrials(t *testing.T) {
	t.Parallel()
	b := resilience.NewBreaker("x", resilience.BreakerOptions{FailureThreshold: 1, OpenTimeout: 20 * time.Millisecond})
	trip(t, b, 1)
	require.Eventually(t, func() bool { return b.State() == resilience.StateHalfOpen }, 5*time.Second, 5*time.Millisecond)

	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.Execute(context.Background(), func(context.Context) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	err := b.Execute(context.Background(), succeed)
	require.ErrorIs(t, err, resilience.ErrOpen, "one trial at a time while half open")
	after, _ := resilience.RetryAfter(err)
	require.LessOrEqual(t, after, time.Second)

	close(gate)
	require.NoError(t, <-done)
	require.Equal(t, resilience.StateClosed, b.State())
}

func TestBreakerCancelledContext(t *testing.T) {
	t.Parallel()
	b := resilience.NewBreaker("x", resilience.BreakerOptions{FailureThreshold: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var called atomic.Bool
	err := b.Execute(ctx, func(context.Context) error { called.Store(true); return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called.Load())
	require.Equal(t, resilience.StateClosed, b.State())
}

func TestBreakerMetrics(t *testing.T) {
	t.Parallel()
	m := resilience.NewBreakerMetrics()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	b := resilience.NewBreaker("recommendation", resilience.BreakerOptions{FailureThreshold: 1, OpenTimeout: time.Minute, Metrics: m})
	resilience.NewBreaker("actor", resilience.BreakerOptions{Metrics: m})
	trip(t, b, 1)
	require.ErrorIs(t, b.Execute(context.Background(), succeed), resilience.ErrOpen)
	require.ErrorIs(t, b.Execute(context.Background(), succeed), resilience.ErrOpen)

	want := `
# HELP cdlc_circuit_breaker_rejected_total Calls a circuit breaker rejected without making them.
# TYPE cdlc_circuit_breaker_rejected_total counter
cdlc_circuit_breaker_rejected_total{name="recommendation"} 2
# HELP cdlc_circuit_breaker_state Circuit breaker state: 1 for the current state, 0 for the others.
# TYPE cdlc_circuit_breaker_state gauge
cdlc_circuit_breaker_state{name="actor",state="closed"} 1
cdlc_circuit_breaker_state{name="actor",state="half-open"} 0
cdlc_circuit_breaker_state{name="actor",state="open"} 0
cdlc_circuit_breaker_state{name="recommendation",state="closed"} 0
cdlc_circuit_breaker_state{name="recommendation",state="half-open"} 0
cdlc_circuit_breaker_state{name="recommendation",state="open"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))
}
