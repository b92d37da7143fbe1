package events

import "sync"

// liveSubs is the bookkeeping the Kafka and NATS buses share: their open
// subscriptions and whether the bus was closed. The zero value is an open
// bus without subscriptions.
type liveSubs[S interface {
	comparable
	Close() error
}] struct {
	mu     sync.Mutex
	closed bool
	m      map[S]struct{}
}

// isClosed reports whether closeAll ran.
func (l *liveSubs[S]) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// add registers s. It reports false when the bus was closed meanwhile:
// the caller then closes s itself and answers ErrClosed.
func (l *liveSubs[S]) add(s S) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.m == nil {
		l.m = map[S]struct{}{}
	}
	l.m[s] = struct{}{}
	return true
}

// remove forgets s (its Close calls it).
func (l *liveSubs[S]) remove(s S) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, s)
}

// closeAll marks the bus closed and closes every subscription at once,
// each after the messages it has in hand. It reports false when the bus
// was already closed.
func (l *liveSubs[S]) closeAll() bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.closed = true
	subs := make([]S, 0, len(l.m))
	for s := range l.m {
		subs = append(subs, s)
	}
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Go(func() { _ = s.Close() })
	}
	wg.Wait()
	return true
}

// subscribing checks what Subscribe takes and that the bus is open, and
// returns the subscription's options.
func (l *liveSubs[S]) subscribing(topic, group string, h Handler, opts []SubscribeOption) (SubscribeOptions, error) {
	if err := validateSubscription(topic, group, h); err != nil {
		return SubscribeOptions{}, err
	}
	if l.isClosed() {
		return SubscribeOptions{}, ErrClosed
	}
	return subscribeOptions(opts), nil
}

// subscribeOptions applies opts.
func subscribeOptions(opts []SubscribeOption) SubscribeOptions {
	var o SubscribeOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
