package rpc_test

import (
	"errors"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

func TestErrorsRoundTrip(t *testing.T) {
	for _, k := range []errs.Kind{errs.KindInvalid, errs.KindNotFound, errs.KindConflict, errs.KindPrecondition, errs.KindUnauthorized, errs.KindForbidden, errs.KindUnavailable, errs.KindTooMany} {
		err := rpc.FromConnect(rpc.ToConnect(errs.E(k, "boom")))
		require.Equal(t, k, errs.KindOf(err), k)
		require.Contains(t, err.Error(), "boom")
	}
	internal := rpc.ToConnect(errors.New("password=hunter2"))
	require.Equal(t, connect.CodeInternal, connect.CodeOf(internal))
	require.NotContains(t, internal.Error(), "hunter2")
	require.True(t, errs.Is(rpc.FromConnect(errors.New("dial tcp: refused")), errs.KindUnavailable))
	require.NoError(t, rpc.ToConnect(nil))
}

// An Invalid error keeps the field it names, as a google.rpc.BadRequest
// detail any gRPC client can read, and its message is not doubled.
func TestInvalidKeepsItsField(t *testing.T) {
	want := errs.Invalid("query.ids", "at most %d ids", 100)
	var sent *connect.Error
	require.ErrorAs(t, rpc.ToConnect(want), &sent)
	require.Len(t, sent.Details(), 1)
	v, err := sent.Details()[0].Value()
	require.NoError(t, err)
	require.Equal(t, "query.ids", v.(*errdetails.BadRequest).GetFieldViolations()[0].GetField())

	// What the client reads: the code, the message and the details.
	received := connect.NewWireError(sent.Code(), errors.New(sent.Message()))
	received.AddDetail(sent.Details()[0])
	got := rpc.FromConnect(received)
	require.Equal(t, errs.KindInvalid, errs.KindOf(got))
	require.Equal(t, "query.ids", errs.FieldOf(got))
	require.Equal(t, want.Error(), got.Error())
}
