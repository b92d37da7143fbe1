// Package telemetry is the platform's logs and traces: log/slog loggers that
// stamp every record logged with a context with its request and trace IDs,
// and OpenTelemetry tracing exported over OTLP/HTTP (off by default, with
// trace context still propagated).
package telemetry

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// The keys the handler adds; log queries and dashboards depend on them.
const (
	RequestIDKey = "request_id"
	TraceIDKey   = "trace_id"
	SpanIDKey    = "span_id"
)

// The formats LogOptions.Format accepts.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// LogOptions tunes NewLogger.
type LogOptions struct {
	// Level is the minimum level logged. It is a LevelVar so a configuration
	// reload can change it in a running process; nil means Info, fixed.
	Level *slog.LevelVar
	// Format is "json" (the default: what log pipelines parse) or "text"
	// (for a terminal).
	Format string
	// AddSource adds the file and line of the log call.
	AddSource bool
}

// Validate reports a bad format, naming its key.
func (o LogOptions) Validate() error {
	switch o.Format {
	case "", FormatJSON, FormatText:
		return nil
	}
	return errs.Invalid("log.format", "must be json or text, got %q", o.Format)
}

// NewLogger returns a logger writing to w. Records logged with a context
// (InfoContext, ErrorContext, ...) carry request_id when the context has one
// (WithRequestID) and trace_id and span_id when it holds a valid span.
// An unknown Format falls back to JSON; Validate catches it earlier.
func NewLogger(w io.Writer, opts LogOptions) *slog.Logger {
	ho := &slog.HandlerOptions{AddSource: opts.AddSource}
	if opts.Level != nil {
		ho.Level = opts.Level
	}
	var h slog.Handler
	if opts.Format == FormatText {
		h = slog.NewTextHandler(w, ho)
	} else {
		h = slog.NewJSONHandler(w, ho)
	}
	if f, ok := w.(flusher); ok {
		h = &flushingHandler{Handler: h, f: f}
	}
	return slog.New(NewContextHandler(h))
}

// flusher is a writer that buffers (BufferedWriter).
type flusher interface{ Flush() error }

// flushingHandler flushes a buffering writer after each warning or error,
// so that those are written at once, after everything logged before them.
type flushingHandler struct {
	slog.Handler
	f flusher
}

func (h *flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		_ = h.f.Flush()
	}
	return err
}

func (h *flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &flushingHandler{Handler: h.Handler.WithAttrs(attrs), f: h.f}
}

func (h *flushingHandler) WithGroup(name string) slog.Handler {
	return &flushingHandler{Handler: h.Handler.WithGroup(name), f: h.f}
}

// ParseLevel parses a level name: debug, info, warn (or warning), error,
// case-insensitive, or slog's offsets such as "info+2".
func ParseLevel(s string) (slog.Level, error) {
	if strings.EqualFold(s, "warning") {
		return slog.LevelWarn, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, errs.Invalid("log.level", "must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request ID id, which every
// record logged with that context (or one derived from it) will carry.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ContextHandler is a slog.Handler that adds request_id, trace_id and
// span_id from the record's context to each record, at the top level even
// inside groups, so a query for a request ID finds every line of it.
type ContextHandler struct {
	// base is the handler before any WithGroup; ops replays the WithAttrs
	// and WithGroup calls made since, for records that need IDs put in
	// before the first group.
	base    slog.Handler
	ops     []func(slog.Handler) slog.Handler
	grouped bool
	h       slog.Handler // base with ops applied
}

var _ slog.Handler = (*ContextHandler)(nil)

// NewContextHandler wraps h. NewLogger uses it; it is exported for loggers
// built on other handlers.
func NewContextHandler(h slog.Handler) *ContextHandler {
	return &ContextHandler{base: h, h: h}
}

// Enabled implements slog.Handler.
func (c *ContextHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return c.h.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (c *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	var ids [3]slog.Attr
	n := 0
	if ctx != nil {
		if id := RequestID(ctx); id != "" {
			ids[n] = slog.String(RequestIDKey, id)
			n++
		}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			ids[n] = slog.String(TraceIDKey, sc.TraceID().String())
			ids[n+1] = slog.String(SpanIDKey, sc.SpanID().String())
			n += 2
		}
	}
	if n == 0 {
		return c.h.Handle(ctx, r)
	}
	if !c.grouped {
		r.AddAttrs(ids[:n]...)
		return c.h.Handle(ctx, r)
	}
	// Attributes added to the record would land in the open group; rebuild
	// the chain with the IDs in front of it instead. Grouped loggers are
	// rare, so the cost stays off the common path.
	h := c.base.WithAttrs(ids[:n])
	for _, op := range c.ops {
		h = op(h)
	}
	return h.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (c *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return c
	}
	return c.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) }, false)
}

// WithGroup implements slog.Handler.
func (c *ContextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return c
	}
	return c.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) }, true)
}

func (c *ContextHandler) with(op func(slog.Handler) slog.Handler, group bool) *ContextHandler {
	if !c.grouped && !group {
		// Before any group, attributes can go straight into the base.
		b := op(c.base)
		return &ContextHandler{base: b, h: b}
	}
	ops := make([]func(slog.Handler) slog.Handler, len(c.ops), len(c.ops)+1)
	copy(ops, c.ops)
	return &ContextHandler{base: c.base, ops: append(ops, op), grouped: true, h: op(c.h)}
}

// Named is the logger a platform module logs through: log, injected by its
// options, or when nil the process's default logger as it is when the
// module is built (cmd/cdlc makes that the configured one), with the
// module's name in every line.
func Named(log *slog.Logger, module string) *slog.Logger {
	if log == nil {
		log = slog.Default()
	}
	return log.With("module", module)
}
