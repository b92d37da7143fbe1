package kit_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// journal records the lifecycle's steps in order.
type journal struct {
	mu    sync.Mutex
	steps []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.steps = append(j.steps, s)
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.steps...)
}

// recordingBus notes when subscriptions close and what is published.
type recordingBus struct {
	events.Bus
	j *journal
}

func (b recordingBus) Subscribe(ctx context.Context, topic, group string, h events.Handler, opts ...events.SubscribeOption) (events.Subscription, error) {
	s, err := b.Bus.Subscribe(ctx, topic, group, h, opts...)
	return closeNote{s, b.j, group}, err
}

func (b recordingBus) Publish(ctx context.Context, msgs ...events.Message) error {
	for _, m := range msgs {
		b.j.add("published " + m.Topic)
	}
	return b.Bus.Publish(ctx, msgs...)
}

type closeNote struct {
	events.Subscription
	j     *journal
	group string
}

func (c closeNote) Close() error {
	c.j.add("consumer closed " + c.group)
	return c.Subscription.Close()
}

func runtime(t *testing.T, j *journal, bus events.Bus) *kit.Runtime {
	cfg := dbtest.SQLiteConfig(t)
	return &kit.Runtime{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Mux: http.NewServeMux(), Health: httpx.NewHealth(),
		Bus: func() events.Bus { return recordingBus{bus, j} },
		OpenDB: func(ctx context.Context, service string, sets ...db.Migrations) (*db.DB, error) {
			d, err := db.Open(ctx, cfg, service)
			if err != nil {
				return nil, err
			}
			return d, d.Migrate(append([]db.Migrations{events.Migrations}, sets...)...)
		},
		RelayInterval: func() time.Duration { return time.Hour },
		Section:       func(string) any { return nil },
		DataDir:       t.TempDir,
		Peers:         kit.NewPeers(kit.PeersOptions{}),
	}
}

// The lifecycle stops in one order: consumers, then the relay's final
// flush (which publishes what a consumer wrote to the outbox while the
// service was stopping), then the service's closers, then the database.
func TestLifecycleStopsInOneOrderAndFlushesWhatConsumersWrote(t *testing.T) {
	bus, err := events.NewInproc(events.Config{Driver: "inproc"})
	require.NoError(t, err)
	defer bus.Close()
	j := &journal{}
	handled := make(chan struct{})
	svc := &kit.Service{
		Name: "saga",
		Migrations: []db.Migrations{{Name: "saga", FS: fstest.MapFS{
			"sqlite/0001_saga.up.sql":   {Data: []byte("CREATE TABLE saga (id TEXT PRIMARY KEY);")},
			"sqlite/0001_saga.down.sql": {Data: []byte("DROP TABLE saga;")},
		}}},
		Consumes: []kit.Consumer{{Topic: "order.paid", Group: "saga-steps"}},
		Start: func(ctx context.Context, env *kit.Env) (any, error) {
			d := env.DB
			env.Handle("saga-steps", func(ctx context.Context, m events.Message) error {
				// A saga step: its next event goes through the outbox, and
				// nothing wakes the relay but the kit (interval is an hour).
				err := d.Tx(ctx, func(tx *sql.Tx) error {
					return events.Enqueue(ctx, tx, events.Message{Topic: "ticket.issue", Key: m.Key, Payload: []byte(`{}`)})
				})
				close(handled)
				return err
			})
			env.OnStop(func(context.Context) error { j.add("closer"); return nil })
			env.Go(func(ctx context.Context) { <-ctx.Done(); j.add("worker stopped") })
			return "handle", nil
		},
	}
	mod := svc.Module(runtime(t, j, bus), nil)
	ms, err := mod.Init(context.Background())
	require.NoError(t, err)
	require.NoError(t, ms.Start(context.Background()))
	require.NoError(t, bus.Publish(context.Background(), events.Message{ID: events.NewID(), Topic: "order.paid", Key: "o1"}))
	<-handled
	require.Eventually(t, func() bool { return contains(j.list(), "published ticket.issue") }, 5*time.Second, 5*time.Millisecond,
		"a consumer's success wakes the relay")
	require.NoError(t, ms.Stop(context.Background()))
	steps := j.list()
	order := []string{"consumer closed saga-steps", "worker stopped", "closer"}
	last := -1
	for _, s := range order {
		i := index(steps, s)
		require.Greater(t, i, last, "%q in order, got %v", s, steps)
		last = i
	}
}

// A consumer declared in the table but left unbound, or a handler bound
// to a group the table does not declare, fails the start (and releases
// what it opened).
func TestLifecycleRefusesUndeclaredOrUnboundConsumers(t *testing.T) {
	bus, err := events.NewInproc(events.Config{Driver: "inproc"})
	require.NoError(t, err)
	defer bus.Close()
	for name, svc := range map[string]*kit.Service{
		"unbound": {Name: "a", Consumes: []kit.Consumer{{Topic: "x", Group: "a-x"}},
			Start: func(context.Context, *kit.Env) (any, error) { return nil, nil }},
		"undeclared": {Name: "b",
			Start: func(_ context.Context, env *kit.Env) (any, error) {
				env.Handle("b-y", func(context.Context, events.Message) error { return nil })
				return nil, nil
			}},
	} {
		ms, err := svc.Module(runtime(t, &journal{}, bus), nil).Init(context.Background())
		require.NoError(t, err)
		require.Error(t, ms.Start(context.Background()), name)
	}
}

// pinger is a service callers reach through Peer.
type pinger interface {
	Ping(ctx context.Context) error
}

// httpPinger is its "remote client": one HTTP call, a failure of which is
// Unavailable, as the gRPC clients report it.
type httpPinger struct {
	hc  connect.HTTPClient
	url string
}

func (p httpPinger) Ping(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/ping", nil)
	res, err := p.hc.Do(req)
	if err != nil {
		return errs.Unavailable(err, "ping")
	}
	return res.Body.Close()
}

type localPinger struct{}

func (localPinger) Ping(context.Context) error { return nil }

// A caller gets the in-process handle once the callee started here, and
// before that (or when the callee neither runs here nor is configured) a
// client failing with Unavailable that says why; calling a service not
// declared in Calls is a programming error.
func TestPeerResolvesLocalOrUnavailable(t *testing.T) {
	bus, err := events.NewInproc(events.Config{Driver: "inproc"})
	require.NoError(t, err)
	defer bus.Close()
	callee := &kit.Service{Name: "callee",
		Remote: func(hc connect.HTTPClient, url string, _ ...connect.ClientOption) any { return httpPinger{hc, url} },
		Start:  func(context.Context, *kit.Env) (any, error) { return localPinger{}, nil }}
	var got func() pinger
	caller := &kit.Service{Name: "caller", Calls: []string{"callee"}, Start: func(_ context.Context, env *kit.Env) (any, error) {
		got = kit.Peer[pinger](env, "callee")
		require.Panics(t, func() { kit.Peer[pinger](env, "stranger") })
		return nil, nil
	}}
	rt := runtime(t, &journal{}, bus)
	rt.Peers = kit.NewPeers(kit.PeersOptions{Table: []*kit.Service{callee, caller}})
	start := func(s *kit.Service) {
		ms, err := s.Module(rt, nil).Init(context.Background())
		require.NoError(t, err)
		require.NoError(t, ms.Start(context.Background()))
	}
	start(caller)
	err = got().Ping(context.Background())
	require.True(t, errs.Is(err, errs.KindUnavailable), "%v", err)
	require.Contains(t, err.Error(), "peers.callee is not set")
	start(callee)
	require.NoError(t, got().Ping(context.Background()))
	require.IsType(t, localPinger{}, got())
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
