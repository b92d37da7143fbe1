package events_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/events/eventstest"
)

// prepareDB applies the events migrations and creates the business tables
// the tests write: orders (what a service sells) and counters (an effect a
// consumer applies).
func prepareDB(t testing.TB, d *db.DB) {
	t.Helper()
	require.NoError(t, d.Migrate(events.Migrations))
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS orders (id VARCHAR(64) NOT NULL PRIMARY KEY, total INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS counters (name VARCHAR(64) NOT NULL PRIMARY KEY, n INTEGER NOT NULL)`,
	} {
		_, err := d.Writer().ExecContext(ctx, q)
		require.NoError(t, err)
	}
}

// placeOrder writes an order and its event in one transaction.
func placeOrder(ctx context.Context, d *db.DB, topic, id string, total int) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, total) VALUES (?, ?)`, id, total); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, events.Message{
			Topic:   topic,
			Key:     id,
			Payload: []byte(strconv.Itoa(total)),
			Headers: map[string]string{"type": "order.placed"},
		})
	})
}

// fastRelay are relay options for tests: quick polls and retries.
func fastRelay(o events.RelayOptions) events.RelayOptions {
	if o.Interval == 0 {
		o.Interval = 10 * time.Millisecond
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 5 * time.Second
	}
	o.RetryBackoff = time.Millisecond
	o.RetryBackoffMax = 10 * time.Millisecond
	return o
}

// runRelay runs r until the end of the test.
func runRelay(t testing.TB, r *events.Relay) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// recordingPublisher keeps what it accepts. fail, when set, decides per call
// how many of the messages to accept before returning an error.
type recordingPublisher struct {
	mu     sync.Mutex
	calls  int
	msgs   []events.Message
	fail   func(call int, n int) (accept int, err error)
	active atomic.Int32
	// overlap counts publishes that ran while another was running.
	overlap atomic.Int32
}

func (p *recordingPublisher) Publish(_ context.Context, msgs ...events.Message) error {
	if p.active.Add(1) > 1 {
		p.overlap.Add(1)
	}
	defer p.active.Add(-1)
	// A little time inside Publish gives a second relay the chance to
	// overlap, were the lease not working.
	time.Sleep(200 * time.Microsecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	accept, err := len(msgs), error(nil)
	if p.fail != nil {
		accept, err = p.fail(p.calls, len(msgs))
	}
	p.msgs = append(p.msgs, msgs[:accept]...)
	return err
}

func (p *recordingPublisher) published() []events.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.msgs)
}

// enqueued reads the IDs waiting in the outbox, in publish order.
func enqueued(t testing.TB, d *db.DB) []string {
	t.Helper()
	rows, err := d.Writer().Query(`SELECT message_id FROM outbox ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

// pending counts the outbox rows. It reports errors with Errorf, not
// require, because it runs inside Eventually's goroutine.
func pending(t testing.TB, r *events.Relay) int {
	t.Helper()
	n, err := r.Pending(context.Background())
	if err != nil {
		t.Errorf("count outbox rows: %v", err)
		return -1
	}
	return n
}

func TestOutboxRelayPublishesCommittedRowsInOrder(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		topic := "orders.placed"
		before := time.Now().Add(-time.Minute)
		for i := range 25 {
			require.NoError(t, placeOrder(ctx, d, topic, fmt.Sprintf("order-%02d", i), i))
		}
		want := enqueued(t, d)
		require.Len(t, want, 25)

		pub := &recordingPublisher{}
		r := events.NewRelay(d, pub, fastRelay(events.RelayOptions{BatchSize: 10, Interval: time.Hour}))
		runRelay(t, r)
		r.Notify()
		require.Eventually(t, func() bool { return len(pub.published()) >= 25 }, eventstest.Wait, 5*time.Millisecond)
		got := pub.published()
		require.Equal(t, want, eventstest.FirstSeen(got))
		require.Len(t, got, 25, "no duplicates without failures")
		require.Eventually(t, func() bool { return pending(t, r) == 0 }, eventstest.Wait, 5*time.Millisecond, "published rows are deleted")

		m := got[3]
		require.Equal(t, topic, m.Topic)
		require.Equal(t, "order-03", m.Key)
		require.Equal(t, []byte("3"), m.Payload)
		require.Equal(t, map[string]string{"type": "order.placed"}, m.Headers)
		require.True(t, m.Time.After(before), "time %v", m.Time)
		require.Equal(t, time.UTC, m.Time.Location())

		// A row committed later is woken by Notify, not the hour-long poll.
		require.NoError(t, placeOrder(ctx, d, topic, "order-late", 99))
		r.Notify()
		require.Eventually(t, func() bool { return len(pub.published()) == 26 }, eventstest.Wait, 5*time.Millisecond)
	})
}

func TestOutboxKeepsMessageFields(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		in := events.Message{
			ID:      events.NewID(),
			Topic:   "titles.changed",
			Key:     "título-1",
			Payload: []byte{0, 1, 2, 255},
			Headers: map[string]string{"a": "b", "multi": "line\nvalue"},
			Time:    time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600)),
		}
		require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error { return events.Enqueue(ctx, tx, in) }))
		pub := &recordingPublisher{}
		require.NoError(t, events.NewRelay(d, pub, fastRelay(events.RelayOptions{})).Flush(ctx))
		got := pub.published()
		require.Len(t, got, 1)
		require.Equal(t, in.ID, got[0].ID)
		require.Equal(t, in.Topic, got[0].Topic)
		require.Equal(t, in.Key, got[0].Key)
		require.Equal(t, in.Payload, got[0].Payload)
		require.Equal(t, in.Headers, got[0].Headers)
		require.True(t, in.Time.Truncate(time.Microsecond).Equal(got[0].Time), "time: want %v, got %v", in.Time, got[0].Time)
	})
}

func TestOutboxRollbackPublishesNothing(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		boom := errors.New("payment declined")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, total) VALUES ('o1', 10)`); err != nil {
				return err
			}
			if err := events.Enqueue(ctx, tx, events.Message{Topic: "orders.placed", Key: "o1"}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		pub := &recordingPublisher{}
		r := events.NewRelay(d, pub, fastRelay(events.RelayOptions{}))
		require.NoError(t, r.Flush(ctx))
		require.Empty(t, pub.published())
		require.Zero(t, pending(t, r))
	})
}

func TestOutboxEnqueueRejectsBadMessages(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			return events.Enqueue(ctx, tx, events.Message{Topic: "no spaces"})
		})
		require.Error(t, err)
		require.Empty(t, enqueued(t, d))
	})
}

func TestOutboxFlushDrains(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		for i := range 5 {
			require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error {
				msgs := make([]events.Message, 50)
				for j := range msgs {
					msgs[j] = events.Message{Topic: "bulk", Key: strconv.Itoa(j % 7), Payload: []byte(strconv.Itoa(i*50 + j))}
				}
				return events.Enqueue(ctx, tx, msgs...)
			}))
		}
		want := enqueued(t, d)
		require.Len(t, want, 250)
		pub := &recordingPublisher{}
		r := events.NewRelay(d, pub, fastRelay(events.RelayOptions{BatchSize: 100}))
		fctx, cancel := context.WithTimeout(ctx, eventstest.Wait)
		defer cancel()
		require.NoError(t, r.Flush(fctx))
		require.Equal(t, want, eventstest.FirstSeen(pub.published()))
		require.Zero(t, pending(t, r))
		require.NoError(t, r.Flush(fctx), "flushing an empty outbox is a no-op")
	})
}

func TestOutboxRetriesFailedPublishes(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		for i := range 30 {
			require.NoError(t, placeOrder(ctx, d, "orders.placed", fmt.Sprintf("o%02d", i%4)+"-"+strconv.Itoa(i), i))
		}
		want := enqueued(t, d)
		pub := &recordingPublisher{fail: func(call, n int) (int, error) {
			switch {
			case call <= 2:
				return 0, errors.New("broker down")
			case call%3 == 0:
				// The broker took half the batch, then the connection broke:
				// the relay must resend from the first message of the batch.
				return n / 2, errors.New("connection reset")
			default:
				return n, nil
			}
		}}
		r := events.NewRelay(d, pub, fastRelay(events.RelayOptions{BatchSize: 8}))
		runRelay(t, r)
		require.Eventually(t, func() bool { return pending(t, r) == 0 }, eventstest.Wait, 5*time.Millisecond)
		got := pub.published()
		require.Equal(t, want, eventstest.FirstSeen(got), "nothing lost, first deliveries in order")
		require.Greater(t, len(got), len(want), "the partial batches were resent")
		// A resend repeats the tail of a batch, so no message is published
		// before every message enqueued ahead of it was published once.
		pos := map[string]int{}
		for i, id := range want {
			pos[id] = i
		}
		highest := -1
		for _, m := range got {
			require.LessOrEqual(t, pos[m.ID], highest+1, "message %d published before message %d", pos[m.ID], highest+1)
			highest = max(highest, pos[m.ID])
		}
	})
}

func TestOutboxOneRelayPublishesAtATime(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		pub := &recordingPublisher{}
		// Two replicas of a service on one database, each with its relay.
		a := events.NewRelay(d, pub, fastRelay(events.RelayOptions{BatchSize: 5, Owner: "replica-a"}))
		b := events.NewRelay(d, pub, fastRelay(events.RelayOptions{BatchSize: 5, Owner: "replica-b"}))
		runRelay(t, a)
		runRelay(t, b)
		for i := range 60 {
			require.NoError(t, placeOrder(ctx, d, "orders.placed", fmt.Sprintf("k%d-%d", i%3, i), i))
			a.Notify()
			b.Notify()
		}
		require.Eventually(t, func() bool { return len(eventstest.FirstSeen(pub.published())) == 60 }, eventstest.Wait, 5*time.Millisecond)
		require.Zero(t, pub.overlap.Load(), "two relays published at the same time")
		keys := map[string][]int{}
		for _, m := range pub.published() {
			n, _ := strconv.Atoi(string(m.Payload))
			keys[m.Key[:2]] = append(keys[m.Key[:2]], n)
		}
		for k, seq := range keys {
			require.True(t, slices.IsSorted(seq), "key %s out of order: %v", k, seq)
		}
	})
}

func TestOutboxLeaseIsReleasedOnStop(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		pub := &recordingPublisher{}
		// A lease far longer than the test: only a release lets b in.
		a := events.NewRelay(d, pub, fastRelay(events.RelayOptions{Owner: "a", LeaseTTL: time.Hour}))
		actx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(actx) }()
		require.NoError(t, placeOrder(ctx, d, "orders.placed", "o1", 1))
		a.Notify()
		require.Eventually(t, func() bool { return len(pub.published()) == 1 }, eventstest.Wait, 5*time.Millisecond)
		stop()
		require.NoError(t, <-done)

		require.NoError(t, placeOrder(ctx, d, "orders.placed", "o2", 2))
		b := events.NewRelay(d, pub, fastRelay(events.RelayOptions{Owner: "b", LeaseTTL: time.Hour}))
		fctx, cancel := context.WithTimeout(ctx, eventstest.Wait)
		defer cancel()
		require.NoError(t, b.Flush(fctx))
		require.Len(t, pub.published(), 2)
	})
}

// countOrders is an idempotent consumer's effect: one more order counted.
func countOrders(ctx context.Context, tx *sql.Tx, _ events.Message) error {
	res, err := tx.ExecContext(ctx, `UPDATE counters SET n = n + 1 WHERE name = 'orders'`)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO counters (name, n) VALUES ('orders', 1)`)
	}
	return err
}

// counter reads the consumer's effect; like pending it is safe inside Eventually.
func counter(t testing.TB, d *db.DB) int {
	t.Helper()
	var n int
	err := d.Writer().QueryRow(`SELECT n FROM counters WHERE name = 'orders'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0
	}
	if err != nil {
		t.Errorf("read counter: %v", err)
		return -1
	}
	return n
}

func processed(t testing.TB, d *db.DB, consumer string) int {
	t.Helper()
	var n int
	require.NoError(t, d.Writer().QueryRow(`SELECT COUNT(*) FROM processed_messages WHERE consumer = ?`, consumer).Scan(&n))
	return n
}

func TestIdempotentAppliesOnce(t *testing.T) {
	dbtest.Each(t, "billing", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		h := events.Idempotent(d, "billing.count-orders", countOrders)
		m := events.Message{ID: events.NewID(), Topic: "orders.placed", Key: "o1"}
		require.NoError(t, h(ctx, m))
		require.NoError(t, h(ctx, m), "a duplicate is acknowledged")
		require.Equal(t, 1, counter(t, d))

		// Concurrent duplicates (a redelivery racing the first delivery).
		m2 := events.Message{ID: events.NewID(), Topic: "orders.placed", Key: "o2"}
		var wg sync.WaitGroup
		errc := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errc <- h(ctx, m2) })
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			require.NoError(t, err)
		}
		require.Equal(t, 2, counter(t, d))
		require.Equal(t, 2, processed(t, d, "billing.count-orders"))

		// Another consumer of the same message applies its own effect once.
		other := events.Idempotent(d, "analytics.count-orders", countOrders)
		require.NoError(t, other(ctx, m))
		require.NoError(t, other(ctx, m))
		require.Equal(t, 3, counter(t, d))

		require.Error(t, h(ctx, events.Message{Topic: "orders.placed"}), "a message without ID cannot be deduplicated")
	})
}

func TestIdempotentFailureRecordsNothing(t *testing.T) {
	dbtest.Each(t, "billing", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		fail := true
		h := events.Idempotent(d, "billing", func(ctx context.Context, tx *sql.Tx, m events.Message) error {
			if err := countOrders(ctx, tx, m); err != nil {
				return err
			}
			if fail {
				return errors.New("downstream refused")
			}
			return nil
		})
		m := events.Message{ID: events.NewID(), Topic: "orders.placed"}
		require.Error(t, h(ctx, m))
		require.Equal(t, 0, counter(t, d), "the effect rolled back with the failure")
		require.Equal(t, 0, processed(t, d, "billing"))
		fail = false
		require.NoError(t, h(ctx, m), "the retry applies it")
		require.Equal(t, 1, counter(t, d))
	})
}

func TestPruneProcessed(t *testing.T) {
	dbtest.Each(t, "billing", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		h := events.Idempotent(d, "billing", countOrders)
		require.NoError(t, h(ctx, events.Message{ID: events.NewID(), Topic: "t"}))
		n, err := events.PruneProcessed(ctx, d, time.Now().Add(-time.Hour))
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = events.PruneProcessed(ctx, d, time.Now().Add(time.Second))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	})
}

// TestOutboxToBus is the whole path on the embedded bus: a business write
// with its event, the relay, and an idempotent consumer applying it.
func TestOutboxToBus(t *testing.T) {
	dbtest.Each(t, "orders", func(t *testing.T, d *db.DB) {
		prepareDB(t, d)
		ctx := context.Background()
		bus := newInproc(t)
		topic := eventstest.Topic(t, "orders")
		eventstest.Subscribe(t, bus, topic, "billing", events.Idempotent(d, "billing", countOrders))
		r := events.NewRelay(d, bus, fastRelay(events.RelayOptions{}))
		runRelay(t, r)
		for i := range 10 {
			require.NoError(t, placeOrder(ctx, d, topic, fmt.Sprintf("o%d", i), i))
			r.Notify()
		}
		require.Eventually(t, func() bool { return counter(t, d) == 10 }, eventstest.Wait, 5*time.Millisecond)
	})
}
