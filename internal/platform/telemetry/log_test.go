package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

var (
	testTraceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	testSpanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

func withSpan(ctx context.Context) context.Context {
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: testTraceID, SpanID: testSpanID, TraceFlags: trace.FlagsSampled,
	}))
}

// lines decodes buf as JSON lines.
func lines(t testing.TB, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "line %q", l)
		out = append(out, m)
	}
	return out
}

func TestLoggerAddsContextIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ctx     context.Context
		logger  func(*slog.Logger) *slog.Logger
		want    map[string]any
		wantNot []string
	}{
		{
			name:    "no ids",
			ctx:     context.Background(),
			wantNot: []string{"request_id", "trace_id", "span_id"},
		},
		{
			name:    "request id",
			ctx:     telemetry.WithRequestID(context.Background(), "req-1"),
			want:    map[string]any{"request_id": "req-1"},
			wantNot: []string{"trace_id", "span_id"},
		},
		{
			name: "span",
			ctx:  withSpan(context.Background()),
			want: map[string]any{"trace_id": testTraceID.String(), "span_id": testSpanID.String()},
		},
		{
			name: "both",
			ctx:  withSpan(telemetry.WithRequestID(context.Background(), "req-2")),
			want: map[string]any{"request_id": "req-2", "trace_id": testTraceID.String(), "span_id": testSpanID.String()},
		},
		{
			name:   "with attrs",
			ctx:    telemetry.WithRequestID(context.Background(), "req-3"),
			logger: func(l *slog.Logger) *slog.Logger { return l.With("service", "inventory") },
			want:   map[string]any{"request_id": "req-3", "service": "inventory"},
		},
		{
			name: "ids stay top level inside groups",
			ctx:  withSpan(telemetry.WithRequestID(context.Background(), "req-4")),
			logger: func(l *slog.Logger) *slog.Logger {
				return l.With("service", "booking").WithGroup("hold").With("seat", "A1")
			},
			want: map[string]any{
				"request_id": "req-4", "trace_id": testTraceID.String(), "service": "booking",
				"hold": map[string]any{"seat": "A1", "n": float64(1)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l := telemetry.NewLogger(&buf, telemetry.LogOptions{})
			if tt.logger != nil {
				l = tt.logger(l)
			}
			l.InfoContext(tt.ctx, "hello", "n", 1)
			got := lines(t, &buf)
			require.Len(t, got, 1)
			for k, v := range tt.want {
				require.Equal(t, v, got[0][k], "key %q in %v", k, got[0])
			}
			for _, k := range tt.wantNot {
				require.NotContains(t, got[0], k)
			}
		})
	}
}

func TestLoggerTextFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := telemetry.NewLogger(&buf, telemetry.LogOptions{Format: telemetry.FormatText})
	l.InfoContext(withSpan(telemetry.WithRequestID(context.Background(), "req-5")), "hello")
	require.Contains(t, buf.String(), "request_id=req-5")
	require.Contains(t, buf.String(), "trace_id="+testTraceID.String())
	require.Contains(t, buf.String(), "msg=hello")
}

func TestLoggerLevelChangesLive(t *testing.T) {
	t.Parallel()
	var level slog.LevelVar // Info
	var buf bytes.Buffer
	l := telemetry.NewLogger(&buf, telemetry.LogOptions{Level: &level})
	steps := []struct {
		set     slog.Level
		logAt   slog.Level
		written bool
	}{
		{slog.LevelInfo, slog.LevelDebug, false},
		{slog.LevelInfo, slog.LevelInfo, true},
		{slog.LevelDebug, slog.LevelDebug, true},
		{slog.LevelError, slog.LevelWarn, false},
		{slog.LevelError, slog.LevelError, true},
	}
	for i, s := range steps {
		buf.Reset()
		level.Set(s.set)
		l.Log(context.Background(), s.logAt, "step")
		require.Equal(t, s.written, buf.Len() > 0, "step %d: level %s, logged at %s", i, s.set, s.logAt)
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"debug", slog.LevelDebug, false},
		{"INFO", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"Warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"info+2", slog.LevelInfo + 2, false},
		{"", 0, true},
		{"verbose", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := telemetry.ParseLevel(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				require.Equal(t, "log.level", errs.FieldOf(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLogOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"", "json", "text"} {
		require.NoError(t, telemetry.LogOptions{Format: f}.Validate())
	}
	err := telemetry.LogOptions{Format: "xml"}.Validate()
	require.Equal(t, "log.format", errs.FieldOf(err))
}

// TestContextHandlerConformance runs the standard library's handler checks,
// which catch the subtle mistakes (groups, empty attrs, WithAttrs
// ordering) a wrapping handler is prone to.
func TestContextHandlerConformance(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return telemetry.NewContextHandler(slog.NewJSONHandler(&buf, nil))
	}, func(t *testing.T) map[string]any {
		got := lines(t, &buf)
		require.Len(t, got, 1)
		return got[0]
	})
}
