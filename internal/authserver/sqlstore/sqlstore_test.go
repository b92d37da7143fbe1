package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/authserver/authstoretest"
	"github.com/cdlc/cdlc/internal/authserver/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/events"
)

func open(t *testing.T, d *db.DB) *sqlstore.Store {
	t.Helper()
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	return sqlstore.New(d)
}

// TestConformance runs the Store contract on SQLite and MySQL/MariaDB.
func TestConformance(t *testing.T) {
	dbtest.Each(t, "auth", func(t *testing.T, d *db.DB) {
		// Each test of the suite gets an empty database of d's engine.
		authstoretest.Run(t, func(t *testing.T) authserver.Store {
			return open(t, dbtest.Open(t, configOf(t, d), "auth"))
		})
	})
}

// configOf is a fresh database configuration on d's backend.
func configOf(t *testing.T, d *db.DB) db.Config {
	if d.Dialect() == db.MySQL {
		return dbtest.MySQLConfig(t)
	}
	return dbtest.SQLiteConfig(t)
}

// TestEventsCommitWithTheirWrite: the events a write publishes are in the
// outbox exactly when the write commits.
func TestEventsCommitWithTheirWrite(t *testing.T) {
	dbtest.Each(t, "auth", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		outbox := func() []string {
			rows, err := d.Writer().QueryContext(ctx, "SELECT topic FROM outbox ORDER BY id")
			require.NoError(t, err)
			defer rows.Close()
			out := []string{}
			for rows.Next() {
				var topic string
				require.NoError(t, rows.Scan(&topic))
				out = append(out, topic)
			}
			return out
		}
		u := authserver.User{ID: "u1", Email: "a@example.com", Roles: []string{"customer"}, PasswordHash: "h"}
		m := func(topic string) events.Message {
			return events.Message{Topic: topic, Key: "u1", Payload: []byte(`{}`)}
		}
		require.NoError(t, s.CreateUser(ctx, u, nil, m("user.registered"), m("notification.email")))
		u.ID = "u2"
		require.Error(t, s.CreateUser(ctx, u, nil, m("user.registered")))
		require.Equal(t, []string{"user.registered", "notification.email"}, outbox(), "a refused user publishes nothing")
		found, err := s.DeleteUser(ctx, "u1", m("user.deleted"))
		require.NoError(t, err)
		require.True(t, found)
		found, err = s.DeleteUser(ctx, "u1", m("user.deleted"))
		require.NoError(t, err)
		require.False(t, found)
		require.Equal(t, []string{"user.registered", "notification.email", "user.deleted"}, outbox(), "deleting an absent user publishes nothing")
	})
}
