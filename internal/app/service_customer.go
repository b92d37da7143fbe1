package app

import (
	"context"
	"errors"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/customer/grpcapi"
	"github.com/cdlc/cdlc/internal/customer/httpapi"
	"github.com/cdlc/cdlc/internal/customer/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/module"
)

func init() {
	register(ServiceModule{
		Name:       "customer",
		Deps:       []string{"bus"},
		Migrations: []db.Migrations{sqlstore.Migrations},
		Init:       initCustomer,
	})
}

// initCustomer wires the customer service: its database (with the
// outbox), its relay, the consumer of the auth service's user.deleted
// (one group shared by the instances: each deletion is applied once), the
// in-process handle other services call, and its REST and gRPC APIs.
func initCustomer(ctx context.Context, a *App) (module.Service, error) {
	d, err := a.OpenDB(ctx, "customer", sqlstore.Migrations)
	if err != nil {
		return nil, err
	}
	relay := a.StartRelay(d)
	store := sqlstore.New(d)
	svc := customer.New(customer.Options{Store: store, Kick: relay.Notify})
	// The consumer's deletions enqueue account.deleted: wake the relay.
	handle := store.UserDeletedHandler()
	sub, err := a.Bus().Subscribe(ctx, customer.TopicUserDeleted, "customer-accounts", func(ctx context.Context, m events.Message) error {
		err := handle(ctx, m)
		relay.Notify()
		return err
	})
	if err != nil {
		return nil, errors.Join(err, relay.Stop(ctx), d.Close())
	}
	httpapi.Register(a.API, svc)
	a.Mux.Handle(grpcapi.Handler(svc))
	a.Customer = svc
	return module.Funcs{OnStop: func(ctx context.Context) error {
		return errors.Join(sub.Close(), relay.Stop(ctx), d.Close())
	}}, nil
}
