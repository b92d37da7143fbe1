// Package configserver is the configurations server (cdlc-configurations-
// server), in the spirit of Spring Cloud Config and Consul KV: it keeps
// configuration documents per application and profile, every change a new
// version with author and time; it serves the effective configuration of an
// application and profile merged from its layers; it keeps history, diffs
// and rollbacks; it stores secrets encrypted; and it tells watchers what
// changed the moment it changes.
//
// Layers, lowest first: application/default, application/<profile>,
// <app>/default, <app>/<profile>. "application" holds what every
// application shares.
//
// Every write commits the new version and a config.changed event in one
// transaction (the outbox); every instance consumes the event to drop its
// cached documents and wake its watchers.
package configserver

import (
	"context"
	"time"

	"github.com/cdlc/cdlc/internal/platform/events"
)

// SharedApp is the application whose documents every application inherits.
const SharedApp = "application"

// DefaultProfile is the profile every profile inherits.
const DefaultProfile = "default"

// Scopes guarding the API.
const (
	ScopeRead    = "config:read"
	ScopeWrite   = "config:write"
	ScopeSecrets = "config:secrets"
)

// Changed is the event published for every new version (keyed by
// application): every instance wakes its watchers.
var Changed = events.Define[ChangedEvent]("config.changed", "A configuration document changed.", 1)

// Version is one version of one document.
type Version struct {
	App      string
	Profile  string
	Version  int64
	Revision int64 // server-wide sequence number of the change
	// Values as stored: secret leaves are sealed ({"$enc": "..."}).
	Values     Values
	Author     string
	Message    string
	CreatedAt  time.Time
	RollbackOf int64
}

// DocumentRef names a document and its head.
type DocumentRef struct {
	App       string    `json:"app"`
	Profile   string    `json:"profile"`
	Version   int64     `json:"version"`
	Revision  int64     `json:"revision"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// ChangedEvent is the payload of config.changed.
type ChangedEvent struct {
	App      string `json:"app"`
	Profile  string `json:"profile"`
	Version  int64  `json:"version"`
	Revision int64  `json:"revision"`
}

// Store keeps the versions. Implementations: sqlstore (SQLite, MySQL).
type Store interface {
	// Head returns the newest version of a document whose revision is at
	// most atRevision (0: the newest of all). NotFound when there is none.
	Head(ctx context.Context, app, profile string, atRevision int64) (Version, error)
	// Get returns one version. NotFound when it does not exist.
	Get(ctx context.Context, app, profile string, version int64) (Version, error)
	// History lists versions newest first, those below before (0: from the head).
	History(ctx context.Context, app, profile string, before int64, limit int) ([]Version, error)
	// Append stores v as the next version of its document, provided the head
	// is still expect (0: the document must not exist; -1: any head), and
	// enqueues the event made by event(v) in the same transaction. It
	// returns v with Version, Revision and CreatedAt set. Conflict when the
	// head moved.
	Append(ctx context.Context, v Version, expect int64, event func(Version) events.Message) (Version, error)
	// List names every document with its head.
	List(ctx context.Context) ([]DocumentRef, error)
}
