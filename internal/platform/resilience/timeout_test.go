package resilience_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
)

// slow waits for its context, as a well-behaved network call does.
func slow(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestWithTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		d           time.Duration
		fn          func(context.Context) error
		wantTimeout bool
		wantErr     error
	}{
		{"fast success", time.Second, succeed, false, nil},
		{"fast failure passes through", time.Second, fail(errDown), false, errDown},
		{"slow call is cut short", 20 * time.Millisecond, slow, true, context.DeadlineExceeded},
		{"no timeout adds no deadline", 0, func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); ok {
				return errors.New("unexpected deadline")
			}
			return nil
		}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := resilience.WithTimeout(context.Background(), tt.d, tt.fn)
			require.Less(t, time.Since(start), 5*time.Second)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var te *resilience.TimeoutError
			require.Equal(t, tt.wantTimeout, errors.As(err, &te))
			if tt.wantTimeout {
				require.Equal(t, tt.d, te.After)
				require.True(t, errs.Is(err, errs.KindUnavailable), "a timeout maps to 503")
			}
		})
	}
}

func TestWithTimeoutCallerCancelIsNotATimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- resilience.WithTimeout(ctx, time.Hour, slow) }()
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	var te *resilience.TimeoutError
	require.False(t, errors.As(err, &te), "the caller gave up; the dependency did not time out")
}

func TestWithTimeoutCallerDeadlineIsNotOurs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := resilience.WithTimeout(ctx, time.Hour, slow)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var te *resilience.TimeoutError
	require.False(t, errors.As(err, &te))
}
