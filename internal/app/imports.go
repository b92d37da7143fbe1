package app

import (
	actorsql "github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/imdb"
	invsql "github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// CatalogStores are the inventory and actor services' own stores, which an
// IMDb import writes through: the same bulk methods, schemas and migrations
// the services use, so imported rows are exactly what the services read.
// They are wired here, in the composition root, because package imdb may not
// import the services' adapters (see package archtest).
var CatalogStores = imdb.Stores{
	InventoryMigrations: []db.Migrations{events.Migrations, invsql.Migrations},
	ActorMigrations:     []db.Migrations{events.Migrations, actorsql.Migrations},
	Titles:              func(d *db.DB) (imdb.TitleStore, error) { return invsql.New(d), nil },
	People:              func(d *db.DB) (imdb.PersonStore, error) { return actorsql.New(d), nil },
}
