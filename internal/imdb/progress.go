package imdb

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// console writes progress, bad rows and notices to the operator. On a
// terminal it redraws one progress line in place; otherwise it prints a
// plain line every interval, which reads well in a log.
type console struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	drawn bool // a progress line is on screen (tty) and must be cleared first

	cur  atomic.Pointer[fileProgress]
	stop chan struct{}
	done chan struct{}
}

// fileProgress is the state of the file being loaded, read by the ticker.
type fileProgress struct {
	table string
	size  int64         // bytes of the file (compressed when gzip); 0 when unknown
	raw   *atomic.Int64 // bytes read so far
	read  atomic.Int64  // rows read
	start time.Time
}

func newConsole(w io.Writer, tty bool, every time.Duration) *console {
	if w == nil {
		w = io.Discard
	}
	c := &console{w: w, tty: tty, stop: make(chan struct{}), done: make(chan struct{})}
	switch {
	case every < 0:
		close(c.done)
		return c
	case every == 0:
		every = 10 * time.Second
		if tty {
			every = 200 * time.Millisecond
		}
	}
	go c.tick(every)
	return c
}

func (c *console) tick(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if p := c.cur.Load(); p != nil {
				c.draw(p)
			}
		}
	}
}

func (c *console) draw(p *fileProgress) {
	line := p.status()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tty {
		fmt.Fprintf(c.w, "\r\033[K%s", line)
		c.drawn = true
		return
	}
	fmt.Fprintln(c.w, line)
}

// status is one progress line: file, share done, rows, rows/s, time left.
func (p *fileProgress) status() string {
	el := time.Since(p.start)
	rows := p.read.Load()
	rate := float64(rows) / max(el.Seconds(), 0.001)
	s := fmt.Sprintf("%-16s", p.table)
	left := ""
	if p.size > 0 {
		frac := min(float64(p.raw.Load())/float64(p.size), 1)
		s += fmt.Sprintf(" %s %5.1f%%", bar(frac, 20), 100*frac)
		if frac > 0.01 {
			left = "  " + time.Duration(float64(el)*(1-frac)/frac).Round(time.Second).String() + " left"
		}
	}
	s += fmt.Sprintf("  %s rows  %s rows/s%s", thousands(rows), thousands(int64(rate)), left)
	return s
}

func bar(frac float64, width int) string {
	n := int(frac * float64(width))
	b := make([]byte, 0, width+2)
	b = append(b, '[')
	for i := range width {
		if i < n {
			b = append(b, '=')
		} else {
			b = append(b, ' ')
		}
	}
	return string(append(b, ']'))
}

// printf prints a message line, keeping the progress line below it.
func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drawn {
		fmt.Fprint(c.w, "\r\033[K")
		c.drawn = false
	}
	fmt.Fprintf(c.w, format+"\n", args...)
}

func (c *console) close() {
	close(c.stop)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drawn {
		fmt.Fprint(c.w, "\r\033[K")
		c.drawn = false
	}
}

// thousands formats n with thousands separators: 1234567 -> 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
