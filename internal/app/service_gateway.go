package app

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/cdlc/cdlc/internal/gateway"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/module"
)

func init() {
	register(ServiceModule{Name: "gateway", Init: initGateway})
}

// initGateway puts the gateway in front of this process's listener: every
// request passes its route table, token and scope checks, rate limits and
// breakers; services running here are called in process, the others are
// proxied to their peers.<service> URL. The rate-limit buckets live in
// Redis when cache.driver=redis, so that every replica shares them.
func initGateway(_ context.Context, a *App) (module.Service, error) {
	cfg := a.Config()
	var (
		limiter gateway.Limiter = gateway.NewLocalLimiter()
		rdb     *redis.Client
	)
	if cfg.Cache.Driver == cache.DriverRedis {
		o := cfg.Cache.Redis
		rdb = redis.NewClient(&redis.Options{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize})
		limiter = gateway.NewRedisLimiter(rdb, o.KeyPrefix)
		a.Health.Add("gateway:ratelimit", func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	}
	breakers := a.breakerMetrics()
	g, err := gateway.New(gateway.Options{
		Config: cfg.Gateway, Verifier: a.Verifier, Local: a.Local(), InProcess: a.Runs,
		Peers: cfg.Peers, Limiter: limiter, Log: a.Log.With("module", "gateway"), Breakers: breakers,
	})
	if err != nil {
		if rdb != nil {
			rdb.Close()
		}
		return nil, err
	}
	a.SetFront(g)
	return module.Funcs{OnStop: func(context.Context) error {
		if rdb != nil {
			return rdb.Close()
		}
		return nil
	}}, nil
}
