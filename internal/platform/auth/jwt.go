package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// jwkset parses JSON Web Key Sets (RFC 7517) into crypto keys: it is the
	// key-set half of the MicahParks/keyfunc stack the golang-jwt project
	// recommends, small, well kept, and validates each key (RSA sizes, EC
	// curves, Ed25519) as it parses it.
	"github.com/MicahParks/jwkset"
	// golang-jwt/jwt/v5 checks the signature and the registered claims. It is
	// the most used Go JWT library, well kept, and lets the verifier pin the
	// accepted algorithms (WithValidMethods) so that "none" and the HS* family
	// — HS256 signed with the public key included — never reach a key.
	// Its key type checks refuse a public key for an HMAC method too.
	"github.com/golang-jwt/jwt/v5"
	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// KeySource yields the issuer's current JSON Web Key Set as JSON (RFC 7517
// {"keys":[...]}, public keys only). The verifier calls it when it starts,
// every JWTOptions.MaxAge in the background, and when a token names a key it
// does not know (rate limited); never once per request.
//
// When the auth service runs in the same process, it plugs in a KeySourceFunc
// reading its key store; otherwise HTTPKeySource fetches the set over HTTP.
type KeySource interface {
	JWKS(ctx context.Context) ([]byte, error)
}

// KeySourceFunc adapts a function to KeySource.
type KeySourceFunc func(ctx context.Context) ([]byte, error)

// JWKS implements KeySource.
func (f KeySourceFunc) JWKS(ctx context.Context) ([]byte, error) { return f(ctx) }

// HTTPKeySource fetches the key set from jwksURL, or, when it is empty, from
// the jwks_uri of the issuer's OpenID Connect discovery document
// (<issuer>/.well-known/openid-configuration). The jwks_uri is looked up
// again on every fetch, so a provider that moves it is followed.
func HTTPKeySource(hc *http.Client, issuer, jwksURL string) KeySource {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return KeySourceFunc(func(ctx context.Context) ([]byte, error) {
		u := jwksURL
		if u == "" {
			body, err := httpGet(ctx, hc, strings.TrimRight(issuer, "/")+"/.well-known/openid-configuration")
			if err != nil {
				return nil, fmt.Errorf("discovery: %w", err)
			}
			var doc struct {
				Issuer  string `json:"issuer"`
				JWKSURI string `json:"jwks_uri"`
			}
			if err := json.Unmarshal(body, &doc); err != nil || doc.JWKSURI == "" {
				return nil, fmt.Errorf("discovery document of %s has no jwks_uri", issuer)
			}
			// OpenID Connect Discovery 1.0 §4.3: the document must name the
			// issuer it was fetched for, or its keys are not that issuer's.
			if strings.TrimRight(doc.Issuer, "/") != strings.TrimRight(issuer, "/") {
				return nil, fmt.Errorf("discovery document of %s names issuer %q", issuer, doc.Issuer)
			}
			u = doc.JWKSURI
		}
		return httpGet(ctx, hc, u)
	})
}

func httpGet(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	// A key set is small; a megabyte bounds a hostile or broken answer.
	return io.ReadAll(io.LimitReader(res.Body, 1<<20))
}

// Defaults for a zero JWTOptions.
const (
	DefaultAudience        = "cdlc"
	DefaultLeeway          = 30 * time.Second
	DefaultRefreshMinGap   = 10 * time.Second
	DefaultKeysMaxAge      = 15 * time.Minute
	DefaultVerifiedEntries = 100_000
)

// JWTOptions configure a JWTVerifier.
type JWTOptions struct {
	// Issuer is the exact "iss" every token must carry.
	Issuer string
	// Audience must be one of the token's "aud"; "" means DefaultAudience.
	Audience string
	// Keys yields the issuer's public keys.
	Keys KeySource
	// Leeway tolerates clock skew on exp, nbf and iat; 0 means DefaultLeeway,
	// a negative value none.
	Leeway time.Duration
	// RefreshMinGap is the least time between two fetches of the key set
	// caused by tokens naming unknown keys; 0 means DefaultRefreshMinGap.
	RefreshMinGap time.Duration
	// MaxAge is how often the key set is fetched in the background (so that
	// a removed key stops being accepted); 0 means DefaultKeysMaxAge.
	MaxAge time.Duration
	// VerifiedEntries bounds the cache of verified tokens; 0 means
	// DefaultVerifiedEntries, a negative value disables it.
	VerifiedEntries int
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// accessClaims are the claims of a cdlc access token.
type accessClaims struct {
	jwt.RegisteredClaims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Roles    []string `json:"roles"`
}

// verified is a cached verification: the principal until the token expires.
type verified struct {
	p   Principal
	exp time.Time
}

// JWTVerifier verifies the access tokens of the cdlc authorization server
// (signed JWTs: RS256, also ES256 and EdDSA) against the issuer's key set.
//
// Keys are held in memory: a request never waits on the network unless its
// token names a key the verifier does not know, and then at most one fetch
// runs at a time (singleflight) and no more often than RefreshMinGap. A
// token that verified once is remembered, keyed by its SHA-256, until its
// exp, which spares repeated signature checks of the same token; when a
// refresh finds a key withdrawn, the remembered tokens are forgotten.
type JWTVerifier struct {
	opts   JWTOptions
	parser *jwt.Parser
	keys   atomic.Pointer[keySet]
	group  singleflight.Group
	// limit paces refreshes caused by unknown kids.
	limit *rate.Limiter
	cache *otter.Cache[[32]byte, verified]

	stopOnce sync.Once
	stop     chan struct{}
}

type keySet struct {
	byKID   map[string]jwkset.JWK
	fetched time.Time
}

var _ Verifier = (*JWTVerifier)(nil)

// acceptedAlgs are the only signature algorithms a token may use.
var acceptedAlgs = []string{"RS256", "ES256", "EdDSA"}

// NewJWTVerifier makes a verifier. It does not fetch keys: call Start to
// load them and keep them fresh, or let the first token trigger a fetch.
func NewJWTVerifier(opts JWTOptions) (*JWTVerifier, error) {
	if opts.Issuer == "" {
		return nil, errs.Invalid("auth.issuer", "the token verifier needs the issuer URL")
	}
	if opts.Keys == nil {
		return nil, errors.New("auth: JWTOptions.Keys is required")
	}
	if opts.Audience == "" {
		opts.Audience = DefaultAudience
	}
	if opts.Leeway == 0 {
		opts.Leeway = DefaultLeeway
	}
	opts.Leeway = max(opts.Leeway, 0)
	if opts.RefreshMinGap <= 0 {
		opts.RefreshMinGap = DefaultRefreshMinGap
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultKeysMaxAge
	}
	if opts.VerifiedEntries == 0 {
		opts.VerifiedEntries = DefaultVerifiedEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &JWTVerifier{
		opts: opts,
		parser: jwt.NewParser(
			jwt.WithValidMethods(acceptedAlgs),
			jwt.WithIssuer(opts.Issuer),
			jwt.WithAudience(opts.Audience),
			jwt.WithLeeway(opts.Leeway),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(opts.Now),
		),
		limit: rate.NewLimiter(rate.Every(opts.RefreshMinGap), 1),
		stop:  make(chan struct{}),
	}
	if opts.VerifiedEntries > 0 {
		c, err := otter.New(&otter.Options[[32]byte, verified]{
			MaximumSize: opts.VerifiedEntries,
			ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[[32]byte, verified]) time.Duration {
				return max(e.Value.exp.Sub(opts.Now()), time.Nanosecond)
			}),
		})
		if err != nil {
			return nil, fmt.Errorf("verified-token cache: %w", err)
		}
		v.cache = c
	}
	return v, nil
}

// Start loads the key set (a failure is logged by the caller and retried on
// the first token) and refreshes it every MaxAge until Stop.
func (v *JWTVerifier) Start(ctx context.Context) error {
	err := v.Refresh(ctx)
	go func() {
		t := time.NewTicker(v.opts.MaxAge)
		defer t.Stop()
		for {
			select {
			case <-v.stop:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_ = v.Refresh(rctx)
				cancel()
			}
		}
	}()
	return err
}

// Stop ends the background refresh.
func (v *JWTVerifier) Stop() { v.stopOnce.Do(func() { close(v.stop) }) }

// Refresh fetches the key set now. Concurrent calls share one fetch. A key
// set that fails to load leaves the previous one in place.
func (v *JWTVerifier) Refresh(ctx context.Context) error {
	_, err, _ := v.group.Do("keys", func() (any, error) {
		raw, err := v.opts.Keys.JWKS(ctx)
		if err != nil {
			return nil, fmt.Errorf("fetch the issuer's keys: %w", err)
		}
		set, err := parseKeySet(raw)
		if err != nil {
			return nil, err
		}
		set.fetched = v.opts.Now()
		old := v.keys.Swap(set)
		if old != nil && v.cache != nil {
			// A key withdrawn from the set (rotated out, or compromised) must
			// stop vouching for tokens at once, cached ones included.
			for kid := range old.byKID {
				if _, ok := set.byKID[kid]; !ok {
					v.cache.InvalidateAll()
					break
				}
			}
		}
		return nil, nil
	})
	return err
}

func parseKeySet(raw []byte) (*keySet, error) {
	var m jwkset.JWKSMarshal
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse the issuer's key set: %w", err)
	}
	set := &keySet{byKID: map[string]jwkset.JWK{}}
	for _, km := range m.Keys {
		if km.KID == "" || (km.USE != "" && km.USE != jwkset.UseSig) {
			continue
		}
		// A key the library cannot read (an unknown type, a weak RSA key) is
		// skipped, not fatal: the rest of the set still serves.
		k, err := jwkset.NewJWKFromMarshal(km, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			continue
		}
		set.byKID[km.KID] = k
	}
	return set, nil
}

// lookup returns the key named kid, fetching the set once (paced) when it
// is not known.
func (v *JWTVerifier) lookup(ctx context.Context, kid string) (jwkset.JWK, error) {
	if set := v.keys.Load(); set != nil {
		if k, ok := set.byKID[kid]; ok {
			return k, nil
		}
	}
	if !v.limit.Allow() {
		// Another unknown kid was looked up moments ago: forged kids must not
		// turn into a stream of fetches.
		if v.keys.Load() == nil {
			return jwkset.JWK{}, errs.Unavailable(nil, "the token issuer's keys are not loaded yet")
		}
		return jwkset.JWK{}, errUnknownKey
	}
	if err := v.Refresh(ctx); err != nil {
		return jwkset.JWK{}, errs.Unavailable(err, "the token issuer's keys cannot be loaded")
	}
	if k, ok := v.keys.Load().byKID[kid]; ok {
		return k, nil
	}
	return jwkset.JWK{}, errUnknownKey
}

var errUnknownKey = errors.New("unknown signing key")

// Verify implements Verifier.
func (v *JWTVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	var sum [32]byte
	if v.cache != nil {
		sum = sha256.Sum256([]byte(token))
		if e, ok := v.cache.GetIfPresent(sum); ok && v.opts.Now().Before(e.exp) {
			return e.p, nil
		}
	}
	var claims accessClaims
	var fetchErr error
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid")
		}
		k, err := v.lookup(ctx, kid)
		if err != nil {
			if errs.Is(err, errs.KindUnavailable) {
				fetchErr = err
			}
			return nil, err
		}
		// A key published for one algorithm must not verify another.
		if alg := k.Marshal().ALG; alg != "" && string(alg) != t.Method.Alg() {
			return nil, errors.New("algorithm does not match the key")
		}
		return k.Key(), nil
	})
	if fetchErr != nil {
		return Principal{}, fetchErr
	}
	if err != nil {
		return Principal{}, errs.Unauthorized("the bearer token is not valid")
	}
	if claims.Subject == "" || claims.ExpiresAt == nil {
		return Principal{}, errs.Unauthorized("the bearer token is not valid")
	}
	p := Principal{Subject: claims.Subject, ClientID: claims.ClientID, Scopes: strings.Fields(claims.Scope), Roles: claims.Roles, TokenID: claims.ID}
	if v.cache != nil {
		// The leeway is not extended to the cache: an entry leaves at exp.
		v.cache.Set(sum, verified{p: p, exp: claims.ExpiresAt.Time})
	}
	return p, nil
}
