// Package eventstest is the contract every events.Bus adapter must meet,
// written once and run against each of them (in-process, NATS JetStream,
// Kafka), so that code that works on the embedded bus works at scale too.
package eventstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// MaxAttempts is the attempt limit the suite expects the bus under test to
// be configured with; Tune sets it.
const MaxAttempts = 3

// Wait bounds every wait for a delivery. Deliveries take milliseconds; the
// margin is for a loaded CI machine under -race.
const Wait = 15 * time.Second

const tick = 5 * time.Millisecond

// Tune returns cfg with the settings the suite relies on: MaxAttempts
// attempts, a retry backoff of milliseconds so that the retry and
// dead-letter cases run fast, and 4 partitions.
func Tune(cfg events.Config) events.Config {
	cfg.MaxAttempts = MaxAttempts
	cfg.RetryBackoff = 2 * time.Millisecond
	cfg.RetryBackoffMax = 20 * time.Millisecond
	cfg.Partitions = 4
	return cfg
}

// Topic returns a topic name unique to this call, so that tests sharing a
// broker (or a rerun against a broker that kept old streams) never see each
// other's messages.
func Topic(t testing.TB, name string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "test." + name + "." + hex.EncodeToString(b[:])
}

// Run runs the contract against the buses newBus makes. newBus is called
// once per case; the bus must be configured with Tune (MaxAttempts attempts,
// short backoff) and closed by newBus's cleanup.
func Run(t *testing.T, newBus func(t testing.TB) events.Bus) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newBus(t)) })
	t.Run("RejectsBadInput", func(t *testing.T) { testRejectsBadInput(t, newBus(t)) })
	t.Run("LongestTopic", func(t *testing.T) { testLongestTopic(t, newBus(t)) })
	t.Run("EveryGroupGetsEveryMessage", func(t *testing.T) { testTwoGroups(t, newBus(t)) })
	t.Run("GroupMembersShareTheWork", func(t *testing.T) { testMembersShare(t, newBus(t)) })
	t.Run("OrderPerKey", func(t *testing.T) { testOrderPerKey(t, newBus(t)) })
	t.Run("RetryThenSuccess", func(t *testing.T) { testRetry(t, newBus(t)) })
	t.Run("PoisonGoesToDeadLetter", func(t *testing.T) { testPoison(t, newBus(t)) })
	t.Run("EphemeralGetsOnlyNewMessages", func(t *testing.T) { testEphemeral(t, newBus(t)) })
	t.Run("CloseStopsDelivery", func(t *testing.T) { testCloseStops(t, newBus(t)) })
	t.Run("ClosedBus", func(t *testing.T) { testClosedBus(t, newBus(t)) })
}

// RunDurable runs the cases that only a broker can pass: a group's
// position survives its members, so work a closing member did not finish
// goes to the next one, and a new group reads what was published before it
// existed. The in-process bus keeps no history and is not run here.
func RunDurable(t *testing.T, newBus func(t testing.TB) events.Bus) {
	t.Run("UnfinishedWorkGoesToTheNextMember", func(t *testing.T) { testUnfinishedWork(t, newBus(t)) })
	t.Run("NewGroupReadsHistory", func(t *testing.T) { testHistory(t, newBus(t)) })
}

func testUnfinishedWork(t *testing.T, bus events.Bus) {
	topic := Topic(t, "unfinished")
	m1, m2, m3 := msg(topic, "k", "1"), msg(topic, "k", "2"), msg(topic, "k", "3")
	started := make(chan struct{})
	release := make(chan struct{})
	var first Recorder
	sub := Subscribe(t, bus, topic, "workers", func(ctx context.Context, m events.Message) error {
		if m.ID == m2.ID {
			close(started)
			<-release
			return errors.New("interrupted by the shutdown")
		}
		return first.Handle(ctx, m)
	})
	Publish(t, bus, m1, m2, m3)
	select {
	case <-started:
	case <-time.After(Wait):
		t.Fatal("m2 was not delivered")
	}
	closed := make(chan struct{})
	go func() {
		_ = sub.Close()
		close(closed)
	}()
	// Close stops retries first, then waits for the handler in hand.
	require.Never(t, func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	}, 50*time.Millisecond, tick)
	close(release)
	select {
	case <-closed:
	case <-time.After(Wait):
		t.Fatal("Close did not return")
	}
	require.True(t, first.Has(m1.ID))
	require.False(t, first.Has(m3.ID), "nothing after the unfinished message was handled")

	var second Recorder
	Subscribe(t, bus, topic, "workers", second.Handle)
	require.Eventually(t, func() bool { return second.Has(m2.ID) && second.Has(m3.ID) }, Wait, tick,
		"the unfinished message and the rest go to the next member")
	got := second.Messages()
	// At least once: a broker may hand the unfinished message over more
	// than once (NATS 2.9 does, after a Nak), so compare first deliveries.
	require.Equal(t, []string{m2.ID, m3.ID}, FirstSeen(got), "in order")
	require.False(t, second.Has(m1.ID), "the finished m1 is not handed out again")
	require.Equal(t, 1, got[0].Attempt, "a new member starts the attempts again")
}

func testHistory(t *testing.T, bus events.Bus) {
	topic := Topic(t, "history")
	old := msg(topic, "k", "old")
	Publish(t, bus, old)
	var rec Recorder
	Subscribe(t, bus, topic, "newcomer", rec.Handle)
	require.Eventually(t, func() bool { return rec.Has(old.ID) }, Wait, tick)
}

// Recorder is a handler that keeps what it receives.
type Recorder struct {
	mu   sync.Mutex
	msgs []events.Message
}

// Handle records m and acknowledges it.
func (r *Recorder) Handle(_ context.Context, m events.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// Messages returns a copy of what was received, in order.
func (r *Recorder) Messages() []events.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// IDs returns the set of message IDs received.
func (r *Recorder) IDs() map[string]bool {
	ids := map[string]bool{}
	for _, m := range r.Messages() {
		ids[m.ID] = true
	}
	return ids
}

// Has reports whether a message with id was received.
func (r *Recorder) Has(id string) bool { return r.IDs()[id] }

// FirstSeen returns the IDs of msgs in order of first appearance: what an
// idempotent consumer applies.
func FirstSeen(msgs []events.Message) []string {
	seen := map[string]bool{}
	var ids []string
	for _, m := range msgs {
		if !seen[m.ID] {
			seen[m.ID] = true
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// Subscribe subscribes h and closes the subscription at the end of the test.
func Subscribe(t testing.TB, bus events.Bus, topic, group string, h events.Handler, opts ...events.SubscribeOption) events.Subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	sub, err := bus.Subscribe(ctx, topic, group, h, opts...)
	require.NoError(t, err, "subscribe %s to %s", group, topic)
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// Publish publishes msgs and fails the test on error.
func Publish(t testing.TB, bus events.Bus, msgs ...events.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	require.NoError(t, bus.Publish(ctx, msgs...))
}

func msg(topic, key, payload string) events.Message {
	return events.Message{ID: events.NewID(), Topic: topic, Key: key, Payload: []byte(payload)}
}

func containsAll(got map[string]bool, want []string) bool {
	for _, id := range want {
		if !got[id] {
			return false
		}
	}
	return true
}

func testRoundTrip(t *testing.T, bus events.Bus) {
	topic := Topic(t, "roundtrip")
	var rec Recorder
	Subscribe(t, bus, topic, "reader", rec.Handle)

	before := time.Now().Add(-time.Minute)
	first := events.Message{
		Topic:   topic,
		Key:     "title-1",
		Payload: []byte(`{"title":"Heat"}`),
		Headers: map[string]string{"content-type": "application/json", "trace": "line\nbreak"},
	}
	second := events.Message{
		ID:      events.NewID(),
		Topic:   topic,
		Key:     "title-1",
		Payload: []byte("second"),
		Time:    time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
	}
	Publish(t, bus, first)
	Publish(t, bus, second)
	require.Eventually(t, func() bool { return len(rec.Messages()) >= 2 }, Wait, tick)

	got := rec.Messages()
	require.Len(t, got, 2)
	_, err := ulid.ParseStrict(got[0].ID)
	require.NoError(t, err, "the bus gives a message without ID a ULID")
	require.Equal(t, topic, got[0].Topic)
	require.Equal(t, first.Key, got[0].Key)
	require.Equal(t, first.Payload, got[0].Payload)
	require.Equal(t, first.Headers, got[0].Headers)
	require.True(t, got[0].Time.After(before), "the bus stamps a message without Time: got %v", got[0].Time)
	require.Equal(t, 1, got[0].Attempt)

	require.Equal(t, second.ID, got[1].ID, "a publisher's ID is kept")
	require.True(t, second.Time.Equal(got[1].Time), "a publisher's Time is kept: want %v, got %v", second.Time, got[1].Time)
	require.Equal(t, second.Payload, got[1].Payload)
	require.NotEqual(t, got[0].ID, got[1].ID)
}

func testRejectsBadInput(t *testing.T, bus events.Bus) {
	ctx := context.Background()
	for _, topic := range []string{"", "has space", "trailing.", ".leading", "a..b", "star*", "gt>", strings.Repeat("x", 250)} {
		err := bus.Publish(ctx, events.Message{Topic: topic, Payload: []byte("x")})
		require.True(t, errs.Is(err, errs.KindInvalid), "publish to topic %q: want invalid, got %v", topic, err)
		require.Equal(t, "topic", errs.FieldOf(err))
	}
	topic := Topic(t, "bad")
	_, err := bus.Subscribe(ctx, topic, "", func(context.Context, events.Message) error { return nil })
	require.True(t, errs.Is(err, errs.KindInvalid), "empty group: want invalid, got %v", err)
	_, err = bus.Subscribe(ctx, topic, "g", nil)
	require.True(t, errs.Is(err, errs.KindInvalid), "nil handler: want invalid, got %v", err)
	_, err = bus.Subscribe(ctx, strings.Repeat("x", 247), "g", func(context.Context, events.Message) error { return nil })
	require.True(t, errs.Is(err, errs.KindInvalid), "a topic without room for its dead-letter suffix: want invalid, got %v", err)
}

func testLongestTopic(t *testing.T, bus events.Bus) {
	// The longest topic that leaves room for ".dlq" within Kafka's 249.
	topic := Topic(t, "long")
	topic += "." + strings.Repeat("x", 245-len(topic)-1)
	require.Len(t, topic, 245)
	var rec Recorder
	Subscribe(t, bus, topic, strings.Repeat("g", 200), rec.Handle)
	m := msg(topic, "k", "far")
	Publish(t, bus, m)
	require.Eventually(t, func() bool { return rec.Has(m.ID) }, Wait, tick)
}

func testTwoGroups(t *testing.T, bus events.Bus) {
	topic := Topic(t, "groups")
	var a, b Recorder
	Subscribe(t, bus, topic, "search", a.Handle)
	Subscribe(t, bus, topic, "analytics", b.Handle)
	var ids []string
	var msgs []events.Message
	for i := range 20 {
		m := msg(topic, fmt.Sprintf("k%d", i%7), strconv.Itoa(i))
		ids = append(ids, m.ID)
		msgs = append(msgs, m)
	}
	Publish(t, bus, msgs...)
	require.Eventually(t, func() bool { return containsAll(a.IDs(), ids) && containsAll(b.IDs(), ids) }, Wait, tick,
		"both groups receive all 20 messages")
	require.Len(t, a.IDs(), 20)
	require.Len(t, b.IDs(), 20)
}

func testMembersShare(t *testing.T, bus events.Bus) {
	topic := Topic(t, "members")
	var a, b Recorder
	Subscribe(t, bus, topic, "workers", a.Handle)
	Subscribe(t, bus, topic, "workers", b.Handle)
	var ids []string
	// On a broker the second member joins (and the group rebalances) a
	// moment after Subscribe returns: on Kafka, when the first member's next
	// heartbeat learns of it, up to 3s later. Keep publishing rounds until
	// both members have had work, which is what sharing means, checking
	// every round that the group as a whole missed nothing.
	var (
		round  int
		pubErr error
	)
	require.Eventually(t, func() bool {
		// No require in here: Eventually runs this off the test goroutine.
		if len(a.Messages()) > 0 && len(b.Messages()) > 0 {
			return true
		}
		var msgs []events.Message
		for i := range 20 {
			m := msg(topic, fmt.Sprintf("r%d-k%d", round, i), "")
			ids = append(ids, m.ID)
			msgs = append(msgs, m)
		}
		round++
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		defer cancel()
		if pubErr = bus.Publish(ctx, msgs...); pubErr != nil {
			return true
		}
		return false
	}, Wait, 20*time.Millisecond, "both members get work")
	require.NoError(t, pubErr)
	require.Eventually(t, func() bool {
		u := a.IDs()
		maps.Copy(u, b.IDs())
		return containsAll(u, ids)
	}, Wait, tick, "the group's members together receive every message")
	require.NotEmpty(t, a.Messages(), "member a got no work")
	require.NotEmpty(t, b.Messages(), "member b got no work")
	t.Logf("member a handled %d, member b %d, of %d", len(a.Messages()), len(b.Messages()), len(ids))
}

func testOrderPerKey(t *testing.T, bus events.Bus) {
	const keys, perKey = 5, 200
	topic := Topic(t, "order")
	var (
		mu       sync.Mutex
		seen     = map[string][]int{}
		inflight = map[string]int{}
		overlap  atomic.Int32
		total    atomic.Int32
	)
	Subscribe(t, bus, topic, "ordered", func(_ context.Context, m events.Message) error {
		mu.Lock()
		inflight[m.Key]++
		if inflight[m.Key] > 1 {
			overlap.Add(1)
		}
		mu.Unlock()
		// Random tiny delays let partitions interleave differently each run.
		time.Sleep(time.Duration(mrand.IntN(200)) * time.Microsecond)
		n, err := strconv.Atoi(string(m.Payload))
		mu.Lock()
		inflight[m.Key]--
		seen[m.Key] = append(seen[m.Key], n)
		mu.Unlock()
		total.Add(1)
		return err
	})
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			key := fmt.Sprintf("key-%d", k)
			ctx, cancel := context.WithTimeout(context.Background(), Wait)
			defer cancel()
			for i := range perKey {
				// Not require: FailNow must not be called off the test goroutine.
				if err := bus.Publish(ctx, msg(topic, key, strconv.Itoa(i))); err != nil {
					t.Errorf("publish %s #%d: %v", key, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	require.Eventually(t, func() bool { return total.Load() >= keys*perKey }, Wait, tick)
	mu.Lock()
	defer mu.Unlock()
	want := make([]int, perKey)
	for i := range want {
		want[i] = i
	}
	for k := range keys {
		key := fmt.Sprintf("key-%d", k)
		require.Equal(t, want, seen[key], "messages of %s out of order", key)
	}
	require.Zero(t, overlap.Load(), "two messages of one key were handled at the same time")
}

func testRetry(t *testing.T, bus events.Bus) {
	topic := Topic(t, "retry")
	flaky := msg(topic, "k", "flaky")
	next := msg(topic, "k", "next")
	var (
		mu       sync.Mutex
		attempts []int
		done     []string
	)
	Subscribe(t, bus, topic, "retrier", func(_ context.Context, m events.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if m.ID == flaky.ID {
			attempts = append(attempts, m.Attempt)
			if m.Attempt < MaxAttempts {
				return fmt.Errorf("transient failure %d", m.Attempt)
			}
		}
		done = append(done, m.ID)
		return nil
	})
	Publish(t, bus, flaky, next)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(done) >= 2
	}, Wait, tick)
	mu.Lock()
	defer mu.Unlock()
	want := make([]int, MaxAttempts)
	for i := range want {
		want[i] = i + 1
	}
	require.Equal(t, want, attempts, "Attempt counts the tries")
	require.Equal(t, []string{flaky.ID, next.ID}, done, "the next message of the key waits for the retried one")
}

func testPoison(t *testing.T, bus events.Bus) {
	topic := Topic(t, "poison")
	var dead Recorder
	Subscribe(t, bus, events.DeadLetterTopic(topic), "dlq-reader", dead.Handle)
	poison := msg(topic, "k", "poison")
	poison.Headers = map[string]string{"origin": "test"}
	good := msg(topic, "k", "good")
	var calls atomic.Int32
	var handled Recorder
	Subscribe(t, bus, topic, "consumer", func(ctx context.Context, m events.Message) error {
		if string(m.Payload) == "poison" {
			calls.Add(1)
			return errors.New("boom: cannot parse")
		}
		return handled.Handle(ctx, m)
	})
	Publish(t, bus, poison, good)

	require.Eventually(t, func() bool { return handled.Has(good.ID) }, Wait, tick,
		"the partition goes on after the poison message")
	require.Eventually(t, func() bool { return dead.Has(poison.ID) }, Wait, tick,
		"the poison message reaches the dead-letter topic")
	require.EqualValues(t, MaxAttempts, calls.Load(), "tried MaxAttempts times")

	dl := dead.Messages()[0]
	require.Equal(t, events.DeadLetterTopic(topic), dl.Topic)
	require.Equal(t, poison.ID, dl.ID)
	require.Equal(t, "k", dl.Key)
	require.Equal(t, []byte("poison"), dl.Payload)
	require.Equal(t, "test", dl.Headers["origin"], "the message's own headers are kept")
	require.Equal(t, topic, dl.Headers[events.HeaderDeadLetterTopic])
	require.Equal(t, "consumer", dl.Headers[events.HeaderDeadLetterGroup])
	require.Contains(t, dl.Headers[events.HeaderDeadLetterError], "boom: cannot parse")
	require.Equal(t, strconv.Itoa(MaxAttempts), dl.Headers[events.HeaderDeadLetterAttempts])
	_, err := time.Parse(time.RFC3339Nano, dl.Headers[events.HeaderDeadLetterTime])
	require.NoError(t, err)
	require.False(t, handled.Has(poison.ID))
	require.Len(t, dead.Messages(), 1)
}

func testEphemeral(t *testing.T, bus events.Bus) {
	topic := Topic(t, "ephemeral")
	var durable Recorder
	Subscribe(t, bus, topic, "durable", durable.Handle)
	before := msg(topic, "k", "before")
	Publish(t, bus, before)
	require.Eventually(t, func() bool { return durable.Has(before.ID) }, Wait, tick)

	// Two ephemeral subscriptions with one group name are two private
	// groups: each gets every message.
	var e1, e2 Recorder
	Subscribe(t, bus, topic, "watch", e1.Handle, events.Ephemeral())
	Subscribe(t, bus, topic, "watch", e2.Handle, events.Ephemeral())
	after := msg(topic, "k", "after")
	Publish(t, bus, after)
	require.Eventually(t, func() bool { return e1.Has(after.ID) && e2.Has(after.ID) }, Wait, tick)
	// Same key, same partition: had "before" been delivered, it would have come first.
	require.False(t, e1.Has(before.ID), "an ephemeral subscription starts at new messages")
	require.False(t, e2.Has(before.ID), "an ephemeral subscription starts at new messages")
	require.Eventually(t, func() bool { return durable.Has(after.ID) }, Wait, tick)

	// On a topic nobody has used yet, too.
	fresh := Topic(t, "ephemeral-fresh")
	var e3 Recorder
	Subscribe(t, bus, fresh, "watch", e3.Handle, events.Ephemeral())
	first := msg(fresh, "", "first")
	Publish(t, bus, first)
	require.Eventually(t, func() bool { return e3.Has(first.ID) }, Wait, tick)
}

func testCloseStops(t *testing.T, bus events.Bus) {
	topic := Topic(t, "close")
	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	var first Recorder
	sub := Subscribe(t, bus, topic, "closer", func(ctx context.Context, m events.Message) error {
		if string(m.Payload) == "slow" {
			close(started)
			<-release
			finished.Store(true)
		}
		return first.Handle(ctx, m)
	})
	slow := msg(topic, "k", "slow")
	Publish(t, bus, slow)
	select {
	case <-started:
	case <-time.After(Wait):
		t.Fatal("the first message was not delivered")
	}
	closed := make(chan struct{})
	go func() {
		_ = sub.Close()
		close(closed)
	}()
	require.Never(t, func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	}, 50*time.Millisecond, tick, "Close waits for the message in hand")
	close(release)
	select {
	case <-closed:
	case <-time.After(Wait):
		t.Fatal("Close did not return after the handler finished")
	}
	require.True(t, finished.Load())

	// The group goes on with another member; the closed one gets nothing more.
	var second Recorder
	Subscribe(t, bus, topic, "closer", second.Handle)
	later := msg(topic, "k", "later")
	Publish(t, bus, later)
	require.Eventually(t, func() bool { return second.Has(later.ID) }, Wait, tick)
	require.False(t, first.Has(later.ID), "a closed subscription received a message")
}

func testClosedBus(t *testing.T, bus events.Bus) {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	require.NoError(t, bus.Ping(ctx))
	topic := Topic(t, "closed")
	var rec Recorder
	Subscribe(t, bus, topic, "g", rec.Handle)
	require.NoError(t, bus.Close())
	require.NoError(t, bus.Close(), "Close twice is harmless")
	require.Error(t, bus.Publish(ctx, msg(topic, "k", "x")))
	_, err := bus.Subscribe(ctx, topic, "g2", rec.Handle)
	require.Error(t, err)
	require.Error(t, bus.Ping(ctx))
}
