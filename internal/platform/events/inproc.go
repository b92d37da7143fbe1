package events

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// InprocBus is the embedded bus: groups, partitions and retries inside one
// process, with nothing to run beside it. It is what `cdlc serve` uses on a
// fresh machine, and asynchronous work goes through it even when every
// service shares the process, so that code behaves the same when it later
// runs on NATS or Kafka.
//
// Each group of a topic has Partitions bounded queues with one goroutine
// each: messages with one key are handled one at a time in publish order,
// different partitions in parallel, and a full queue makes Publish wait (it
// honours its context) instead of growing memory without bound.
//
// It keeps nothing on disk and no history: a message published to a topic
// that no group subscribes to at that moment is dropped, a group sees only
// what is published after it first subscribed, and messages still queued
// when the process dies are gone. Durability comes from the transactional
// outbox: a row stays in the outbox until the bus has taken it.
type InprocBus struct {
	cfg    Config
	policy retryPolicy
	parts  partitioner

	mu     sync.RWMutex
	topics map[string]map[string]*inprocGroup // topic → group name → group
	closed bool
}

var _ Bus = (*InprocBus)(nil)

// inprocDrainTimeout bounds how long Close waits for queued messages to be
// handled before it stops the remaining retries.
const inprocDrainTimeout = 5 * time.Second

// errNoMembers ends a delivery whose group lost its last member meanwhile.
var errNoMembers = errors.New("group has no members")

// NewInproc builds the in-process bus. Only the generic settings of cfg
// (partitions, retries, queue size) apply; the driver is ignored.
func NewInproc(cfg Config) (*InprocBus, error) {
	cfg.Driver = DriverInproc
	if err := cfg.Validate("events"); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &InprocBus{
		cfg:    cfg,
		policy: newRetryPolicy(cfg),
		topics: map[string]map[string]*inprocGroup{},
	}, nil
}

// Publish hands each message to every group subscribed to its topic, in
// order, waiting while a partition queue is full. It returns ctx's error if
// ctx ends while waiting (earlier messages stay queued) and ErrClosed after
// Close.
func (b *InprocBus) Publish(ctx context.Context, msgs ...Message) error {
	ms, err := prepare(msgs)
	if err != nil {
		return err
	}
	return b.publish(ctx, ms, false)
}

// publish enqueues prepared messages. internal is set for dead letters,
// which may still be produced while Close drains the queues.
func (b *InprocBus) publish(ctx context.Context, ms []Message, internal bool) error {
	for _, m := range ms {
		b.mu.RLock()
		if b.closed && !internal {
			b.mu.RUnlock()
			return ErrClosed
		}
		groups := slices.Collect(maps.Values(b.topics[m.Topic]))
		b.mu.RUnlock()
		if len(groups) == 0 {
			continue
		}
		p := b.parts.partition(m.Key, b.cfg.Partitions)
		for _, g := range groups {
			if err := g.enqueue(ctx, p, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// inprocDeadLetters is the Publisher deliver uses for dead letters.
type inprocDeadLetters struct{ b *InprocBus }

// Publish enqueues dead letters even while the bus drains for Close.
func (d inprocDeadLetters) Publish(ctx context.Context, msgs ...Message) error {
	return d.b.publish(ctx, msgs, true)
}

// Subscribe adds h as a member of group on topic. The members of a group
// take its messages in turn; each message goes to one member. With
// Ephemeral the group is private to this subscription. ctx is not used
// after Subscribe returns: the subscription lasts until Close.
func (b *InprocBus) Subscribe(ctx context.Context, topic, group string, h Handler, opts ...SubscribeOption) (Subscription, error) {
	if err := validateSubscription(topic, group, h); err != nil {
		return nil, err
	}
	o := subscribeOptions(opts)
	if o.Ephemeral {
		group += "~" + ulid.Make().String()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	gs := b.topics[topic]
	if gs == nil {
		gs = map[string]*inprocGroup{}
		b.topics[topic] = gs
	}
	g := gs[group]
	if g == nil {
		g = b.startGroup(topic, group)
		gs[group] = g
	}
	m := &inprocMember{g: g, h: h}
	g.mu.Lock()
	g.members = append(g.members, m)
	g.mu.Unlock()
	return m, nil
}

// Ping reports ErrClosed after Close, and nil otherwise: there is nothing
// to reach.
func (b *InprocBus) Ping(context.Context) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	return nil
}

// Close stops accepting messages and subscriptions, lets the groups handle
// what is already queued (for up to 5 seconds; after that retries stop and
// the rest is dropped), and returns once every handler has returned.
func (b *InprocBus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var groups []*inprocGroup
	for _, gs := range b.topics {
		for _, g := range gs {
			groups = append(groups, g)
		}
	}
	b.mu.Unlock()

	for _, g := range groups {
		close(g.drain)
	}
	done := make(chan struct{})
	go func() {
		for _, g := range groups {
			g.workers.Wait()
		}
		close(done)
	}()
	t := time.NewTimer(inprocDrainTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	for _, g := range groups {
		g.cancel()
	}
	<-done
	return nil
}

// inprocGroup is one group on one topic: its partition queues and workers,
// and the members that share its messages.
type inprocGroup struct {
	bus         *InprocBus
	topic, name string
	queues      []chan Message
	// ctx ends when the group is torn down (its last member left, or the bus
	// closed); it stops retries and unblocks publishers waiting on a queue.
	ctx    context.Context
	cancel context.CancelFunc
	// drain is closed by the bus's Close: workers empty their queue, then exit.
	drain   chan struct{}
	workers sync.WaitGroup

	mu      sync.Mutex
	members []*inprocMember
	next    int
}

// startGroup makes a group and starts one worker per partition; b.mu is held.
func (b *InprocBus) startGroup(topic, name string) *inprocGroup {
	ctx, cancel := context.WithCancel(context.Background())
	g := &inprocGroup{
		bus: b, topic: topic, name: name,
		queues: make([]chan Message, b.cfg.Partitions),
		ctx:    ctx, cancel: cancel,
		drain: make(chan struct{}),
	}
	for i := range g.queues {
		g.queues[i] = make(chan Message, b.cfg.QueueSize)
		g.workers.Add(1)
		go g.work(g.queues[i])
	}
	return g
}

// enqueue puts m on partition p. A group torn down meanwhile counts as
// delivered, like a topic nobody subscribes to.
func (g *inprocGroup) enqueue(ctx context.Context, p int, m Message) error {
	// Each group gets its own copy: a handler that changes its message must
	// not change another group's, and the publisher may reuse its buffers
	// once Publish returns.
	m.Payload = bytes.Clone(m.Payload)
	m.Headers = maps.Clone(m.Headers)
	select {
	case g.queues[p] <- m:
		return nil
	case <-g.ctx.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// work handles one partition's queue, one message at a time.
func (g *inprocGroup) work(q chan Message) {
	defer g.workers.Done()
	for {
		// Checked first because select picks at random among ready cases:
		// a torn-down group must not start one more message.
		if g.ctx.Err() != nil {
			return
		}
		select {
		case m := <-q:
			g.handle(m)
		case <-g.drain:
			for g.ctx.Err() == nil {
				select {
				case m := <-q:
					g.handle(m)
				default:
					return
				}
			}
			return
		case <-g.ctx.Done():
			return
		}
	}
}

func (g *inprocGroup) handle(m Message) {
	// An error here means the group was torn down mid-retry; in one process
	// there is nobody left to redeliver to, so the message is dropped.
	_ = deliver(g.ctx, g.bus.policy, inprocDeadLetters{g.bus}, g.name, m, g.dispatch)
}

// dispatch gives m to the next member in turn. It is called once per
// attempt, so a retry may land on another member, as it would on a broker.
func (g *inprocGroup) dispatch(ctx context.Context, m Message) error {
	g.mu.Lock()
	if len(g.members) == 0 {
		g.mu.Unlock()
		return errNoMembers
	}
	mem := g.members[g.next%len(g.members)]
	g.next++
	// Counted under the lock that Close takes to remove the member, so
	// Close either sees this call in flight or the member never gets it.
	mem.inflight.Add(1)
	g.mu.Unlock()
	defer mem.inflight.Done()
	return mem.h(ctx, m)
}

// inprocMember is one subscription: a handler in a group.
type inprocMember struct {
	g        *inprocGroup
	h        Handler
	inflight sync.WaitGroup
	once     sync.Once
}

// Close removes the member and waits for its handler call in hand. When it
// was the group's last member, the group is torn down and its queued
// messages are dropped. Close must not be called from the member's own
// handler, which it would wait for.
func (m *inprocMember) Close() error {
	m.once.Do(func() {
		g := m.g
		b := g.bus
		b.mu.Lock()
		g.mu.Lock()
		g.members = slices.DeleteFunc(g.members, func(x *inprocMember) bool { return x == m })
		last := len(g.members) == 0
		g.mu.Unlock()
		if last && b.topics[g.topic][g.name] == g {
			delete(b.topics[g.topic], g.name)
			if len(b.topics[g.topic]) == 0 {
				delete(b.topics, g.topic)
			}
		}
		b.mu.Unlock()
		if last {
			g.cancel()
			g.workers.Wait()
		}
		m.inflight.Wait()
	})
	return nil
}
