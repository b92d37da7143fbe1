// Package authtest is a token issuer for tests and benchmarks: it holds
// signing keys, publishes them as a JSON Web Key Set (in process or over
// HTTP with a discovery document), and mints access tokens shaped like the
// cdlc authorization server's, so the verifier and the gateway can be
// exercised before (or without) the auth service.
package authtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cdlc/cdlc/internal/platform/auth"
)

// Key is a signing key with its id and algorithm.
type Key struct {
	KID     string
	Alg     string // RS256, ES256 or EdDSA
	Private crypto.Signer
}

// NewKey makes a fresh key for alg.
func NewKey(alg string) Key {
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case "RS256":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic("authtest: unknown alg " + alg)
	}
	if err != nil {
		panic(err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	return Key{KID: alg + "-" + hex.EncodeToString(id[:]), Alg: alg, Private: k}
}

func (k Key) method() jwt.SigningMethod {
	switch k.Alg {
	case "ES256":
		return jwt.SigningMethodES256
	case "EdDSA":
		return jwt.SigningMethodEdDSA
	default:
		return jwt.SigningMethodRS256
	}
}

// Issuer publishes keys and mints tokens.
type Issuer struct {
	// URL is the issuer ("iss"); set by Serve, or by the caller.
	URL string

	mu      sync.Mutex
	keys    []Key
	fetches int
	server  *http.Server
}

// New makes an issuer with one RS256 key, published.
func New(url string) *Issuer {
	return &Issuer{URL: url, keys: []Key{NewKey("RS256")}}
}

// Publish adds k to the published key set.
func (i *Issuer) Publish(k Key) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, k)
}

// Withdraw removes the key kid from the published set.
func (i *Issuer) Withdraw(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for n, k := range i.keys {
		if k.KID == kid {
			i.keys = append(i.keys[:n], i.keys[n+1:]...)
			return
		}
	}
}

// Key returns the first published key (the default signer).
func (i *Issuer) Key() Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[0]
}

// Fetches counts how often the key set was read.
func (i *Issuer) Fetches() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.fetches
}

// JWKS is the published key set as JSON; it implements auth.KeySource.
func (i *Issuer) JWKS(context.Context) ([]byte, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fetches++
	var set jwkset.JWKSMarshal
	for _, k := range i.keys {
		j, err := jwkset.NewJWKFromKey(k.Private.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: k.KID, ALG: jwkset.ALG(k.Alg), USE: jwkset.UseSig}})
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, j.Marshal())
	}
	return json.Marshal(set)
}

var _ auth.KeySource = (*Issuer)(nil)

// Handler serves the discovery document and the key set.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": i.URL, "jwks_uri": i.URL + "/oauth2/keys"})
	})
	mux.HandleFunc("GET /oauth2/keys", func(w http.ResponseWriter, r *http.Request) {
		b, err := i.JWKS(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(b)
	})
	return mux
}

// Serve listens on a free loopback port, sets URL, and serves Handler until
// Close.
func (i *Issuer) Serve() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	i.URL = "http://" + l.Addr().String()
	i.server = &http.Server{Handler: i.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = i.server.Serve(l) }()
	return nil
}

// Close stops Serve.
func (i *Issuer) Close() error {
	if i.server == nil {
		return nil
	}
	return i.server.Close()
}

// Claims are the claims of a minted token; zero fields get the defaults
// of Mint.
type Claims struct {
	Subject   string
	ClientID  string
	Scope     string
	Roles     []string
	Audience  []string
	Issuer    string
	IssuedAt  time.Time
	NotBefore time.Time
	Expires   time.Time
}

// Mint signs claims with the issuer's first key. Defaults: subject "user-1",
// client "cdlc-web", audience ["cdlc", client], issued now, valid for an
// hour.
func (i *Issuer) Mint(c Claims) string { return i.MintWith(i.Key(), c) }

// MintWith signs claims with k (which need not be published).
func (i *Issuer) MintWith(k Key, c Claims) string {
	t := jwt.NewWithClaims(k.method(), i.claims(c))
	t.Header["kid"] = k.KID
	s, err := t.SignedString(k.Private)
	if err != nil {
		panic(fmt.Sprintf("authtest: sign: %v", err))
	}
	return s
}

// MapClaims returns the JWT claims Mint would sign, for tests that forge
// tokens by hand.
func (i *Issuer) MapClaims(c Claims) jwt.MapClaims { return i.claims(c) }

func (i *Issuer) claims(c Claims) jwt.MapClaims {
	now := time.Now()
	if c.Subject == "" {
		c.Subject = "user-1"
	}
	if c.ClientID == "" {
		c.ClientID = "cdlc-web"
	}
	if c.Audience == nil {
		c.Audience = []string{"cdlc", c.ClientID}
	}
	if c.Issuer == "" {
		c.Issuer = i.URL
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = c.IssuedAt
	}
	if c.Expires.IsZero() {
		c.Expires = c.IssuedAt.Add(time.Hour)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	roles := c.Roles
	if roles == nil {
		roles = []string{}
	}
	return jwt.MapClaims{
		"iss": c.Issuer, "sub": c.Subject, "aud": c.Audience,
		"exp": c.Expires.Unix(), "iat": c.IssuedAt.Unix(), "nbf": c.NotBefore.Unix(),
		"jti": hex.EncodeToString(id[:]), "client_id": c.ClientID, "scope": c.Scope, "roles": roles,
	}
}
