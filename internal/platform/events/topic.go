package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// Topic is an event contract: a topic's name, the payload type T its
// producers send and its consumers decode, and the payload's version.
// Each service declares its topics in one contract package
// (internal/<service>/<service>events) that producers and consumers both
// import, so that a topic's name and shape are written once.
//
// Every payload carries its version in the field "v". A change that only
// adds fields keeps the version (decoders ignore what they do not know);
// a change that renames, removes or retypes a field raises it and gives
// the Upgrade from the version before, so that payloads already in the
// outbox, on the broker or in the archive still decode.
type Topic[T any] struct {
	// Name is the topic ("account.deleted").
	Name string
	// Version is what producers write in "v".
	Version  int
	upgrades map[int]Upgrade
}

// Upgrade rewrites a payload of version From into version From+1.
type Upgrade struct {
	From int
	Fn   func(payload map[string]any) (map[string]any, error)
}

// versionField is the payload's version.
const versionField = "v"

// Define declares a topic and records it in the catalog of topics
// (Topics). It panics on a name declared twice with another payload type
// or version: that is a programming error, caught at start-up.
func Define[T any](name, doc string, version int, upgrades ...Upgrade) Topic[T] {
	t := Topic[T]{Name: name, Version: version, upgrades: map[int]Upgrade{}}
	for _, u := range upgrades {
		t.upgrades[u.From] = u
	}
	typ := reflect.TypeFor[T]()
	if typ.Kind() != reflect.Struct {
		panic(fmt.Sprintf("events: the payload of %s must be a struct (a JSON object), got %s", name, typ))
	}
	catalog.add(TopicInfo{Name: name, Doc: doc, Version: version, Type: typ})
	return t
}

// Message is an event of the topic with payload p, keyed by key.
func (t Topic[T]) Message(key string, p T) (Message, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return Message{}, fmt.Errorf("encode %s: %w", t.Name, err)
	}
	return Message{Topic: t.Name, Key: key, Payload: withVersion(b, t.Version)}, nil
}

// MustMessage is Message for payloads that always encode (plain structs
// of strings, numbers and times).
func (t Topic[T]) MustMessage(key string, p T) Message {
	m, err := t.Message(key, p)
	if err != nil {
		panic(err)
	}
	return m
}

// withVersion puts "v" first in a JSON object.
func withVersion(obj []byte, v int) []byte {
	head := fmt.Appendf(nil, `{"%s":%d`, versionField, v)
	body := bytes.TrimSpace(obj)
	if len(body) <= 2 { // {}
		return append(head, '}')
	}
	return append(append(head, ','), body[1:]...)
}

// Decode reads m's payload: a payload without "v" is version 1 (written
// before versions were recorded); an older version is upgraded step by
// step; a newer one decodes as far as this build knows it (added fields
// are ignored). An undecodable payload is an error that retrying cannot
// fix.
func (t Topic[T]) Decode(m Message) (T, error) {
	var out T
	var probe struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(m.Payload, &probe); err != nil {
		return out, fmt.Errorf("decode %s payload: %w", t.Name, err)
	}
	v := max(probe.V, 1)
	payload := m.Payload
	if v < t.Version {
		var doc map[string]any
		if err := json.Unmarshal(payload, &doc); err != nil {
			return out, fmt.Errorf("decode %s payload: %w", t.Name, err)
		}
		for ; v < t.Version; v++ {
			u, ok := t.upgrades[v]
			if !ok {
				return out, fmt.Errorf("decode %s payload: no upgrade from version %d", t.Name, v)
			}
			var err error
			if doc, err = u.Fn(doc); err != nil {
				return out, fmt.Errorf("upgrade %s payload from version %d: %w", t.Name, v, err)
			}
		}
		var err error
		if payload, err = json.Marshal(doc); err != nil {
			return out, err
		}
	}
	if err := json.Unmarshal(payload, &out); err != nil {
		return out, fmt.Errorf("decode %s payload (version %d): %w", t.Name, probe.V, err)
	}
	return out, nil
}

// Handler adapts a typed handler: the payload is decoded before h runs.
func (t Topic[T]) Handler(h func(ctx context.Context, m Message, p T) error) Handler {
	return func(ctx context.Context, m Message) error {
		p, err := t.Decode(m)
		if err != nil {
			return err
		}
		return h(ctx, m, p)
	}
}

// TopicInfo describes one declared topic.
type TopicInfo struct {
	Name    string `json:"name"`
	Doc     string `json:"doc"`
	Version int    `json:"version"`
	// Schema is the payload's JSON Schema (with "v"), self-contained.
	Schema map[string]any `json:"schema"`
	Type   reflect.Type   `json:"-"`
}

type topicCatalog struct {
	mu     sync.Mutex
	topics map[string]TopicInfo
}

var catalog = &topicCatalog{topics: map[string]TopicInfo{}}

func (c *topicCatalog) add(ti TopicInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.topics[ti.Name]; ok && (old.Type != ti.Type || old.Version != ti.Version) {
		panic(fmt.Sprintf("events: topic %s declared twice (%s v%d and %s v%d)", ti.Name, old.Type, old.Version, ti.Type, ti.Version))
	}
	c.topics[ti.Name] = ti
}

// Topics lists every topic declared in this binary, by name, with its
// payload's JSON Schema: what a consumer of every topic (the analytics
// and datalake services) reads to know what flows on the bus.
func Topics() []TopicInfo {
	catalog.mu.Lock()
	defer catalog.mu.Unlock()
	var out []TopicInfo
	for _, ti := range catalog.topics {
		ti.Schema = schemaOf(ti.Type)
		out = append(out, ti)
	}
	slices.SortFunc(out, func(a, b TopicInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// schemaOf is the JSON Schema of a payload type with the version field,
// its named types inlined under $defs. huma (the REST layer's library)
// builds it, so payloads and API bodies are described alike.
func schemaOf(t reflect.Type) map[string]any {
	reg := huma.NewMapRegistry("#/$defs/", huma.DefaultSchemaNamer)
	s := huma.SchemaFromType(reg, t)
	if s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	b, _ := json.Marshal(s)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	props, _ := out["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		out["properties"] = props
	}
	props[versionField] = map[string]any{"type": "integer", "minimum": 1, "description": "The payload's version."}
	defs := map[string]any{}
	for name, d := range reg.Map() {
		if d == s {
			continue
		}
		b, _ := json.Marshal(d)
		var m any
		_ = json.Unmarshal(b, &m)
		defs[name] = m
	}
	if len(defs) > 0 {
		out["$defs"] = defs
	}
	return out
}
