package app

import (
	"context"
	"errors"
	"time"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/module"
)

// initRevocations keeps the process's deny list (App.deny, consulted by
// every token check) current: each process hears every revocation and
// every deletion (a group of its own), so that a revoked token, a revoked
// family or a deleted subject is refused everywhere within the bus's
// delivery time, with no call to the issuer per request.
func (a *App) initRevocations(ctx context.Context) (module.Service, error) {
	// A deleted subject's tokens live at most an access token's lifetime.
	ttl := a.Config().Auth.AccessTokenTTL + time.Minute
	denySubject := func(sub string) {
		if sub != "" {
			a.deny.DenySubject(sub, time.Now().Add(ttl))
		}
	}
	handlers := []struct {
		topic string
		h     events.Handler
	}{
		{authevents.TokensRevoked.Name, authevents.TokensRevoked.Handler(func(_ context.Context, _ events.Message, r authevents.Revoked) error {
			for _, id := range r.TokenIDs {
				a.deny.DenyToken(id, r.Until)
			}
			for _, f := range r.Families {
				a.deny.DenyFamily(f, r.Until)
			}
			return nil
		})},
		{authevents.UserDeleted.Name, authevents.UserDeleted.Handler(func(_ context.Context, _ events.Message, u authevents.User) error {
			denySubject(u.Subject)
			return nil
		})},
		{customer.AccountDeleted.Name, customer.AccountDeleted.Handler(func(_ context.Context, _ events.Message, e customer.AccountEvent) error {
			denySubject(e.Subject)
			return nil
		})},
	}
	var subs []events.Subscription
	closeAll := func(context.Context) error {
		var err error
		for _, s := range subs {
			err = errors.Join(err, s.Close())
		}
		return err
	}
	for _, h := range handlers {
		s, err := a.bus.Subscribe(ctx, h.topic, "revocations", h.h, events.Ephemeral())
		if err != nil {
			return nil, errors.Join(err, closeAll(ctx))
		}
		subs = append(subs, s)
	}
	return module.Funcs{OnStop: closeAll}, nil
}
