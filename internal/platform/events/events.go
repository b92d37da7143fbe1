// Package events is the platform's publish/subscribe layer: consumer groups,
// at-least-once delivery, ordering per key, retries and a dead-letter topic,
// plus the transactional outbox and the idempotent-consumer helper.
//
// Adapters: in-process (the embedded default), NATS JetStream and Kafka
// (franz-go), chosen by Config.Driver in New. Every adapter passes the same
// contract suite (eventstest).
//
// What every adapter guarantees (deliver.go holds the shared part):
//
//   - At least once: a message is acknowledged only after its handler
//     returned nil or it was moved to the dead-letter topic. Consumers that
//     must not apply an effect twice wrap their handler in Idempotent.
//   - Order per key within a group: topics are split into partitions by a
//     hash of Message.Key; a partition is handled one message at a time, in
//     publish order; different partitions run in parallel. An empty key has
//     no order and is spread over the partitions.
//   - Retries: a failing handler is retried with exponential backoff and
//     jitter, up to Config.MaxAttempts (Message.Attempt counts), then the
//     message goes to DeadLetterTopic(topic) with HeaderDeadLetter* headers
//     and its partition moves on.
//   - Durability: the brokers keep messages; the in-process bus does not.
//     Writes that must not lose their event put it in the transactional
//     outbox (Enqueue, in the writing transaction) and a Relay publishes it.
package events

import (
	"context"
	"time"
)

// Message is one event. ID is unique per event and is what idempotent
// consumers record; Key orders messages: two messages with the same key are
// delivered to a group in the order they were published.
type Message struct {
	ID      string            `json:"id"`
	Topic   string            `json:"topic"`
	Key     string            `json:"key"`
	Payload []byte            `json:"payload"`
	Headers map[string]string `json:"headers,omitempty"`
	Time    time.Time         `json:"time"`
	// Attempt is the delivery attempt, from 1; set by the bus on delivery.
	Attempt int `json:"-"`
}

// Handler processes one message. A nil error acknowledges it; an error makes
// the bus retry it (with backoff) up to the configured number of attempts,
// after which the message goes to the dead-letter topic DeadLetterTopic(topic).
type Handler func(ctx context.Context, m Message) error

// Publisher publishes messages. Publish returns once the bus has accepted
// every message (durably, for the adapters that have durability).
type Publisher interface {
	Publish(ctx context.Context, msgs ...Message) error
}

// Subscription is a live consumer; Close stops it after the message in hand.
type Subscription interface {
	Close() error
}

// SubscribeOption tunes one subscription.
type SubscribeOption func(*SubscribeOptions)

// SubscribeOptions are the options a subscription was made with.
type SubscribeOptions struct {
	// Ephemeral marks a group that belongs to this process alone (a fan-out
	// listener such as a watcher hub): it starts at new messages and its state
	// is discarded when the process goes away.
	Ephemeral bool
}

// Ephemeral makes the subscription's group private to this process; see SubscribeOptions.
func Ephemeral() SubscribeOption { return func(o *SubscribeOptions) { o.Ephemeral = true } }

// Bus publishes and consumes. Each group receives every message of a topic
// once (at least once); the members of a group share the work.
type Bus interface {
	Publisher
	Subscribe(ctx context.Context, topic, group string, h Handler, opts ...SubscribeOption) (Subscription, error)
	// Ping reports whether the bus is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// DeadLetterTopic names the topic where messages of topic go after their last failed attempt.
func DeadLetterTopic(topic string) string { return topic + ".dlq" }
