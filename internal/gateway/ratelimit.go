package gateway

import (
	"context"
	"math"
	"time"

	// redis_rate implements GCRA (a token bucket) in one Lua script, so
	// every gateway replica draws from the same bucket atomically; it is the
	// go-redis project's own rate limiter, small and well kept.
	"github.com/go-redis/redis_rate/v10"
	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
	// x/time/rate is the Go team's token bucket for the in-process limiter.
	"golang.org/x/time/rate"
)

// Decision is a limiter's answer for one request.
type Decision struct {
	Allowed bool
	// Limit is the bucket's size (its burst).
	Limit int
	// Remaining is the tokens left after this request.
	Remaining int
	// RetryAfter is how long until a refused request could pass.
	RetryAfter time.Duration
	// ResetAfter is how long until the bucket is full again.
	ResetAfter time.Duration
}

// Limiter draws one token from the bucket named key.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
}

// LocalLimiter keeps the buckets in this process: right for one replica.
// Buckets idle for ten minutes are dropped, and at most maxKeys are kept,
// so a flood of addresses cannot grow it without bound.
type LocalLimiter struct {
	buckets *otter.Cache[string, *rate.Limiter]
}

// NewLocalLimiter makes an in-process limiter.
func NewLocalLimiter() *LocalLimiter {
	c, err := otter.New(&otter.Options[string, *rate.Limiter]{
		MaximumSize:      200_000,
		ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](10 * time.Minute),
	})
	if err != nil {
		panic(err) // only for invalid options, which these are not
	}
	return &LocalLimiter{buckets: c}
}

// Allow implements Limiter.
func (l *LocalLimiter) Allow(_ context.Context, key string, lim Limit) (Decision, error) {
	b, ok := l.buckets.GetIfPresent(key)
	if !ok {
		// Get makes one bucket for a key however many requests race for it.
		b, _ = l.buckets.Get(context.Background(), key, otter.LoaderFunc[string, *rate.Limiter](
			func(context.Context, string) (*rate.Limiter, error) {
				return rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst), nil
			}))
	}
	now := time.Now()
	res := b.ReserveN(now, 1)
	d := Decision{Limit: lim.Burst}
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		d.RetryAfter = wait
	} else {
		d.Allowed = true
	}
	tokens := b.TokensAt(now)
	d.Remaining = max(int(tokens), 0)
	d.ResetAfter = time.Duration((float64(lim.Burst) - tokens) / lim.Rate * float64(time.Second))
	return d, nil
}

// RedisLimiter keeps the buckets in Redis, shared by every replica.
type RedisLimiter struct {
	rl     *redis_rate.Limiter
	prefix string
}

// NewRedisLimiter uses rdb; keyPrefix keeps deployments apart.
func NewRedisLimiter(rdb redis.UniversalClient, keyPrefix string) *RedisLimiter {
	return &RedisLimiter{rl: redis_rate.NewLimiter(rdb), prefix: keyPrefix + "gateway:"}
}

// Allow implements Limiter.
func (l *RedisLimiter) Allow(ctx context.Context, key string, lim Limit) (Decision, error) {
	res, err := l.rl.Allow(ctx, l.prefix+key, redisLimit(lim))
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Allowed: res.Allowed > 0, Limit: lim.Burst, Remaining: res.Remaining, ResetAfter: res.ResetAfter}
	if !d.Allowed {
		d.RetryAfter = res.RetryAfter
	}
	return d, nil
}

// redisLimit expresses a per-second rate as redis_rate's whole events per
// period, choosing the period that keeps the rate's precision.
func redisLimit(l Limit) redis_rate.Limit {
	period := time.Second
	for _, p := range []time.Duration{time.Second, time.Minute, time.Hour} {
		period = p
		if l.Rate*p.Seconds() >= 100 || math.Abs(l.Rate*p.Seconds()-math.Round(l.Rate*p.Seconds())) < 1e-9 {
			break
		}
	}
	return redis_rate.Limit{Rate: max(int(math.Round(l.Rate*period.Seconds())), 1), Burst: l.Burst, Period: period}
}
