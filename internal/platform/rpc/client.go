package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
)

// ClientConfig says how patiently a process calls its peers (the rpc.*
// configuration keys). The zero value takes the defaults below.
type ClientConfig struct {
	// Timeout bounds each attempt of a call.
	Timeout time.Duration `koanf:"timeout"`
	// Attempts caps the calls made for one idempotent call, the first
	// included (1: no retry). Calls with side effects are made once.
	Attempts int `koanf:"attempts"`
	// BackoffInitial and BackoffMax bound the waits between attempts
	// (exponential, with full jitter).
	BackoffInitial time.Duration `koanf:"backoff_initial"`
	BackoffMax     time.Duration `koanf:"backoff_max"`
	// BreakerFailures is how many failed calls in a row open a peer's
	// circuit breaker; BreakerOpen how long it then rejects calls at once
	// before it lets a trial call through.
	BreakerFailures uint32        `koanf:"breaker_failures"`
	BreakerOpen     time.Duration `koanf:"breaker_open"`
}

// DefaultClientConfig is what a peer call gets unless configured: a peer
// on the same network answers a lookup in milliseconds, so two seconds is
// already a sick peer.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{
		Timeout: 2 * time.Second, Attempts: 3, BackoffInitial: 50 * time.Millisecond, BackoffMax: time.Second,
		BreakerFailures: 5, BreakerOpen: 10 * time.Second,
	}
}

// Validate names the key at fault (prefix is the section's key, "rpc").
func (c ClientConfig) Validate(prefix string) error {
	switch {
	case c.Timeout <= 0:
		return errs.Invalid(prefix+".timeout", "must be a positive duration such as 2s")
	case c.Attempts < 1:
		return errs.Invalid(prefix+".attempts", "must be at least 1 (1: no retry)")
	case c.BackoffInitial <= 0:
		return errs.Invalid(prefix+".backoff_initial", "must be a positive duration such as 50ms")
	case c.BackoffMax < c.BackoffInitial:
		return errs.Invalid(prefix+".backoff_max", "must be at least backoff_initial")
	case c.BreakerFailures < 1:
		return errs.Invalid(prefix+".breaker_failures", "must be at least 1")
	case c.BreakerOpen <= 0:
		return errs.Invalid(prefix+".breaker_open", "must be a positive duration such as 10s")
	}
	return nil
}

// Peer is what a process keeps per peer service: the breaker every call
// to it goes through.
type Peer struct {
	name    string
	cfg     ClientConfig
	breaker *resilience.Breaker
}

// NewPeer makes the breaker of the peer name (metrics may be nil).
func NewPeer(name string, cfg ClientConfig, metrics *resilience.BreakerMetrics) *Peer {
	return &Peer{name: name, cfg: cfg, breaker: resilience.NewBreaker("peer:"+name, resilience.BreakerOptions{
		FailureThreshold: cfg.BreakerFailures,
		OpenTimeout:      cfg.BreakerOpen,
		Metrics:          metrics,
	})}
}

// Breaker returns the peer's circuit breaker.
func (p *Peer) Breaker() *resilience.Breaker { return p.breaker }

// ClientOptions are the options of every client of the peer: errors in
// the errs vocabulary and the peer's resilience (Interceptor).
func (p *Peer) ClientOptions() []connect.ClientOption {
	return []connect.ClientOption{connect.WithInterceptors(p.Interceptor())}
}

// Interceptor wraps each unary call to the peer: every attempt has its
// own deadline (Timeout) and goes through the peer's breaker; calls
// declared free of side effects or idempotent in the proto
// (idempotency_level) are retried with exponential backoff and full
// jitter, others are made once. Errors come back in the errs vocabulary
// (see FromConnect): an open breaker is a *resilience.OpenError, which is
// errs.KindUnavailable and tells when to come back.
func (p *Peer) Interceptor() connect.Interceptor {
	policy := resilience.RetryPolicy{
		Initial: p.cfg.BackoffInitial, Max: p.cfg.BackoffMax, MaxAttempts: p.cfg.Attempts,
		// The breaker says what a failure is; a request's own fault, an
		// open breaker or the caller giving up are not worth another try.
		Retryable: func(err error) bool {
			return resilience.DefaultRetryable(err) && resilience.DefaultIsFailure(err)
		},
	}
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			caller := ctx
			var res connect.AnyResponse
			attempt := func(ctx context.Context) error {
				return p.breaker.Execute(ctx, func(ctx context.Context) error {
					return resilience.WithTimeout(ctx, p.cfg.Timeout, func(ctx context.Context) error {
						r, err := next(ctx, req)
						if err != nil && caller.Err() != nil {
							// The caller gave up: not the peer's failure.
							// context.Canceled stays in the chain even when
							// the caller cancelled with a cause of its own,
							// so the breaker ignores the call and Retry
							// does not repeat it.
							return errors.Join(callerGone(caller), FromConnect(err))
						}
						if err != nil {
							return FromConnect(err)
						}
						res = r
						return nil
					})
				})
			}
			var err error
			switch req.Spec().IdempotencyLevel {
			case connect.IdempotencyNoSideEffects, connect.IdempotencyIdempotent:
				err = resilience.Retry(ctx, policy, attempt)
			default:
				err = attempt(ctx)
			}
			if err != nil {
				return nil, err
			}
			return res, nil
		}
	})
}

// callerGone is why ctx ended: its error (context.Canceled or
// DeadlineExceeded), with its cause when that says more.
func callerGone(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause == nil || errors.Is(cause, err) {
		return err
	}
	return fmt.Errorf("%w: %w", err, cause)
}

// isClassified reports whether err is already in the errs vocabulary.
func isClassified(err error) bool {
	var e *errs.Error
	return errors.As(err, &e)
}
