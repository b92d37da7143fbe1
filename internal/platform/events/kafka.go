package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// KafkaBus is the bus on Kafka (or anything that speaks its protocol:
// Redpanda, WarpStream, franz-go's kfake in tests).
//
// We use franz-go: it is pure Go (no librdkafka, no cgo, so the single
// static binary stays), it implements the whole protocol (idempotent and
// transactional producing, the cooperative-sticky and KIP-848 group
// protocols, admin requests through kadm), and it ships kfake, an in-process
// Kafka that lets the contract suite run on every machine.
//
// Topics are created on first use with Partitions partitions; an existing
// topic keeps its own count. The producer picks the partition itself with
// the bus's shared partitioner (so a key maps to the same partition number
// on every adapter) and Publish waits until all in-sync replicas have the
// records; the producer is idempotent, so its own retries neither duplicate
// nor reorder.
//
// A durable group is a Kafka consumer group named "<group>@<topic>" (Kafka
// groups are cluster-wide, a cdlc group is per topic). Offsets are
// committed by hand, after handling, and only up to the last record handled;
// polling blocks rebalances until that commit, so a partition never moves
// to another member with handled-but-uncommitted records behind it. A new
// group starts at the oldest retained record.
//
// An Ephemeral subscription uses no consumer group at all: it reads every
// partition directly from the end offsets listed when it subscribes. It
// belongs to one process, so there is nothing to coordinate or commit, and
// "only new messages" is exact rather than racing a group join.
type KafkaBus struct {
	cfg    Config
	policy retryPolicy
	parts  partitioner
	prod   *kgo.Client
	adm    *kadm.Client

	topics sync.Map // topic → partition count (int)

	subs liveSubs[*kafkaSubscription]
}

var _ Bus = (*KafkaBus)(nil)

// Record headers the adapter adds; the message's own headers travel as
// record headers beside them.
const (
	kafkaHeaderID   = "cdlc-id"
	kafkaHeaderTime = "cdlc-time"
)

// NewKafka builds the Kafka bus and checks that a broker answers. Only the
// generic and Kafka settings of cfg apply; the driver is ignored.
func NewKafka(cfg Config) (*KafkaBus, error) {
	cfg.Driver = DriverKafka
	if err := cfg.Validate("events"); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	prod, err := kgo.NewClient(
		kgo.SeedBrokers(cfg.Kafka.Brokers...),
		kgo.ClientID(cfg.Kafka.ClientID),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		// Publish waits for the acknowledgement anyway; lingering would
		// only add latency to every single-message publish.
		kgo.ProducerLinger(0),
	)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := prod.Ping(ctx); err != nil {
		prod.Close()
		return nil, errs.Unavailable(err, "Kafka at %v", cfg.Kafka.Brokers)
	}
	return &KafkaBus{
		cfg:    cfg,
		policy: newRetryPolicy(cfg),
		prod:   prod,
		adm:    kadm.NewClient(prod),
	}, nil
}

// GroupID is the Kafka consumer group that group uses on topic.
func (b *KafkaBus) GroupID(group, topic string) string { return group + "@" + topic }

// topic finds or creates topic and returns its partition count.
func (b *KafkaBus) topic(ctx context.Context, topic string) (int, error) {
	if v, ok := b.topics.Load(topic); ok {
		return v.(int), nil
	}
	n, err := b.describe(ctx, topic)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		rf := int16(b.cfg.Kafka.ReplicationFactor)
		if rf == 0 {
			rf = -1 // the broker's default
		}
		_, err = b.adm.CreateTopic(ctx, int32(b.cfg.Partitions), rf, nil, topic)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return 0, errs.Unavailable(err, "create Kafka topic %s", topic)
		}
		n, err = b.describe(ctx, topic)
	}
	if err != nil {
		return 0, errs.Unavailable(err, "Kafka topic %s", topic)
	}
	b.topics.Store(topic, n)
	return n, nil
}

// describe asks a broker for topic's partition count. It sends the
// metadata request itself: kadm's ListTopics answers from the client's
// metadata cache, which remembers "unknown topic" after we create it.
func (b *KafkaBus) describe(ctx context.Context, topic string) (int, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, b.prod)
	if err != nil {
		return 0, err
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return 0, err
		}
		if len(t.Partitions) == 0 {
			return 0, kerr.UnknownTopicOrPartition
		}
		return len(t.Partitions), nil
	}
	return 0, kerr.UnknownTopicOrPartition
}

// Publish produces the messages in order and returns once the brokers have
// acknowledged all of them.
func (b *KafkaBus) Publish(ctx context.Context, msgs ...Message) error {
	if b.isClosed() {
		return ErrClosed
	}
	ms, err := prepare(msgs)
	if err != nil {
		return err
	}
	rs := make([]*kgo.Record, len(ms))
	for i, m := range ms {
		n, err := b.topic(ctx, m.Topic)
		if err != nil {
			return err
		}
		r := &kgo.Record{
			Topic:     m.Topic,
			Partition: int32(b.parts.partition(m.Key, n)),
			Value:     m.Payload,
			Timestamp: m.Time,
			Headers:   make([]kgo.RecordHeader, 0, len(m.Headers)+2),
		}
		if m.Key != "" {
			r.Key = []byte(m.Key)
		}
		r.Headers = append(r.Headers,
			kgo.RecordHeader{Key: kafkaHeaderID, Value: []byte(m.ID)},
			kgo.RecordHeader{Key: kafkaHeaderTime, Value: []byte(m.Time.Format(time.RFC3339Nano))})
		for k, v := range m.Headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		rs[i] = r
	}
	if err := b.prod.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return errs.Unavailable(err, "publish to Kafka")
	}
	return nil
}

// Subscribe starts consuming topic as group; see KafkaBus for how. ctx
// bounds the set-up only.
func (b *KafkaBus) Subscribe(ctx context.Context, topic, group string, h Handler, opts ...SubscribeOption) (Subscription, error) {
	o, err := b.subs.subscribing(topic, group, h, opts)
	if err != nil {
		return nil, err
	}
	if _, err := b.topic(ctx, topic); err != nil {
		return nil, err
	}
	copts := []kgo.Opt{
		kgo.SeedBrokers(b.cfg.Kafka.Brokers...),
		kgo.ClientID(b.cfg.Kafka.ClientID),
		kgo.FetchMaxWait(b.cfg.Kafka.FetchMaxWait),
	}
	if o.Ephemeral {
		ends, err := b.adm.ListEndOffsets(ctx, topic)
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			return nil, errs.Unavailable(err, "Kafka end offsets of %s", topic)
		}
		start := map[int32]kgo.Offset{}
		ends.Each(func(o kadm.ListedOffset) { start[o.Partition] = kgo.NewOffset().At(o.Offset) })
		copts = append(copts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}))
	} else {
		copts = append(copts,
			kgo.ConsumerGroup(b.GroupID(group, topic)),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.DisableAutoCommit(),
			kgo.BlockRebalanceOnPoll(),
		)
	}
	cl, err := kgo.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &kafkaSubscription{
		bus: b, topic: topic, group: group, h: h, cl: cl, grouped: !o.Ephemeral,
		ctx: sctx, cancel: cancel, done: make(chan struct{}),
	}
	if !b.subs.add(s) {
		cancel()
		cl.Close()
		return nil, ErrClosed
	}
	go s.loop()
	return s, nil
}

func (b *KafkaBus) isClosed() bool { return b.subs.isClosed() }

// Ping asks the brokers for metadata.
func (b *KafkaBus) Ping(ctx context.Context) error {
	if b.isClosed() {
		return ErrClosed
	}
	if err := b.prod.Ping(ctx); err != nil {
		return errs.Unavailable(err, "Kafka")
	}
	return nil
}

// Close closes every subscription (each after its messages in hand, leaving
// its group) and then the producer, which first finishes what it is sending.
func (b *KafkaBus) Close() error {
	if !b.subs.closeAll() {
		return nil
	}
	b.prod.Close()
	return nil
}

// kafkaSubscription is one Subscribe: a client of its own and its poll loop.
type kafkaSubscription struct {
	bus     *KafkaBus
	topic   string
	group   string
	h       Handler
	cl      *kgo.Client
	grouped bool

	// ctx ends at Close: polling and retries stop.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// loop polls, hands each partition's records to deliver in order (the
// partitions of one poll in parallel), commits what was handled, and only
// then lets a rebalance move partitions.
func (s *kafkaSubscription) loop() {
	defer close(s.done)
	for {
		fs := s.cl.PollRecords(s.ctx, 1000)
		if s.ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		failed := false
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				failed = true
				s.bus.policy.log.Warn("Kafka fetch error", "topic", topic, "partition", p, "group", s.group, "err", err)
			}
		})
		var parts [][]*kgo.Record
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				parts = append(parts, p.Records)
			}
		})
		handled := make([]*kgo.Record, len(parts))
		var wg sync.WaitGroup
		for i, recs := range parts {
			wg.Go(func() {
				for _, r := range recs {
					if s.ctx.Err() != nil {
						return
					}
					if err := deliver(s.ctx, s.bus.policy, s.bus, s.group, s.decode(r), s.h); err != nil {
						return
					}
					handled[i] = r
				}
			})
		}
		wg.Wait()
		if s.grouped {
			s.commit(handled)
		}
		if s.ctx.Err() != nil {
			return
		}
		if s.grouped {
			s.cl.AllowRebalance()
		}
		if failed && len(parts) == 0 {
			// A persistent fetch error returns at once; do not spin on it.
			sleep(s.ctx, time.Second)
		}
	}
}

// commit commits the group's offsets up to the given records. It uses its
// own context because it also runs as the subscription closes.
func (s *kafkaSubscription) commit(handled []*kgo.Record) {
	rs := make([]*kgo.Record, 0, len(handled))
	for _, r := range handled {
		if r != nil {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cl.CommitRecords(ctx, rs...); err != nil {
		// The records are redelivered to the group; idempotent consumers
		// absorb that.
		s.bus.policy.log.Warn("Kafka commit failed", "topic", s.topic, "group", s.group, "err", err)
	}
}

// decode rebuilds the Message. A record produced by someone else than this
// bus has no cdlc-id; it gets a stable ID from its position instead.
func (s *kafkaSubscription) decode(r *kgo.Record) Message {
	m := Message{Topic: r.Topic, Key: string(r.Key), Payload: r.Value, Time: r.Timestamp}
	for _, h := range r.Headers {
		switch h.Key {
		case kafkaHeaderID:
			m.ID = string(h.Value)
		case kafkaHeaderTime:
			if t, err := time.Parse(time.RFC3339Nano, string(h.Value)); err == nil {
				m.Time = t
			}
		default:
			if m.Headers == nil {
				m.Headers = make(map[string]string, len(r.Headers))
			}
			m.Headers[h.Key] = string(h.Value)
		}
	}
	if m.ID == "" {
		m.ID = fmt.Sprintf("kafka-%s-%d-%d", r.Topic, r.Partition, r.Offset)
	}
	return m
}

// Close stops polling after the records in hand, commits them, and leaves
// the group. Must not be called from the subscription's own handler.
func (s *kafkaSubscription) Close() error {
	s.once.Do(func() {
		s.cancel()
		<-s.done
		s.cl.CloseAllowingRebalance()
		s.bus.subs.remove(s)
	})
	return nil
}
