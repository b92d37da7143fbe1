// Package rpctest is what the services' contract suites share: each suite
// runs a service's Go interface in process and over gRPC (connect-go), and
// a caller must not be able to tell the two apart. It gives the suites the
// transports to run over, a check that their fixtures fill every field (so
// a transport that drops a field fails the suite, and a field added later
// cannot be forgotten), and the errors to send across the wire.
package rpctest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// RequireFilled fails t when any exported field reachable from v (through
// structs, pointers, slices, arrays and maps) is at its zero value: an
// empty string, a zero number, false, a zero time, a nil pointer or an
// empty slice or map. Fixtures of a contract suite pass it, so that every
// field is seen to cross the transport.
func RequireFilled(t testing.TB, v any) {
	t.Helper()
	if empty := Empty(v); len(empty) > 0 {
		t.Fatalf("the fixture leaves fields at their zero value, so a transport could drop them unnoticed; fill them: %s", strings.Join(empty, ", "))
	}
}

var timeType = reflect.TypeFor[time.Time]()

// Empty lists the paths of the zero-valued fields reachable from v (see
// RequireFilled), sorted.
func Empty(v any) []string {
	var out []string
	if v == nil {
		return []string{"<nil>"}
	}
	walk(reflect.ValueOf(v), reflect.TypeOf(v).String(), &out)
	slices.Sort(out)
	return out
}

func walk(v reflect.Value, path string, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			*out = append(*out, path)
			return
		}
		walk(v.Elem(), path, out)
	case reflect.Struct:
		if v.Type() == timeType {
			if v.Interface().(time.Time).IsZero() {
				*out = append(*out, path)
			}
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				walk(v.Field(i), path+"."+f.Name, out)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			*out = append(*out, path)
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if v.Len() == 0 {
			*out = append(*out, path)
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			walk(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key()), out)
		}
	default:
		if v.IsZero() {
			*out = append(*out, path)
		}
	}
}

// Conn is how a client reaches a served handler.
type Conn struct {
	HTTP    connect.HTTPClient
	URL     string
	Options []connect.ClientOption
}

// Transport is one way services reach each other over the network.
type Transport struct {
	Name string
	// Serve mounts handler at path on a real listener for the length of
	// the test and returns how a client reaches it.
	Serve func(t testing.TB, path string, handler http.Handler) Conn
}

// Transports are the ways a suite reaches a service over the network:
// the Connect protocol over HTTP/1.1, as the platform's peers call each
// other, and the gRPC protocol over HTTP/2. Both go through a peer's
// client interceptor (rpc.Peer), as every call to a peer does, with one
// attempt per call and a breaker that does not open, so that every error
// the suite sends comes back as it went.
func Transports() []Transport {
	return []Transport{
		{Name: "connect", Serve: func(t testing.TB, path string, h http.Handler) Conn {
			srv := serve(t, path, h, false)
			return Conn{HTTP: srv.Client(), URL: srv.URL, Options: peerOptions()}
		}},
		{Name: "grpc", Serve: func(t testing.TB, path string, h http.Handler) Conn {
			srv := serve(t, path, h, true)
			return Conn{HTTP: srv.Client(), URL: srv.URL, Options: append(peerOptions(), connect.WithGRPC())}
		}},
	}
}

func serve(t testing.TB, path string, h http.Handler, http2 bool) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := httptest.NewUnstartedServer(mux)
	if http2 {
		// gRPC needs HTTP/2; httptest's TLS server and its client speak it.
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func peerOptions() []connect.ClientOption {
	cfg := rpc.DefaultClientConfig()
	cfg.Attempts, cfg.BreakerFailures = 1, 1<<30
	return rpc.NewPeer("contract", cfg, nil).ClientOptions()
}

// Errors are one error of each kind of the errs vocabulary, as a service
// returns them: a suite makes the service return each and checks that the
// caller gets the same (RequireSameError), in process and over the wire.
func Errors() []error {
	return []error{
		errs.NotFound("title %s", "tt0000001"),
		errs.Invalid("body.credits[2].job", "must not be empty"),
		errs.Conflict("version 3 is not the current one"),
		errs.Unavailable(errors.New("dial tcp 127.0.0.1:3306: connection refused"), "read people"),
		errs.Unauthorized("token expired"),
		errs.Forbidden("needs scope catalog:write"),
		errs.E(errs.KindTooMany, "slow down"),
		errs.E(errs.KindInternal, "a bug"),
	}
}

// RequireSameError fails unless got is classified as want is: the same
// kind, the same field and the same message. Internal errors keep their
// cause to themselves, so for them the kind alone must match.
func RequireSameError(t testing.TB, want, got error) {
	t.Helper()
	if got == nil {
		t.Fatalf("want the error %q (%s), got none", want, errs.KindOf(want))
	}
	if k := errs.KindOf(want); k != errs.KindOf(got) {
		t.Fatalf("want an error of kind %s (%q), got kind %s: %q", k, want, errs.KindOf(got), got)
	}
	if errs.KindOf(want) == errs.KindInternal {
		return
	}
	if errs.FieldOf(want) != errs.FieldOf(got) {
		t.Fatalf("want an error naming the field %q (%q), got field %q: %q", errs.FieldOf(want), want, errs.FieldOf(got), got)
	}
	if want.Error() != got.Error() {
		t.Fatalf("want the message %q, got %q", want.Error(), got.Error())
	}
}

// RequireInvalid fails t unless err is Invalid and names field.
func RequireInvalid(t testing.TB, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an invalid error naming %q, got none", field)
	}
	if errs.KindOf(err) != errs.KindInvalid || errs.FieldOf(err) != field {
		t.Fatalf("want an invalid error naming %q, got kind %s naming %q: %v", field, errs.KindOf(err), errs.FieldOf(err), err)
	}
}
