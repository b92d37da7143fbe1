package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// Getter is the read-through cache renderings are kept in: *Loader.
type Getter interface {
	Get(ctx context.Context, key string, ttl time.Duration, load func(ctx context.Context) ([]byte, error)) ([]byte, error)
}

// Rendered is a response rendered once and served as bytes to many
// readers, with its ETag (httpx.ContentETag).
type Rendered struct {
	ETag string
	Body []byte
	// Partial says why part of the response could not be rendered (a
	// peer service out of reach) while the rest was; empty when whole.
	// A partial rendering is served but not cached: the next read tries
	// again.
	Partial string
}

// Rendering is what a render function gives Renderings.Get.
type Rendering struct {
	Body []byte
	// Version is the version of the entity rendered, in the ETag; 0 for
	// renderings of no single version (a filmography).
	Version int64
	// Partial becomes Rendered.Partial.
	Partial string
}

// JSON renders v as JSON at version.
func JSON(v any, version int64) (Rendering, error) {
	b, err := json.Marshal(v)
	return Rendering{Body: b, Version: version}, err
}

// AllEntities is the event key that stands for every entity.
const AllEntities = "*"

// DefaultRenderedTTL is RenderedOptions.TTL when zero.
const DefaultRenderedTTL = 5 * time.Minute

// RenderedOptions configure NewRenderings.
type RenderedOptions struct {
	// Prefix starts every key, so services that share a cache keep apart.
	Prefix string
	// TTL bounds how long a rendering may be served if the event that
	// should have dropped it is lost.
	TTL time.Duration
}

// Renderings is the rendered-response cache of a service: responses
// rendered once per entity (a title, a person, a configuration document)
// and variant (what was appended, who may see secrets), kept in a Getter,
// and dropped when an event says their entity changed.
//
// Nothing is deleted: every key carries a generation, bumped for all
// entities by InvalidateAll and for one shard of 1/256 of the entities by
// Invalidate, so a change stops the old renderings being read at once, on
// this instance, whatever the cache's backend; they age out by TTL. Other
// instances drop theirs when they hear the event (HandleEvent).
type Renderings struct {
	get    Getter
	prefix string
	ttl    time.Duration
	gen    atomic.Int64
	shards [256]atomic.Int64
}

// NewRenderings keeps renderings in g.
func NewRenderings(g Getter, o RenderedOptions) *Renderings {
	if o.TTL <= 0 {
		o.TTL = DefaultRenderedTTL
	}
	return &Renderings{get: g, prefix: o.Prefix, ttl: o.TTL}
}

func (r *Renderings) shard(entity string) *atomic.Int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(entity))
	return &r.shards[h.Sum32()%uint32(len(r.shards))]
}

func (r *Renderings) key(entity, variant string) string {
	return r.prefix + ":" + strconv.FormatInt(r.gen.Load(), 10) + "." + strconv.FormatInt(r.shard(entity).Load(), 10) +
		":" + entity + ":" + variant
}

// Get returns the rendering of variant of entity from the cache, or
// renders it (once, however many callers wait) and caches it. An error of
// render is returned as it is, and nothing is cached.
//
// A cached value is the ETag, a newline, a flag byte (always '0': partial
// renderings are not cached), then the body.
func (r *Renderings) Get(ctx context.Context, entity, variant string, render func(ctx context.Context) (Rendering, error)) (Rendered, error) {
	key := r.key(entity, variant)
	b, err := r.get.Get(ctx, key, r.ttl, func(ctx context.Context) ([]byte, error) {
		v, err := render(ctx)
		if err != nil {
			return nil, err
		}
		etag := httpx.ContentETag(v.Version, v.Body)
		out := make([]byte, 0, len(etag)+2+len(v.Body))
		out = append(append(append(out, etag...), '\n', '0'), v.Body...)
		if v.Partial != "" {
			// The loader caches what a load returns, never what it fails
			// with: a partial rendering leaves as an error and is served.
			return nil, &partial{value: out, reason: v.Partial}
		}
		return out, nil
	})
	var p *partial
	if errors.As(err, &p) {
		b, err = p.value, nil
	}
	if err != nil {
		return Rendered{}, err
	}
	etag, rest, _ := bytes.Cut(b, []byte{'\n'})
	if len(rest) == 0 {
		return Rendered{}, errs.E(errs.KindInternal, "corrupt cached rendering %s", key)
	}
	out := Rendered{ETag: string(etag), Body: rest[1:]}
	if p != nil {
		out.Partial = p.reason
	}
	return out, nil
}

// partial carries a partial rendering out of the loader without caching it.
type partial struct {
	value  []byte
	reason string
}

func (p *partial) Error() string { return "partial rendering: " + p.reason }

// Invalidate drops this instance's renderings of entities (read your
// writes; other instances hear the event).
func (r *Renderings) Invalidate(entities ...string) {
	for _, e := range entities {
		if e != "" {
			r.shard(e).Add(1)
		}
	}
}

// InvalidateAll drops this instance's renderings of every entity.
func (r *Renderings) InvalidateAll() { r.gen.Add(1) }

// HandleEvent is an events.Handler that drops the renderings of the entity
// a message is keyed by, or of all of them for an empty key or AllEntities.
func (r *Renderings) HandleEvent(_ context.Context, m events.Message) error {
	if m.Key == "" || m.Key == AllEntities {
		r.InvalidateAll()
		return nil
	}
	r.Invalidate(m.Key)
	return nil
}
