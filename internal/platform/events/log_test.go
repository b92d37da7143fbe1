package events_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/events"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBusLogsThroughTheInjectedLogger: a handler's retry is logged by
// Config.Log, named "events", and not by the process's global logger.
func TestBusLogsThroughTheInjectedLogger(t *testing.T) {
	var injected, global lockedBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&global, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	bus, err := events.NewInproc(events.Config{MaxAttempts: 3, RetryBackoff: time.Millisecond, RetryBackoffMax: time.Millisecond,
		Log: slog.New(slog.NewJSONHandler(&injected, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, bus.Close()) })
	ctx := context.Background()
	var calls atomic.Int32
	sub, err := bus.Subscribe(ctx, "log.test", "g", func(context.Context, events.Message) error {
		if calls.Add(1) == 1 {
			return errors.New("first try fails")
		}
		return nil
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sub.Close()) })
	require.NoError(t, bus.Publish(ctx, events.Message{Topic: "log.test", Key: "k", Payload: []byte(`{}`)}))

	require.Eventually(t, func() bool {
		return calls.Load() == 2 && strings.Contains(injected.String(), `"msg":"event handler failed; retrying","module":"events"`)
	}, 5*time.Second, 5*time.Millisecond)
	require.Empty(t, global.String(), "nothing goes to the global logger")
}
