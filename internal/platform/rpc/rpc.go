// Package rpc is the platform's gRPC layer, on connect-go: one mapping from
// the errs vocabulary to gRPC codes and back, and the options every server
// and client shares. connect-go serves gRPC, gRPC-Web and Connect from plain
// net/http handlers, so services mount their gRPC endpoints on the same mux
// and port as their REST API, behind the same middleware.
package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

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
// code. Internal errors keep their cause out of the message.
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
	return connect.NewError(code(k), err)
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
	return &errs.Error{Kind: kind(ce.Code()), Detail: ce.Message()}
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
