package cache_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// source is an entity store that counts its reads: a render is a read.
type source struct {
	reads   atomic.Int32
	version atomic.Int64
	partial atomic.Bool
}

func (s *source) render(entity string) func(context.Context) (cache.Rendering, error) {
	return func(context.Context) (cache.Rendering, error) {
		s.reads.Add(1)
		if entity == "missing" {
			return cache.Rendering{}, errs.NotFound("entity %s", entity)
		}
		v := s.version.Load()
		r, err := cache.JSON(map[string]any{"id": entity, "version": v}, v)
		if s.partial.Load() {
			r.Partial = "a peer is out of reach"
		}
		return r, err
	}
}

func newRenderings(t *testing.T) *cache.Renderings {
	t.Helper()
	return cache.NewRenderings(cache.NewLoader(newMemory(t), cache.LoaderOptions{}), cache.RenderedOptions{Prefix: "test"})
}

func TestRenderingsHitAndMiss(t *testing.T) {
	ctx := context.Background()
	r := newRenderings(t)
	src := &source{}
	src.version.Store(3)

	first, err := r.Get(ctx, "a", "full", src.render("a"))
	require.NoError(t, err)
	require.Equal(t, int32(1), src.reads.Load(), "a miss renders")
	require.JSONEq(t, `{"id":"a","version":3}`, string(first.Body))
	require.Empty(t, first.Partial)

	for range 3 {
		again, err := r.Get(ctx, "a", "full", src.render("a"))
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	require.Equal(t, int32(1), src.reads.Load(), "hits do not render")

	_, err = r.Get(ctx, "a", "short", src.render("a"))
	require.NoError(t, err)
	_, err = r.Get(ctx, "b", "full", src.render("b"))
	require.NoError(t, err)
	require.Equal(t, int32(3), src.reads.Load(), "another variant or entity is another rendering")

	for range 2 {
		_, err = r.Get(ctx, "missing", "full", src.render("missing"))
		require.True(t, errs.Is(err, errs.KindNotFound), "render errors come back as they are: %v", err)
	}
	require.Equal(t, int32(5), src.reads.Load(), "errors are not cached")
}

func TestRenderingsPartial(t *testing.T) {
	ctx := context.Background()
	r := newRenderings(t)
	src := &source{}
	src.partial.Store(true)
	got, err := r.Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	require.NotEmpty(t, got.Partial)
	again, err := r.Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	require.NotEmpty(t, again.Partial)
	require.Equal(t, got.Body, again.Body)
	require.Equal(t, int32(2), src.reads.Load(), "a partial rendering is not cached: the next read tries again")
}

// TestRenderingsETag checks the one format: "<version>-<hash of body>",
// the same for the same content, read back by If-Match and If-None-Match.
func TestRenderingsETag(t *testing.T) {
	ctx := context.Background()
	src := &source{}
	src.version.Store(7)
	a, err := newRenderings(t).Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^"7-[0-9a-f]{12}"$`), a.ETag)
	require.Equal(t, httpx.ContentETag(7, a.Body), a.ETag)

	b, err := newRenderings(t).Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	require.Equal(t, a.ETag, b.ETag, "another instance tags the same content the same")

	v, err := httpx.IfMatchVersion(a.ETag, 1)
	require.NoError(t, err)
	require.Equal(t, int64(7), *v)
	require.Equal(t, `"7"`, httpx.ETag(7), "a write's ETag is its version")
	require.True(t, httpx.ETagMatches("W/"+a.ETag, a.ETag))
}

func TestRenderingsInvalidate(t *testing.T) {
	ctx := context.Background()
	r := newRenderings(t)
	src := &source{}
	get := func(entity string) cache.Rendered {
		t.Helper()
		got, err := r.Get(ctx, entity, "", src.render(entity))
		require.NoError(t, err)
		return got
	}
	// Enough entities that some share a's shard and most do not.
	ids := make([]string, 600)
	for i := range ids {
		ids[i] = "e" + strconv.Itoa(i)
		get(ids[i])
	}
	require.Equal(t, int32(600), src.reads.Load())

	before := get("e0")
	src.version.Store(1)
	r.Invalidate("e0")
	after := get("e0")
	require.Equal(t, int32(601), src.reads.Load(), "the changed entity is rendered again")
	require.NotEqual(t, before.ETag, after.ETag)

	for _, id := range ids[1:] {
		get(id)
	}
	// Invalidate drops the shard of its entity: 1/256 of the entities.
	require.Less(t, src.reads.Load(), int32(601+20), "other entities stay cached but for those sharing the shard")

	reads := src.reads.Load()
	r.InvalidateAll()
	for _, id := range ids {
		get(id)
	}
	require.Equal(t, reads+600, src.reads.Load(), "InvalidateAll drops every rendering")
}

// TestRenderingsInvalidatedByEvent delivers the change through a bus, as
// another instance's write would reach this one.
func TestRenderingsInvalidatedByEvent(t *testing.T) {
	ctx := context.Background()
	r := newRenderings(t)
	src := &source{}
	bus, err := events.NewInproc(events.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, bus.Close()) })
	handled := make(chan string, 10)
	sub, err := bus.Subscribe(ctx, "thing.changed", "renderings", func(ctx context.Context, m events.Message) error {
		err := r.HandleEvent(ctx, m)
		handled <- m.Key
		return err
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sub.Close()) })

	_, err = r.Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	_, err = r.Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	require.Equal(t, int32(1), src.reads.Load())

	require.NoError(t, bus.Publish(ctx, events.Message{Topic: "thing.changed", Key: "a", Payload: []byte(`{}`)}))
	require.Equal(t, "a", <-handled)
	_, err = r.Get(ctx, "a", "", src.render("a"))
	require.NoError(t, err)
	require.Equal(t, int32(2), src.reads.Load(), "the event dropped the rendering")

	_, err = r.Get(ctx, "b", "", src.render("b"))
	require.NoError(t, err)
	require.NoError(t, bus.Publish(ctx, events.Message{Topic: "thing.changed", Key: cache.AllEntities, Payload: []byte(`{}`)}))
	require.Equal(t, cache.AllEntities, <-handled)
	for _, id := range []string{"a", "b"} {
		_, err = r.Get(ctx, id, "", src.render(id))
		require.NoError(t, err)
	}
	require.Equal(t, int32(5), src.reads.Load(), "the key * drops every rendering")
}

func TestRenderingsCorruptEntry(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	r := cache.NewRenderings(cache.NewLoader(mem, cache.LoaderOptions{}), cache.RenderedOptions{Prefix: "p"})
	// A value that is not a rendering (another writer on a shared cache).
	require.NoError(t, mem.Set(ctx, "p:0.0:a:", []byte("no newline"), 0))
	_, err := r.Get(ctx, "a", "", func(context.Context) (cache.Rendering, error) {
		return cache.Rendering{}, errors.New("not called")
	})
	require.True(t, errs.Is(err, errs.KindInternal), "%v", err)
}
