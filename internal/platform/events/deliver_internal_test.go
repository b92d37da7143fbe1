package events

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPartitionIsStablePerKey(t *testing.T) {
	var p partitioner
	counts := make([]int, 8)
	for i := range 4000 {
		key := fmt.Sprintf("title-%d", i)
		n := p.partition(key, 8)
		require.Equal(t, n, p.partition(key, 8), "same key, same partition")
		counts[n]++
	}
	for i, c := range counts {
		require.Greater(t, c, 300, "partition %d gets a fair share of keys: %v", i, counts)
	}
	require.Zero(t, p.partition("anything", 1))
}

func TestPartitionSpreadsEmptyKeys(t *testing.T) {
	var p partitioner
	seen := map[int]bool{}
	for range 8 {
		seen[p.partition("", 8)] = true
	}
	require.Len(t, seen, 8, "round-robin over every partition")
}

func TestRetryPolicyIsTheBusSettings(t *testing.T) {
	p := newRetryPolicy(Config{MaxAttempts: 4, RetryBackoff: 100 * time.Millisecond, RetryBackoffMax: time.Second})
	r := p.retry(p.maxAttempts)
	require.Equal(t, 4, r.MaxAttempts)
	require.Equal(t, 100*time.Millisecond, r.Initial)
	require.Equal(t, time.Second, r.Max)
	require.True(t, r.Retryable(errors.New("any handler error")))
	require.Equal(t, time.Nanosecond, retryPolicy{}.retry(1).Initial, "no backoff configured: no wait")
}

type publisherFunc func(ctx context.Context, msgs ...Message) error

func (f publisherFunc) Publish(ctx context.Context, msgs ...Message) error { return f(ctx, msgs...) }

// TestDeliverKeepsTheMessageWhenTheDeadLetterCannotBeSent: the original is
// acknowledged only once its dead letter is stored; until then deliver keeps
// trying, and when the consumer stops it reports failure so the adapter
// leaves the message for redelivery.
func TestDeliverKeepsTheMessageWhenTheDeadLetterCannotBeSent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var tries atomic.Int32
	dead := publisherFunc(func(context.Context, ...Message) error {
		if tries.Add(1) == 3 {
			cancel()
		}
		return errors.New("broker down")
	})
	p := retryPolicy{maxAttempts: 2, backoff: time.Millisecond, maxBackoff: time.Millisecond}
	var calls int
	err := deliver(ctx, p, dead, "g", Message{ID: "1", Topic: "t"}, func(context.Context, Message) error {
		calls++
		return errors.New("bad message")
	})
	require.Error(t, err)
	require.Equal(t, 2, calls)
	require.EqualValues(t, 3, tries.Load())
}

// TestDeliverDoesNotCancelTheHandler: stopping the consumer ends retries
// but never the handler call in hand.
func TestDeliverDoesNotCancelTheHandler(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := retryPolicy{maxAttempts: 5, backoff: time.Hour, maxBackoff: time.Hour}
	var handlerErr error
	err := deliver(ctx, p, nil, "g", Message{ID: "1", Topic: "t"}, func(hctx context.Context, m Message) error {
		cancel()
		handlerErr = hctx.Err()
		return errors.New("fail once")
	})
	require.NoError(t, handlerErr, "the handler's context outlives the consumer's stop")
	require.ErrorIs(t, err, context.Canceled, "the hour-long backoff is cut short by the stop")
}
