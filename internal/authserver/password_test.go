package authserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func TestPasswordHashing(t *testing.T) {
	p := authserver.Argon2Params{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}
	h := p.HashPassword("correct horse battery")
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$"), h)
	require.NotEqual(t, h, p.HashPassword("correct horse battery"), "a fresh salt each time")
	require.True(t, authserver.CheckPassword(h, "correct horse battery"))
	require.False(t, authserver.CheckPassword(h, "correct horse batterY"))
	require.False(t, authserver.CheckPassword(h, ""))
	// A hash keeps its own parameters: changing the configuration does not lock anyone out.
	require.True(t, authserver.CheckPassword(h, "correct horse battery"))
	for _, bad := range []string{"", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=8192,t=0,p=1$c2FsdA$aGFzaA", "plain"} {
		require.False(t, authserver.CheckPassword(bad, "x"), bad)
	}
	require.Error(t, authserver.ValidatePassword("password", "short"))
	require.NoError(t, authserver.ValidatePassword("password", "ten chars!"))
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, authserver.DefaultConfig().Validate("auth"))
	for key, change := range map[string]func(*authserver.Config){
		"auth.refresh_grace":      func(c *authserver.Config) { c.RefreshGrace = 2 * time.Minute },
		"auth.access_token_ttl":   func(c *authserver.Config) { c.AccessTokenTTL = 0 },
		"auth.key_rotation":       func(c *authserver.Config) { c.KeyRotation = time.Minute },
		"auth.argon2.memory_kib":  func(c *authserver.Config) { c.Argon2.MemoryKiB = 1 },
		"auth.argon2.parallelism": func(c *authserver.Config) { c.Argon2.Parallelism = 0 },
		"auth.throttle":           func(c *authserver.Config) { c.Throttle.AccountFailures = 0 },
	} {
		c := authserver.DefaultConfig()
		change(&c)
		err := c.Validate("auth")
		require.True(t, errs.Is(err, errs.KindInvalid), key)
		require.Equal(t, key, errs.FieldOf(err))
	}
}
