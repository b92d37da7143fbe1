package events_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/telemetry/logtest"
)

// TestBusLogsThroughTheInjectedLogger: a handler's retry is logged by
// Config.Log, named "events", and not by the process's global logger.
func TestBusLogsThroughTheInjectedLogger(t *testing.T) {
	global := logtest.CaptureDefault(t)
	log, injected := logtest.JSON()

	bus, err := events.NewInproc(events.Config{MaxAttempts: 3, RetryBackoff: time.Millisecond, RetryBackoffMax: time.Millisecond,
		Log: log})
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
