package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// newTransport is the connection pool to remote upstreams, shared by all of
// them: keep-alive connections sized for a busy edge (the default of two
// idle connections per host would make most requests dial), short dial and
// TLS handshake timeouts, and no compression (bodies pass through as the
// upstream sent them).
func newTransport(cfg Config) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          cfg.MaxIdleConnsPerHost * 8,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
}

var traceContext = propagation.TraceContext{}

// newProxy makes the reverse proxy to one upstream's base URL.
func newProxy(base string, u *upstream, t http.RoundTripper, cfg Config) (http.Handler, error) {
	target, err := url.Parse(base)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, errors.New("must be an http(s) base URL")
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Rewrite dropped the X-Forwarded-* headers; those still on the
			// inbound request came from a trusted proxy (sanitize removed
			// the rest), so the chain goes on with this hop appended.
			if xff := pr.In.Header["X-Forwarded-For"]; len(xff) > 0 {
				pr.Out.Header["X-Forwarded-For"] = xff
			}
			pr.SetXForwarded()
			if proto := pr.In.Header.Get("X-Forwarded-Proto"); proto != "" {
				pr.Out.Header.Set("X-Forwarded-Proto", proto)
			}
			pr.Out.Header.Set(httpx.RequestIDHeader, telemetry.RequestID(pr.In.Context()))
			// The upstream's spans join the caller's trace.
			traceContext.Inject(pr.In.Context(), propagation.HeaderCarrier(pr.Out.Header))
		},
		Transport: &retryTransport{base: t, breaker: u.breaker, policy: resilience.RetryPolicy{
			Initial: cfg.RetryInitial, Max: 2 * time.Second, MaxAttempts: cfg.RetryAttempts, Retryable: retryableError,
		}},
		ModifyResponse: func(res *http.Response) error {
			dropEdgeHeaders(res)
			return bufferSmallAnswer(res)
		},
		BufferPool: bufferPool{},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeUpstreamError(w, r, u.name, err)
		},
	}, nil
}

// edgeHeaderKey holds, in a proxied request's context, the headers the
// edge has already set on the response.
type edgeHeaderKey struct{}

// dropEdgeHeaders removes from an upstream's answer the headers the edge
// has already set on the response, which the proxy would otherwise add a
// second time: a cdlc service runs the same middleware as the gateway, so
// it echoes the request id the gateway sent and answers CORS again (a
// doubled Access-Control-Allow-Origin makes browsers refuse the answer).
// The edge's copy wins; Vary keeps the upstream's tokens the edge did not
// name.
func dropEdgeHeaders(res *http.Response) {
	edge, _ := res.Request.Context().Value(edgeHeaderKey{}).(http.Header)
	if len(edge) == 0 {
		return
	}
	for k := range res.Header {
		ev, ok := edge[k]
		if !ok {
			continue
		}
		if k == "Vary" {
			if rest := varyWithout(res.Header[k], ev); len(rest) > 0 {
				res.Header[k] = rest
				continue
			}
		}
		delete(res.Header, k)
	}
}

// smallAnswer is the most of an answer of unknown length (chunked) that
// the proxy reads before passing it on.
const smallAnswer = 64 << 10

// bufferSmallAnswer reads an answer of unknown length to its end when it
// is small, and passes it on with its Content-Length. Without a length,
// httputil.ReverseProxy takes the answer for a stream and flushes after
// every read, and the client gets it chunked: more writes on both sides
// for what is most often a JSON document of a few kilobytes (huma writes
// bodies without a length). Server-sent events (text/event-stream, the
// platform's only streams) pass untouched, as does a body that turns out
// longer than smallAnswer: what was read goes first, then the rest as it
// comes.
func bufferSmallAnswer(res *http.Response) error {
	if res.ContentLength != -1 || res.Request.Method == http.MethodHead || len(res.Trailer) > 0 ||
		res.StatusCode == http.StatusNoContent || res.StatusCode == http.StatusNotModified ||
		strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return nil
	}
	bp := answers.Get().(*[]byte)
	buf := *bp
	n, err := io.ReadFull(res.Body, buf)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF: // the whole answer
		res.Body.Close()
		body := &pooledBody{buf: bp}
		body.Reset(buf[:n])
		res.Body = body
		res.ContentLength = int64(n)
		res.Header["Content-Length"] = []string{strconv.Itoa(n)}
	case nil: // longer: a stream after all
		res.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(buf), res.Body), rest: res.Body, buf: bp}
	default:
		answers.Put(bp)
		return err
	}
	return nil
}

var answers = sync.Pool{New: func() any { b := make([]byte, smallAnswer); return &b }}

// pooledBody is a buffered answer; its buffer goes back to the pool on
// Close.
type pooledBody struct {
	bytes.Reader
	buf *[]byte
}

func (b *pooledBody) Close() error {
	if b.buf != nil {
		answers.Put(b.buf)
		b.buf = nil
	}
	return nil
}

// prefixedBody is an answer longer than the buffer: what was read, then
// the rest.
type prefixedBody struct {
	io.Reader
	rest io.ReadCloser
	buf  *[]byte
}

func (b *prefixedBody) Close() error {
	err := b.rest.Close()
	if b.buf != nil {
		answers.Put(b.buf)
		b.buf = nil
	}
	return err
}

// varyWithout returns the Vary values of up without the field names
// already in edge.
func varyWithout(up, edge []string) []string {
	var out []string
	for _, v := range up {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok != "" && !varyHas(edge, tok) && !varyHas(out, tok) {
				out = append(out, tok)
			}
		}
	}
	return out
}

func varyHas(values []string, name string) bool {
	for _, v := range values {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), name) {
				return true
			}
		}
	}
	return false
}

// retryTransport puts each attempt through the upstream's breaker and
// retries idempotent requests. Only GET, HEAD and OPTIONS without a body
// are retried: they change nothing, so a second attempt after a lost answer
// is harmless. PUT and DELETE are idempotent by definition, but a retry
// after a timeout could apply a PUT the caller has since superseded, and
// POST never is; those get one attempt.
type retryTransport struct {
	base    http.RoundTripper
	breaker *resilience.Breaker
	policy  resilience.RetryPolicy
}

// retryableStatus are the answers that say "not now": a gateway or load
// balancer in between, or the service itself, shedding load.
func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// attempt makes one call through the breaker. A 5xx answer comes back as
// the response and as a statusError, so that the breaker counts it and the
// caller still gets it.
func (t *retryTransport) attempt(ctx context.Context, req *http.Request) (res *http.Response, err error) {
	err = t.breaker.Execute(ctx, func(context.Context) error {
		r, err := t.base.RoundTrip(req)
		if err != nil {
			return err
		}
		res = r
		return upstreamFailure(ctx, r.StatusCode)
	})
	return res, err
}

// RoundTrip implements http.RoundTripper. The first attempt runs outside
// the retry loop: most calls succeed and should not pay for its
// bookkeeping.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.attempt(req.Context(), req)
	if err == nil || !idempotent(req) || t.policy.MaxAttempts <= 1 || !retryableError(err) {
		return answer(res, err)
	}
	first := err
	calls := 0
	err = resilience.Retry(req.Context(), t.policy, func(ctx context.Context) error {
		calls++
		if calls == 1 {
			// The attempt already made: the loop waits before the next one.
			return first
		}
		if res != nil {
			// A previous attempt's 5xx: drop it for a fresh answer.
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
		}
		res, err = t.attempt(ctx, req)
		return err
	})
	return answer(res, err)
}

// answer gives the caller the last response, 5xx included, or the error
// when there is none.
func answer(res *http.Response, err error) (*http.Response, error) {
	if res != nil {
		return res, nil
	}
	return nil, err
}

// retryableError says whether another attempt may fare better: a 502, 503
// or 504, or a transport error; not a 500 (the service's own failure), an
// open breaker, or the caller's deadline.
func retryableError(err error) bool {
	var se statusError
	if errors.As(err, &se) {
		return retryableStatus(int(se))
	}
	return resilience.DefaultRetryable(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func idempotent(r *http.Request) bool {
	if no, _ := r.Context().Value(noRetryKey{}).(bool); no {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	}
	return false
}

// bufferPool lends the proxy its copy buffers instead of allocating 32 KiB
// per response.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
