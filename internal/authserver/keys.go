package authserver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// Keyring holds the signing keys: in the database, private halves sealed
// with AES-256-GCM (the configurations server's Sealer, one way to seal
// secrets at rest), the public halves published in the JWKS until every
// token they signed has expired. The newest key signs; a new one is made
// when it is older than the rotation period.
type Keyring struct {
	store    *Store
	sealer   *configserver.Sealer
	rotation time.Duration
	// publishFor is how long after it stops signing a key is still
	// published: the longest token life plus a margin.
	publishFor time.Duration

	mu      sync.RWMutex
	signing *signingKey
	public  []publicKey
	loaded  time.Time
}

type signingKey struct {
	id      string
	key     *rsa.PrivateKey
	created time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// NewKeyring reads and, when due, rotates the keys of store.
func NewKeyring(store *Store, sealer *configserver.Sealer, rotation, longestToken time.Duration) *Keyring {
	return &Keyring{store: store, sealer: sealer, rotation: rotation, publishFor: longestToken + time.Minute}
}

// sealWhere binds a sealed private key to its kid.
func sealWhere(kid string) string { return "auth/keys/" + kid }

// Refresh loads the keys, creating a new signing key when there is none or
// the newest is due for rotation.
func (k *Keyring) Refresh(ctx context.Context) error {
	now := time.Now()
	if err := k.load(ctx, now); err != nil {
		return err
	}
	k.mu.RLock()
	due := k.signing == nil || now.Sub(k.signing.created) >= k.rotation
	k.mu.RUnlock()
	if !due {
		return nil
	}
	if err := k.rotate(ctx, now); err != nil {
		return err
	}
	return k.load(ctx, now)
}

// Rotate makes a new signing key at once (the old ones stay published).
func (k *Keyring) Rotate(ctx context.Context) error {
	if err := k.rotate(ctx, time.Now()); err != nil {
		return err
	}
	return k.load(ctx, time.Now())
}

func (k *Keyring) rotate(ctx context.Context, now time.Time) error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	kid := events.NewID()
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(priv))})
	sealed := k.sealer.Seal(sealWhere(kid), string(privPEM))
	publishUntil := now.Add(k.rotation).Add(k.publishFor)
	d := k.store.db
	// The previous keys stop signing now: publish them for publishFor from now.
	if _, err := d.Writer().ExecContext(ctx, "UPDATE auth_keys SET publish_until = ? WHERE publish_until > ?", ms(now.Add(k.publishFor)), ms(now.Add(k.publishFor))); err != nil {
		return err
	}
	_, err = d.Writer().ExecContext(ctx, "INSERT INTO auth_keys (kid, alg, private_sealed, public_pem, created_at, publish_until) VALUES (?, 'RS256', ?, ?, ?, ?)",
		kid, sealed, string(pubPEM), ms(now), ms(publishUntil))
	return err
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (k *Keyring) load(ctx context.Context, now time.Time) error {
	rows, err := k.store.db.Writer().QueryContext(ctx, "SELECT kid, private_sealed, public_pem, created_at FROM auth_keys WHERE publish_until > ? ORDER BY created_at DESC, kid DESC", ms(now))
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	defer rows.Close()
	var signing *signingKey
	var pubs []publicKey
	for rows.Next() {
		var kid, sealed, pubPEM string
		var created int64
		if err := rows.Scan(&kid, &sealed, &pubPEM, &created); err != nil {
			return err
		}
		blk, _ := pem.Decode([]byte(pubPEM))
		if blk == nil {
			return fmt.Errorf("signing key %s: bad public key", kid)
		}
		pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", kid, err)
		}
		rpub, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("signing key %s is not RSA", kid)
		}
		pubs = append(pubs, publicKey{id: kid, key: rpub})
		if signing == nil {
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
			rp, ok := p.(*rsa.PrivateKey)
			if !ok {
				return fmt.Errorf("signing key %s is not RSA", kid)
			}
			signing = &signingKey{id: kid, key: rp, created: fromMS(created)}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	k.signing, k.public, k.loaded = signing, pubs, now
	k.mu.Unlock()
	return nil
}

// Signing is the key that signs now.
func (k *Keyring) Signing() (*signingKey, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.signing == nil {
		return nil, fmt.Errorf("no signing key loaded")
	}
	return k.signing, nil
}

// Public lists the published keys, newest first.
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
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: p.key, KeyID: p.id, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return json.Marshal(set)
}
