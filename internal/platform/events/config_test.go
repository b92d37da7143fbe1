package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/events/eventstest"
)

func TestConfigValidate(t *testing.T) {
	nats := func(c events.Config) events.Config {
		c.Driver = events.DriverNATS
		if c.NATS.URL == "" {
			c.NATS.URL = "nats://127.0.0.1:4222"
		}
		return c
	}
	kafka := func(c events.Config) events.Config {
		c.Driver = events.DriverKafka
		if c.Kafka.Brokers == nil {
			c.Kafka.Brokers = []string{"127.0.0.1:9092"}
		}
		return c
	}
	tests := []struct {
		name  string
		cfg   events.Config
		field string // "" means valid
	}{
		{"zero is the embedded default", events.Config{}, ""},
		{"inproc", events.Config{Driver: "inproc", Partitions: 16, MaxAttempts: 3}, ""},
		{"nats", nats(events.Config{}), ""},
		{"nats cluster", nats(events.Config{NATS: events.NATSConfig{URL: "nats://a:4222,nats://b:4222"}}), ""},
		{"kafka", kafka(events.Config{}), ""},
		{"unknown driver", events.Config{Driver: "rabbit"}, "events.driver"},
		{"negative partitions", events.Config{Partitions: -1}, "events.partitions"},
		{"too many partitions", events.Config{Partitions: 100000}, "events.partitions"},
		{"negative attempts", events.Config{MaxAttempts: -1}, "events.max_attempts"},
		{"negative backoff", events.Config{RetryBackoff: -time.Second}, "events.retry_backoff"},
		{"negative backoff max", events.Config{RetryBackoffMax: -time.Second}, "events.retry_backoff_max"},
		{"negative queue", events.Config{QueueSize: -1}, "events.queue_size"},
		{"nats without url", events.Config{Driver: "nats"}, "events.nats.url"},
		{"nats bad url", nats(events.Config{NATS: events.NATSConfig{URL: "::not a url"}}), "events.nats.url"},
		{"nats bad prefix", nats(events.Config{NATS: events.NATSConfig{StreamPrefix: "a.b"}}), "events.nats.stream_prefix"},
		{"nats tiny ack wait", nats(events.Config{NATS: events.NATSConfig{AckWait: time.Millisecond}}), "events.nats.ack_wait"},
		{"nats replicas", nats(events.Config{NATS: events.NATSConfig{Replicas: 7}}), "events.nats.replicas"},
		{"kafka without brokers", events.Config{Driver: "kafka"}, "events.kafka.brokers"},
		{"kafka broker without port", kafka(events.Config{Kafka: events.KafkaConfig{Brokers: []string{"ok:9092", "broker"}}}), "events.kafka.brokers[1]"},
		{"kafka replication", kafka(events.Config{Kafka: events.KafkaConfig{ReplicationFactor: -1}}), "events.kafka.replication_factor"},
		{"nats settings ignored for inproc", events.Config{NATS: events.NATSConfig{StreamPrefix: "a.b"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate("events")
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.True(t, errs.Is(err, errs.KindInvalid), "want invalid, got %v", err)
			require.Equal(t, tt.field, errs.FieldOf(err))
		})
	}
}

func TestConfigRedactsCredentials(t *testing.T) {
	for _, u := range []string{"nats://user:s3cret@/x y", "nats://user:s3cret@host:4222:bad%zz"} {
		err := events.Config{Driver: "nats", NATS: events.NATSConfig{URL: u}}.Validate("events")
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cret")
	}
}

func TestNewChoosesTheDriver(t *testing.T) {
	b, err := events.New(events.Config{})
	require.NoError(t, err)
	require.IsType(t, &events.InprocBus{}, b)
	require.NoError(t, b.Close())

	_, err = events.New(events.Config{Driver: "nats"})
	require.Equal(t, "events.nats.url", errs.FieldOf(err))

	nb, err := events.New(events.Config{Driver: "nats", NATS: events.NATSConfig{URL: "nats://127.0.0.1:1"}})
	require.Nil(t, nb, "no Bus holding a nil pointer")
	require.True(t, errs.Is(err, errs.KindUnavailable), "an unreachable server is reported at start-up: %v", err)

	kb, err := events.New(events.Config{Driver: "kafka", Kafka: events.KafkaConfig{Brokers: startKfake(t)}})
	require.NoError(t, err)
	require.IsType(t, &events.KafkaBus{}, kb)
	require.NoError(t, kb.Close())
}

func TestValidateTopic(t *testing.T) {
	for _, ok := range []string{"a", "catalog.title.changed", "orders_v2", "x-y.z", "A9"} {
		require.NoError(t, events.ValidateTopic(ok), ok)
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", "a b", "a/b", "a*", "a>", "é"} {
		err := events.ValidateTopic(bad)
		require.True(t, errs.Is(err, errs.KindInvalid), "%q: %v", bad, err)
	}
}

// TestInprocBackpressure: a full partition queue makes Publish wait, and
// the wait honours the publisher's context.
func TestInprocBackpressure(t *testing.T) {
	b, err := events.NewInproc(events.Config{Partitions: 1, QueueSize: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	topic := eventstest.Topic(t, "pressure")
	release := make(chan struct{})
	var got eventstest.Recorder
	eventstest.Subscribe(t, b, topic, "slow", func(ctx context.Context, m events.Message) error {
		<-release
		return got.Handle(ctx, m)
	})
	ctx := context.Background()
	// One message in the handler, two in the queue: the bus is full.
	for range 3 {
		require.NoError(t, b.Publish(ctx, events.Message{Topic: topic}))
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = b.Publish(short, events.Message{Topic: topic})
	require.ErrorIs(t, err, context.DeadlineExceeded, "a full queue blocks the publisher")

	close(release)
	require.NoError(t, b.Publish(ctx, events.Message{Topic: topic}), "room again once the consumer catches up")
	require.Eventually(t, func() bool { return len(got.Messages()) == 4 }, eventstest.Wait, 5*time.Millisecond)
}

// TestInprocDropsUnsubscribedTopics documents the embedded bus's lack of
// history: nobody listening means nobody gets it, later subscribers included.
func TestInprocDropsUnsubscribedTopics(t *testing.T) {
	b := newInproc(t)
	topic := eventstest.Topic(t, "void")
	eventstest.Publish(t, b, events.Message{Topic: topic, Payload: []byte("lost")})
	var rec eventstest.Recorder
	eventstest.Subscribe(t, b, topic, "late", rec.Handle)
	eventstest.Publish(t, b, events.Message{Topic: topic, Payload: []byte("seen")})
	require.Eventually(t, func() bool { return len(rec.Messages()) == 1 }, eventstest.Wait, 5*time.Millisecond)
	require.Equal(t, []byte("seen"), rec.Messages()[0].Payload)
}

// TestInprocCloseDrains: messages already queued are handled before Close returns.
func TestInprocCloseDrains(t *testing.T) {
	b, err := events.NewInproc(events.Config{Partitions: 2})
	require.NoError(t, err)
	topic := eventstest.Topic(t, "drain")
	var rec eventstest.Recorder
	_, err = b.Subscribe(context.Background(), topic, "g", func(ctx context.Context, m events.Message) error {
		time.Sleep(time.Millisecond)
		return rec.Handle(ctx, m)
	})
	require.NoError(t, err)
	for i := range 50 {
		eventstest.Publish(t, b, events.Message{Topic: topic, Key: string(rune('a' + i%5))})
	}
	require.NoError(t, b.Close())
	require.Len(t, rec.Messages(), 50)
}

// TestHandlerPanicIsAFailure: a panicking handler is retried and then
// dead-lettered like any failure, instead of crashing the process.
func TestHandlerPanicIsAFailure(t *testing.T) {
	b := newInproc(t)
	topic := eventstest.Topic(t, "panic")
	var dead eventstest.Recorder
	eventstest.Subscribe(t, b, events.DeadLetterTopic(topic), "dlq", dead.Handle)
	eventstest.Subscribe(t, b, topic, "g", func(context.Context, events.Message) error { panic("nil map") })
	eventstest.Publish(t, b, events.Message{Topic: topic})
	require.Eventually(t, func() bool { return len(dead.Messages()) == 1 }, eventstest.Wait, 5*time.Millisecond)
	require.Contains(t, dead.Messages()[0].Headers[events.HeaderDeadLetterError], "handler panicked: nil map")
}
