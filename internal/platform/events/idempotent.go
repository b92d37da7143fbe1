package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// errAlreadyProcessed rolls back the transaction of a duplicate delivery.
var errAlreadyProcessed = errors.New("message already processed")

// Idempotent turns fn into a Handler that applies each message once, even
// though the bus delivers at least once. In one transaction on d it records
// (consumer, m.ID) in processed_messages and runs fn; if the message was
// recorded before, it commits nothing and returns nil (acknowledging the
// duplicate). If fn fails, nothing is recorded and the bus retries. So the
// effect fn writes through tx and the record that it happened commit
// together, and a redelivery finds the record.
//
// consumer names the effect (usually "<service>.<what it does>"); two
// handlers with different effects on one message need different names. d
// must have Migrations applied. Concurrent deliveries of one message are
// safe: the second insert waits for the first transaction and then fails
// as a duplicate (or succeeds, if the first rolled back).
//
// Effects outside the transaction (an email, a call to another service) are
// not covered; they need their own idempotency key, such as m.ID.
func Idempotent(d *db.DB, consumer string, fn func(ctx context.Context, tx *sql.Tx, m Message) error) Handler {
	if consumer == "" || len(consumer) > 128 {
		panic(fmt.Sprintf("events.Idempotent: consumer name %q must be 1 to 128 bytes", consumer))
	}
	return func(ctx context.Context, m Message) error {
		if m.ID == "" {
			return errs.Invalid("id", "message on %s has no ID; an idempotent consumer cannot record it", m.Topic)
		}
		if len(m.ID) > maxIDLen {
			return errs.Invalid("id", "message ID is %d bytes; at most %d", len(m.ID), maxIDLen)
		}
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx,
				`INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES (?, ?, ?)`,
				consumer, m.ID, time.Now().UTC().Truncate(time.Microsecond))
			if db.IsDuplicate(err) {
				return errAlreadyProcessed
			}
			if err != nil {
				return fmt.Errorf("record %s as processed by %s: %w", m.ID, consumer, err)
			}
			return fn(ctx, tx, m)
		})
		if errors.Is(err, errAlreadyProcessed) {
			return nil
		}
		return err
	}
}

// PruneProcessed deletes processed_messages rows older than before and
// reports how many went. Run it periodically with a margin well beyond the
// longest a message can take to be redelivered (the broker's retention):
// a duplicate arriving after its row is pruned would be applied again.
func PruneProcessed(ctx context.Context, d *db.DB, before time.Time) (int64, error) {
	res, err := d.Writer().ExecContext(ctx, `DELETE FROM processed_messages WHERE processed_at < ?`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune processed messages: %w", err)
	}
	return res.RowsAffected()
}
