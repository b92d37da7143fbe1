package app

import (
	"net/url"
	"path/filepath"
	"time"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/gateway"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/rpc"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// Config is the whole configuration of a cdlc process. Its tags are the
// keys of the YAML file, of CDLC_ environment variables and of --set.
type Config struct {
	// DataDir holds the embedded stores and generated keys.
	DataDir string `koanf:"data_dir"`
	// Target lists the modules to run (see --list-targets).
	Target []string `koanf:"target"`

	HTTP    httpx.Config            `koanf:"http"`
	Log     LogConfig               `koanf:"log"`
	Tracing telemetry.TracingConfig `koanf:"tracing"`
	DB      db.Config               `koanf:"db"`
	Cache   cache.Config            `koanf:"cache"`
	Events  events.Config           `koanf:"events"`
	Outbox  OutboxConfig            `koanf:"outbox"`
	Auth    AuthConfig              `koanf:"auth"`
	Gateway gateway.Config          `koanf:"gateway"`

	// Services are the configuration sections the service table declares
	// (config_server.*, and one per service that has settings), inlined at
	// the top level.
	Services config.Sections `koanf:"-"`
	// Remote is where this process reads its own configuration from.
	Remote RemoteConfig `koanf:"remote"`
	// Peers are the base URLs of services running in other processes
	// (peers.inventory=http://inventory:8080), called over gRPC.
	Peers map[string]string `koanf:"peers"`
	// RPC says how patiently peers are called: per-attempt timeout,
	// retries of reads, circuit breaker (one per peer).
	RPC rpc.ClientConfig `koanf:"rpc"`

	// Features are free-form switches that change while running.
	Features map[string]string `koanf:"features" reload:"true"`
}

// LogConfig tunes logging.
type LogConfig struct {
	Level  string `koanf:"level" reload:"true"`
	Format string `koanf:"format"`
}

// OutboxConfig tunes the outbox relays.
type OutboxConfig struct {
	// Interval is how often a relay looks for rows it was not woken for
	// (rows written by another process on the same database).
	Interval time.Duration `koanf:"interval"`
}

// AuthConfig says which tokens the process accepts (the bootstrap admin
// token, and the access tokens of the issuer) and tunes the authorization
// server (target auth).
type AuthConfig struct {
	// AdminToken is the bootstrap operator token (every scope). When empty,
	// one is generated into <data_dir>/admin-token.
	AdminToken string `koanf:"admin_token" secret:"true"`
	// Issuer is the URL of the token issuer ("iss"); when empty,
	// http://localhost:<port> of http.addr (this process in "all" mode).
	Issuer string `koanf:"issuer"`
	// JWKSURL is where the issuer's keys are fetched; when empty, the
	// jwks_uri of the issuer's discovery document.
	JWKSURL string `koanf:"jwks_url"`
	// Audience must be in every token's "aud".
	Audience string `koanf:"audience"`
	// Leeway tolerates clock skew on exp, nbf and iat.
	Leeway time.Duration `koanf:"leeway"`
	// JWKSRefreshInterval is how often the keys are fetched in the background.
	JWKSRefreshInterval time.Duration `koanf:"jwks_refresh_interval"`
	// JWKSMinRefreshGap is the least time between fetches caused by tokens
	// naming an unknown key.
	JWKSMinRefreshGap time.Duration `koanf:"jwks_min_refresh_gap"`

	// Config is the authorization server's settings (access_token_ttl,
	// refresh_grace, argon2.*, throttle.* ...), declared once in its
	// package and inlined here.
	authserver.Config `koanf:",squash"`
	// EncryptionKey seals the signing keys at rest: 32 bytes, base64. When
	// empty, one is generated into <data_dir>/auth-encryption.key.
	EncryptionKey          string   `koanf:"encryption_key" secret:"true"`
	PreviousEncryptionKeys []string `koanf:"previous_encryption_keys" secret:"true"`
}

// RemoteConfig points a process at a configurations server.
type RemoteConfig struct {
	URL     string `koanf:"url"`
	App     string `koanf:"app"`
	Profile string `koanf:"profile"`
	Token   string `koanf:"token" secret:"true"`
}

// Defaults is the configuration of a fresh install: every store embedded
// under ./data, listening on :8080.
func Defaults() Config {
	return Config{
		DataDir:  "./data",
		Target:   []string{"all"},
		HTTP:     httpx.DefaultConfig(),
		Log:      LogConfig{Level: "info", Format: "json"},
		Tracing:  telemetry.TracingConfig{SampleRatio: 1, ServiceName: "cdlc"},
		DB:       db.Config{Driver: "sqlite", DSN: "", MaxOpenConns: 0},
		Cache:    cache.Config{Driver: "memory", MaxBytes: 64 << 20},
		Events:   events.Config{Driver: "inproc"},
		Outbox:   OutboxConfig{Interval: time.Second},
		Gateway:  gateway.Defaults(),
		Services: sectionDefaults(),
		Auth:     defaultAuthConfig(),
		Remote:   RemoteConfig{App: "cdlc", Profile: "default"},
		Features: map[string]string{},
		Peers:    map[string]string{},
		RPC:      rpc.DefaultClientConfig(),
	}
}

// sectionDefaults are the service table's configuration sections with
// their defaults.
func sectionDefaults() config.Sections {
	out := config.Sections{}
	for _, s := range table(nil) {
		if s.Config != nil {
			out[s.SectionKey()] = s.Config
		}
	}
	return out
}

// Validate checks every section, naming the key at fault.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errs.Invalid("data_dir", "must name a directory")
	}
	if len(c.Target) == 0 {
		return errs.Invalid("target", "must name at least one target")
	}
	if c.DB.Dir == "" {
		c.DB.Dir = filepath.Join(c.DataDir, "db")
	}
	if _, err := telemetry.ParseLevel(c.Log.Level); err != nil {
		return errs.Invalid("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		return errs.Invalid("log.format", "must be json or text, got %q", c.Log.Format)
	}
	if err := c.HTTP.Validate("http"); err != nil {
		return err
	}
	if err := c.DB.Validate("db"); err != nil {
		return err
	}
	if err := c.Cache.Validate(); err != nil {
		return err
	}
	if err := c.Events.Validate("events"); err != nil {
		return err
	}
	if c.Outbox.Interval <= 0 {
		return errs.Invalid("outbox.interval", "must be a positive duration such as 1s")
	}
	if err := c.Tracing.Validate(); err != nil {
		return err
	}
	for name, u := range c.Peers {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return errs.Invalid("peers."+name, "must be an http(s) base URL such as http://inventory:8080, got %q", u)
		}
	}
	if c.Auth.Issuer != "" {
		if u, err := url.Parse(c.Auth.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Invalid("auth.issuer", "must be an http(s) URL such as https://cdlc.example, got %q", c.Auth.Issuer)
		}
	}
	if c.Auth.JWKSURL != "" {
		if u, err := url.Parse(c.Auth.JWKSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Invalid("auth.jwks_url", "must be an http(s) URL, got %q", c.Auth.JWKSURL)
		}
	}
	if c.Auth.Audience == "" {
		return errs.Invalid("auth.audience", "must name the audience tokens are issued for (cdlc)")
	}
	if c.Auth.Leeway < 0 || c.Auth.Leeway > 5*time.Minute {
		return errs.Invalid("auth.leeway", "must be between 0s and 5m, got %s", c.Auth.Leeway)
	}
	if c.Auth.JWKSRefreshInterval <= 0 {
		return errs.Invalid("auth.jwks_refresh_interval", "must be a positive duration such as 15m")
	}
	if c.Auth.JWKSMinRefreshGap <= 0 {
		return errs.Invalid("auth.jwks_min_refresh_gap", "must be a positive duration such as 10s")
	}
	if err := c.Auth.Server().Validate("auth"); err != nil {
		return err
	}
	if err := c.Gateway.Validate(); err != nil {
		return err
	}
	if err := c.RPC.Validate("rpc"); err != nil {
		return err
	}
	return nil
}
