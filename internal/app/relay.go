package app

import (
	"context"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// Relay is a running outbox relay of one service's database.
type Relay struct {
	r      *events.Relay
	cancel context.CancelFunc
	done   chan struct{}
}

// Notify wakes the relay (call after a commit that enqueued events).
func (r *Relay) Notify() { r.r.Notify() }

// Stop ends the relay and then publishes whatever is still pending, so a
// clean shutdown leaves nothing in the outbox.
func (r *Relay) Stop(ctx context.Context) error {
	r.cancel()
	<-r.done
	return r.r.Flush(ctx)
}

// StartRelay runs the outbox relay of d until Stop.
func (a *App) StartRelay(d *db.DB) *Relay {
	r := events.NewRelay(d, a.Bus(), events.RelayOptions{Interval: a.Config().Outbox.Interval})
	ctx, cancel := context.WithCancel(context.Background())
	rr := &Relay{r: r, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rr.done)
		if err := r.Run(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("outbox relay stopped", "service", d.Service(), "err", err)
		}
	}()
	return rr
}
