package imdb

import (
	actorsql "github.com/cdlc/cdlc/internal/actor/sqlstore"
	invsql "github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// CatalogStores are the inventory and actor services' own stores, which an
// import writes through: the same bulk methods, schemas and migrations the
// services use, so imported rows are exactly what the services read.
var CatalogStores = Stores{
	InventoryMigrations: []db.Migrations{events.Migrations, invsql.Migrations},
	ActorMigrations:     []db.Migrations{events.Migrations, actorsql.Migrations},
	Titles:              func(d *db.DB) (TitleStore, error) { return invsql.New(d), nil },
	People:              func(d *db.DB) (PersonStore, error) { return actorsql.New(d), nil },
}
