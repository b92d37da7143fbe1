// Package authstoretest is the contract of authserver.Store: one suite
// that every implementation passes (sqlstore on SQLite and MySQL/MariaDB).
package authstoretest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// Run runs the suite; open returns an empty store for each test.
func Run(t *testing.T, open func(t *testing.T) authserver.Store) {
	ctx := context.Background()
	// ms is a time as the store keeps it (milliseconds, UTC).
	ms := func(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
	user := func(id, email string) authserver.User {
		return authserver.User{ID: id, Email: email, Name: "N " + id, Roles: []string{"customer"}, PasswordHash: "hash-" + id, CreatedAt: ms(time.Now())}
	}
	msg := func(topic, key string) events.Message {
		return events.Message{Topic: topic, Key: key, Payload: []byte(`{"subject":"` + key + `"}`)}
	}
	future := time.Now().Add(time.Hour)
	past := time.Now().Add(-time.Hour)

	t.Run("users", func(t *testing.T) {
		s := open(t)
		u := user("u1", "a@example.com")
		require.NoError(t, s.CreateUser(ctx, u, nil, msg("user.registered", "u1")))
		got, err := s.UserByID(ctx, "u1")
		require.NoError(t, err)
		require.Equal(t, u, got)
		got, err = s.UserByEmail(ctx, "a@example.com")
		require.NoError(t, err)
		require.Equal(t, u, got)
		require.True(t, errs.Is(s.CreateUser(ctx, user("u2", "a@example.com"), nil), errs.KindConflict), "the address is taken")
		_, err = s.UserByID(ctx, "u2")
		require.True(t, errs.Is(err, errs.KindNotFound), "a refused user is not half stored")
		_, err = s.UserByEmail(ctx, "nobody@example.com")
		require.True(t, errs.Is(err, errs.KindNotFound))

		for _, id := range []string{"u3", "u2", "u4"} {
			require.NoError(t, s.CreateUser(ctx, user(id, id+"@example.com"), nil))
		}
		page, err := s.ListUsers(ctx, "", 2)
		require.NoError(t, err)
		require.Equal(t, []string{"u1", "u2"}, ids(page))
		page, err = s.ListUsers(ctx, "u2", 10)
		require.NoError(t, err)
		require.Equal(t, []string{"u3", "u4"}, ids(page))
	})

	t.Run("deleting a user takes what was issued to them", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.CreateUser(ctx, user("u1", "a@example.com"), &authserver.UserToken{TokenHash: "t1", UserID: "u1", Purpose: "verify", ExpiresAt: future}))
		require.NoError(t, s.CreateGrant(ctx, authserver.Grant{ID: "g1", ClientID: "c", UserID: "u1", Scopes: []string{"openid"}, ExpiresAt: future}))
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "s1", UserID: "u1", AuthTime: time.Now(), ExpiresAt: future}))
		found, err := s.DeleteUser(ctx, "u1", msg("user.deleted", "u1"))
		require.NoError(t, err)
		require.True(t, found)
		_, err = s.UserByID(ctx, "u1")
		require.True(t, errs.Is(err, errs.KindNotFound))
		g, err := s.Grant(ctx, "g1")
		require.NoError(t, err)
		require.True(t, g.Revoked)
		_, err = s.Session(ctx, "s1")
		require.True(t, errs.Is(err, errs.KindNotFound))
		require.True(t, errs.Is(s.VerifyEmail(ctx, "t1"), errs.KindNotFound), "their links go too")
		found, err = s.DeleteUser(ctx, "u1", msg("user.deleted", "u1"))
		require.NoError(t, err)
		require.False(t, found, "a second deletion finds nothing")
	})

	t.Run("clients", func(t *testing.T) {
		s := open(t)
		c := authserver.Client{ID: "web", Name: "Web", RedirectURIs: []string{"https://a.example/cb"}, PostLogoutRedirectURIs: []string{},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, Trusted: true, Public: true, CreatedAt: ms(time.Now())}
		require.NoError(t, s.PutClient(ctx, c, false))
		got, err := s.ClientByID(ctx, "web")
		require.NoError(t, err)
		require.Equal(t, c, got)
		require.True(t, errs.Is(s.PutClient(ctx, c, false), errs.KindConflict))
		svc := authserver.Client{ID: "svc", Name: "Svc", RedirectURIs: []string{}, PostLogoutRedirectURIs: []string{}, GrantTypes: []string{"client_credentials"},
			Scopes: []string{}, SecretHash: "h", CreatedAt: ms(time.Now())}
		require.NoError(t, s.PutClient(ctx, svc, false))
		got, err = s.ClientByID(ctx, "svc")
		require.NoError(t, err)
		require.False(t, got.Public, "a client with a secret is confidential")
		c.Name = "Web 2"
		require.NoError(t, s.PutClient(ctx, c, true))
		all, err := s.ListClients(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "svc", all[0].ID)
		require.Equal(t, "Web 2", all[1].Name)

		require.NoError(t, s.CreateGrant(ctx, authserver.Grant{ID: "g1", ClientID: "web", UserID: "u", ExpiresAt: future}))
		require.NoError(t, s.DeleteClient(ctx, "web"))
		g, err := s.Grant(ctx, "g1")
		require.NoError(t, err)
		require.True(t, g.Revoked, "a deleted client's grants are revoked")
		require.True(t, errs.Is(s.DeleteClient(ctx, "web"), errs.KindNotFound))
		_, err = s.ClientByID(ctx, "web")
		require.True(t, errs.Is(err, errs.KindNotFound))
	})

	t.Run("authorization requests and single-use codes", func(t *testing.T) {
		s := open(t)
		a := authserver.AuthRequest{ID: "r1", ClientID: "web", RedirectURI: "https://a.example/cb", State: "st", Nonce: "n", Scopes: []string{"openid", "email"},
			ResponseType: "code", ResponseMode: "fragment", CodeChallenge: "ch", CodeMethod: "S256", Prompt: []string{"login"}}
		require.NoError(t, s.CreateAuthRequest(ctx, a, future))
		got, err := s.AuthRequest(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, a, got)
		require.NoError(t, s.CreateAuthRequest(ctx, authserver.AuthRequest{ID: "old", Scopes: []string{}, Prompt: []string{}}, past))
		_, err = s.AuthRequest(ctx, "old")
		require.True(t, errs.Is(err, errs.KindNotFound), "an expired request is gone")

		at := ms(time.Now())
		require.NoError(t, s.CompleteAuthRequest(ctx, "r1", "u1", at, []string{"openid"}))
		require.NoError(t, s.CompleteAuthRequest(ctx, "r1", "u2", at, []string{"openid", "email"}), "a done request is not completed again")
		got, err = s.AuthRequest(ctx, "r1")
		require.NoError(t, err)
		require.True(t, got.IsDone)
		require.Equal(t, "u1", got.UserID)
		require.True(t, at.Equal(got.AuthTime))
		require.Equal(t, []string{"openid"}, got.Scopes)

		require.NoError(t, s.SaveAuthCode(ctx, "r1", "code-hash"))
		_, _, err = s.RedeemCode(ctx, "other")
		require.True(t, errs.Is(err, errs.KindNotFound))
		// Concurrent redemptions: exactly one is the first.
		var wg sync.WaitGroup
		type result struct {
			id    string
			first bool
			err   error
		}
		results := make([]result, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, first, err := s.RedeemCode(ctx, "code-hash")
				results[i] = result{r.ID, first, err}
			}()
		}
		wg.Wait()
		firsts := 0
		for _, r := range results {
			require.NoError(t, r.err)
			require.Equal(t, "r1", r.id)
			if r.first {
				firsts++
			}
		}
		require.Equal(t, 1, firsts)
		require.NoError(t, s.DeleteAuthRequest(ctx, "r1"))
		_, first, err := s.RedeemCode(ctx, "code-hash")
		require.NoError(t, err, "a redeemed request stays to recognise a replay")
		require.False(t, first)

		require.NoError(t, s.CreateAuthRequest(ctx, authserver.AuthRequest{ID: "r2", Scopes: []string{}, Prompt: []string{}}, future))
		require.NoError(t, s.SaveAuthCode(ctx, "r2", "code-2"), "")
		_, _, err = s.RedeemCode(ctx, "code-2")
		require.True(t, errs.Is(err, errs.KindNotFound), "a request not done has no code")
		require.NoError(t, s.DeleteAuthRequest(ctx, "r2"))
		_, err = s.AuthRequest(ctx, "r2")
		require.True(t, errs.Is(err, errs.KindNotFound))
	})

	t.Run("grants and refresh tokens", func(t *testing.T) {
		s := open(t)
		g := authserver.Grant{ID: "g1", ClientID: "web", UserID: "u1", Scopes: []string{"openid", "offline_access"}, AMR: []string{"pwd"}, AuthTime: ms(time.Now()), ExpiresAt: ms(future)}
		rt := authserver.RefreshToken{ID: "rt1", GrantID: "g1", SecretHash: "s1", Scopes: []string{"openid"}, ExpiresAt: ms(future)}
		require.NoError(t, s.IssueRefreshToken(ctx, rt, &g, ""))
		got, err := s.Grant(ctx, "g1")
		require.NoError(t, err)
		require.Equal(t, g, got)
		gotRT, err := s.RefreshToken(ctx, "rt1")
		require.NoError(t, err)
		require.Equal(t, rt, gotRT)

		// Rotation spends the old token; a second rotation keeps its first use.
		require.NoError(t, s.IssueRefreshToken(ctx, authserver.RefreshToken{ID: "rt2", GrantID: "g1", SecretHash: "s2", Scopes: []string{"openid"}, ExpiresAt: future}, nil, "rt1"))
		spent, err := s.RefreshToken(ctx, "rt1")
		require.NoError(t, err)
		require.False(t, spent.UsedAt.IsZero())
		require.NoError(t, s.IssueRefreshToken(ctx, authserver.RefreshToken{ID: "rt3", GrantID: "g1", SecretHash: "s3", ExpiresAt: future}, nil, "rt1"))
		again, err := s.RefreshToken(ctx, "rt1")
		require.NoError(t, err)
		require.True(t, spent.UsedAt.Equal(again.UsedAt))
		_, err = s.RefreshToken(ctx, "nope")
		require.True(t, errs.Is(err, errs.KindNotFound))
		require.Error(t, s.IssueRefreshToken(ctx, authserver.RefreshToken{ID: "rt4", GrantID: "g1", ExpiresAt: future}, &g, ""), "a grant is stored once")
		_, err = s.RefreshToken(ctx, "rt4")
		require.True(t, errs.Is(err, errs.KindNotFound), "the token of a refused grant is not stored")

		require.NoError(t, s.RevokeGrant(ctx, "g1"))
		got, err = s.Grant(ctx, "g1")
		require.NoError(t, err)
		require.True(t, got.Revoked)
		_, err = s.Grant(ctx, "nope")
		require.True(t, errs.Is(err, errs.KindNotFound))

		for _, g := range []authserver.Grant{{ID: "a", ClientID: "web", UserID: "u2"}, {ID: "b", ClientID: "tv", UserID: "u2"}, {ID: "c", ClientID: "web", UserID: "u3"}} {
			g.ExpiresAt = future
			require.NoError(t, s.CreateGrant(ctx, g))
		}
		require.NoError(t, s.RevokeUserGrants(ctx, "u2", "tv"))
		revoked := func(id string) bool { g, err := s.Grant(ctx, id); require.NoError(t, err); return g.Revoked }
		require.Equal(t, []bool{false, true, false}, []bool{revoked("a"), revoked("b"), revoked("c")})
		require.NoError(t, s.RevokeUserGrants(ctx, "u2", ""))
		require.Equal(t, []bool{true, true, false}, []bool{revoked("a"), revoked("b"), revoked("c")})

		ok, err := s.AccessTokenRevoked(ctx, "g1.x")
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, s.RevokeAccessToken(ctx, "g1.x", future))
		require.NoError(t, s.RevokeAccessToken(ctx, "g1.x", future), "revoking twice is not an error")
		ok, err = s.AccessTokenRevoked(ctx, "g1.x")
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("device authorizations", func(t *testing.T) {
		s := open(t)
		d := authserver.Device{DeviceHash: "d1", UserCode: "BCDF-GHJK", ClientID: "tv", Scopes: []string{"openid", "account"}, ExpiresAt: ms(future)}
		require.NoError(t, s.CreateDevice(ctx, d))
		require.True(t, errs.Is(s.CreateDevice(ctx, authserver.Device{DeviceHash: "d2", UserCode: "BCDF-GHJK", ClientID: "tv", ExpiresAt: future}), errs.KindConflict))
		got, err := s.PendingDevice(ctx, "BCDF-GHJK")
		require.NoError(t, err)
		d.State = authserver.DevicePending
		require.Equal(t, d, got)
		spent, err := s.SpendDevice(ctx, "d1")
		require.NoError(t, err)
		require.False(t, spent, "a pending authorization is not handed out")

		at := ms(time.Now())
		require.NoError(t, s.ApproveDevice(ctx, "BCDF-GHJK", "u1", at, []string{"openid"}))
		_, err = s.PendingDevice(ctx, "BCDF-GHJK")
		require.True(t, errs.Is(err, errs.KindNotFound))
		require.NoError(t, s.DenyDevice(ctx, "BCDF-GHJK"), "a decided authorization stays decided")
		got, err = s.Device(ctx, "d1")
		require.NoError(t, err)
		require.Equal(t, authserver.DeviceApproved, got.State)
		require.Equal(t, "u1", got.UserID)
		require.True(t, at.Equal(got.AuthTime))
		require.Equal(t, []string{"openid"}, got.Scopes)
		spent, err = s.SpendDevice(ctx, "d1")
		require.NoError(t, err)
		require.True(t, spent)
		spent, err = s.SpendDevice(ctx, "d1")
		require.NoError(t, err)
		require.False(t, spent, "handed out once")

		require.NoError(t, s.CreateDevice(ctx, authserver.Device{DeviceHash: "d3", UserCode: "LMNP-QRST", ClientID: "tv", ExpiresAt: future}))
		require.NoError(t, s.DenyDevice(ctx, "LMNP-QRST"))
		got, err = s.Device(ctx, "d3")
		require.NoError(t, err)
		require.Equal(t, authserver.DeviceDenied, got.State)
		require.NoError(t, s.CreateDevice(ctx, authserver.Device{DeviceHash: "d4", UserCode: "VWXZ-BCDF", ClientID: "tv", ExpiresAt: past}))
		_, err = s.PendingDevice(ctx, "VWXZ-BCDF")
		require.True(t, errs.Is(err, errs.KindNotFound), "an expired code is not pending")
		_, err = s.Device(ctx, "nope")
		require.True(t, errs.Is(err, errs.KindNotFound))
	})

	t.Run("sessions", func(t *testing.T) {
		s := open(t)
		se := authserver.Session{IDHash: "s1", UserID: "u1", AuthTime: ms(time.Now()), ExpiresAt: ms(future)}
		require.NoError(t, s.CreateSession(ctx, se))
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "s2", UserID: "u1", ExpiresAt: future}))
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "s3", UserID: "u2", ExpiresAt: future}))
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "old", UserID: "u2", ExpiresAt: past}))
		got, err := s.Session(ctx, "s1")
		require.NoError(t, err)
		require.Equal(t, se, got)
		_, err = s.Session(ctx, "old")
		require.True(t, errs.Is(err, errs.KindNotFound), "an expired session is not current")
		require.NoError(t, s.DeleteSession(ctx, "s1"))
		_, err = s.Session(ctx, "s1")
		require.True(t, errs.Is(err, errs.KindNotFound))
		require.NoError(t, s.DeleteUserSessions(ctx, "u1"))
		_, err = s.Session(ctx, "s2")
		require.True(t, errs.Is(err, errs.KindNotFound))
		_, err = s.Session(ctx, "s3")
		require.NoError(t, err, "another user's session stays")
	})

	t.Run("mailed links", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.CreateUser(ctx, user("u1", "a@example.com"), &authserver.UserToken{TokenHash: "v1", UserID: "u1", Purpose: "verify", ExpiresAt: future}))
		require.True(t, errs.Is(s.ResetPassword(ctx, "v1", "new"), errs.KindNotFound), "a link is good for its purpose only")
		require.NoError(t, s.VerifyEmail(ctx, "v1"))
		u, err := s.UserByID(ctx, "u1")
		require.NoError(t, err)
		require.True(t, u.EmailVerified)
		require.True(t, errs.Is(s.VerifyEmail(ctx, "v1"), errs.KindNotFound), "spent")

		require.NoError(t, s.AddUserToken(ctx, authserver.UserToken{TokenHash: "r1", UserID: "u1", Purpose: "reset", ExpiresAt: future}, msg("notification.email", "u1")))
		require.NoError(t, s.AddUserToken(ctx, authserver.UserToken{TokenHash: "r-old", UserID: "u1", Purpose: "reset", ExpiresAt: past}))
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "s1", UserID: "u1", ExpiresAt: future}))
		require.NoError(t, s.CreateGrant(ctx, authserver.Grant{ID: "g1", ClientID: "web", UserID: "u1", ExpiresAt: future}))
		require.True(t, errs.Is(s.ResetPassword(ctx, "r-old", "new"), errs.KindNotFound), "expired")
		require.NoError(t, s.ResetPassword(ctx, "r1", "new-hash"))
		u, err = s.UserByID(ctx, "u1")
		require.NoError(t, err)
		require.Equal(t, "new-hash", u.PasswordHash)
		_, err = s.Session(ctx, "s1")
		require.True(t, errs.Is(err, errs.KindNotFound), "signed out everywhere")
		g, err := s.Grant(ctx, "g1")
		require.NoError(t, err)
		require.True(t, g.Revoked)
		require.True(t, errs.Is(s.ResetPassword(ctx, "r1", "again"), errs.KindNotFound), "spent")
	})

	t.Run("sign-in throttle", func(t *testing.T) {
		s := open(t)
		start, n, err := s.LoginFailures(ctx, "account:a")
		require.NoError(t, err)
		require.Zero(t, n)
		require.True(t, start.IsZero())
		for range 3 {
			require.NoError(t, s.RecordLoginFailure(ctx, "account:a", time.Hour))
		}
		require.NoError(t, s.RecordLoginFailure(ctx, "ip:1", time.Hour))
		start, n, err = s.LoginFailures(ctx, "account:a")
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.False(t, start.IsZero())
		// A window shorter than the time since it started: a new one.
		require.NoError(t, s.RecordLoginFailure(ctx, "account:a", -time.Millisecond))
		_, n, err = s.LoginFailures(ctx, "account:a")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.NoError(t, s.ClearLoginFailures(ctx, "account:a"))
		_, n, err = s.LoginFailures(ctx, "account:a")
		require.NoError(t, err)
		require.Zero(t, n)
		_, n, err = s.LoginFailures(ctx, "ip:1")
		require.NoError(t, err)
		require.Equal(t, 1, n, "keys count apart")
	})

	t.Run("signing keys", func(t *testing.T) {
		s := open(t)
		now := ms(time.Now())
		k := func(kid string, created time.Time, until time.Time) authserver.StoredKey {
			return authserver.StoredKey{KID: kid, Alg: "ES256", PrivateSealed: "sealed-" + kid, PublicPEM: "pem-" + kid, CreatedAt: ms(created), PublishUntil: ms(until)}
		}
		first := k("k1", now.Add(-2*time.Hour), now.Add(48*time.Hour))
		require.NoError(t, s.AddSigningKeys(ctx, now.Add(time.Hour), first))
		keys, err := s.SigningKeys(ctx, now)
		require.NoError(t, err)
		require.Equal(t, []authserver.StoredKey{first}, keys)
		// A rotation: the new key, and the old one published until retireAt.
		second := k("k2", now, now.Add(48*time.Hour))
		require.NoError(t, s.AddSigningKeys(ctx, now.Add(time.Hour), second))
		keys, err = s.SigningKeys(ctx, now)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		require.Equal(t, "k2", keys[0].KID, "newest first")
		require.True(t, now.Add(time.Hour).Equal(keys[1].PublishUntil), "the old key is retired at retireAt")
		keys, err = s.SigningKeys(ctx, now.Add(2*time.Hour))
		require.NoError(t, err)
		require.Equal(t, []string{"k2"}, []string{keys[0].KID}, "after retireAt only the new key is published")
		require.Len(t, keys, 1)
	})

	t.Run("prune", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "old", UserID: "u", ExpiresAt: past}))
		require.NoError(t, s.CreateSession(ctx, authserver.Session{IDHash: "new", UserID: "u", ExpiresAt: future}))
		require.NoError(t, s.CreateGrant(ctx, authserver.Grant{ID: "old", ClientID: "c", UserID: "u", ExpiresAt: past}))
		require.NoError(t, s.CreateGrant(ctx, authserver.Grant{ID: "new", ClientID: "c", UserID: "u", ExpiresAt: future}))
		require.NoError(t, s.RevokeAccessToken(ctx, "old.jti", past))
		require.NoError(t, s.Prune(ctx, time.Now()))
		_, err := s.Grant(ctx, "old")
		require.True(t, errs.Is(err, errs.KindNotFound))
		_, err = s.Grant(ctx, "new")
		require.NoError(t, err)
		_, err = s.Session(ctx, "new")
		require.NoError(t, err)
		revoked, err := s.AccessTokenRevoked(ctx, "old.jti")
		require.NoError(t, err)
		require.False(t, revoked, "a revoked token's record goes once the token has expired")
		require.NoError(t, s.Ping(ctx))
	})
}

func ids(us []authserver.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}
