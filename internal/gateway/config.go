package gateway

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Config tunes the gateway (keys under "gateway.").
type Config struct {
	// Timeout bounds a call to an upstream when its route sets none.
	Timeout time.Duration `koanf:"timeout"`
	// RetryAttempts caps the calls of an idempotent request (GET, HEAD,
	// OPTIONS) to a remote upstream, the first included; 1 disables retries.
	RetryAttempts int `koanf:"retry_attempts"`
	// RetryInitial is the ceiling of the first wait between attempts; later
	// waits double, each drawn at random below its ceiling (full jitter).
	RetryInitial time.Duration `koanf:"retry_initial"`
	// Breaker tunes the circuit breaker in front of each upstream.
	Breaker BreakerConfig `koanf:"breaker"`
	// Limits are the token buckets per route class.
	Limits LimitsConfig `koanf:"limits"`
	// TrustedProxies are the addresses or CIDRs (a load balancer) whose
	// X-Forwarded-For and X-Forwarded-Proto the gateway believes; from
	// anyone else those headers are dropped.
	TrustedProxies []string `koanf:"trusted_proxies"`
	// ContentSecurityPolicy is sent on every response.
	ContentSecurityPolicy string `koanf:"content_security_policy"`
	// HSTSMaxAge is the Strict-Transport-Security max-age sent on requests
	// that came over TLS; 0 disables the header.
	HSTSMaxAge time.Duration `koanf:"hsts_max_age"`
	// MaxIdleConnsPerHost sizes the keep-alive pool to each remote upstream.
	MaxIdleConnsPerHost int `koanf:"max_idle_conns_per_host"`
}

// BreakerConfig tunes the per-upstream circuit breakers.
type BreakerConfig struct {
	// FailureThreshold consecutive failures (5xx, timeouts, refused
	// connections) open the breaker.
	FailureThreshold uint32 `koanf:"failure_threshold"`
	// OpenTimeout is how long an open breaker answers 503 before it lets a
	// trial call through.
	OpenTimeout time.Duration `koanf:"open_timeout"`
}

// LimitsConfig holds the rate limits of each route class.
type LimitsConfig struct {
	// Default applies to every routed API call.
	Default ClassLimits `koanf:"default"`
	// Token applies to /oauth2/token (and the device endpoint).
	Token ClassLimits `koanf:"token"`
	// Login applies to the sign-in, registration and reset pages under /id/.
	Login ClassLimits `koanf:"login"`
}

// ClassLimits are the two buckets a request of a class draws from: one per
// client address, one per authenticated client.
type ClassLimits struct {
	IP     Limit `koanf:"ip"`
	Client Limit `koanf:"client"`
}

// Limit is a token bucket: Rate tokens a second, up to Burst at once. A zero
// Rate disables the bucket.
type Limit struct {
	Rate  float64 `koanf:"rate"`
	Burst int     `koanf:"burst"`
}

func (l LimitsConfig) of(class string) ClassLimits {
	switch class {
	case ClassToken:
		return l.Token
	case ClassLogin:
		return l.Login
	default:
		return l.Default
	}
}

// DefaultCSP suits the embedded single-page app and the server-rendered
// /id pages: everything from this origin, inline styles (Chakra UI injects
// them), images from anywhere over https, no framing, forms post only here.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob: https:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Defaults are generous enough for an API client and a browser, and strict
// on the endpoints that guess passwords or mint tokens.
func Defaults() Config {
	return Config{
		Timeout:       30 * time.Second,
		RetryAttempts: 3,
		RetryInitial:  50 * time.Millisecond,
		Breaker:       BreakerConfig{FailureThreshold: 5, OpenTimeout: 10 * time.Second},
		Limits: LimitsConfig{
			Default: ClassLimits{IP: Limit{Rate: 500, Burst: 1000}, Client: Limit{Rate: 200, Burst: 400}},
			Token:   ClassLimits{IP: Limit{Rate: 50, Burst: 100}, Client: Limit{Rate: 20, Burst: 40}},
			Login:   ClassLimits{IP: Limit{Rate: 1, Burst: 20}},
		},
		ContentSecurityPolicy: DefaultCSP,
		HSTSMaxAge:            365 * 24 * time.Hour,
		MaxIdleConnsPerHost:   256,
	}
}

// Validate names the first bad key under "gateway.".
func (c Config) Validate() error {
	if c.Timeout <= 0 {
		return errs.Invalid("gateway.timeout", "must be a positive duration such as 30s")
	}
	if c.RetryAttempts < 1 {
		return errs.Invalid("gateway.retry_attempts", "must be at least 1 (no retries), got %d", c.RetryAttempts)
	}
	if c.RetryInitial <= 0 {
		return errs.Invalid("gateway.retry_initial", "must be a positive duration such as 50ms")
	}
	if c.Breaker.FailureThreshold == 0 {
		return errs.Invalid("gateway.breaker.failure_threshold", "must be at least 1")
	}
	if c.Breaker.OpenTimeout <= 0 {
		return errs.Invalid("gateway.breaker.open_timeout", "must be a positive duration such as 10s")
	}
	for class, cl := range map[string]ClassLimits{ClassDefault: c.Limits.Default, ClassToken: c.Limits.Token, ClassLogin: c.Limits.Login} {
		for who, l := range map[string]Limit{"ip": cl.IP, "client": cl.Client} {
			key := fmt.Sprintf("gateway.limits.%s.%s", class, who)
			if l.Rate < 0 {
				return errs.Invalid(key+".rate", "must not be negative (0 disables the limit)")
			}
			if l.Rate > 0 && l.Burst < 1 {
				return errs.Invalid(key+".burst", "must be at least 1 when a rate is set")
			}
		}
	}
	if _, err := parsePrefixes(c.TrustedProxies); err != nil {
		return err
	}
	if c.HSTSMaxAge < 0 {
		return errs.Invalid("gateway.hsts_max_age", "must not be negative")
	}
	if c.MaxIdleConnsPerHost < 1 {
		return errs.Invalid("gateway.max_idle_conns_per_host", "must be at least 1")
	}
	return nil
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, errs.Invalid("gateway.trusted_proxies", "must list addresses or CIDRs, got %q", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
