package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// RedisOptions configures the Redis adapter. Zero durations and sizes take
// go-redis's defaults.
type RedisOptions struct {
	// Addr is host:port of the server.
	Addr string `koanf:"addr"`
	// Username and Password authenticate (ACL user, or password alone).
	Username string `koanf:"username"`
	Password string `koanf:"password" secret:"true"`
	// DB selects the logical database.
	DB int `koanf:"db"`
	// KeyPrefix is prepended to every key, so several deployments or
	// environments can share one server without seeing each other's keys.
	KeyPrefix string `koanf:"key_prefix"`
	// DialTimeout, ReadTimeout and WriteTimeout bound each network step;
	// the caller's context bounds the whole call as well.
	DialTimeout  time.Duration `koanf:"dial_timeout"`
	ReadTimeout  time.Duration `koanf:"read_timeout"`
	WriteTimeout time.Duration `koanf:"write_timeout"`
	// PoolSize caps the open connections; 0 means go-redis's 10 per GOMAXPROCS.
	PoolSize int `koanf:"pool_size"`
}

func (o RedisOptions) validate(prefix string) error {
	switch {
	case o.Addr == "":
		return errs.Invalid(prefix+".addr", "must be set (host:port) when driver is redis")
	case o.DB < 0:
		return errs.Invalid(prefix+".db", "must not be negative, got %d", o.DB)
	case o.PoolSize < 0:
		return errs.Invalid(prefix+".pool_size", "must not be negative, got %d", o.PoolSize)
	case o.DialTimeout < 0:
		return errs.Invalid(prefix+".dial_timeout", "must not be negative, got %s", o.DialTimeout)
	case o.ReadTimeout < 0:
		return errs.Invalid(prefix+".read_timeout", "must not be negative, got %s", o.ReadTimeout)
	case o.WriteTimeout < 0:
		return errs.Invalid(prefix+".write_timeout", "must not be negative, got %s", o.WriteTimeout)
	}
	return nil
}

// Redis is the Cache on a Redis server (or anything speaking its protocol).
// It is safe for concurrent use.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	// ownsClient says whether Close closes rdb: a client handed in by the
	// caller may be shared (sessions, rate limits) and is theirs to close.
	ownsClient bool
	closed     atomic.Bool
}

var _ Cache = (*Redis)(nil)

// NewRedis builds a Redis cache with its own client. It does not connect:
// go-redis dials lazily, and Ping is the place to learn the server is down.
func NewRedis(opts RedisOptions) (*Redis, error) {
	if err := opts.validate("cache.redis"); err != nil {
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{
		Addr:         opts.Addr,
		Username:     opts.Username,
		Password:     opts.Password,
		DB:           opts.DB,
		DialTimeout:  opts.DialTimeout,
		ReadTimeout:  opts.ReadTimeout,
		WriteTimeout: opts.WriteTimeout,
		PoolSize:     opts.PoolSize,
		// A cache call must give up when its request does, not when the
		// socket timeout says so.
		ContextTimeoutEnabled: true,
		// A cache that is down should be a fast miss, not a slow one: the
		// defaults (3 retries of 5 dials each) spend seconds per call
		// before the caller can fall through to the source.
		MaxRetries:    1,
		DialerRetries: 1,
	})
	return &Redis{rdb: rdb, prefix: opts.KeyPrefix, ownsClient: true}, nil
}

// NewRedisClient builds a Redis cache on an existing client (a plain,
// failover or cluster client), prefixing every key with keyPrefix. Close does
// not close rdb.
func NewRedisClient(rdb redis.UniversalClient, keyPrefix string) *Redis {
	return &Redis{rdb: rdb, prefix: keyPrefix}
}

// Get returns the value under key. A server error comes back as
// errs.KindUnavailable, so callers fall through to the source.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if r.closed.Load() {
		return nil, false, ErrClosed
	}
	val, err := r.rdb.Get(ctx, r.prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, errs.Unavailable(err, "redis cache get %q", key)
	}
	if val == nil {
		// An empty string is a found, empty value; keep it non-nil as the
		// memory cache does.
		val = []byte{}
	}
	return val, true, nil
}

// Set stores val under key for ttl (ttl <= 0: no expiry). go-redis sends PX
// for TTLs that are not whole seconds, so millisecond TTLs work; shorter
// ones are rounded up to a millisecond, the server's granularity.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if r.closed.Load() {
		return ErrClosed
	}
	switch {
	case ttl <= 0:
		// 0 is go-redis's "no expiry"; a negative value would mean KEEPTTL,
		// which would leave the old entry's TTL on the new value.
		ttl = 0
	case ttl < time.Millisecond:
		ttl = time.Millisecond
	}
	if val == nil {
		val = []byte{}
	}
	if err := r.rdb.Set(ctx, r.prefix+key, val, ttl).Err(); err != nil {
		return errs.Unavailable(err, "redis cache set %q", key)
	}
	return nil
}

// Delete removes keys in one round trip; missing keys are ignored.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	var err error
	if _, cluster := r.rdb.(*redis.ClusterClient); cluster {
		// A multi-key DEL fails with CROSSSLOT on a cluster; a pipeline of
		// single-key DELs is still one round trip per node.
		_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range full {
				p.Del(ctx, k)
			}
			return nil
		})
	} else {
		err = r.rdb.Del(ctx, full...).Err()
	}
	if err != nil {
		return errs.Unavailable(err, "redis cache delete %d keys", len(keys))
	}
	return nil
}

// Ping asks the server whether it is there (for /readyz).
func (r *Redis) Ping(ctx context.Context) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return errs.Unavailable(err, "redis cache ping")
	}
	return nil
}

// Close closes the client if NewRedis made it. It is idempotent.
func (r *Redis) Close() error {
	if !r.closed.CompareAndSwap(false, true) || !r.ownsClient {
		return nil
	}
	return r.rdb.Close()
}
