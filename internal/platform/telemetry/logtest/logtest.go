// Package logtest captures logs in tests.
package logtest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for a logger and a test to share.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// JSON returns a JSON logger writing into a new Buffer.
func JSON() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	return slog.New(slog.NewJSONHandler(b, nil)), b
}

// CaptureDefault makes the process's default logger write into a Buffer
// until the test ends, to show that code logs elsewhere.
func CaptureDefault(t testing.TB) *Buffer {
	prev := slog.Default()
	log, b := JSON()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(prev) })
	return b
}
