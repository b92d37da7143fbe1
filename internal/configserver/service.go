package configserver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

// Service is the configuration server's logic over a Store.
type Service struct {
	store  Store
	sealer *secrets.Sealer
	// rendered holds the effective documents, keyed by application; a
	// change drops them all, since the shared application's documents are
	// part of every application's.
	rendered *cache.Renderings
	// kick wakes the outbox relay after a commit, so watchers hear at once.
	kick func()
	hub  hub
}

// Options configure a Service.
type Options struct {
	Store  Store
	Sealer *secrets.Sealer
	// Cache serves effective documents: one load per cold key however
	// many callers wait (cache.Loader).
	Cache cache.Getter
	// CacheTTL bounds how long a rendering may be served if an event is lost.
	CacheTTL time.Duration
	// Kick is called after every committed write (wake the outbox relay).
	Kick func()
}

// New returns a Service.
func New(o Options) *Service {
	if o.CacheTTL == 0 {
		o.CacheTTL = time.Minute
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	return &Service{store: o.Store, sealer: o.Sealer, kick: o.Kick, hub: hub{watchers: map[string]map[chan struct{}]struct{}{}},
		rendered: cache.NewRenderings(o.Cache, cache.RenderedOptions{Prefix: "cfg", TTL: o.CacheTTL})}
}

// Document is a version as callers see it: secrets opened or redacted.
type Document struct {
	App        string    `json:"app"`
	Profile    string    `json:"profile"`
	Version    int64     `json:"version"`
	Revision   int64     `json:"revision"`
	Values     Values    `json:"values"`
	Secrets    []string  `json:"secrets" doc:"Dotted keys whose values are secrets"`
	Author     string    `json:"author"`
	Message    string    `json:"message,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	RollbackOf int64     `json:"rollback_of,omitempty"`
}

// Source is one layer that went into an effective document.
type Source struct {
	App     string `json:"app"`
	Profile string `json:"profile"`
	Version int64  `json:"version"`
}

// Effective is the merged configuration of an application and profile.
type Effective struct {
	App      string   `json:"app"`
	Profile  string   `json:"profile"`
	Revision int64    `json:"revision" doc:"The newest change this document includes; pass it to watch as since"`
	Values   Values   `json:"values"`
	Secrets  []string `json:"secrets"`
	Sources  []Source `json:"sources"`
}

// ChangeSet is what changed in an effective document between two revisions.
type ChangeSet struct {
	App      string `json:"app"`
	Profile  string `json:"profile"`
	Since    int64  `json:"since"`
	Revision int64  `json:"revision"`
	// Reset says the caller's revision is unknown here (newer than this
	// server's, as after a restore from a backup): Changes then hold the
	// whole effective configuration, and the caller replaces what it holds
	// with them and takes Revision, even though it is lower.
	Reset   bool     `json:"reset,omitempty"`
	Changes []Change `json:"changes"`
}

// Write is a new version as a caller submits it.
type Write struct {
	App, Profile string
	Values       Values
	Author       string
	Message      string
	// IfVersion, when set, makes the write fail with Conflict unless the
	// document's head is still that version (optimistic concurrency).
	IfVersion *int64
	// Reveal shows the secrets of the stored version in the answer (the
	// caller holds ScopeSecrets).
	Reveal bool
}

// Put replaces a document with w.Values as its next version.
func (s *Service) Put(ctx context.Context, w Write) (Document, error) {
	if err := s.validateWrite(w); err != nil {
		return Document{}, err
	}
	return s.append(ctx, w, 0, func(Values) (Values, error) { return w.Values, nil })
}

// Patch applies w.Values as an RFC 7396 merge patch to the head.
func (s *Service) Patch(ctx context.Context, w Write) (Document, error) {
	if err := s.validateWrite(w); err != nil {
		return Document{}, err
	}
	return s.append(ctx, w, 0, func(head Values) (Values, error) { return MergePatch(head, w.Values), nil })
}

// Rollback writes version to of a document again as its next version.
func (s *Service) Rollback(ctx context.Context, w Write, to int64) (Document, error) {
	if err := s.validateNames(w.App, w.Profile); err != nil {
		return Document{}, err
	}
	old, err := s.store.Get(ctx, w.App, w.Profile, to)
	if err != nil {
		return Document{}, err
	}
	if w.Message == "" {
		w.Message = fmt.Sprintf("roll back to version %d", to)
	}
	// The old version's sealed secrets stay sealed: same document, same
	// associated data, so they open as before without re-encryption.
	return s.append(ctx, w, to, func(Values) (Values, error) { return old.Values, nil })
}

func (s *Service) validateNames(app, profile string) error {
	if err := ValidateName("app", app); err != nil {
		return err
	}
	return ValidateName("profile", profile)
}

func (s *Service) validateWrite(w Write) error {
	if err := s.validateNames(w.App, w.Profile); err != nil {
		return err
	}
	if w.Values == nil {
		return errs.Invalid("body.values", "must be a JSON object")
	}
	if len(w.Message) > 500 {
		return errs.Invalid("body.message", "must be at most 500 characters")
	}
	return validateValues("body.values", w.Values, 0)
}

// append builds the next version from the head with next, seals new
// secrets, and stores it with its event.
func (s *Service) append(ctx context.Context, w Write, rollbackOf int64, next func(head Values) (Values, error)) (Document, error) {
	head, err := s.store.Head(ctx, w.App, w.Profile, 0)
	expect := int64(0)
	switch {
	case err == nil:
		expect = head.Version
	case errs.Is(err, errs.KindNotFound):
		head = Version{Values: Values{}}
	default:
		return Document{}, err
	}
	if w.IfVersion != nil && *w.IfVersion != expect {
		return Document{}, errs.Precondition("%s/%s is at version %d, not %d; read it again and retry", w.App, w.Profile, expect, *w.IfVersion)
	}
	values, err := next(head.Values)
	if err != nil {
		return Document{}, err
	}
	sealed := s.sealNew(w.App, w.Profile, values)
	v, err := s.store.Append(ctx, Version{
		App: w.App, Profile: w.Profile, Values: sealed, Author: w.Author, Message: w.Message, RollbackOf: rollbackOf,
	}, expect, changedEvent)
	if err != nil {
		return Document{}, err
	}
	// Read-your-writes on this instance; other instances hear the event.
	s.rendered.InvalidateAll()
	s.kick()
	return s.render(v, w.Reveal)
}

func changedEvent(v Version) events.Message {
	return Changed.MustMessage(v.App, ChangedEvent{App: v.App, Profile: v.Profile, Version: v.Version, Revision: v.Revision})
}

// sealNew replaces {"$secret": plain} leaves by sealed ones.
func (s *Service) sealNew(app, profile string, v Values) Values {
	flat := Flatten(v)
	for k, val := range flat {
		if marker, plain, ok := secretLeaf(val); ok && marker == secretMarker {
			flat[k] = map[string]any{sealedMarker: s.sealer.Seal(where(app, profile, k), plain)}
		}
	}
	return Unflatten(flat)
}

func where(app, profile, key string) string { return app + "/" + profile + "/" + key }

// open returns the flat leaves of a stored version with secrets in plain
// text, and the set of secret keys.
func (s *Service) open(v Version) (map[string]any, map[string]bool, error) {
	flat := Flatten(v.Values)
	secret := map[string]bool{}
	for k, val := range flat {
		marker, payload, ok := secretLeaf(val)
		if !ok {
			continue
		}
		secret[k] = true
		if marker == secretMarker { // written before sealing existed; treat as plain
			flat[k] = payload
			continue
		}
		plain, err := s.sealer.Open(where(v.App, v.Profile, k), payload)
		if err != nil {
			return nil, nil, err
		}
		flat[k] = plain
	}
	return flat, secret, nil
}

// render shows a stored version to a caller.
func (s *Service) render(v Version, showSecrets bool) (Document, error) {
	flat, secret, err := s.open(v)
	if err != nil {
		return Document{}, err
	}
	return Document{
		App: v.App, Profile: v.Profile, Version: v.Version, Revision: v.Revision,
		Values: Unflatten(redact(flat, secret, showSecrets)), Secrets: sortedKeys(secret),
		Author: v.Author, Message: v.Message, CreatedAt: v.CreatedAt, RollbackOf: v.RollbackOf,
	}, nil
}

func redact(flat map[string]any, secret map[string]bool, show bool) map[string]any {
	if show {
		return flat
	}
	out := maps.Clone(flat)
	for k := range secret {
		out[k] = Redacted
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := slices.Sorted(maps.Keys(m))
	if out == nil {
		out = []string{}
	}
	return out
}

// Get returns a document's head, or version when it is not 0.
func (s *Service) Get(ctx context.Context, app, profile string, version int64, showSecrets bool) (Document, error) {
	if err := s.validateNames(app, profile); err != nil {
		return Document{}, err
	}
	var v Version
	var err error
	if version == 0 {
		v, err = s.store.Head(ctx, app, profile, 0)
	} else {
		v, err = s.store.Get(ctx, app, profile, version)
	}
	if err != nil {
		return Document{}, err
	}
	return s.render(v, showSecrets)
}

// History lists a document's versions newest first.
func (s *Service) History(ctx context.Context, app, profile string, before int64, limit int) ([]Document, error) {
	if err := s.validateNames(app, profile); err != nil {
		return nil, err
	}
	vs, err := s.store.History(ctx, app, profile, before, limit)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 && before == 0 {
		return nil, errs.NotFound("configuration %s/%s", app, profile)
	}
	out := make([]Document, len(vs))
	for i, v := range vs {
		// History lists metadata; values come with Get of a version.
		out[i] = Document{App: v.App, Profile: v.Profile, Version: v.Version, Revision: v.Revision, Author: v.Author,
			Message: v.Message, CreatedAt: v.CreatedAt, RollbackOf: v.RollbackOf}
	}
	return out, nil
}

// DiffVersions lists what changed in one document from version from to to.
func (s *Service) DiffVersions(ctx context.Context, app, profile string, from, to int64, showSecrets bool) ([]Change, error) {
	if err := s.validateNames(app, profile); err != nil {
		return nil, err
	}
	a, err := s.store.Get(ctx, app, profile, from)
	if err != nil {
		return nil, err
	}
	b, err := s.store.Get(ctx, app, profile, to)
	if err != nil {
		return nil, err
	}
	fa, _, err := s.open(a)
	if err != nil {
		return nil, err
	}
	fb, secret, err := s.open(b)
	if err != nil {
		return nil, err
	}
	return redactChanges(Diff(fa, fb, secret), showSecrets), nil
}

func redactChanges(cs []Change, show bool) []Change {
	if cs == nil {
		return []Change{}
	}
	if show {
		return cs
	}
	for i := range cs {
		if cs[i].Secret {
			cs[i].Value = Redacted
		}
	}
	return cs
}

// List names every document.
func (s *Service) List(ctx context.Context) ([]DocumentRef, error) { return s.store.List(ctx) }

// layers lists the documents an effective configuration is merged from, lowest first.
func layers(app, profile string) [][2]string {
	out := [][2]string{{SharedApp, DefaultProfile}}
	if profile != DefaultProfile {
		out = append(out, [2]string{SharedApp, profile})
	}
	if app != SharedApp {
		out = append(out, [2]string{app, DefaultProfile})
		if profile != DefaultProfile {
			out = append(out, [2]string{app, profile})
		}
	}
	return out
}

// effectiveAt merges the layers as they were at revision at (0: now), flat
// with secrets open.
func (s *Service) effectiveAt(ctx context.Context, app, profile string, at int64) (flat map[string]any, secret map[string]bool, rev int64, sources []Source, err error) {
	flat, secret, sources = map[string]any{}, map[string]bool{}, []Source{}
	for _, l := range layers(app, profile) {
		v, err := s.store.Head(ctx, l[0], l[1], at)
		if errs.Is(err, errs.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, 0, nil, err
		}
		f, sec, err := s.open(v)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		// A later layer replaces a whole subtree it sets as a leaf, and a
		// leaf it sets as a subtree, as Merge does for nested documents.
		for k, val := range f {
			dropConflicts(flat, secret, k)
			flat[k] = val
			if sec[k] {
				secret[k] = true
			}
		}
		rev = max(rev, v.Revision)
		sources = append(sources, Source{App: v.App, Profile: v.Profile, Version: v.Version})
	}
	return flat, secret, rev, sources, nil
}

// dropConflicts removes keys that key would shadow: its ancestors set as
// leaves and its descendants.
func dropConflicts(flat map[string]any, secret map[string]bool, key string) {
	for k := range flat {
		if k == key {
			continue
		}
		if len(k) > len(key) && k[:len(key)] == key && k[len(key)] == '.' ||
			len(key) > len(k) && key[:len(k)] == k && key[len(k)] == '.' {
			delete(flat, k)
			delete(secret, k)
		}
	}
}

// Effective returns the merged configuration of app and profile.
func (s *Service) Effective(ctx context.Context, app, profile string, showSecrets bool) (Effective, error) {
	if err := s.validateNames(app, profile); err != nil {
		return Effective{}, err
	}
	flat, secret, rev, sources, err := s.effectiveAt(ctx, app, profile, 0)
	if err != nil {
		return Effective{}, err
	}
	if len(sources) == 0 {
		return Effective{}, errs.NotFound("configuration for %s/%s (no layer exists)", app, profile)
	}
	return Effective{App: app, Profile: profile, Revision: rev, Values: Unflatten(redact(flat, secret, showSecrets)),
		Secrets: sortedKeys(secret), Sources: sources}, nil
}

// Rendered is an effective configuration encoded once for many readers.
type Rendered = cache.Rendered

// EffectiveJSON returns the effective configuration as JSON with its ETag,
// from the cache when warm. This is the hot path of every process that
// reads its configuration.
func (s *Service) EffectiveJSON(ctx context.Context, app, profile string, showSecrets bool) (Rendered, error) {
	if err := s.validateNames(app, profile); err != nil {
		return Rendered{}, err
	}
	mode := "r"
	if showSecrets {
		mode = "s"
	}
	return s.rendered.Get(ctx, app, "eff:"+profile+":"+mode, func(ctx context.Context) (cache.Rendering, error) {
		e, err := s.Effective(ctx, app, profile, showSecrets)
		if err != nil {
			return cache.Rendering{}, err
		}
		return cache.JSON(e, e.Revision)
	})
}

// Changes returns what changed in the effective configuration since revision since.
func (s *Service) Changes(ctx context.Context, app, profile string, since int64, showSecrets bool) (ChangeSet, error) {
	if err := s.validateNames(app, profile); err != nil {
		return ChangeSet{}, err
	}
	if since < 0 {
		return ChangeSet{}, errs.Invalid("query.since", "must not be negative")
	}
	cur, secret, rev, _, err := s.effectiveAt(ctx, app, profile, 0)
	if err != nil {
		return ChangeSet{}, err
	}
	// A revision above this configuration's was never handed out for it
	// (the server's data was restored from a backup, or the caller made it
	// up): answering "nothing changed" would leave the caller waiting for
	// changes that come at revisions it believes it has. It gets the whole
	// state and the real revision instead.
	reset := since > rev
	old := map[string]any{}
	if since > 0 && !reset {
		if old, _, _, _, err = s.effectiveAt(ctx, app, profile, since); err != nil {
			return ChangeSet{}, err
		}
	}
	return ChangeSet{App: app, Profile: profile, Since: since, Revision: rev, Reset: reset,
		Changes: redactChanges(Diff(old, cur, secret), showSecrets)}, nil
}

// Watch returns a channel that receives a signal after every change that
// may affect app, until cancel is called. Signals coalesce: a slow reader
// sees one for several changes and reads them with Changes.
func (s *Service) Watch(app string) (ch <-chan struct{}, cancel func()) { return s.hub.add(app) }

// HandleChanged consumes config.changed: drop cached renderings and wake
// the watchers of the application (all of them for SharedApp).
func (s *Service) HandleChanged(_ context.Context, m events.Message) error {
	var e ChangedEvent
	if err := json.Unmarshal(m.Payload, &e); err != nil {
		// A payload we cannot read will not become readable on retry.
		return nil
	}
	s.rendered.InvalidateAll()
	s.hub.wake(e.App)
	return nil
}

// hub fans change signals out to watchers by application.
type hub struct {
	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
}

func (h *hub) add(app string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.watchers[app] == nil {
		h.watchers[app] = map[chan struct{}]struct{}{}
	}
	h.watchers[app][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.watchers[app], ch)
		if len(h.watchers[app]) == 0 {
			delete(h.watchers, app)
		}
		h.mu.Unlock()
	}
}

func (h *hub) wake(app string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	signal := func(set map[chan struct{}]struct{}) {
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default: // a signal is already pending
			}
		}
	}
	if app == SharedApp {
		for _, set := range h.watchers {
			signal(set)
		}
		return
	}
	signal(h.watchers[app])
}
