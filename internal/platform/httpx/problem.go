package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"unicode"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail, the body of every error response.
// Type is a URN naming the error's kind (urn:cdlc:problem:not_found);
// Errors lists the inputs at fault, each with its location
// (query.limit, body.name, header.If-Match).
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []*huma.ErrorDetail `json:"errors,omitempty"`
	// RetryAfter, in seconds, becomes the Retry-After header when set.
	RetryAfter int `json:"-"`
}

// Error makes a Problem an error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus reports the HTTP status (huma.StatusError).
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send problems as application/problem+json.
func (p *Problem) ContentType(string) string { return ProblemContentType }

// GetHeaders adds Retry-After when the problem says when to come back.
func (p *Problem) GetHeaders() http.Header {
	if p.RetryAfter <= 0 {
		return nil
	}
	return http.Header{"Retry-After": []string{itoa(p.RetryAfter)}}
}

var _ huma.StatusError = (*Problem)(nil)

// statusOf is the one mapping from the error vocabulary to HTTP.
func statusOf(k errs.Kind) int {
	switch k {
	case errs.KindInvalid:
		return http.StatusBadRequest
	case errs.KindNotFound:
		return http.StatusNotFound
	case errs.KindConflict:
		return http.StatusConflict
	case errs.KindPrecondition:
		return http.StatusPreconditionFailed
	case errs.KindUnauthorized:
		return http.StatusUnauthorized
	case errs.KindForbidden:
		return http.StatusForbidden
	case errs.KindUnavailable:
		return http.StatusServiceUnavailable
	case errs.KindTooMany:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

func kindOfStatus(status int) errs.Kind {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed, http.StatusNotAcceptable:
		return errs.KindInvalid
	case http.StatusNotFound:
		return errs.KindNotFound
	case http.StatusConflict:
		return errs.KindConflict
	case http.StatusPreconditionFailed:
		return errs.KindPrecondition
	case http.StatusUnauthorized:
		return errs.KindUnauthorized
	case http.StatusForbidden:
		return errs.KindForbidden
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return errs.KindUnavailable
	case http.StatusTooManyRequests:
		return errs.KindTooMany
	}
	return errs.KindInternal
}

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before the answer was ready (nginx's 499). Nobody reads
// the answer; the status is for logs and metrics, so that a hang-up is
// told apart from a failure of the server.
const StatusClientClosedRequest = 499

// ClientGone reports whether the request whose context is ctx was
// cancelled by its client (the connection closed or the stream reset):
// then whatever failed after that is the client's doing, not the server's.
// A deadline that expired is not a cancellation.
func ClientGone(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// ProblemFrom turns any error into the problem to send. Classified errors
// keep their detail; anything else is an internal error whose detail is
// hidden from the caller (and logged by the caller of ProblemFrom). A
// failure of a request its client cancelled is a 499 (client closed
// request), never a 5xx: a handler's store or peer call fails with
// context.Canceled when the client hangs up, and that says nothing about
// the server.
func ProblemFrom(ctx context.Context, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		if p.Status >= 500 && ClientGone(ctx) {
			return clientClosed(ctx)
		}
		return p
	}
	if ClientGone(ctx) && (errors.Is(err, context.Canceled) || statusOf(errs.KindOf(err)) >= 500) {
		return clientClosed(ctx)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		return newProblem(ctx, http.StatusInternalServerError, "the server failed to handle the request; quote the request id when reporting it")
	}
	status := statusOf(e.Kind)
	detail := err.Error()
	if status == http.StatusInternalServerError {
		detail = "the server failed to handle the request; quote the request id when reporting it"
	}
	p = newProblem(ctx, status, detail)
	if e.Field != "" {
		p.Errors = []*huma.ErrorDetail{{Location: e.Field, Message: e.Detail}}
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		p.RetryAfter = 1
		// An open circuit breaker knows when it lets a call through again.
		if d, ok := resilience.RetryAfter(err); ok {
			p.RetryAfter = max(1, int(math.Ceil(d.Seconds())))
		}
	}
	return p
}

// clientClosed is the problem recorded for a request its client cancelled.
func clientClosed(ctx context.Context) *Problem {
	return &Problem{
		Type: "urn:cdlc:problem:canceled", Title: "Client Closed Request", Status: StatusClientClosedRequest,
		Detail: "the client closed the request before the answer was ready", RequestID: telemetry.RequestID(ctx),
	}
}

func newProblem(ctx context.Context, status int, detail string) *Problem {
	typ := "urn:cdlc:problem:" + string(kindOfStatus(status))
	switch status {
	case http.StatusRequestTimeout:
		// The client was too slow to send its request: its doing, not an
		// internal failure.
		typ = "urn:cdlc:problem:request_timeout"
	case http.StatusMethodNotAllowed:
		typ = "urn:cdlc:problem:method_not_allowed"
	}
	return &Problem{
		Type:      typ,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		RequestID: telemetry.RequestID(ctx),
	}
}

// WriteProblem writes err as a problem+json response; internal errors are
// logged with the request's context.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFrom(r.Context(), err)
	if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
		loggerFrom(r.Context()).ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p.Instance = r.URL.Path
	p.clip()
	for k, v := range p.GetHeaders() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func init() {
	// Every error huma writes (validation, handler errors, unknown content
	// types) becomes our Problem, so the wire shape is the same everywhere.
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errList ...error) huma.StatusError {
		ctx := context.Background()
		var path string
		if hctx != nil {
			ctx = hctx.Context()
			path = hctx.URL().Path
		}
		if status == http.StatusInternalServerError && len(errList) == 1 {
			err := errList[0]
			p := ProblemFrom(ctx, err)
			if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
				loggerFrom(ctx).ErrorContext(ctx, "request failed", "path", path, "err", err)
			}
			p.Instance = path
			p.clip()
			if hctx != nil {
				// huma sends the headers of the handler's own error only;
				// this one's (Retry-After) are set here.
				for k, v := range p.GetHeaders() {
					for _, x := range v {
						hctx.SetHeader(k, x)
					}
				}
			}
			return p
		}
		if status == http.StatusUnprocessableEntity {
			// Input that fails the schema is a bad request like any other;
			// one status for "your input is wrong" keeps clients simple.
			status = http.StatusBadRequest
		}
		p := newProblem(ctx, status, msg)
		p.Instance = path
		for _, e := range errList {
			if e == nil {
				continue
			}
			var d huma.ErrorDetailer
			if errors.As(e, &d) {
				p.Errors = append(p.Errors, d.ErrorDetail())
			} else {
				p.Errors = append(p.Errors, &huma.ErrorDetail{Message: e.Error()})
			}
		}
		if len(p.Errors) > 0 && (p.Detail == "" || p.Detail == "validation failed") {
			p.Detail = describeDetails(p.Errors)
		}
		p.clip()
		return p
	}
	huma.NewError = func(status int, msg string, errList ...error) huma.StatusError {
		return huma.NewErrorWithContext(nil, status, msg, errList...)
	}
}

// MaxEcho is the most characters of one word of the caller's input (an
// id, a value) a problem repeats back; longer ones are cut with an
// ellipsis, so a 70,000-character id does not come back twice in a
// 140 KB answer.
const MaxEcho = 100

// clip cuts every long word in what the problem echoes: detail, instance,
// the messages and string values of its errors.
func (p *Problem) clip() {
	p.Detail, p.Instance = clipWords(p.Detail), clipWords(p.Instance)
	for _, d := range p.Errors {
		d.Message = clipWords(d.Message)
		if s, ok := d.Value.(string); ok {
			d.Value = clipWords(s)
		}
	}
}

// clipWords cuts each run of non-space characters longer than MaxEcho
// characters to MaxEcho, marking the cut with "…".
func clipWords(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	var b strings.Builder
	run := 0
	for _, c := range s {
		if unicode.IsSpace(c) {
			run = 0
		} else if run++; run > MaxEcho {
			if run == MaxEcho+1 {
				b.WriteRune('…')
			}
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// describeDetails makes one readable sentence of validation errors, so a
// caller that only shows detail still learns what was wrong.
func describeDetails(ds []*huma.ErrorDetail) string {
	out := ""
	for i, d := range ds {
		if i > 0 {
			out += "; "
		}
		if d.Location != "" {
			out += d.Location + ": "
		}
		out += d.Message
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
