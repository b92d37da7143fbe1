package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// The tracing tests are not parallel: SetupTracing sets process globals.

func resetGlobals(t testing.TB) {
	t.Helper()
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
}

func TestTracingConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       telemetry.TracingConfig
		wantField string
	}{
		{"zero value is off and valid", telemetry.TracingConfig{}, ""},
		{"enabled", telemetry.TracingConfig{Enabled: true, OTLPEndpoint: "http://collector:4318", SampleRatio: 0.1}, ""},
		{"https with path", telemetry.TracingConfig{OTLPEndpoint: "https://otlp.example.com/otlp/v1/traces", SampleRatio: 1}, ""},
		{"ratio above one", telemetry.TracingConfig{SampleRatio: 1.5}, "tracing.sample_ratio"},
		{"negative ratio", telemetry.TracingConfig{SampleRatio: -0.1}, "tracing.sample_ratio"},
		{"endpoint without scheme", telemetry.TracingConfig{OTLPEndpoint: "collector:4318"}, "tracing.otlp_endpoint"},
		{"grpc scheme", telemetry.TracingConfig{OTLPEndpoint: "grpc://collector:4317"}, "tracing.otlp_endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, errs.KindInvalid, errs.KindOf(err))
			require.Equal(t, tt.wantField, errs.FieldOf(err))
		})
	}
}

func TestSetupTracingRejectsBadConfig(t *testing.T) {
	resetGlobals(t)
	_, err := telemetry.SetupTracing(context.Background(), telemetry.TracingConfig{Enabled: true, SampleRatio: 2})
	require.Equal(t, "tracing.sample_ratio", errs.FieldOf(err))
}

func TestTracingDisabledPropagatesTraceContext(t *testing.T) {
	resetGlobals(t)
	shutdown, err := telemetry.SetupTracing(context.Background(), telemetry.TracingConfig{})
	require.NoError(t, err)

	// A request arrives with a traceparent from another system.
	in := http.Header{}
	in.Set("traceparent", "00-"+testTraceID.String()+"-"+testSpanID.String()+"-01")
	ctx := otel.GetTextMapPropagator().Extract(context.Background(), propagation.HeaderCarrier(in))

	ctx, span := otel.Tracer("test").Start(ctx, "handle")
	require.False(t, span.IsRecording(), "nothing is recorded while tracing is off")
	require.Equal(t, testTraceID, span.SpanContext().TraceID(), "the incoming trace goes on")
	span.End()

	// ...to the logs...
	buf := &bytesBuffer{}
	telemetry.NewLogger(buf, telemetry.LogOptions{}).InfoContext(ctx, "handled")
	require.Contains(t, buf.String(), testTraceID.String())

	// ...and to outgoing calls.
	out := http.Header{}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(out))
	require.Contains(t, out.Get("traceparent"), testTraceID.String())

	require.NoError(t, shutdown(context.Background()))
}

// otlpSink is an OTLP/HTTP collector that keeps what it receives.
type otlpSink struct {
	mu       sync.Mutex
	spans    []string
	services []string
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				s.services = append(s.services, a.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				s.spans = append(s.spans, sp.GetName())
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	_, _ = w.Write(resp)
}

func (s *otlpSink) received() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.spans...), append([]string(nil), s.services...)
}

func TestTracingEnabledExportsSpans(t *testing.T) {
	resetGlobals(t)
	sink := &otlpSink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)

	shutdown, err := telemetry.SetupTracing(context.Background(), telemetry.TracingConfig{
		Enabled: true, OTLPEndpoint: srv.URL, SampleRatio: 1, ServiceName: "cdlc-test",
	})
	require.NoError(t, err)

	ctx, span := otel.Tracer("test").Start(context.Background(), "checkout")
	require.True(t, span.IsRecording())
	buf := &bytesBuffer{}
	telemetry.NewLogger(buf, telemetry.LogOptions{}).InfoContext(ctx, "in span")
	require.Contains(t, buf.String(), span.SpanContext().TraceID().String())
	span.End()

	// Shutdown flushes the batch.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, shutdown(ctx))
	require.Eventually(t, func() bool {
		spans, _ := sink.received()
		return len(spans) > 0
	}, 10*time.Second, 10*time.Millisecond)
	spans, services := sink.received()
	require.Equal(t, []string{"checkout"}, spans)
	require.Equal(t, []string{"cdlc-test"}, services)
}

func TestTracingSampleRatio(t *testing.T) {
	resetGlobals(t)
	srv := httptest.NewServer(&otlpSink{})
	t.Cleanup(srv.Close)
	shutdown, err := telemetry.SetupTracing(context.Background(), telemetry.TracingConfig{
		Enabled: true, OTLPEndpoint: srv.URL, SampleRatio: 0,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, shutdown(context.Background())) })

	tests := []struct {
		name   string
		parent trace.TraceFlags
		remote bool
		want   bool
	}{
		{"new trace at ratio 0", 0, false, false},
		{"sampled parent is followed", trace.FlagsSampled, true, true},
		{"unsampled parent is followed", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.remote {
				ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
					TraceID: testTraceID, SpanID: testSpanID, TraceFlags: tt.parent, Remote: true,
				}))
			}
			_, span := otel.Tracer("test").Start(ctx, "op")
			defer span.End()
			require.Equal(t, tt.want, span.IsRecording())
		})
	}
}
