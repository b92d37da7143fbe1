package app

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/cdlc/cdlc/internal/gateway"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// startGateway puts the gateway in front of this process's listener: every
// request passes the route table (every service's routes), token and scope
// checks, rate limits and breakers; services running here are called in
// process, the others are proxied to their peers.<service> URL. The
// rate-limit buckets live in Redis when cache.driver=redis, so that every
// replica shares them.
func (a *App) startGateway(_ context.Context, env *kit.Env) (any, error) {
	cfg := a.Config()
	var limiter gateway.Limiter = gateway.NewLocalLimiter()
	if cfg.Cache.Driver == cache.DriverRedis {
		o := cfg.Cache.Redis
		rdb := redis.NewClient(&redis.Options{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize})
		env.OnStop(func(context.Context) error { return rdb.Close() })
		limiter = gateway.NewRedisLimiter(rdb, o.KeyPrefix)
		env.Health.Add("gateway:ratelimit", func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	}
	g, err := gateway.New(gateway.Options{
		Config: cfg.Gateway, Routes: Routes(), Verifier: a.Verifier, Local: a.Local(), InProcess: a.Runs,
		Peers: cfg.Peers, Limiter: limiter, Log: env.Log, Breakers: a.breakerMetrics(),
	})
	if err != nil {
		return nil, err
	}
	a.SetFront(g)
	return nil, nil
}

// Routes is the gateway's route table: every service's routes, each
// marked with the service that serves it.
func Routes() []gateway.Route {
	var out []gateway.Route
	for _, s := range table(nil) {
		for _, r := range s.Routes {
			r.Service = s.Name
			out = append(out, r)
		}
	}
	return out
}
