package secrets_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/secrets"
)

func TestSealerRoundTripAndRotation(t *testing.T) {
	k1, k2 := make([]byte, 32), make([]byte, 32)
	k2[0] = 1
	old, err := secrets.NewSealer(k1)
	require.NoError(t, err)
	sealed := old.Seal("app/prod/db.password", "hunter2")
	require.NotContains(t, sealed, "hunter2")

	rotated, err := secrets.NewSealer(k2, k1)
	require.NoError(t, err)
	plain, err := rotated.Open("app/prod/db.password", sealed)
	require.NoError(t, err)
	require.Equal(t, "hunter2", plain)

	_, err = rotated.Open("other/prod/db.password", sealed)
	require.Error(t, err, "a sealed value is bound to its place")

	onlyNew, err := secrets.NewSealer(k2)
	require.NoError(t, err)
	_, err = onlyNew.Open("app/prod/db.password", sealed)
	require.ErrorContains(t, err, "not configured")
	require.NotEqual(t, old.KeyID(), rotated.KeyID())
}

func TestParseKey(t *testing.T) {
	_, err := secrets.ParseKey("c2hvcnQ=")
	require.Error(t, err)
	k, err := secrets.ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	require.NoError(t, err)
	require.Len(t, k, 32)
}
