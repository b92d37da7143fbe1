package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	catalogv1 "github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

type (
	req = catalogv1.GetTitlesRequest
	res = catalogv1.GetTitlesResponse
)

// peerServer is a connect server whose procedures "Read" and "Write"
// answer what fail says (nil: success) and count their calls.
type peerServer struct {
	*httptest.Server
	calls atomic.Int64
	fail  atomic.Pointer[error]
	// block, when set, makes a call wait for its context to end.
	block atomic.Bool
}

func newPeerServer(t *testing.T) *peerServer {
	s := &peerServer{}
	h := func(ctx context.Context, _ *connect.Request[req]) (*connect.Response[res], error) {
		s.calls.Add(1)
		if s.block.Load() {
			<-ctx.Done()
			return nil, connect.NewError(connect.CodeDeadlineExceeded, ctx.Err())
		}
		if err := s.fail.Load(); err != nil && *err != nil {
			return nil, *err
		}
		return connect.NewResponse(&res{}), nil
	}
	mux := http.NewServeMux()
	mux.Handle("/test.v1.Test/Read", connect.NewUnaryHandler("/test.v1.Test/Read", h))
	mux.Handle("/test.v1.Test/Write", connect.NewUnaryHandler("/test.v1.Test/Write", h))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *peerServer) failWith(err error) { s.fail.Store(&err) }

func clients(s *peerServer, p *rpc.Peer) (read, write *connect.Client[req, res]) {
	read = connect.NewClient[req, res](s.Client(), s.URL+"/test.v1.Test/Read",
		append(p.ClientOptions(), connect.WithIdempotency(connect.IdempotencyNoSideEffects))...)
	write = connect.NewClient[req, res](s.Client(), s.URL+"/test.v1.Test/Write", p.ClientOptions()...)
	return read, write
}

func config() rpc.ClientConfig {
	return rpc.ClientConfig{Timeout: 5 * time.Second, Attempts: 3, BackoffInitial: time.Millisecond, BackoffMax: 2 * time.Millisecond,
		BreakerFailures: 100, BreakerOpen: time.Minute}
}

func call(c *connect.Client[req, res]) error {
	_, err := c.CallUnary(context.Background(), connect.NewRequest(&req{}))
	return rpc.FromConnect(err)
}

// Reads are retried, calls with side effects are made once, and a
// request's own fault is not retried at all.
func TestPeerRetriesIdempotentCallsOnly(t *testing.T) {
	s := newPeerServer(t)
	read, write := clients(s, rpc.NewPeer("test", config(), nil))

	s.failWith(connect.NewError(connect.CodeUnavailable, errors.New("overloaded")))
	err := call(read)
	require.True(t, errs.Is(err, errs.KindUnavailable), err)
	require.EqualValues(t, 3, s.calls.Swap(0), "a read is tried Attempts times")

	err = call(write)
	require.True(t, errs.Is(err, errs.KindUnavailable), err)
	require.EqualValues(t, 1, s.calls.Swap(0), "a call with side effects is made once")

	s.failWith(connect.NewError(connect.CodeNotFound, errors.New("no such title")))
	err = call(read)
	require.True(t, errs.Is(err, errs.KindNotFound), err)
	require.EqualValues(t, 1, s.calls.Swap(0), "a not found is an answer, not a failure")

	// A failure then a success: the read succeeds on its second attempt.
	var n atomic.Int64
	s.failWith(nil)
	// Interceptors run outermost first: put the peer's outside the flaky one.
	flaky := connect.NewClient[req, res](s.Client(), s.URL+"/test.v1.Test/Read",
		connect.WithIdempotency(connect.IdempotencyNoSideEffects),
		connect.WithInterceptors(rpc.NewPeer("flaky", config(), nil).Interceptor(), connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, r connect.AnyRequest) (connect.AnyResponse, error) {
				if n.Add(1) == 1 {
					return nil, connect.NewError(connect.CodeUnavailable, errors.New("first attempt fails"))
				}
				return next(ctx, r)
			}
		})))
	require.NoError(t, call(flaky))
	require.EqualValues(t, 2, n.Load())
	require.EqualValues(t, 1, s.calls.Load())
}

// After BreakerFailures failures in a row the peer's breaker opens: calls
// fail at once without reaching the peer, as errs.KindUnavailable that the
// HTTP layer answers with 503 and a Retry-After of the time left.
func TestPeerBreakerOpens(t *testing.T) {
	s := newPeerServer(t)
	cfg := config()
	cfg.Attempts, cfg.BreakerFailures = 1, 2
	p := rpc.NewPeer("test", cfg, nil)
	read, write := clients(s, p)
	s.failWith(connect.NewError(connect.CodeInternal, errors.New("boom")))
	require.Error(t, call(read))
	require.Error(t, call(write))
	require.Equal(t, resilience.StateOpen, p.Breaker().State())

	err := call(read)
	require.ErrorIs(t, err, resilience.ErrOpen)
	require.True(t, errs.Is(err, errs.KindUnavailable), err)
	require.EqualValues(t, 2, s.calls.Load(), "an open breaker does not call the peer")
	after, ok := resilience.RetryAfter(err)
	require.True(t, ok)
	require.Positive(t, after)

	prob := httpx.ProblemFrom(context.Background(), errs.Unavailable(err, "credits of title tt1"))
	require.Equal(t, http.StatusServiceUnavailable, prob.Status)
	require.Greater(t, prob.RetryAfter, 1, "Retry-After is the breaker's time left (about a minute), not the default second")
	require.LessOrEqual(t, prob.RetryAfter, 60)
}

// A peer that does not answer in Timeout fails the attempt as
// unavailable; the read is retried, each attempt with its own deadline.
func TestPeerTimeout(t *testing.T) {
	s := newPeerServer(t)
	cfg := config()
	cfg.Timeout, cfg.Attempts = 20*time.Millisecond, 2
	// Attempts are counted on the client side: on a loaded machine an
	// attempt's deadline may end before its request reaches the peer.
	var attempts atomic.Int64
	read := connect.NewClient[req, res](s.Client(), s.URL+"/test.v1.Test/Read",
		connect.WithIdempotency(connect.IdempotencyNoSideEffects),
		connect.WithInterceptors(rpc.NewPeer("test", cfg, nil).Interceptor(), connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, r connect.AnyRequest) (connect.AnyResponse, error) {
				attempts.Add(1)
				return next(ctx, r)
			}
		})))
	s.block.Store(true)
	// The deadline travels with the call, so the peer may give up first
	// (deadline exceeded) or the client (*resilience.TimeoutError): either
	// way the attempt is unavailable.
	err := call(read)
	require.True(t, errs.Is(err, errs.KindUnavailable), err)
	require.EqualValues(t, 2, attempts.Load())
}

// A caller that gives up does not count against the peer.
func TestPeerCallerCancelIsNoFailure(t *testing.T) {
	s := newPeerServer(t)
	cfg := config()
	cfg.Attempts, cfg.BreakerFailures = 1, 1
	p := rpc.NewPeer("test", cfg, nil)
	read, _ := clients(s, p)
	s.block.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		require.Eventually(t, func() bool { return s.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := read.CallUnary(ctx, connect.NewRequest(&req{}))
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, resilience.StateClosed, p.Breaker().State())
}

// A caller that gives up with a cause of its own (context.WithCancelCause)
// is still a cancellation: the breaker stays closed and the read is not
// retried.
func TestPeerCallerCancelWithCauseIsNoFailure(t *testing.T) {
	s := newPeerServer(t)
	cfg := config()
	cfg.Attempts, cfg.BreakerFailures = 3, 1
	p := rpc.NewPeer("test", cfg, nil)
	read, _ := clients(s, p)
	s.block.Store(true)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		require.Eventually(t, func() bool { return s.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
		cancel(errors.New("the HTTP client hung up"))
	}()
	_, err := read.CallUnary(ctx, connect.NewRequest(&req{}))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "hung up")
	require.Equal(t, resilience.StateClosed, p.Breaker().State())
	require.EqualValues(t, 1, s.calls.Load(), "a cancelled call is not retried")
}

// A handler cut short by its caller's cancellation answers Canceled, not
// Internal.
func TestToConnectKeepsCancellation(t *testing.T) {
	require.Equal(t, connect.CodeCanceled, connect.CodeOf(rpc.ToConnect(fmt.Errorf("query: %w", context.Canceled))))
	require.Equal(t, connect.CodeDeadlineExceeded, connect.CodeOf(rpc.ToConnect(fmt.Errorf("query: %w", context.DeadlineExceeded))))
	require.Equal(t, connect.CodeInternal, connect.CodeOf(rpc.ToConnect(errors.New("boom"))))
}
