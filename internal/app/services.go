package app

import (
	"connectrpc.com/connect"

	"github.com/cdlc/cdlc/internal/actor"
	actorgrpc "github.com/cdlc/cdlc/internal/actor/grpcapi"
	actorhttp "github.com/cdlc/cdlc/internal/actor/httpapi"
	actorsql "github.com/cdlc/cdlc/internal/actor/sqlstore"
	actorwiring "github.com/cdlc/cdlc/internal/actor/wiring"
	"github.com/cdlc/cdlc/internal/authserver/authevents"
	authsql "github.com/cdlc/cdlc/internal/authserver/sqlstore"
	"github.com/cdlc/cdlc/internal/configserver"
	confighttp "github.com/cdlc/cdlc/internal/configserver/httpapi"
	configsql "github.com/cdlc/cdlc/internal/configserver/sqlstore"
	configwiring "github.com/cdlc/cdlc/internal/configserver/wiring"
	"github.com/cdlc/cdlc/internal/customer"
	customergrpc "github.com/cdlc/cdlc/internal/customer/grpcapi"
	customerhttp "github.com/cdlc/cdlc/internal/customer/httpapi"
	customersql "github.com/cdlc/cdlc/internal/customer/sqlstore"
	customerwiring "github.com/cdlc/cdlc/internal/customer/wiring"
	"github.com/cdlc/cdlc/internal/inventory"
	inventorygrpc "github.com/cdlc/cdlc/internal/inventory/grpcapi"
	inventoryhttp "github.com/cdlc/cdlc/internal/inventory/httpapi"
	inventorysql "github.com/cdlc/cdlc/internal/inventory/sqlstore"
	inventorywiring "github.com/cdlc/cdlc/internal/inventory/wiring"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// table is the one table of services: every target this binary runs,
// what it calls, its schema, its public routes and their access rules,
// its configuration section, the events it consumes, how other processes
// reach it, and how it starts. The module graph, the gateway's routes,
// the peers and their readiness checks, --list-targets, the configuration
// sections and `cdlc migrate` are all derived from it (see
// docs/architecture.md, "Adding a service").
//
// a is the process the edge services (gateway, auth) are wired into; the
// table is also read without one (nil) for its declarations.
func table(a *App) []*kit.Service {
	return []*kit.Service{
		{
			Name: "actor", Doc: "people, credits, filmographies, people search",
			Calls:      []string{"inventory"},
			Uses:       []string{"bus", "cache"},
			Migrations: []db.Migrations{actorsql.Migrations},
			Routes:     actorhttp.Routes,
			Consumes: append(
				consume(actorwiring.GroupCache, true, append(actorTopics, inventoryTopics...)...),
				consume(actorwiring.GroupSearch, true, actorTopics...)...),
			Remote: remote(actorgrpc.NewClient),
			Start:  actorwiring.Start,
		},
		{
			Name: "auth", Doc: "OpenID Connect provider: sign-in, clients, keys",
			Uses:       []string{"bus", "cache"},
			Migrations: []db.Migrations{authsql.Migrations},
			Routes:     authRoutes,
			Consumes: []kit.Consumer{
				{Topic: customer.AccountDeleted.Name, Group: groupAuthAccountDeleted},
				{Topic: authevents.Email.Name, Group: groupAuthEmailLog},
			},
			Start: a.startAuth,
		},
		{
			Name: "config", Doc: "versioned configuration per application and profile, change push",
			Uses:       []string{"bus", "cache"},
			Migrations: []db.Migrations{configsql.Migrations},
			Routes:     confighttp.Routes,
			Config:     configserver.DefaultConfig(), ConfigKey: configwiring.SectionKey,
			Consumes: []kit.Consumer{
				{Topic: configserver.Changed.Name, Group: configwiring.GroupWatchers, PerInstance: true},
			},
			Start: configwiring.Start,
		},
		{
			Name: "customer", Doc: "accounts, profiles, preferences",
			Uses:       []string{"bus"},
			Migrations: []db.Migrations{customersql.Migrations},
			Routes:     customerhttp.Routes,
			Consumes: []kit.Consumer{
				{Topic: authevents.UserDeleted.Name, Group: customerwiring.GroupAccounts},
			},
			Remote: remote(customergrpc.NewClient),
			Start:  customerwiring.Start,
		},
		{
			Name: "inventory", Doc: "titles, seasons, episodes, genres, title search",
			Calls:      []string{"actor"},
			Uses:       []string{"bus", "cache"},
			Migrations: []db.Migrations{inventorysql.Migrations},
			Routes:     inventoryhttp.Routes,
			Consumes: append(
				consume(inventorywiring.GroupCache, true, append(inventoryTopics, actor.CreditsChanged.Name)...),
				consume(inventorywiring.GroupSearch, true, inventoryTopics...)...),
			Remote: remote(inventorygrpc.NewClient),
			Start:  inventorywiring.Start,
		},
		{
			Name: "gateway", Doc: "the edge: routing, tokens, scopes, rate limits, breakers",
			Start: a.startGateway,
		},
	}
}

// The topics whose changes make the catalog's cached renderings and
// indexes stale.
var (
	inventoryTopics = []string{inventory.TitleCreated.Name, inventory.TitleUpdated.Name, inventory.TitleDeleted.Name}
	actorTopics     = actor.Topics
)

// remote adapts a service's gRPC client constructor for the table.
func remote[C any](newClient func(hc connect.HTTPClient, baseURL string, opts ...connect.ClientOption) C) func(connect.HTTPClient, string, ...connect.ClientOption) any {
	return func(hc connect.HTTPClient, baseURL string, opts ...connect.ClientOption) any {
		return newClient(hc, baseURL, opts...)
	}
}

// consume declares one consumer group over several topics.
func consume(group string, perInstance bool, topics ...string) []kit.Consumer {
	out := make([]kit.Consumer, len(topics))
	for i, t := range topics {
		out[i] = kit.Consumer{Topic: t, Group: group, PerInstance: perInstance}
	}
	return out
}
