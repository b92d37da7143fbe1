package telemetry_test

import (
	"bytes"
	"sync"
)

// bytesBuffer is a bytes.Buffer safe for a logger and a test to share.
type bytesBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *bytesBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *bytesBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
