package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	// gobreaker is the state machine because it is small, widely used and
	// well kept (Sony), generic over the result type in v2, and lets us say
	// which errors count (IsSuccessful) and which do not count at all
	// (IsExcluded), which a breaker in front of business APIs needs.
	"github.com/sony/gobreaker/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// State is where a breaker stands.
type State string

// The states. Closed lets calls through and counts failures; Open rejects
// them at once; HalfOpen lets a few trial calls through to see whether the
// dependency is back.
const (
	StateClosed   State = "closed"
	StateHalfOpen State = "half-open"
	StateOpen     State = "open"
)

var allStates = []State{StateClosed, StateHalfOpen, StateOpen}

func stateOf(s gobreaker.State) State {
	switch s {
	case gobreaker.StateOpen:
		return StateOpen
	case gobreaker.StateHalfOpen:
		return StateHalfOpen
	default:
		return StateClosed
	}
}

// Defaults for a zero BreakerOptions.
const (
	DefaultFailureThreshold = 5
	DefaultOpenTimeout      = 30 * time.Second
)

// ErrOpen is in the chain of every error a breaker returns when it rejects a
// call without making it.
var ErrOpen = errors.New("circuit breaker is open")

// OpenError is the error of a call the breaker rejected. It unwraps to
// ErrOpen and to errs.KindUnavailable, so transports answer 503, and
// RetryAfter feeds the Retry-After header.
type OpenError struct {
	// Name is the breaker's name (usually the dependency's).
	Name string
	// RetryAfter is how long until the breaker lets a trial call through.
	RetryAfter time.Duration
}

// Error says which breaker rejected the call and when to try again.
func (e *OpenError) Error() string {
	return fmt.Sprintf("circuit breaker %q is open; retry in %s", e.Name, e.RetryAfter.Round(time.Millisecond))
}

// Unwrap puts the kind first so errs.KindOf finds it.
func (e *OpenError) Unwrap() []error {
	return []error{&errs.Error{Kind: errs.KindUnavailable, Detail: fmt.Sprintf("%s is unavailable", e.Name)}, ErrOpen}
}

// RetryAfter returns how long to wait before calling again, when err (or an
// error in its chain) is a breaker's rejection.
func RetryAfter(err error) (time.Duration, bool) {
	var oe *OpenError
	if errors.As(err, &oe) {
		return oe.RetryAfter, true
	}
	return 0, false
}

// BreakerOptions tunes a breaker; the zero value is usable.
type BreakerOptions struct {
	// FailureThreshold is the number of consecutive failures that opens the
	// breaker; 0 means DefaultFailureThreshold.
	FailureThreshold uint32
	// OpenTimeout is how long the breaker stays open before it lets trial
	// calls through; 0 means DefaultOpenTimeout.
	OpenTimeout time.Duration
	// HalfOpenMaxCalls is the number of trial calls let through while half
	// open; that many successes in a row close the breaker, one failure opens
	// it again. 0 means 1.
	HalfOpenMaxCalls uint32
	// IsFailure says whether an error counts against the dependency; nil
	// means DefaultIsFailure.
	IsFailure func(error) bool
	// OnStateChange is told of every transition. It runs under the breaker's
	// lock, so it must be quick and must not call the breaker.
	OnStateChange func(name string, from, to State)
	// Metrics, when set, exports this breaker's state.
	Metrics *BreakerMetrics
}

// DefaultIsFailure counts every error as a failure except those that say the
// dependency is healthy and the request was at fault (invalid, not found,
// conflict, unauthorized, forbidden) and context.Canceled (the caller gave
// up, which says nothing about the dependency). A deadline exceeded counts:
// a dependency too slow to answer is a failing one.
func DefaultIsFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	switch errs.KindOf(err) {
	case errs.KindInvalid, errs.KindNotFound, errs.KindConflict, errs.KindPrecondition, errs.KindUnauthorized, errs.KindForbidden:
		return false
	}
	return true
}

// Breaker is a circuit breaker around one dependency. It is safe for
// concurrent use; make one per dependency and share it.
type Breaker struct {
	name        string
	cb          *gobreaker.CircuitBreaker[struct{}]
	openTimeout time.Duration
	// openedAt is when the breaker last opened (unix nanoseconds), kept
	// because gobreaker does not tell when an open breaker will half-open.
	openedAt atomic.Int64
	metrics  *BreakerMetrics
}

// NewBreaker makes a closed breaker. name labels its errors and metrics.
func NewBreaker(name string, opts BreakerOptions) *Breaker {
	b := &Breaker{name: name, openTimeout: opts.OpenTimeout, metrics: opts.Metrics}
	if b.openTimeout <= 0 {
		b.openTimeout = DefaultOpenTimeout
	}
	threshold := opts.FailureThreshold
	if threshold == 0 {
		threshold = DefaultFailureThreshold
	}
	isFailure := opts.IsFailure
	if isFailure == nil {
		isFailure = DefaultIsFailure
	}
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: opts.HalfOpenMaxCalls,
		Timeout:     b.openTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= threshold },
		IsSuccessful: func(err error) bool {
			return !isFailure(err)
		},
		// A cancelled call is neither a success nor a failure: it must not
		// close a half-open breaker, nor hold one of its trial slots.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.openedAt.Store(time.Now().UnixNano())
			}
			if opts.OnStateChange != nil {
				opts.OnStateChange(name, stateOf(from), stateOf(to))
			}
		},
	})
	if b.metrics != nil {
		b.metrics.add(b)
	}
	return b
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

// State returns the breaker's state now.
func (b *Breaker) State() State { return stateOf(b.cb.State()) }

// Execute calls fn unless the breaker is open, and counts its outcome. A
// rejected call returns an *OpenError (errs.KindUnavailable) without calling
// fn; otherwise fn's error comes back unchanged. A panic in fn counts as a
// failure and goes on up.
func (b *Breaker) Execute(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Err() != nil {
		// Do not spend a half-open trial slot on a call that cannot succeed.
		return context.Cause(ctx)
	}
	_, err := b.cb.Execute(func() (struct{}, error) { return struct{}{}, fn(ctx) })
	// gobreaker returns its sentinels bare when it rejects, so identity
	// (not errors.Is) tells a rejection here from fn's error that wraps a
	// rejection by another breaker further down.
	//nolint:errorlint // see above
	if err == gobreaker.ErrOpenState || err == gobreaker.ErrTooManyRequests {
		if b.metrics != nil {
			b.metrics.rejected.WithLabelValues(b.name).Inc()
		}
		return &OpenError{Name: b.name, RetryAfter: b.retryAfter(err)}
	}
	return err
}

func (b *Breaker) retryAfter(rejection error) time.Duration {
	//nolint:errorlint // a bare sentinel, as in Execute
	if rejection == gobreaker.ErrTooManyRequests {
		// Half open with every trial slot taken: the trials will settle it
		// soon, but how soon is unknown; a second (or less) is a fair guess.
		return min(time.Second, b.openTimeout)
	}
	left := b.openTimeout - time.Since(time.Unix(0, b.openedAt.Load()))
	return max(left, 0)
}

// BreakerMetrics exports the state of breakers to Prometheus:
// cdlc_circuit_breaker_state{name,state} is 1 for the state a breaker is in
// and 0 for the others, and cdlc_circuit_breaker_rejected_total{name} counts
// calls rejected while open. Register it once (it is a
// prometheus.Collector) and pass it in BreakerOptions.Metrics.
type BreakerMetrics struct {
	stateDesc *prometheus.Desc
	rejected  *prometheus.CounterVec

	mu       sync.Mutex
	breakers map[string]*Breaker
}

var _ prometheus.Collector = (*BreakerMetrics)(nil)

// NewBreakerMetrics makes an unregistered collector.
func NewBreakerMetrics() *BreakerMetrics {
	return &BreakerMetrics{
		stateDesc: prometheus.NewDesc("cdlc_circuit_breaker_state",
			"Circuit breaker state: 1 for the current state, 0 for the others.",
			[]string{"name", "state"}, nil),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cdlc_circuit_breaker_rejected_total",
			Help: "Calls a circuit breaker rejected without making them.",
		}, []string{"name"}),
		breakers: map[string]*Breaker{},
	}
}

// add tracks b; a later breaker of the same name replaces the earlier one,
// which keeps the series unique.
func (m *BreakerMetrics) add(b *Breaker) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.breakers[b.name] = b
}

// Describe implements prometheus.Collector.
func (m *BreakerMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.stateDesc
	m.rejected.Describe(ch)
}

// Collect implements prometheus.Collector. It reads each breaker's state at
// scrape time, because an open breaker becomes half open by the passing of
// time, without an event that could update a gauge.
func (m *BreakerMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	breakers := make([]*Breaker, 0, len(m.breakers))
	for _, b := range m.breakers {
		breakers = append(breakers, b)
	}
	m.mu.Unlock()
	for _, b := range breakers {
		cur := b.State()
		for _, s := range allStates {
			v := 0.0
			if s == cur {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(m.stateDesc, prometheus.GaugeValue, v, b.name, string(s))
		}
	}
	m.rejected.Collect(ch)
}
