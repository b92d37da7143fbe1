package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func TestMiddlewareAndRequire(t *testing.T) {
	var v auth.StaticTokens
	v.Add("s3cret", auth.Principal{Subject: "admin", Scopes: []string{"config:read"}})
	v.Add("", auth.Principal{Subject: "nobody"})
	var got error
	h := auth.Middleware(&v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got = auth.Require(r.Context(), "config:read")
	}))
	cases := []struct {
		header string
		status int
		kind   errs.Kind
	}{
		{"", 200, errs.KindUnauthorized},
		{"Bearer s3cret", 200, ""},
		{"Bearer wrong", 401, ""},
		{"Bearer ", 401, ""},
		{"Basic s3cret", 401, ""},
	}
	for _, c := range cases {
		got = nil
		req := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, c.status, rec.Code, c.header)
		if c.status == 200 {
			if c.kind == "" {
				require.NoError(t, got)
			} else {
				require.True(t, errs.Is(got, c.kind), c.header)
			}
		} else {
			require.NotContains(t, rec.Body.String(), "s3cret")
		}
	}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Scopes: []string{"config:read"}})
	_, err := auth.Require(ctx, "config:write")
	require.True(t, errs.Is(err, errs.KindForbidden))
}

// Tokens added while others are being verified are safe (run with -race)
// and accepted once added.
func TestStaticTokensAddWhileVerifying(t *testing.T) {
	var v auth.StaticTokens
	v.Add("first", auth.Principal{Subject: "a"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			_, err := v.Verify(context.Background(), "first")
			require.NoError(t, err)
		}
	}()
	for i := 0; i < 200; i++ {
		v.Add(fmt.Sprintf("t%d", i), auth.Principal{Subject: fmt.Sprint(i)})
	}
	<-done
	p, err := v.Verify(context.Background(), "t199")
	require.NoError(t, err)
	require.Equal(t, "199", p.Subject)
}
