// Package rpc is the platform's gRPC layer, on connect-go: one mapping from
// the errs vocabulary to gRPC codes and back, and the options every server
// and client shares. connect-go serves gRPC, gRPC-Web and Connect from plain
// net/http handlers, so services mount their gRPC endpoints on the same mux
// and port as their REST API, behind the same middleware.
package rpc

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"
	// errdetails.BadRequest is gRPC's standard error detail for a bad
	// field: any gRPC client (grpcurl, another language) reads it.
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// code is the one mapping from the error vocabulary to gRPC codes.
func code(k errs.Kind) connect.Code {
	switch k {
	case errs.KindInvalid:
		return connect.CodeInvalidArgument
	case errs.KindNotFound:
		return connect.CodeNotFound
	case errs.KindConflict:
		return connect.CodeAborted
	case errs.KindPrecondition:
		return connect.CodeFailedPrecondition
	case errs.KindUnauthorized:
		return connect.CodeUnauthenticated
	case errs.KindForbidden:
		return connect.CodePermissionDenied
	case errs.KindUnavailable:
		return connect.CodeUnavailable
	case errs.KindTooMany:
		return connect.CodeResourceExhausted
	default:
		return connect.CodeInternal
	}
}

func kind(c connect.Code) errs.Kind {
	switch c {
	case connect.CodeInvalidArgument, connect.CodeOutOfRange:
		return errs.KindInvalid
	case connect.CodeFailedPrecondition:
		return errs.KindPrecondition
	case connect.CodeNotFound:
		return errs.KindNotFound
	case connect.CodeAborted, connect.CodeAlreadyExists:
		return errs.KindConflict
	case connect.CodeUnauthenticated:
		return errs.KindUnauthorized
	case connect.CodePermissionDenied:
		return errs.KindForbidden
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeCanceled:
		return errs.KindUnavailable
	case connect.CodeResourceExhausted:
		return errs.KindTooMany
	default:
		return errs.KindInternal
	}
}

// ToConnect turns a service error into a connect error with the matching
// code. Internal errors keep their cause out of the message. The field an
// Invalid error names travels as a google.rpc.BadRequest detail, so the
// caller's error names it too.
func ToConnect(err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	k := errs.KindOf(err)
	if k == errs.KindInternal {
		// A handler cut short because its caller went away or ran out of
		// time says so, rather than looking like the server's failure.
		switch {
		case errors.Is(err, context.Canceled):
			return connect.NewError(connect.CodeCanceled, context.Canceled)
		case errors.Is(err, context.DeadlineExceeded):
			return connect.NewError(connect.CodeDeadlineExceeded, context.DeadlineExceeded)
		}
		return connect.NewError(connect.CodeInternal, errors.New("internal error"))
	}
	out := connect.NewError(code(k), err)
	if field := errs.FieldOf(err); field != "" {
		var e *errs.Error
		errors.As(err, &e)
		d, derr := connect.NewErrorDetail(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: field, Description: e.Detail},
		}})
		if derr == nil {
			out.AddDetail(d)
		}
	}
	return out
}

// FromConnect turns an error from a connect client back into the
// vocabulary, so a caller handles a remote failure as it would a local one.
// An error already in the vocabulary (from the Peer interceptor) comes
// back as it is.
func FromConnect(err error) error {
	if err == nil || isClassified(err) {
		return err
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return errs.Unavailable(err, "remote call")
	}
	out := &errs.Error{Kind: kind(ce.Code()), Detail: ce.Message()}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		br, ok := v.(*errdetails.BadRequest)
		if derr != nil || !ok || len(br.GetFieldViolations()) == 0 {
			continue
		}
		// The message is the server's "field: detail"; the field goes
		// back where it came from.
		out.Field = br.GetFieldViolations()[0].GetField()
		out.Detail = strings.TrimPrefix(out.Detail, out.Field+": ")
		break
	}
	return out
}

// ErrorInterceptor maps every handler's error with ToConnect, so service
// code returns errs errors and never builds connect errors itself.
func ErrorInterceptor() connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			res, err := next(ctx, req)
			return res, ToConnect(err)
		}
	})
}

// HandlerOptions are the options every gRPC handler is built with.
func HandlerOptions() []connect.HandlerOption {
	return []connect.HandlerOption{connect.WithInterceptors(ErrorInterceptor())}
}
