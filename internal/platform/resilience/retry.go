package resilience

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	// backoff/v5 runs the retry loop because it is the standard Go backoff
	// library, well kept, context-aware, and has the stop conditions we want
	// (attempts, elapsed time, permanent errors). Its own randomization is
	// "equal jitter" around the interval, not full jitter, so the delays
	// come from fullJitter below.
	"github.com/cenkalti/backoff/v5"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Defaults for a zero RetryPolicy.
const (
	DefaultRetryInitial     = 100 * time.Millisecond
	DefaultRetryMax         = 5 * time.Second
	DefaultRetryMultiplier  = 2.0
	DefaultRetryMaxAttempts = 3
)

// RetryPolicy says how often and how patiently Retry tries. The zero value
// is usable: three attempts, waits of up to 100ms then 200ms.
type RetryPolicy struct {
	// Initial is the ceiling of the first wait; 0 means DefaultRetryInitial.
	Initial time.Duration
	// Max caps the ceiling of any one wait; 0 means DefaultRetryMax.
	Max time.Duration
	// Multiplier grows the ceiling after each wait; 0 means
	// DefaultRetryMultiplier.
	Multiplier float64
	// MaxElapsed stops retrying when the next wait would end later than this
	// after the first attempt began; 0 means no limit but the context's.
	MaxElapsed time.Duration
	// MaxAttempts caps the calls, the first one included; 0 means
	// DefaultRetryMaxAttempts, a negative value means no cap.
	MaxAttempts int
	// AttemptTimeout bounds each attempt (see WithTimeout); 0 means none.
	AttemptTimeout time.Duration
	// Retryable says whether an error is worth another attempt; nil means
	// DefaultRetryable. Errors marked with Permanent never are.
	Retryable func(error) bool
	// OnRetry is told of each failed attempt that will be retried, with the
	// wait before the next one (for logs and tests).
	OnRetry func(attempt int, err error, wait time.Duration)
	// Rand returns uniform numbers in [0, 1) for the jitter; nil means
	// math/rand/v2. It may be called from several goroutines when the policy
	// is shared. Tests inject a fixed one.
	Rand func() float64
}

// DefaultRetryable retries everything except errors that another attempt
// cannot fix: the request's own faults (invalid, not found, conflict,
// unauthorized, forbidden) and an open breaker (it will still be open in a
// few hundred milliseconds; the caller should fail fast instead).
func DefaultRetryable(err error) bool {
	if errors.Is(err, ErrOpen) {
		return false
	}
	switch errs.KindOf(err) {
	case errs.KindInvalid, errs.KindNotFound, errs.KindConflict, errs.KindPrecondition, errs.KindUnauthorized, errs.KindForbidden:
		return false
	}
	return true
}

// Permanent marks err as not worth retrying: Retry returns it (unwrapped) at
// once. Permanent(nil) is nil.
func Permanent(err error) error { return backoff.Permanent(err) }

// Retry calls fn until it succeeds, returns an error that is not retryable,
// runs out of attempts or time, or ctx ends. Between attempts it waits a
// random time in [0, ceiling], where the ceiling grows exponentially from
// Initial up to Max ("full jitter": it spreads clients that failed together
// so they do not come back together).
//
// It returns nil or fn's last error; when ctx ends, ctx's error wrapping fn's
// last error.
func Retry(ctx context.Context, p RetryPolicy, fn func(ctx context.Context) error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	retryable := p.Retryable
	if retryable == nil {
		retryable = DefaultRetryable
	}
	maxAttempts := p.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = DefaultRetryMaxAttempts
	}

	attempt := 0
	var lastErr error
	op := func() (struct{}, error) {
		attempt++
		err := WithTimeout(ctx, p.AttemptTimeout, fn)
		lastErr = err
		if err != nil && !retryable(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}
	opts := []backoff.RetryOption{
		backoff.WithBackOff(newFullJitter(p)),
		// Zero turns off backoff's default of 15 minutes, which is no
		// default for a request path.
		backoff.WithMaxElapsedTime(p.MaxElapsed),
	}
	if maxAttempts > 0 {
		opts = append(opts, backoff.WithMaxTries(uint(maxAttempts)))
	}
	if p.OnRetry != nil {
		opts = append(opts, backoff.WithNotify(func(err error, wait time.Duration) {
			p.OnRetry(attempt, err, wait)
		}))
	}

	_, err := backoff.Retry(ctx, op, opts...)
	if err == nil {
		return nil
	}
	// backoff hands back a Permanent error still wrapped when it was also the
	// last allowed attempt; callers should see fn's error either way.
	var perm *backoff.PermanentError
	if errors.As(err, &perm) {
		return perm.Unwrap()
	}
	if ctx.Err() != nil && lastErr != nil && !errors.Is(err, lastErr) {
		return fmt.Errorf("%w (last attempt: %w)", err, lastErr)
	}
	return err
}

// Backoff is the wait after the failures-th failure in a row (from 1), as
// Retry would wait: a random time in [0, ceiling], the ceiling Initial
// grown by Multiplier per failure and capped at Max. It is for loops that
// keep running through failures rather than retrying one call (a relay, a
// consumer), which count their failures themselves.
func (p RetryPolicy) Backoff(failures int) time.Duration {
	j := newFullJitter(p)
	// The ceiling stops growing at Max long before 64 doublings.
	for range min(failures, 64) - 1 {
		j.exp.NextBackOff()
	}
	return j.NextBackOff()
}

// fullJitter is a backoff.BackOff that draws each wait uniformly from
// [0, ceiling], with the ceiling from an exponential backoff without
// randomization (Initial, Initial*Multiplier, ... capped at Max).
type fullJitter struct {
	exp  backoff.ExponentialBackOff
	rand func() float64
}

func newFullJitter(p RetryPolicy) *fullJitter {
	j := &fullJitter{rand: p.Rand}
	j.exp.InitialInterval = cmp.Or(p.Initial, DefaultRetryInitial)
	j.exp.MaxInterval = max(cmp.Or(p.Max, DefaultRetryMax), j.exp.InitialInterval)
	j.exp.Multiplier = cmp.Or(p.Multiplier, DefaultRetryMultiplier)
	j.exp.RandomizationFactor = 0
	if j.rand == nil {
		j.rand = rand.Float64
	}
	j.exp.Reset()
	return j
}

// NextBackOff implements backoff.BackOff.
func (j *fullJitter) NextBackOff() time.Duration {
	ceiling := j.exp.NextBackOff()
	// rand is in [0, 1), so scaling ceiling+1 makes ceiling itself reachable.
	return time.Duration(j.rand() * float64(ceiling+1))
}

// Reset implements backoff.BackOff.
func (j *fullJitter) Reset() { j.exp.Reset() }
