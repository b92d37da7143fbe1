package telemetry

import (
	"io"
	"sync"
	"time"
)

// BufferedWriter batches log records into fewer writes. A service logs a
// line per request; written one by one, each is a system call, which was
// the largest single cost of the access log. Records are kept whole: a
// write to the underlying writer holds only complete records, in order.
// The buffer is written when it is full, Interval after the first record it
// holds, on Flush and on Close; a logger from NewLogger flushes it at once
// after every warning or error, so those are never late and nothing logged
// before them is lost if the process dies next.
//
// bufio.Writer alone would hold a quiet process's last lines forever; the
// timer is what this adds.
type BufferedWriter struct {
	mu       sync.Mutex
	w        io.Writer
	buf      []byte
	size     int
	interval time.Duration
	timer    *time.Timer
	pending  bool
	err      error
}

// NewBufferedWriter buffers up to size bytes for w, for at most interval.
func NewBufferedWriter(w io.Writer, size int, interval time.Duration) *BufferedWriter {
	return &BufferedWriter{w: w, buf: make([]byte, 0, size), size: size, interval: interval}
}

// Write implements io.Writer. It never fails: an error writing the buffer
// is kept for Flush and Close to return.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > b.size {
		b.flushLocked()
		if len(p) > b.size {
			b.write(p)
			return len(p), nil
		}
	}
	b.buf = append(b.buf, p...)
	if !b.pending {
		b.pending = true
		if b.timer == nil {
			b.timer = time.AfterFunc(b.interval, b.tick)
		} else {
			b.timer.Reset(b.interval)
		}
	}
	return len(p), nil
}

func (b *BufferedWriter) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

// Flush writes what is buffered now.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	err := b.err
	b.err = nil
	return err
}

// Close flushes and stops the timer; later writes still work, and are
// written at the next Flush or when the buffer fills.
func (b *BufferedWriter) Close() error {
	err := b.Flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.pending = false
	return err
}

func (b *BufferedWriter) flushLocked() {
	b.pending = false
	if len(b.buf) == 0 {
		return
	}
	b.write(b.buf)
	b.buf = b.buf[:0]
}

func (b *BufferedWriter) write(p []byte) {
	if _, err := b.w.Write(p); err != nil && b.err == nil {
		b.err = err
	}
}
