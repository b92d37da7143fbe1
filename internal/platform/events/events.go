// Package events is the platform's publish/subscribe layer: consumer groups,
// at-least-once delivery, ordering per key, retries and a dead-letter topic,
// plus the transactional outbox and the idempotent-consumer helper.
//
// Adapters: in-process (the embedded default), NATS JetStream and Kafka
// (franz-go). Every adapter passes the same contract suite (eventstest).
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
