package telemetry_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// countingWriter records each write it gets.
type countingWriter struct {
	mu     sync.Mutex
	writes []string
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func (c *countingWriter) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.writes...)
}

func TestBufferedWriterBatchesWholeRecordsInOrder(t *testing.T) {
	out := &countingWriter{}
	bw := telemetry.NewBufferedWriter(out, 64<<10, time.Hour)
	log := telemetry.NewLogger(bw, telemetry.LogOptions{})
	for i := range 100 {
		log.Info("http request", "n", i)
	}
	require.Empty(t, out.snapshot(), "info lines wait in the buffer")
	require.NoError(t, bw.Flush())
	writes := out.snapshot()
	require.Len(t, writes, 1, "a hundred lines, one write")
	lines := strings.Split(strings.TrimSpace(writes[0]), "\n")
	require.Len(t, lines, 100)
	for i, l := range lines {
		require.Contains(t, l, `"n":`+strconvItoa(i))
	}
}

func TestBufferedWriterWritesWarningsAtOnce(t *testing.T) {
	out := &countingWriter{}
	bw := telemetry.NewBufferedWriter(out, 64<<10, time.Hour)
	log := telemetry.NewLogger(bw, telemetry.LogOptions{}).With("svc", "x")
	log.Info("before")
	log.Error("boom")
	writes := out.snapshot()
	require.Len(t, writes, 1)
	require.Contains(t, writes[0], `"msg":"before"`)
	require.Contains(t, writes[0], `"msg":"boom"`, "the error, after what was logged before it")
	require.Less(t, strings.Index(writes[0], "before"), strings.Index(writes[0], "boom"))
}

func TestBufferedWriterFlushesAfterInterval(t *testing.T) {
	out := &countingWriter{}
	bw := telemetry.NewBufferedWriter(out, 64<<10, 10*time.Millisecond)
	defer bw.Close()
	log := telemetry.NewLogger(bw, telemetry.LogOptions{})
	log.Info("quiet process, last line")
	require.Eventually(t, func() bool { return len(out.snapshot()) == 1 }, 5*time.Second, 5*time.Millisecond)
	log.Info("and the next one")
	require.Eventually(t, func() bool { return len(out.snapshot()) == 2 }, 5*time.Second, 5*time.Millisecond, "the timer is armed again")
}

func TestBufferedWriterFullBufferAndLargeRecords(t *testing.T) {
	var out bytes.Buffer
	bw := telemetry.NewBufferedWriter(&out, 16, time.Hour)
	_, _ = bw.Write([]byte("0123456789\n"))
	_, _ = bw.Write([]byte("abcdefghij\n")) // does not fit: the first goes out
	require.Equal(t, "0123456789\n", out.String())
	_, _ = bw.Write([]byte(strings.Repeat("z", 40) + "\n")) // larger than the buffer: straight through, in order
	require.Equal(t, "0123456789\nabcdefghij\n"+strings.Repeat("z", 40)+"\n", out.String())
	require.NoError(t, bw.Close())
}

func strconvItoa(i int) string { return slog.IntValue(i).String() }
