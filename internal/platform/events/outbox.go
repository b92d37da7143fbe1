package events

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the tables of the transactional outbox (outbox,
// outbox_lease) and of idempotent consumers (processed_messages). A service
// that uses Enqueue, Relay or Idempotent applies it to its own database
// beside its schema: d.Migrate(events.Migrations, service.Migrations).
var Migrations = db.Migrations{Name: "events", FS: db.MustSub(migrationFiles, "migrations")}

// NewID returns a new message ID (a ULID: unique, and sortable by time).
// Publishers that need to know a message's ID before it is sent, to log or
// return it, set Message.ID with it; otherwise the bus or Enqueue does.
func NewID() string { return ulid.Make().String() }

// maxKeyLen is what the outbox's msg_key column holds, in characters.
const maxKeyLen = 1024

// Enqueue records msgs in the outbox through q, which should be the
// caller's transaction: the messages then commit or roll back with the
// business rows they describe, and nothing is lost if the process dies
// between the commit and the publish, because the relay publishes whatever
// committed. Messages get an ID and a Time here when they have none, so
// that a message re-sent after a crash keeps its ID and idempotent
// consumers recognise it. Time is kept to the microsecond (what MySQL
// stores).
//
// Order: the relay publishes rows in insertion (id) order. For two
// transactions that change the same entity, that is commit order as long as
// each transaction writes (and so locks) the entity before it enqueues.
func Enqueue(ctx context.Context, q db.Querier, msgs ...Message) error {
	ms, err := prepare(msgs)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if utf8.RuneCountInString(m.Key) > maxKeyLen {
			return errs.Invalid("key", "message key is longer than %d characters", maxKeyLen)
		}
		headers := []byte("{}")
		if len(m.Headers) > 0 {
			if headers, err = json.Marshal(m.Headers); err != nil {
				return fmt.Errorf("encode headers of %s: %w", m.ID, err)
			}
		}
		payload := m.Payload
		if payload == nil {
			payload = []byte{}
		}
		if _, err := q.ExecContext(ctx,
			`INSERT INTO outbox (message_id, topic, msg_key, payload, headers, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.ID, m.Topic, m.Key, payload, string(headers), m.Time.UTC().Truncate(time.Microsecond)); err != nil {
			return fmt.Errorf("enqueue %s on %s: %w", m.ID, m.Topic, err)
		}
	}
	return nil
}

// RelayOptions tune a Relay. Zero values take the defaults.
type RelayOptions struct {
	// BatchSize is how many rows are read, published and deleted at once (default 100).
	BatchSize int
	// Interval is how often the outbox is polled when nothing calls Notify
	// (default 1s). It is also how quickly a standby replica notices work.
	Interval time.Duration
	// LeaseTTL is how long the lease lasts without renewal (default 15s):
	// how long publishing stalls when the relay holding it dies, and an
	// upper bound on one batch's publish.
	LeaseTTL time.Duration
	// RetryBackoff and RetryBackoffMax bound the wait after a failed
	// publish (defaults 100ms and 30s), doubling with jitter between.
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration
	// Owner names this relay in the lease row (default host:pid:random).
	Owner string
	// Log is where the relay logs failures and lease changes (module
	// "events.outbox"); nil: telemetry.Named's default.
	Log *slog.Logger
}

func (o RelayOptions) withDefaults() RelayOptions {
	o.Log = telemetry.Named(o.Log, "events.outbox")
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 100 * time.Millisecond
	}
	if o.RetryBackoffMax <= 0 {
		o.RetryBackoffMax = max(30*time.Second, o.RetryBackoff)
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), ulid.Make().String()[16:])
	}
	return o
}

// Relay publishes the outbox: rows in id order, in batches, deleting each
// batch once the bus has accepted it. A row stays until it is published, so
// a crash between publish and delete sends it again (at-least-once; the
// idempotent consumer absorbs the duplicate).
//
// Only one relay per database publishes at a time, so that replicas sharing
// one MySQL database do not interleave batches and reorder keys. It is
// decided by a lease row (outbox_lease) that the publishing relay renews
// before every batch; the others poll and take over when it expires. We
// chose a lease over SELECT ... FOR UPDATE because the latter would hold
// row (and, at the end of the index, gap) locks across the network call to
// the broker, blocking every business transaction that enqueues meanwhile,
// and SQLite has no FOR UPDATE. A relay that stalls past its lease (a long
// GC pause) can at worst re-send a batch another relay already sent, after
// newer messages: duplicates, which an idempotent consumer drops, so the
// order it applies stays intact.
type Relay struct {
	d    *db.DB
	pub  Publisher
	opts RelayOptions
	wake chan struct{}

	// mu makes Run and Flush of one relay take turns at batches.
	mu         sync.Mutex
	leaseUntil time.Time // guarded by mu
	owned      bool      // guarded by mu; whether the last attempt held the lease
	running    atomic.Bool
}

// NewRelay makes a relay publishing d's outbox to pub. d must have
// Migrations applied.
func NewRelay(d *db.DB, pub Publisher, opts RelayOptions) *Relay {
	return &Relay{d: d, pub: pub, opts: opts.withDefaults(), wake: make(chan struct{}, 1)}
}

// Notify wakes the relay at once instead of at its next poll. Call it after
// committing a transaction that enqueued messages; it never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx ends, then gives up the lease and returns nil.
// Failures (the bus or the database down) are logged and retried with
// backoff; they do not end Run.
func (r *Relay) Run(ctx context.Context) error {
	r.running.Store(true)
	defer r.running.Store(false)
	defer r.release()
	failures := 0
	for {
		n, owned, err := r.step(ctx, math.MaxInt64)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			r.opts.Log.Warn("outbox relay failed; retrying", "service", r.d.Service(), "failures", failures, "err", err)
			// A Notify does not cut the backoff short: the bus is what is down.
			if !sleep(ctx, backoffDelay(r.opts.RetryBackoff, r.opts.RetryBackoffMax, failures)) {
				return nil
			}
			continue
		}
		failures = 0
		if owned && n == r.opts.BatchSize {
			continue // a full batch: there is probably more
		}
		t := time.NewTimer(r.opts.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush publishes every row that was pending when it was called, and
// returns when they are gone (published by this relay, or by the replica
// holding the lease). Call it at shutdown, after the last transaction and
// after Run has returned, so that nothing committed waits for the next
// start. It retries failures until ctx ends.
func (r *Relay) Flush(ctx context.Context) error {
	var upTo int64
	if err := r.d.Writer().QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&upTo); err != nil {
		return fmt.Errorf("flush outbox: %w", err)
	}
	if upTo == 0 {
		return nil
	}
	defer func() {
		if !r.running.Load() {
			r.release()
		}
	}()
	failures := 0
	for {
		n, owned, err := r.step(ctx, upTo)
		switch {
		case err != nil:
			failures++
			if !sleep(ctx, backoffDelay(r.opts.RetryBackoff, r.opts.RetryBackoffMax, failures)) {
				return fmt.Errorf("flush outbox: %w", errors.Join(err, ctx.Err()))
			}
			continue
		case owned && n == 0:
			return nil
		case !owned:
			var one int
			err := r.d.Writer().QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE id <= ? LIMIT 1`, upTo).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // the lease holder published them
			}
			if !sleep(ctx, r.opts.Interval) {
				return fmt.Errorf("flush outbox: waiting for the relay holding the lease: %w", ctx.Err())
			}
		}
		failures = 0
	}
}

// Pending counts the rows waiting in the outbox (for metrics and tests).
func (r *Relay) Pending(ctx context.Context) (int, error) {
	var n int
	err := r.d.Writer().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n)
	return n, err
}

// step takes or renews the lease and, if this relay holds it, publishes
// one batch of rows with id <= upTo.
func (r *Relay) step(ctx context.Context, upTo int64) (n int, owned bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if owned, err = r.acquire(ctx); err != nil || !owned {
		return 0, owned, err
	}
	n, err = r.publishBatch(ctx, upTo)
	return n, true, err
}

// acquire takes the lease if it is free or expired, or renews it if this
// relay holds it. mu is held.
func (r *Relay) acquire(ctx context.Context) (bool, error) {
	start := time.Now()
	ttl := r.opts.LeaseTTL
	var res sql.Result
	var err error
	if r.d.Dialect() == db.MySQL {
		// The database's clock decides, so that replicas whose clocks
		// disagree still agree on who holds the lease.
		res, err = r.d.Writer().ExecContext(ctx,
			`UPDATE outbox_lease SET owner = ?, expires_at = TIMESTAMPADD(MICROSECOND, ?, NOW(6))
			 WHERE name = 'relay' AND (owner = ? OR expires_at < NOW(6))`,
			r.opts.Owner, ttl.Microseconds(), r.opts.Owner)
	} else {
		// SQLite is one file on one machine: every process reads the same clock.
		now := start.UnixMilli()
		res, err = r.d.Writer().ExecContext(ctx,
			`UPDATE outbox_lease SET owner = ?, expires_at = ? WHERE name = 'relay' AND (owner = ? OR expires_at < ?)`,
			r.opts.Owner, now+ttl.Milliseconds(), r.opts.Owner, now)
	}
	if err != nil {
		return false, fmt.Errorf("outbox lease: %w", err)
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("outbox lease: %w", err)
	}
	if rows != 1 {
		if r.owned {
			r.opts.Log.Warn("outbox relay lost its lease; another replica publishes", "service", r.d.Service(), "owner", r.opts.Owner)
		}
		r.owned, r.leaseUntil = false, time.Time{}
		return false, nil
	}
	if !r.owned {
		r.opts.Log.Info("outbox relay holds the lease and publishes", "service", r.d.Service(), "owner", r.opts.Owner)
	}
	// Counted from before the UPDATE, so this relay's idea of the deadline
	// is never later than the database's.
	r.owned, r.leaseUntil = true, start.Add(ttl)
	return true, nil
}

// release gives the lease up so that a standby replica takes over at once.
func (r *Relay) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	expired := any(int64(0))
	if r.d.Dialect() == db.MySQL {
		expired = "1970-01-01 00:00:01"
	}
	if _, err := r.d.Writer().ExecContext(ctx,
		`UPDATE outbox_lease SET expires_at = ? WHERE name = 'relay' AND owner = ?`, expired, r.opts.Owner); err != nil {
		r.opts.Log.Warn("release outbox lease", "service", r.d.Service(), "err", err)
	}
	r.owned, r.leaseUntil = false, time.Time{}
}

// publishBatch publishes the oldest rows with id <= upTo and deletes them.
// mu is held and the lease is this relay's.
func (r *Relay) publishBatch(ctx context.Context, upTo int64) (int, error) {
	rows, err := r.d.Writer().QueryContext(ctx,
		`SELECT id, message_id, topic, msg_key, payload, headers, created_at FROM outbox WHERE id <= ? ORDER BY id LIMIT ?`,
		upTo, r.opts.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	var ids []any
	var msgs []Message
	for rows.Next() {
		var (
			id      int64
			m       Message
			headers string
		)
		if err := rows.Scan(&id, &m.ID, &m.Topic, &m.Key, &m.Payload, &headers, &m.Time); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read outbox: %w", err)
		}
		if headers != "" && headers != "{}" {
			if err := json.Unmarshal([]byte(headers), &m.Headers); err != nil {
				rows.Close()
				return 0, fmt.Errorf("outbox row %d: headers: %w", id, err)
			}
		}
		m.Time = m.Time.UTC()
		ids = append(ids, id)
		msgs = append(msgs, m)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	// Publishing past the lease could overlap the next holder's batches.
	pctx, cancel := context.WithDeadline(ctx, r.leaseUntil)
	err = r.pub.Publish(pctx, msgs...)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("publish %d outbox messages: %w", len(msgs), err)
	}
	// The delete must happen even when ctx ended during the publish (a
	// shutdown): otherwise the batch is sent again at the next start.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	q := `DELETE FROM outbox WHERE id IN (?` + strings.Repeat(`, ?`, len(ids)-1) + `)`
	if _, err := r.d.Writer().ExecContext(dctx, q, ids...); err != nil {
		// Published but not deleted: they go again next time (duplicates,
		// not loss).
		return 0, fmt.Errorf("delete published outbox rows: %w", err)
	}
	return len(msgs), nil
}
