// Package resilience keeps a slow or failing dependency from taking its
// callers down with it: a circuit breaker that fails fast while a dependency
// is down, retries with exponential backoff and full jitter, and per-call
// timeouts.
//
// They compose from the outside in, retry around breaker around timeout, so
// each attempt gets its own deadline, each failure is counted by the breaker,
// and an open breaker ends the retries at once:
//
//	err := resilience.Retry(ctx, policy, func(ctx context.Context) error {
//		return breaker.Execute(ctx, func(ctx context.Context) error {
//			return resilience.WithTimeout(ctx, 2*time.Second, call)
//		})
//	})
//
// Retry only idempotent calls: a retried payment is a second payment.
package resilience
