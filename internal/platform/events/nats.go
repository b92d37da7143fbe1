package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// NATSBus is the bus on NATS JetStream.
//
// Layout. Each topic gets its own stream, <PREFIX>_<topic>_<hash>, whose
// subjects are <prefix>.<topic>.<partition>, one subject per partition,
// listed explicitly: the stream itself records how many partitions the topic
// has, so every process agrees whatever its own configuration says, and a
// publish to a partition that does not exist fails instead of vanishing. A
// stream per topic (rather than one stream for the whole prefix) lets
// retention, limits and replication be set per topic, lets a topic be purged
// on its own, and keeps topics from queueing behind one stream leader.
//
// Consuming. A durable group has one durable pull consumer per partition,
// filtered to that partition's subject, with MaxAckPending=1: the server
// hands out the next message of a partition only after the previous one is
// acknowledged, so the members of a group, which share these consumers,
// still see each key in order, and spread over partitions. A message being
// retried inline is kept alive with InProgress so that AckWait does not
// redeliver it meanwhile; AckWait only matters when a process dies. An
// Ephemeral subscription is a server-side ephemeral consumer on the whole
// stream, starting at new messages, removed on Close or, if the process
// vanishes, by the server after its InactiveThreshold.
//
// Closing hands an unfinished message back (Nak) so that another member
// takes it at once. When no other member is waiting, nats-server 2.9 was
// seen to redeliver it to the closed member's lingering pull request, where
// it is lost until AckWait expires: after the last member of a group stops
// mid-message, that partition resumes up to AckWait after the group returns.
//
// Publishing waits for the stream's acknowledgement of each message, one at
// a time: pipelining would be faster, but a failure in the middle of a
// pipeline followed by a retry could reorder a key. The message ID goes in
// Nats-Msg-Id, so the server drops a duplicate published within the
// stream's two-minute window (such as an outbox row re-sent after a crash).
type NATSBus struct {
	cfg    Config
	policy retryPolicy
	parts  partitioner
	nc     *nats.Conn
	js     jetstream.JetStream

	streams sync.Map // topic → natsStream

	subs liveSubs[*natsSubscription]
}

var _ Bus = (*NATSBus)(nil)

// natsStream is what the bus knows of a topic's stream.
type natsStream struct {
	name       string
	partitions int
}

// Headers the adapter puts on the NATS message. The message's own key, time
// and headers travel JSON-encoded in one header, because NATS header values
// cannot hold line breaks and a key or an error text may.
const (
	natsHeaderMeta = "Cdlc-Meta"
	// natsDuplicateWindow is how long the server remembers message IDs.
	natsDuplicateWindow = 2 * time.Minute
	// natsEphemeralInactive is how long the server keeps an ephemeral
	// consumer whose process has gone away.
	natsEphemeralInactive = 5 * time.Minute
)

// natsMeta is the content of the Cdlc-Meta header.
type natsMeta struct {
	Key     string            `json:"k,omitempty"`
	Time    time.Time         `json:"t"`
	Headers map[string]string `json:"h,omitempty"`
}

// NewNATS connects to cfg.NATS.URL and checks that JetStream answers. Only
// the generic and NATS settings of cfg apply; the driver is ignored.
func NewNATS(cfg Config) (*NATSBus, error) {
	cfg.Driver = DriverNATS
	if err := cfg.Validate("events"); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	nc, err := nats.Connect(cfg.NATS.URL,
		nats.Name("cdlc"),
		nats.Timeout(5*time.Second),
		// A broker restart must not end the process's consumers: reconnect forever.
		nats.MaxReconnects(-1),
	)
	if err != nil {
		return nil, errs.Unavailable(err, "connect to NATS at %s", redactURL(cfg.NATS.URL))
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, errs.Unavailable(err, "JetStream at %s", redactURL(cfg.NATS.URL))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		return nil, errs.Unavailable(err, "JetStream at %s (is the server started with -js?)", redactURL(cfg.NATS.URL))
	}
	return &NATSBus{
		cfg:    cfg,
		policy: newRetryPolicy(cfg),
		nc:     nc,
		js:     js,
	}, nil
}

// subject is where partition p of topic is published.
func (b *NATSBus) subject(topic string, p int) string {
	return b.cfg.NATS.StreamPrefix + "." + topic + "." + strconv.Itoa(p)
}

// StreamName is the JetStream stream that holds topic under this bus's
// prefix. Dots are not allowed in stream names, so they become '_'; the
// hash keeps "a.b" and "a_b" apart, and lets a long topic be cut so that
// the name stays a valid directory name on the server (255 bytes).
func (b *NATSBus) StreamName(topic string) string {
	readable := strings.ReplaceAll(topic, ".", "_")
	if len(readable) > 200 {
		readable = readable[:200]
	}
	return b.cfg.NATS.StreamPrefix + "_" + readable + "_" + fmt.Sprintf("%08x", fnv32(topic))
}

// durableName names the durable consumer of group on partition p.
func durableName(group string, p int) string {
	return fmt.Sprintf("%s_%08x_p%d", strings.ReplaceAll(group, ".", "_"), fnv32(group), p)
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// stream finds or creates topic's stream.
func (b *NATSBus) stream(ctx context.Context, topic string) (natsStream, error) {
	if v, ok := b.streams.Load(topic); ok {
		return v.(natsStream), nil
	}
	name := b.StreamName(topic)
	s, err := b.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		subjects := make([]string, b.cfg.Partitions)
		for i := range subjects {
			subjects[i] = b.subject(topic, i)
		}
		s, err = b.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        name,
			Description: "cdlc topic " + topic,
			Subjects:    subjects,
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Discard:     jetstream.DiscardOld,
			Replicas:    b.cfg.NATS.Replicas,
			MaxAge:      b.cfg.NATS.MaxAge,
			Duplicates:  natsDuplicateWindow,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Another process created it first, perhaps with another
			// partition count; theirs wins, as it is what is stored.
			s, err = b.js.Stream(ctx, name)
		}
	}
	if err != nil {
		return natsStream{}, errs.Unavailable(err, "NATS stream %s for topic %s", name, topic)
	}
	subjects := s.CachedInfo().Config.Subjects
	for i, subj := range subjects {
		if subj != b.subject(topic, i) {
			return natsStream{}, fmt.Errorf("NATS stream %s has subject %q where %q was expected; it was not made by this bus", name, subj, b.subject(topic, i))
		}
	}
	if len(subjects) == 0 {
		return natsStream{}, fmt.Errorf("NATS stream %s has no subjects", name)
	}
	st := natsStream{name: name, partitions: len(subjects)}
	b.streams.Store(topic, st)
	return st, nil
}

// Publish stores each message in its topic's stream, in order, returning
// once the server has acknowledged all of them.
func (b *NATSBus) Publish(ctx context.Context, msgs ...Message) error {
	if b.isClosed() {
		return ErrClosed
	}
	ms, err := prepare(msgs)
	if err != nil {
		return err
	}
	for _, m := range ms {
		st, err := b.stream(ctx, m.Topic)
		if err != nil {
			return err
		}
		meta, err := json.Marshal(natsMeta{Key: m.Key, Time: m.Time, Headers: m.Headers})
		if err != nil {
			return fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		nm := &nats.Msg{
			Subject: b.subject(m.Topic, b.parts.partition(m.Key, st.partitions)),
			Data:    m.Payload,
			Header:  nats.Header{natsHeaderMeta: []string{string(meta)}},
		}
		if _, err := b.js.PublishMsg(ctx, nm, jetstream.WithMsgID(m.ID), jetstream.WithExpectStream(st.name)); err != nil {
			// The stream may have been deleted or changed behind our back;
			// look it up again next time.
			b.streams.Delete(m.Topic)
			return errs.Unavailable(err, "publish %s to NATS topic %s", m.ID, m.Topic)
		}
	}
	return nil
}

// Subscribe starts consuming topic as group; see NATSBus for how. The
// consumers exist on the server when it returns. ctx bounds the set-up only.
func (b *NATSBus) Subscribe(ctx context.Context, topic, group string, h Handler, opts ...SubscribeOption) (Subscription, error) {
	o, err := b.subs.subscribing(topic, group, h, opts)
	if err != nil {
		return nil, err
	}
	st, err := b.stream(ctx, topic)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &natsSubscription{bus: b, stream: st.name, topic: topic, group: group, h: h, ctx: sctx, cancel: cancel}
	if o.Ephemeral {
		c, err := b.js.CreateConsumer(ctx, st.name, jetstream.ConsumerConfig{
			Description:       "cdlc ephemeral " + group,
			DeliverPolicy:     jetstream.DeliverNewPolicy,
			AckPolicy:         jetstream.AckExplicitPolicy,
			AckWait:           b.cfg.NATS.AckWait,
			MaxAckPending:     1,
			MaxDeliver:        -1,
			InactiveThreshold: natsEphemeralInactive,
			MemoryStorage:     true,
		})
		if err != nil {
			cancel()
			return nil, errs.Unavailable(err, "NATS ephemeral consumer on %s", st.name)
		}
		s.ephemeral = c.CachedInfo().Name
		if err := s.start(c); err != nil {
			_ = s.Close()
			return nil, err
		}
	} else {
		for p := range st.partitions {
			c, err := b.js.CreateOrUpdateConsumer(ctx, st.name, jetstream.ConsumerConfig{
				Durable:       durableName(group, p),
				Description:   fmt.Sprintf("cdlc group %s partition %d", group, p),
				FilterSubject: b.subject(topic, p),
				DeliverPolicy: jetstream.DeliverAllPolicy,
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       b.cfg.NATS.AckWait,
				MaxAckPending: 1,
				// Unlimited: retries and the dead-letter topic are the bus's job.
				MaxDeliver: -1,
			})
			if err == nil {
				err = s.start(c)
			}
			if err != nil {
				_ = s.Close()
				return nil, errs.Unavailable(err, "NATS consumer for group %s on %s partition %d", group, st.name, p)
			}
		}
	}
	if !b.subs.add(s) {
		_ = s.Close()
		return nil, ErrClosed
	}
	return s, nil
}

func (b *NATSBus) isClosed() bool { return b.subs.isClosed() }

// Ping checks the connection and that JetStream answers.
func (b *NATSBus) Ping(ctx context.Context) error {
	if b.isClosed() {
		return ErrClosed
	}
	if st := b.nc.Status(); st != nats.CONNECTED {
		return errs.Unavailable(nil, "NATS connection is %s", st)
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return errs.Unavailable(err, "JetStream")
	}
	return nil
}

// Close closes every subscription (each after its message in hand), flushes
// what is still being sent and closes the connection. Durable consumers stay
// on the server, where the group resumes.
func (b *NATSBus) Close() error {
	if !b.subs.closeAll() {
		return nil
	}
	err := b.nc.FlushTimeout(2 * time.Second)
	b.nc.Close()
	if errors.Is(err, nats.ErrConnectionClosed) {
		err = nil
	}
	return err
}

// natsSubscription is one Subscribe: a consuming goroutine per consumer.
type natsSubscription struct {
	bus       *NATSBus
	stream    string
	topic     string
	group     string
	h         Handler
	ephemeral string // the server-side consumer to delete on Close

	// ctx ends at Close: retries stop and buffered messages are handed back.
	ctx    context.Context
	cancel context.CancelFunc
	iters  []jetstream.MessagesContext
	wg     sync.WaitGroup
	once   sync.Once

	// unfinished are messages received or in hand while closing. They are
	// handed back (Nak) only once the pull subscriptions are gone: a Nak
	// sent earlier makes the server redeliver at once, possibly to this
	// very subscription's last pull request, where the copy would be lost
	// and the partition would stall for AckWait.
	mu         sync.Mutex
	unfinished []jetstream.Msg
}

func (s *natsSubscription) start(c jetstream.Consumer) error {
	it, err := c.Messages()
	if err != nil {
		return err
	}
	s.iters = append(s.iters, it)
	s.wg.Go(func() { s.loop(it) })
	return nil
}

func (s *natsSubscription) loop(it jetstream.MessagesContext) {
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || s.ctx.Err() != nil {
				return
			}
			// Missed heartbeats and the like: the iterator re-issues its
			// pull requests itself; pause so a persistent error does not spin.
			s.bus.policy.log.Warn("NATS consumer error", "stream", s.stream, "group", s.group, "err", err)
			sleep(s.ctx, time.Second)
			continue
		}
		if s.ctx.Err() != nil {
			s.giveBack(msg)
			continue
		}
		s.handle(msg)
	}
}

func (s *natsSubscription) handle(msg jetstream.Msg) {
	m := s.decode(msg)
	stop := keepInProgress(msg, s.bus.cfg.NATS.AckWait/3)
	err := deliver(s.ctx, s.bus.policy, s.bus, s.group, m, s.h)
	stop()
	if err != nil {
		// Only a stopping subscription gets here; see unfinished.
		s.giveBack(msg)
		return
	}
	if err := msg.Ack(); err != nil {
		// The server redelivers after AckWait; the idempotent consumer
		// absorbs the duplicate.
		s.bus.policy.log.Warn("NATS ack failed", "stream", s.stream, "group", s.group, "id", m.ID, "err", err)
	}
}

// giveBack queues msg to be handed back to the server when Close is done.
func (s *natsSubscription) giveBack(msg jetstream.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unfinished = append(s.unfinished, msg)
}

// keepInProgress tells the server every interval that msg is still being
// worked on, until the returned stop is called.
func keepInProgress(msg jetstream.Msg, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-done:
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// decode rebuilds the Message. A message published by someone else than
// this bus has no Cdlc-Meta; it still gets a stable ID from its stream
// position, so idempotent consumers work on it too.
func (s *natsSubscription) decode(msg jetstream.Msg) Message {
	m := Message{Topic: s.topic, Payload: msg.Data()}
	h := msg.Headers()
	m.ID = h.Get(jetstream.MsgIDHeader)
	var meta natsMeta
	if raw := h.Get(natsHeaderMeta); raw != "" {
		if err := json.Unmarshal([]byte(raw), &meta); err != nil {
			s.bus.policy.log.Warn("NATS message with unreadable metadata", "stream", s.stream, "err", err)
		}
	}
	m.Key, m.Time, m.Headers = meta.Key, meta.Time, meta.Headers
	if md, err := msg.Metadata(); err == nil {
		if m.ID == "" {
			m.ID = fmt.Sprintf("nats-%s-%d", md.Stream, md.Sequence.Stream)
		}
		if m.Time.IsZero() {
			m.Time = md.Timestamp
		}
	}
	return m
}

// Close stops consuming after the messages in hand and waits for them.
// Must not be called from the subscription's own handler.
func (s *natsSubscription) Close() error {
	s.once.Do(func() {
		s.cancel()
		for _, it := range s.iters {
			it.Drain()
		}
		// The loops end when their iterators are drained: the server has
		// processed the unsubscribe by then, so the Naks below go to the
		// group's other members (or wait for the next one), never back here.
		s.wg.Wait()
		for _, msg := range s.unfinished {
			_ = msg.Nak()
		}
		if s.ephemeral != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.bus.js.DeleteConsumer(ctx, s.stream, s.ephemeral); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
				// The server removes it after InactiveThreshold anyway.
				s.bus.policy.log.Debug("delete NATS ephemeral consumer", "stream", s.stream, "consumer", s.ephemeral, "err", err)
			}
		}
		s.bus.subs.remove(s)
	})
	return nil
}
