package authserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

// Keyring holds the signing keys: in the database, private halves sealed
// with AES-256-GCM (the platform's secrets.Sealer, the one way to seal
// secrets at rest), the public halves published in the JWKS until every
// token they signed has expired. There are two kinds, made and rotated
// together: ES256 (P-256) keys sign access tokens, RS256 (RSA-2048) keys
// sign ID tokens. ECDSA P-256 signs about twenty times faster than
// RSA-2048, which is what the token endpoint spends most of its time on;
// ID tokens stay RS256 because it is OpenID Connect's default, the one
// algorithm every relying party accepts without registering another. The
// newest key of each kind signs; a new pair is made when either is older
// than the rotation period (or one kind is missing).
type Keyring struct {
	store    Store
	sealer   *secrets.Sealer
	rotation time.Duration
	// publishFor is how long after it stops signing a key is still
	// published: the longest token life plus a margin.
	publishFor time.Duration

	mu     sync.RWMutex
	idKey  *signingKey // RS256: ID tokens
	atKey  *signingKey // ES256: access tokens
	public []publicKey
	loaded time.Time
}

// The algorithms of the two kinds of keys.
const (
	idTokenAlg     = jose.RS256
	accessTokenAlg = jose.ES256
)

type signingKey struct {
	id      string
	alg     jose.SignatureAlgorithm
	key     any // *rsa.PrivateKey or *ecdsa.PrivateKey
	created time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any // *rsa.PublicKey or *ecdsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// NewKeyring reads and, when due, rotates the keys of store.
func NewKeyring(store Store, sealer *secrets.Sealer, rotation, longestToken time.Duration) *Keyring {
	return &Keyring{store: store, sealer: sealer, rotation: rotation, publishFor: longestToken + time.Minute}
}

// sealWhere binds a sealed private key to its kid.
func sealWhere(kid string) string { return "auth/keys/" + kid }

// Refresh loads the keys, creating a new pair of signing keys when a kind
// has none or the newest is due for rotation.
func (k *Keyring) Refresh(ctx context.Context) error {
	now := time.Now()
	if err := k.load(ctx, now); err != nil {
		return err
	}
	k.mu.RLock()
	due := k.idKey == nil || k.atKey == nil || now.Sub(k.idKey.created) >= k.rotation || now.Sub(k.atKey.created) >= k.rotation
	k.mu.RUnlock()
	if !due {
		return nil
	}
	if err := k.rotate(ctx, now); err != nil {
		return err
	}
	return k.load(ctx, now)
}

// Rotate makes new signing keys at once (the old ones stay published).
func (k *Keyring) Rotate(ctx context.Context) error {
	if err := k.rotate(ctx, time.Now()); err != nil {
		return err
	}
	return k.load(ctx, time.Now())
}

func (k *Keyring) rotate(ctx context.Context, now time.Time) error {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	publishUntil := now.Add(k.rotation).Add(k.publishFor)
	var keys []StoredKey
	for _, nk := range []struct {
		alg  jose.SignatureAlgorithm
		priv any
		pub  any
	}{{idTokenAlg, rsaKey, &rsaKey.PublicKey}, {accessTokenAlg, ecKey, &ecKey.PublicKey}} {
		kid := events.NewID()
		pubDER, err := x509.MarshalPKIXPublicKey(nk.pub)
		if err != nil {
			return err
		}
		privDER, err := x509.MarshalPKCS8PrivateKey(nk.priv)
		if err != nil {
			return err
		}
		pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
		privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})
		keys = append(keys, StoredKey{KID: kid, Alg: string(nk.alg), PrivateSealed: k.sealer.Seal(sealWhere(kid), string(privPEM)), PublicPEM: string(pubPEM),
			CreatedAt: now, PublishUntil: publishUntil})
	}
	// The previous keys stop signing now: publish them for publishFor from now.
	return k.store.AddSigningKeys(ctx, now.Add(k.publishFor), keys...)
}

func (k *Keyring) load(ctx context.Context, now time.Time) error {
	stored, err := k.store.SigningKeys(ctx, now)
	if err != nil {
		return err
	}
	signing := map[jose.SignatureAlgorithm]*signingKey{}
	var pubs []publicKey
	for _, sk := range stored {
		kid, alg, sealed, pubPEM := sk.KID, sk.Alg, sk.PrivateSealed, sk.PublicPEM
		a := jose.SignatureAlgorithm(alg)
		blk, _ := pem.Decode([]byte(pubPEM))
		if blk == nil {
			return fmt.Errorf("signing key %s: bad public key", kid)
		}
		pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", kid, err)
		}
		if !keyFits(a, pub) {
			return fmt.Errorf("signing key %s is not an %s key", kid, alg)
		}
		pubs = append(pubs, publicKey{id: kid, alg: a, key: pub})
		if signing[a] != nil {
			continue
		}
		// The newest key of its kind signs: open its private half.
		plain, err := k.sealer.Open(sealWhere(kid), sealed)
		if err != nil {
			return fmt.Errorf("open signing key (auth.encryption_key): %w", err)
		}
		pblk, _ := pem.Decode([]byte(plain))
		if pblk == nil {
			return fmt.Errorf("signing key %s: bad private key", kid)
		}
		p, err := x509.ParsePKCS8PrivateKey(pblk.Bytes)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", kid, err)
		}
		if !keyFits(a, p) {
			return fmt.Errorf("signing key %s is not an %s key", kid, alg)
		}
		signing[a] = &signingKey{id: kid, alg: a, key: p, created: sk.CreatedAt}
	}
	k.mu.Lock()
	k.idKey, k.atKey, k.public, k.loaded = signing[idTokenAlg], signing[accessTokenAlg], pubs, now
	k.mu.Unlock()
	return nil
}

// keyFits reports whether key (public or private) is of alg's kind:
// RSA for RS256, ECDSA P-256 for ES256.
func keyFits(alg jose.SignatureAlgorithm, key any) bool {
	switch alg {
	case jose.RS256:
		switch key.(type) {
		case *rsa.PublicKey, *rsa.PrivateKey:
			return true
		}
	case jose.ES256:
		switch k := key.(type) {
		case *ecdsa.PublicKey:
			return k.Curve == elliptic.P256()
		case *ecdsa.PrivateKey:
			return k.Curve == elliptic.P256()
		}
	}
	return false
}

// Signing is the key that signs ID tokens now (RS256).
func (k *Keyring) Signing() (*signingKey, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.idKey == nil {
		return nil, fmt.Errorf("no signing key loaded")
	}
	return k.idKey, nil
}

// AccessSigning is the key that signs access tokens now (ES256).
func (k *Keyring) AccessSigning() (*signingKey, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.atKey == nil {
		return nil, fmt.Errorf("no access token signing key loaded")
	}
	return k.atKey, nil
}

// Public lists the published keys of both kinds, newest first.
func (k *Keyring) Public() []publicKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.public
}

// Run refreshes the keys every interval until ctx ends (other replicas
// may have rotated; a key may have come due).
func (k *Keyring) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Refresh(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// JWKS is the published key set as JSON, as /oauth2/keys serves it: the
// in-process key source of the platform's token verifier when the auth
// target runs in the same process. A kid it does not know yet makes the
// keyring reload first (another replica may have rotated).
func (k *Keyring) JWKS(ctx context.Context) ([]byte, error) {
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	set := jose.JSONWebKeySet{}
	for _, p := range k.Public() {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: p.key, KeyID: p.id, Algorithm: string(p.alg), Use: "sig"})
	}
	return json.Marshal(set)
}
