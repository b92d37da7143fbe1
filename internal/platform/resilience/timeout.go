package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// TimeoutError is the error of a call that WithTimeout cut short. It unwraps
// to errs.KindUnavailable (the dependency did not answer in time), to
// context.DeadlineExceeded, and to the call's own error.
type TimeoutError struct {
	// After is the timeout that expired.
	After time.Duration
	// Err is what the call returned when its context ended.
	Err error
}

// Error says how long the call was given and what it returned.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s: %v", e.After, e.Err)
}

// Unwrap puts the kind first so errs.KindOf finds it before any kind in the
// call's own error.
func (e *TimeoutError) Unwrap() []error {
	return []error{
		&errs.Error{Kind: errs.KindUnavailable, Detail: "timed out"},
		context.DeadlineExceeded,
		e.Err,
	}
}

// errTimedOut is the cause WithTimeout gives its context, so it can tell its
// own deadline from one the caller set.
var errTimedOut = errors.New("resilience: call timed out")

// WithTimeout calls fn with a context that ends after d (d <= 0: no extra
// deadline). When fn fails because of that deadline the error is a
// *TimeoutError; when the caller's own context ended, fn's error comes back
// as is, because then the caller, not the dependency, gave up.
//
// fn must return when its context ends: WithTimeout does not abandon a
// running call, which would leave it running with its side effects unknown.
func WithTimeout(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	if d <= 0 {
		return fn(ctx)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, d, errTimedOut)
	defer cancel()
	err := fn(tctx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(tctx), errTimedOut) {
		return &TimeoutError{After: d, Err: err}
	}
	return err
}
