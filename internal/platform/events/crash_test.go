//go:build unix

package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/events/eventstest"
)

// The crash tests prove the outbox's promise: the process is killed between
// the commit and the publish, restarts, and the event is still delivered,
// and an idempotent consumer applies it exactly once.
//
// The test runs its own test binary as a child process (TestCrashHelper,
// told what to do through crashEnv). The child commits an order and its
// event to a SQLite file and is killed with SIGKILL, at one of two points:
//
//   - "commit": right after the commit, before any relay ran. The event
//     exists only as an outbox row.
//   - "publish": the relay has handed the event to the broker, which
//     accepted it, but the process dies before deleting the row. On restart
//     the row is published again: the consumer sees a duplicate.
//
// The parent then "restarts" the service on the same file: a relay and an
// idempotent consumer counting orders. The count must be exactly one.

const crashEnv = "CDLC_EVENTS_CRASH_SPEC"

// crashSpec tells the child what to do.
type crashSpec struct {
	Point   string        `json:"point"` // "commit" or "publish"
	Dir     string        `json:"dir"`   // the SQLite directory shared with the parent
	Topic   string        `json:"topic"`
	OrderID string        `json:"order_id"`
	Bus     events.Config `json:"bus"`
}

const (
	crashAfterCommit  = "commit"
	crashAfterPublish = "publish"
)

// TestCrashHelper is the child's side; it does nothing unless crashEnv is set.
func TestCrashHelper(t *testing.T) {
	raw := os.Getenv(crashEnv)
	if raw == "" {
		t.Skip("run by the crash tests as a child process")
	}
	var spec crashSpec
	require.NoError(t, json.Unmarshal([]byte(raw), &spec))
	ctx := context.Background()
	d := openServiceDB(t, spec.Dir)
	require.NoError(t, placeOrder(ctx, d, spec.Topic, spec.OrderID, 42))
	if spec.Point == crashAfterCommit {
		die()
	}
	bus, err := events.New(spec.Bus)
	require.NoError(t, err)
	// The child dies holding the relay lease; the restarted relay waits for
	// it to expire, as a real restart would. A short lease keeps that quick.
	r := events.NewRelay(d, dieAfterPublish{bus}, fastRelay(events.RelayOptions{LeaseTTL: time.Second}))
	fctx, cancel := context.WithTimeout(ctx, eventstest.Wait)
	defer cancel()
	err = r.Flush(fctx)
	t.Fatalf("the child should have been killed after publishing; flush returned %v", err)
}

// die kills the process the hard way: no deferred calls, no cleanup, no
// flushing, as a power cut or the OOM killer would.
func die() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// dieAfterPublish publishes, and once the broker has accepted the
// messages, kills the process before the relay can delete their rows.
type dieAfterPublish struct{ pub events.Publisher }

func (p dieAfterPublish) Publish(ctx context.Context, msgs ...events.Message) error {
	if err := p.pub.Publish(ctx, msgs...); err != nil {
		return err
	}
	die()
	return nil
}

// openServiceDB opens the order service's SQLite database in dir, as the
// service does at start-up.
func openServiceDB(t testing.TB, dir string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), db.Config{Driver: "sqlite", Dir: dir}, "orders")
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	prepareDB(t, d)
	return d
}

// runCrashingChild runs the child and checks that it died of SIGKILL, which
// is the proof that the crash point was reached.
func runCrashingChild(t *testing.T, spec crashSpec) {
	t.Helper()
	raw, err := json.Marshal(spec)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(raw))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "child output:\n%s", out)
	ws, ok := ee.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL,
		"the child should die of SIGKILL at the crash point; it exited with %v:\n%s", err, out)
}

// restartAndConsume is the service coming back: it subscribes an
// idempotent consumer, runs the relay, and checks that the order was
// counted exactly once after at least wantDeliveries deliveries.
func restartAndConsume(t *testing.T, d *db.DB, bus events.Bus, topic string, wantDeliveries int32) {
	t.Helper()
	var deliveries atomic.Int32
	count := events.Idempotent(d, "billing.count-orders", countOrders)
	eventstest.Subscribe(t, bus, topic, "billing", func(ctx context.Context, m events.Message) error {
		deliveries.Add(1)
		return count(ctx, m)
	})
	r := events.NewRelay(d, bus, fastRelay(events.RelayOptions{}))
	runRelay(t, r)
	require.Eventually(t, func() bool {
		return deliveries.Load() >= wantDeliveries && pending(t, r) == 0 && counter(t, d) >= 1
	}, eventstest.Wait, 5*time.Millisecond, "the event is delivered after the restart")
	require.Equal(t, 1, counter(t, d), "the order is counted exactly once")
	require.Equal(t, 1, processed(t, d, "billing.count-orders"))
	t.Logf("delivered %d time(s), applied once", deliveries.Load())
}

// crossProcess runs one crash scenario with a child process and a broker
// both processes reach. duplicates is how many deliveries the consumer
// should see after a crash at the publish point.
func crossProcess(t *testing.T, point string, busCfg events.Config, newBus func(t testing.TB) events.Bus, duplicates int32) {
	dir := t.TempDir()
	spec := crashSpec{Point: point, Dir: dir, Topic: eventstest.Topic(t, "orders"), OrderID: events.NewID(), Bus: busCfg}
	runCrashingChild(t, spec)

	d := openServiceDB(t, dir)
	var orders int
	require.NoError(t, d.Writer().QueryRow(`SELECT COUNT(*) FROM orders WHERE id = ?`, spec.OrderID).Scan(&orders))
	require.Equal(t, 1, orders, "the child committed the order")
	require.Len(t, enqueued(t, d), 1, "the event is still in the outbox: the child died before deleting it")

	want := int32(1)
	if point == crashAfterPublish {
		want = duplicates
	}
	restartAndConsume(t, d, newBus(t), spec.Topic, want)
}

func TestCrashBetweenCommitAndPublishNATS(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	for _, point := range []string{crashAfterCommit, crashAfterPublish} {
		t.Run(point, func(t *testing.T) {
			prefix := randomPrefix()
			cfg := eventstest.Tune(events.Config{Driver: events.DriverNATS})
			cfg.NATS = events.NATSConfig{URL: url, StreamPrefix: prefix}
			// After a crash at the publish point the server drops the
			// re-sent copy itself (same Nats-Msg-Id within the duplicate
			// window), so the consumer sees it once.
			crossProcess(t, point, cfg, func(t testing.TB) events.Bus { return newNATS(t, url, prefix) }, 1)
		})
	}
}

func TestCrashBetweenCommitAndPublishKafka(t *testing.T) {
	t.Parallel()
	brokers := startKfake(t)
	for _, point := range []string{crashAfterCommit, crashAfterPublish} {
		t.Run(point, func(t *testing.T) {
			cfg := eventstest.Tune(events.Config{Driver: events.DriverKafka})
			cfg.Kafka.Brokers = brokers
			// Kafka keeps both copies: the consumer gets the duplicate and
			// the idempotent consumer drops it.
			crossProcess(t, point, cfg, func(t testing.TB) events.Bus { return newKafka(t, brokers) }, 2)
		})
	}
}

// TestCrashBetweenCommitAndPublishInproc is the same story on the embedded
// bus, inside one process (the in-process bus cannot outlive its process,
// so there is nothing for a child to hand over): the database is closed
// without relaying, or right after a publish without deleting, and opened
// again.
func TestCrashBetweenCommitAndPublishInproc(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run(crashAfterCommit, func(t *testing.T) {
		dir := t.TempDir()
		topic := eventstest.Topic(t, "orders")
		first, err := db.Open(ctx, db.Config{Driver: "sqlite", Dir: dir}, "orders")
		require.NoError(t, err)
		prepareDB(t, first)
		require.NoError(t, placeOrder(ctx, first, topic, "o1", 42))
		require.NoError(t, first.Close()) // gone before any relay ran

		d := openServiceDB(t, dir)
		require.Len(t, enqueued(t, d), 1)
		restartAndConsume(t, d, newInproc(t), topic, 1)
	})
	t.Run(crashAfterPublish, func(t *testing.T) {
		dir := t.TempDir()
		topic := eventstest.Topic(t, "orders")
		first, err := db.Open(ctx, db.Config{Driver: "sqlite", Dir: dir}, "orders")
		require.NoError(t, err)
		prepareDB(t, first)
		bus := newInproc(t)
		var deliveries atomic.Int32
		count := events.Idempotent(first, "billing.count-orders", countOrders)
		sub := eventstest.Subscribe(t, bus, topic, "billing", func(ctx context.Context, m events.Message) error {
			deliveries.Add(1)
			return count(ctx, m)
		})
		require.NoError(t, placeOrder(ctx, first, topic, "o1", 42))
		// The bus takes the message, then the "process" stops before the
		// relay deletes the row.
		fctx, stop := context.WithCancel(ctx)
		crash := publishThen(bus, stop)
		require.Error(t, events.NewRelay(first, crash, fastRelay(events.RelayOptions{})).Flush(fctx))
		require.Eventually(t, func() bool { return deliveries.Load() == 1 }, eventstest.Wait, 5*time.Millisecond)
		require.NoError(t, sub.Close())
		require.NoError(t, bus.Close())
		require.NoError(t, first.Close())

		d := openServiceDB(t, dir)
		require.Len(t, enqueued(t, d), 1, "the published row was not deleted")
		// Delivered again on restart; applied before the crash, so not again.
		restartAndConsume(t, d, newInproc(t), topic, 1)
		require.Equal(t, 1, counter(t, d))
	})
}

// publishThen publishes through pub, then calls stop and reports a failure,
// so that a relay leaves the rows in place as if it had died.
func publishThen(pub events.Publisher, stop func()) events.Publisher {
	return publisherFunc(func(ctx context.Context, msgs ...events.Message) error {
		if err := pub.Publish(ctx, msgs...); err != nil {
			return err
		}
		stop()
		return errors.New("process died after publishing")
	})
}

type publisherFunc func(ctx context.Context, msgs ...events.Message) error

func (f publisherFunc) Publish(ctx context.Context, msgs ...events.Message) error {
	return f(ctx, msgs...)
}
