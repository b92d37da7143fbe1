package authserver

import (
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Config tunes the authorization server. Its keys live under auth. in the
// process configuration: internal/app inlines it in the auth section (the
// verifier's settings are there too), so it is declared once, here.
type Config struct {
	// Issuer is the provider's public base URL (iss of every token). Empty:
	// http://<http.addr>, with localhost for an unspecified host.
	Issuer string `koanf:"-"`
	// AccessTokenTTL, IDTokenTTL and RefreshTokenTTL bound the tokens'
	// lives; CodeTTL the authorization request (login to code exchange);
	// DeviceCodeTTL a device authorization; SessionTTL the sign-in cookie.
	AccessTokenTTL  time.Duration `koanf:"access_token_ttl"`
	IDTokenTTL      time.Duration `koanf:"id_token_ttl"`
	RefreshTokenTTL time.Duration `koanf:"refresh_token_ttl"`
	CodeTTL         time.Duration `koanf:"code_ttl"`
	DeviceCodeTTL   time.Duration `koanf:"device_code_ttl"`
	SessionTTL      time.Duration `koanf:"session_ttl"`
	// RefreshGrace is how long a refresh token that was just rotated is
	// still honoured (two refreshes at once, a lost response) before
	// presenting it counts as reuse and revokes its family.
	RefreshGrace time.Duration `koanf:"refresh_grace"`
	// KeyRotation is how long a signing key signs; retired keys stay in the
	// JWKS until the tokens they signed have expired.
	KeyRotation time.Duration `koanf:"key_rotation"`
	// VerifyEmailTTL and ResetPasswordTTL bound the mailed one-time links.
	VerifyEmailTTL   time.Duration `koanf:"verify_email_ttl"`
	ResetPasswordTTL time.Duration `koanf:"reset_password_ttl"`
	// Argon2 are the password hashing parameters.
	Argon2 Argon2Params `koanf:"argon2"`
	// Throttle bounds failed sign-ins.
	Throttle ThrottleConfig `koanf:"throttle"`
}

// ThrottleConfig bounds failed sign-ins per account and per client IP in a
// fixed window.
type ThrottleConfig struct {
	AccountFailures int           `koanf:"account_failures"`
	IPFailures      int           `koanf:"ip_failures"`
	Window          time.Duration `koanf:"window"`
}

// DefaultConfig is what a fresh install runs with.
func DefaultConfig() Config {
	return Config{
		AccessTokenTTL: 15 * time.Minute, IDTokenTTL: time.Hour, RefreshTokenTTL: 30 * 24 * time.Hour,
		CodeTTL: 10 * time.Minute, DeviceCodeTTL: 10 * time.Minute, SessionTTL: 7 * 24 * time.Hour,
		RefreshGrace: 10 * time.Second, KeyRotation: 30 * 24 * time.Hour,
		VerifyEmailTTL: 48 * time.Hour, ResetPasswordTTL: time.Hour,
		Argon2:   DefaultArgon2,
		Throttle: ThrottleConfig{AccountFailures: 5, IPFailures: 50, Window: 15 * time.Minute},
	}
}

// Validate checks c, naming keys with prefix (e.g. "auth").
func (c Config) Validate(prefix string) error {
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"access_token_ttl", c.AccessTokenTTL}, {"id_token_ttl", c.IDTokenTTL}, {"refresh_token_ttl", c.RefreshTokenTTL},
		{"code_ttl", c.CodeTTL}, {"device_code_ttl", c.DeviceCodeTTL}, {"session_ttl", c.SessionTTL},
		{"key_rotation", c.KeyRotation}, {"verify_email_ttl", c.VerifyEmailTTL}, {"reset_password_ttl", c.ResetPasswordTTL},
		{"throttle.window", c.Throttle.Window},
	} {
		if d.v <= 0 {
			return errs.Invalid(prefix+"."+d.key, "must be a positive duration")
		}
	}
	if c.RefreshGrace < 0 || c.RefreshGrace > time.Minute {
		return errs.Invalid(prefix+".refresh_grace", "must be between 0s and 1m")
	}
	if c.KeyRotation < c.AccessTokenTTL {
		return errs.Invalid(prefix+".key_rotation", "must be at least auth.access_token_ttl")
	}
	if c.Throttle.AccountFailures < 1 || c.Throttle.IPFailures < 1 {
		return errs.Invalid(prefix+".throttle", "account_failures and ip_failures must be at least 1")
	}
	return c.Argon2.Validate(prefix + ".argon2")
}
