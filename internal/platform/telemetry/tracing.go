package telemetry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// DefaultServiceName names the process in traces when ServiceName is empty.
const DefaultServiceName = "cdlc"

// TracingConfig configures tracing. The zero value turns it off.
type TracingConfig struct {
	// Enabled turns on span recording and export.
	Enabled bool `koanf:"enabled"`
	// OTLPEndpoint is the collector's OTLP/HTTP URL, e.g.
	// "http://otel-collector:4318" (the path defaults to /v1/traces).
	// Empty means the OTEL_EXPORTER_OTLP_* environment variables, then
	// http://localhost:4318.
	OTLPEndpoint string `koanf:"otlp_endpoint"`
	// SampleRatio is the fraction of new traces recorded, in [0, 1]. A span
	// whose parent was sampled (by an upstream service) is always recorded,
	// one whose parent was not never is, so a trace is whole or absent.
	SampleRatio float64 `koanf:"sample_ratio"`
	// ServiceName is service.name in the traces; empty means
	// DefaultServiceName. A process serving several targets might use
	// "cdlc-inventory" or the target list.
	ServiceName string `koanf:"service_name"`
}

// Validate reports the first bad setting, naming its key under "tracing.".
// Settings that only matter when tracing is on are checked anyway, so a bad
// value is found before someone turns tracing on in an incident.
func (c TracingConfig) Validate() error {
	if math.IsNaN(c.SampleRatio) || c.SampleRatio < 0 || c.SampleRatio > 1 {
		return errs.Invalid("tracing.sample_ratio", "must be between 0 and 1, got %v", c.SampleRatio)
	}
	if c.OTLPEndpoint != "" {
		u, err := url.Parse(c.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Invalid("tracing.otlp_endpoint", "must be an http(s) URL such as http://otel-collector:4318, got %q", c.OTLPEndpoint)
		}
	}
	return nil
}

// SetupTracing installs the process-wide tracer provider and propagator
// (otel.SetTracerProvider, otel.SetTextMapPropagator) and returns the
// function that flushes and stops them at shutdown.
//
// The W3C trace-context and baggage propagator is installed even when
// tracing is off: the no-op tracer then hands incoming trace IDs on to
// outgoing calls and to the logs, so a trace started at the edge by another
// system can still be followed through cdlc's logs.
//
// It does no I/O: an unreachable collector shows up as export errors
// (reported through otel's error handler), never as a failure to start.
func SetupTracing(ctx context.Context, cfg TracingConfig) (shutdown func(context.Context) error, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{},
	))
	if !cfg.Enabled {
		otel.SetTracerProvider(noop.NewTracerProvider())
		return func(context.Context) error { return nil }, nil
	}

	var opts []otlptracehttp.Option
	if cfg.OTLPEndpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(tracesURL(cfg.OTLPEndpoint)))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	// Later options win: our default, then OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES, then the name set in cdlc's own configuration.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(DefaultServiceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithAttributes(serviceNameAttrs(cfg.ServiceName)...),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		// A partial resource (some detector failed) is still worth
		// exporting with; only a resource we could not build at all stops.
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

func serviceNameAttrs(name string) []attribute.KeyValue {
	if name == "" {
		return nil
	}
	return []attribute.KeyValue{semconv.ServiceName(name)}
}

// tracesURL adds the standard OTLP traces path to an endpoint given as a
// base URL, because the exporter takes a URL's path as is.
func tracesURL(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || strings.Trim(u.Path, "/") != "" {
		return endpoint
	}
	u.Path = "/v1/traces"
	return u.String()
}
