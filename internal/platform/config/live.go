package config

import (
	"sync"
	"sync/atomic"
)

// Live holds the configuration a running process reads its reloadable
// settings from. Readers call Load on every use (an atomic load); a reload
// calls Store, which tells every listener registered with OnChange.
type Live[T any] struct {
	cur       atomic.Pointer[T]
	version   atomic.Int64
	mu        sync.Mutex
	listeners []func(old, new *T)
}

// NewLive holds v.
func NewLive[T any](v T) *Live[T] {
	l := &Live[T]{}
	l.cur.Store(&v)
	return l
}

// Load returns the current configuration. Treat it as read-only.
func (l *Live[T]) Load() *T { return l.cur.Load() }

// Version counts the stores since start (0 for the first value).
func (l *Live[T]) Version() int64 { return l.version.Load() }

// Store replaces the configuration and tells the listeners, in order.
func (l *Live[T]) Store(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.cur.Swap(&v)
	l.version.Add(1)
	for _, f := range l.listeners {
		f(old, &v)
	}
}

// OnChange registers f to run after every Store with the old and new values.
func (l *Live[T]) OnChange(f func(old, new *T)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.listeners = append(l.listeners, f)
}
