// Package errs is the platform's small error vocabulary. Every service returns
// errors that unwrap to one of these kinds; exactly one function per transport
// (httpx for problem+json, later gRPC and GraphQL) maps a kind to the wire.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind string

// The kinds. Keep the list short: a new kind means a new mapping in every transport.
const (
	KindInternal     Kind = "internal"     // a bug or an unexpected failure; the caller cannot fix it
	KindInvalid      Kind = "invalid"      // the input is wrong; Field names what
	KindNotFound     Kind = "not_found"    // the thing does not exist
	KindConflict     Kind = "conflict"     // the request clashes with the current state (a duplicate, a concurrent write)
	KindPrecondition Kind = "precondition" // a condition the caller set does not hold (If-Match names a version that is no longer current)
	KindUnauthorized Kind = "unauthorized" // no or bad credentials
	KindForbidden    Kind = "forbidden"    // credentials fine, permission missing
	KindUnavailable  Kind = "unavailable"  // a dependency is down; try again later
	KindTooMany      Kind = "too_many"     // rate limited; try again later
)

// Error is a classified error. Field, when set, names the input at fault
// (a query parameter, a JSON pointer, a configuration key).
type Error struct {
	Kind   Kind
	Field  string
	Detail string
	Err    error
}

func (e *Error) Error() string {
	msg := e.Detail
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		if msg == "" {
			return e.Err.Error()
		}
		return msg + ": " + e.Err.Error()
	}
	if msg == "" {
		return string(e.Kind)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// E builds a classified error with a formatted detail.
func E(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input in the named field.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing thing, e.g. NotFound("title %s", id).
func NotFound(format string, args ...any) error { return E(KindNotFound, format+" not found", args...) }

// Conflict reports a clash with the current state.
func Conflict(format string, args ...any) error { return E(KindConflict, format, args...) }

// Precondition reports that a condition the caller attached to the request
// is false, e.g. an If-Match naming a version that has moved on: the
// caller should read again and decide anew (HTTP 412).
func Precondition(format string, args ...any) error { return E(KindPrecondition, format, args...) }

// Unauthorized reports missing or bad credentials.
func Unauthorized(format string, args ...any) error { return E(KindUnauthorized, format, args...) }

// Forbidden reports a missing permission.
func Forbidden(format string, args ...any) error { return E(KindForbidden, format, args...) }

// Unavailable reports a dependency that is down, wrapping the cause.
func Unavailable(err error, format string, args ...any) error {
	return &Error{Kind: KindUnavailable, Detail: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of the first classified error in err's chain, or
// KindInternal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Is reports whether err is classified as kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// FieldOf returns the field named by the first classified error in err's chain.
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
