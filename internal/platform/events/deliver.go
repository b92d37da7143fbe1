package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// Headers that the bus sets on a message it moves to the dead-letter topic,
// so that whoever reads the dead letters can tell where a message came from
// and why it failed.
const (
	// HeaderDeadLetterTopic is the topic the message was published to.
	HeaderDeadLetterTopic = "cdlc-dead-letter-topic"
	// HeaderDeadLetterGroup is the group whose handler gave up on it. Two
	// groups failing on one message produce two dead letters with the same ID
	// and different groups.
	HeaderDeadLetterGroup = "cdlc-dead-letter-group"
	// HeaderDeadLetterError is the error of the last attempt.
	HeaderDeadLetterError = "cdlc-dead-letter-error"
	// HeaderDeadLetterAttempts is how many attempts were made, in decimal.
	HeaderDeadLetterAttempts = "cdlc-dead-letter-attempts"
	// HeaderDeadLetterTime is when the bus gave up, in RFC 3339 with nanoseconds.
	HeaderDeadLetterTime = "cdlc-dead-letter-time"
)

// ErrClosed is returned by a bus that has been closed.
var ErrClosed = errors.New("events: bus closed")

// retryPolicy is how deliver retries a failing handler: MaxAttempts tries in
// all, waiting an exponentially growing, jittered delay between them.
type retryPolicy struct {
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	// log is the bus's logger (Config.Log).
	log *slog.Logger
}

// logger is log, or for a policy built without one the default.
func (p retryPolicy) logger() *slog.Logger {
	if p.log == nil {
		return telemetry.Named(nil, "events")
	}
	return p.log
}

func newRetryPolicy(c Config) retryPolicy {
	return retryPolicy{maxAttempts: c.MaxAttempts, backoff: c.RetryBackoff, maxBackoff: c.RetryBackoffMax, log: telemetry.Named(c.Log, "events")}
}

// retry is the platform's retry policy for attempts tries (negative: until
// the consumer stops): waits from backoff doubling up to maxBackoff, with
// full jitter so that consumers that failed together do not retry
// together. Every error is worth another try: a handler's failure may be
// passing, and the dead-letter topic takes what is not.
func (p retryPolicy) retry(attempts int) resilience.RetryPolicy {
	initial := p.backoff
	if initial <= 0 {
		initial = time.Nanosecond // no wait (resilience reads 0 as its default)
	}
	return resilience.RetryPolicy{
		Initial: initial, Max: max(p.maxBackoff, initial), MaxAttempts: attempts,
		Retryable: func(error) bool { return true },
	}
}

// backoffDelay is the wait after the failures-th failure in a row of a
// loop that keeps going (the outbox relay), with the bus's policy.
func backoffDelay(base, ceiling time.Duration, failures int) time.Duration {
	return retryPolicy{backoff: base, maxBackoff: ceiling}.retry(-1).Backoff(failures)
}

// sleep waits for d or until ctx is done; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// deliver is the delivery semantics every adapter shares; each adapter's
// consumer loop calls it once per received message and acknowledges the
// message when it returns nil.
//
// It calls h up to p.maxAttempts times, setting m.Attempt, waiting the
// policy's backoff between attempts. After the last failed attempt it
// publishes the message to DeadLetterTopic(m.Topic) through dead and returns
// nil, so that one poison message does not block its partition forever.
//
// ctx is the consumer's lifetime: when it ends, deliver stops retrying and
// returns its error, and the adapter must not acknowledge the message (it is
// redelivered, possibly to another member). The handler itself gets a context
// that is not cancelled when the consumer stops, because a subscription
// stops "after the message in hand": a handler is never interrupted half-way
// by a shutdown.
//
// Retrying inline (rather than handing the message back to the broker) is
// what keeps per-key order: nothing behind the message in its partition is
// handled until it has succeeded or been dead-lettered.
func deliver(ctx context.Context, p retryPolicy, dead Publisher, group string, m Message, h Handler) error {
	hctx := context.WithoutCancel(ctx)
	log := p.logger()
	handle := p.retry(max(p.maxAttempts, 1))
	handle.OnRetry = func(attempt int, err error, _ time.Duration) {
		log.Warn("event handler failed; retrying", "topic", m.Topic, "group", group, "id", m.ID, "attempt", attempt, "err", err)
	}
	err := resilience.Retry(ctx, handle, func(context.Context) error {
		m.Attempt++
		return call(hctx, h, m)
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("deliver %s: stopped while retrying: %w", m.ID, err)
	}
	dl := deadLetter(m, group, err, time.Now())
	log.Error("event handler gave up; message moved to the dead-letter topic",
		"topic", m.Topic, "group", group, "id", m.ID, "attempts", m.Attempt, "dead_letter_topic", dl.Topic, "err", err)
	// The dead letter must land before the original is acknowledged, or the
	// message would be lost; a bus that cannot take it now gets retried until
	// the consumer stops, and then the original is redelivered.
	publish := p.retry(-1)
	publish.OnRetry = func(_ int, err error, _ time.Duration) {
		log.Error("publish dead letter failed; retrying", "topic", dl.Topic, "id", m.ID, "err", err)
	}
	if err := resilience.Retry(ctx, publish, func(ctx context.Context) error { return dead.Publish(ctx, dl) }); err != nil {
		return fmt.Errorf("deliver %s: publish dead letter: %w", m.ID, err)
	}
	return nil
}

// call runs h, turning a panic into an error: a handler that panics on one
// message must not take the whole process down, again and again, on every
// redelivery.
func call(ctx context.Context, h Handler, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, m)
}

// deadLetter is m addressed to its dead-letter topic. It keeps the ID, key,
// payload and time so that it can be inspected and replayed as it was.
func deadLetter(m Message, group string, cause error, now time.Time) Message {
	h := make(map[string]string, len(m.Headers)+5)
	maps.Copy(h, m.Headers)
	h[HeaderDeadLetterTopic] = m.Topic
	h[HeaderDeadLetterGroup] = group
	h[HeaderDeadLetterError] = cause.Error()
	h[HeaderDeadLetterAttempts] = strconv.Itoa(m.Attempt)
	h[HeaderDeadLetterTime] = now.UTC().Format(time.RFC3339Nano)
	m.Topic = DeadLetterTopic(m.Topic)
	m.Headers = h
	m.Attempt = 0
	return m
}

// prepare validates msgs and returns copies with an ID and a Time where the
// publisher left them empty. It copies so that a caller's slice is never
// written to behind its back.
func prepare(msgs []Message) ([]Message, error) {
	out := make([]Message, len(msgs))
	now := time.Now().UTC()
	for i, m := range msgs {
		if err := ValidateTopic(m.Topic); err != nil {
			return nil, err
		}
		if m.ID == "" {
			m.ID = ulid.Make().String()
		} else if len(m.ID) > maxIDLen {
			return nil, errs.Invalid("id", "message ID is %d bytes; at most %d", len(m.ID), maxIDLen)
		}
		if m.Time.IsZero() {
			m.Time = now
		}
		m.Attempt = 0
		out[i] = m
	}
	return out, nil
}

// maxIDLen bounds message IDs so that they fit the processed_messages key.
const maxIDLen = 128

// Name limits. A topic may be as long as Kafka allows; a group is shorter
// because NATS builds a consumer name (a directory on the server's disk)
// from it.
const (
	maxTopicLen = 249
	maxGroupLen = 200
)

// ValidateTopic reports whether topic can be used on every adapter: 1 to
// 249 characters of letters, digits, '.', '_' and '-', with dots only
// between words (topics such as "catalog.title.changed"). The set is what
// Kafka accepts, narrowed so that a topic is also a run of NATS subject
// tokens. Subscribe also needs room for the dead-letter suffix ".dlq".
func ValidateTopic(topic string) error { return validateName("topic", topic, maxTopicLen) }

// ValidateGroup reports whether group is a usable consumer group name: 1
// to 200 characters, with the characters of ValidateTopic.
func ValidateGroup(group string) error { return validateName("group", group, maxGroupLen) }

// validateSubscription checks what every adapter's Subscribe takes. The
// dead-letter topic is checked too, so that a too-long topic fails here
// rather than when its first poison message cannot be dead-lettered.
func validateSubscription(topic, group string, h Handler) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	if err := ValidateTopic(DeadLetterTopic(topic)); err != nil {
		return errs.Invalid("topic", "%q leaves no room for its dead-letter topic %q", topic, DeadLetterTopic(topic))
	}
	if err := ValidateGroup(group); err != nil {
		return err
	}
	if h == nil {
		return errs.Invalid("handler", "must not be nil")
	}
	return nil
}

func validateName(field, s string, maxLen int) error {
	if s == "" {
		return errs.Invalid(field, "must not be empty")
	}
	if len(s) > maxLen {
		return errs.Invalid(field, "%q is longer than %d characters", s, maxLen)
	}
	prev := byte('.')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.':
			if prev == '.' {
				return errs.Invalid(field, "%q has an empty word between dots", s)
			}
		default:
			return errs.Invalid(field, "%q has %q; use letters, digits, '.', '_' and '-'", s, c)
		}
		prev = c
	}
	if prev == '.' {
		return errs.Invalid(field, "%q ends with a dot", s)
	}
	return nil
}

// partitioner maps a key to a partition. Every adapter uses it, so a key
// lands in the same partition number whichever bus carries it.
type partitioner struct {
	spread atomic.Uint32
}

// partition returns the partition of key among n: FNV-1a of the key, so
// equal keys always share a partition (which is what orders them); an empty
// key has nothing to order by and goes round-robin to spread the load.
func (p *partitioner) partition(key string, n int) int {
	if n <= 1 {
		return 0
	}
	if key == "" {
		return int(p.spread.Add(1) % uint32(n))
	}
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}
