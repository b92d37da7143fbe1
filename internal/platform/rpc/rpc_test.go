package rpc_test

import (
	"errors"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

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
