package events_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/events/eventstest"
	"github.com/cdlc/cdlc/internal/platform/testenv"
)

func TestInproc(t *testing.T) {
	t.Parallel()
	eventstest.Run(t, func(t testing.TB) events.Bus { return newInproc(t) })
}

func TestNATS(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	newBus := func(t testing.TB) events.Bus { return newNATS(t, url, randomPrefix()) }
	eventstest.Run(t, newBus)
	eventstest.RunDurable(t, newBus)
}

func TestKafka(t *testing.T) {
	t.Parallel()
	brokers := startKfake(t)
	newBus := func(t testing.TB) events.Bus { return newKafka(t, brokers) }
	eventstest.Run(t, newBus)
	eventstest.RunDurable(t, newBus)
}

// TestNATSKeepsSlowMessagesAlive: a handler that runs longer than AckWait
// is not redelivered meanwhile, because the bus keeps the message in
// progress.
func TestNATSKeepsSlowMessagesAlive(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	cfg := eventstest.Tune(events.Config{Driver: events.DriverNATS})
	prefix := randomPrefix()
	cfg.NATS = events.NATSConfig{URL: url, StreamPrefix: prefix, AckWait: time.Second}
	b, err := events.NewNATS(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = b.Close()
		deleteStreams(t, url, prefix)
	})
	topic := eventstest.Topic(t, "slow")
	slow := events.Message{ID: events.NewID(), Topic: topic, Key: "k", Payload: []byte("slow")}
	next := events.Message{ID: events.NewID(), Topic: topic, Key: "k", Payload: []byte("next")}
	var rec eventstest.Recorder
	eventstest.Subscribe(t, b, topic, "g", func(ctx context.Context, m events.Message) error {
		if m.ID == slow.ID {
			time.Sleep(1800 * time.Millisecond) // well past AckWait
		}
		return rec.Handle(ctx, m)
	})
	eventstest.Publish(t, b, slow, next)
	// A redelivery of the slow message would come before next: same partition.
	require.Eventually(t, func() bool { return rec.Has(next.ID) }, eventstest.Wait, 5*time.Millisecond)
	got := rec.Messages()
	require.Len(t, got, 2, "delivered once each")
	require.Equal(t, slow.ID, got[0].ID)
}

func newInproc(t testing.TB) *events.InprocBus {
	t.Helper()
	b, err := events.NewInproc(eventstest.Tune(events.Config{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// natsURL is the JetStream server the NATS tests use (CDLC_TEST_NATS_URL
// overrides the local default); it skips the test, or fails it in CI, when
// the server does not answer.
func natsURL(t testing.TB) string {
	t.Helper()
	url := testenv.Get("CDLC_TEST_NATS_URL", "nats://127.0.0.1:4222")
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil {
		testenv.Missing(t, "NATS at "+url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
	}
	if err != nil {
		testenv.Missing(t, "NATS JetStream at "+url, err)
	}
	return url
}

func randomPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// newNATS makes a NATS bus whose streams live under prefix and are deleted
// when the test ends.
func newNATS(t testing.TB, url, prefix string) *events.NATSBus {
	t.Helper()
	cfg := eventstest.Tune(events.Config{Driver: events.DriverNATS})
	// A short AckWait bounds how long a partition waits for a message
	// handed back when a group's last member closes (see NATSBus).
	cfg.NATS = events.NATSConfig{URL: url, StreamPrefix: prefix, AckWait: time.Second}
	b, err := events.NewNATS(cfg)
	if err != nil {
		testenv.Missing(t, "NATS JetStream at "+url, err)
	}
	t.Cleanup(func() {
		_ = b.Close()
		deleteStreams(t, url, prefix)
	})
	return b
}

func deleteStreams(t testing.TB, url, prefix string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Logf("clean up NATS streams %s_*: %v", prefix, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	var doomed []string
	for n := range names.Name() {
		if strings.HasPrefix(n, prefix+"_") {
			doomed = append(doomed, n)
		}
	}
	for _, n := range doomed {
		if err := js.DeleteStream(ctx, n); err != nil {
			t.Logf("delete NATS stream %s: %v", n, err)
		}
	}
}

// startKfake starts an in-process Kafka (franz-go's kfake) listening on a
// local TCP port, so that child processes can reach it too.
func startKfake(t testing.TB) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func newKafka(t testing.TB, brokers []string) *events.KafkaBus {
	t.Helper()
	cfg := eventstest.Tune(events.Config{Driver: events.DriverKafka})
	cfg.Kafka.Brokers = brokers
	b, err := events.NewKafka(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}
