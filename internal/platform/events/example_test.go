package events_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// A service writes a business row and its event in one transaction, a relay
// publishes the outbox, and another service applies the event exactly once.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "cdlc-example")
	defer os.RemoveAll(dir)

	d, err := db.Open(ctx, db.Config{Driver: "sqlite", Dir: dir}, "booking")
	if err != nil {
		panic(err)
	}
	defer d.Close()
	if err := d.Migrate(events.Migrations); err != nil {
		panic(err)
	}
	_, _ = d.Writer().Exec(`CREATE TABLE holds (seat TEXT PRIMARY KEY)`)
	_, _ = d.Writer().Exec(`CREATE TABLE seats_sold (n INTEGER NOT NULL)`)
	_, _ = d.Writer().Exec(`INSERT INTO seats_sold (n) VALUES (0)`)

	bus, err := events.New(events.Config{}) // the embedded bus; "nats" or "kafka" at scale
	if err != nil {
		panic(err)
	}
	defer bus.Close()

	// The consumer: an effect applied once per event, however often it arrives.
	countSeat := events.Idempotent(d, "analytics.seats-sold", func(ctx context.Context, tx *sql.Tx, m events.Message) error {
		_, err := tx.ExecContext(ctx, `UPDATE seats_sold SET n = n + 1`)
		return err
	})
	applied := make(chan struct{}, 1)
	sub, _ := bus.Subscribe(ctx, "booking.seat.held", "analytics", func(ctx context.Context, m events.Message) error {
		err := countSeat(ctx, m)
		applied <- struct{}{} // for the example's sake: committed by now
		return err
	})
	defer sub.Close()

	relay := events.NewRelay(d, bus, events.RelayOptions{})
	rctx, stop := context.WithCancel(ctx)
	go relay.Run(rctx)

	// The write: business row and event commit together, or not at all.
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO holds (seat) VALUES ('A7')`); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, events.Message{Topic: "booking.seat.held", Key: "showtime-42", Payload: []byte(`{"seat":"A7"}`)})
	})
	if err != nil {
		panic(err)
	}
	relay.Notify()

	select {
	case <-applied:
	case <-time.After(5 * time.Second):
	}
	stop()
	// At shutdown: publish whatever is still pending before exiting.
	_ = relay.Flush(ctx)

	var n int
	_ = d.Writer().QueryRow(`SELECT n FROM seats_sold`).Scan(&n)
	fmt.Println("seats sold:", n)
	// Output: seats sold: 1
}
