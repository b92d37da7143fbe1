// Package wiring starts the customer service on the platform's kit: its
// store on its own database, the domain, its REST and gRPC APIs and the
// consumer of the auth service's user.deleted. Its table entry is in
// internal/app.
package wiring

import (
	"context"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/customer/grpcapi"
	"github.com/cdlc/cdlc/internal/customer/httpapi"
	"github.com/cdlc/cdlc/internal/customer/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// GroupAccounts is the consumer that deletes the account of a deleted
// user (one group shared by the instances: each deletion is applied once).
const GroupAccounts = "customer-accounts"

// Start builds the customer service in env; its handle is the
// customer.Service other services call.
func Start(_ context.Context, env *kit.Env) (any, error) {
	store := sqlstore.New(env.DB)
	svc := customer.New(customer.Options{Store: store, Kick: env.Kick})
	env.Handle(GroupAccounts, store.UserDeletedHandler())
	httpapi.Register(env.API, svc)
	env.Mux.Handle(grpcapi.Handler(svc))
	return customer.Service(svc), nil
}
