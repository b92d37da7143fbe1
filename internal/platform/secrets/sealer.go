// Package secrets seals secrets at rest (AES-256-GCM with named, rotatable
// keys): the configurations server's secret values and the authorization
// server's signing keys are sealed with it.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Sealer encrypts secrets at rest with AES-256-GCM. Each sealed value names
// the key that sealed it (the first bytes of the key's SHA-256), so the key
// can be rotated: new values use the current key, old ones still open with
// a previous key until they are rewritten. The associated data binds a
// ciphertext to its document and key path, so a sealed value copied to
// another place does not open.
type Sealer struct {
	current keyEntry
	all     map[string]cipher.AEAD
}

type keyEntry struct {
	id   string
	aead cipher.AEAD
}

// ParseKey decodes a 32-byte key given as base64 (standard or URL) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("must be 32 random bytes, base64- or hex-encoded (e.g. `openssl rand -base64 32`)")
}

// NewSealer seals with current and opens with current or any of previous.
func NewSealer(current []byte, previous ...[]byte) (*Sealer, error) {
	s := &Sealer{all: map[string]cipher.AEAD{}}
	for i, k := range append([][]byte{current}, previous...) {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(k)
		id := hex.EncodeToString(sum[:4])
		s.all[id] = aead
		if i == 0 {
			s.current = keyEntry{id: id, aead: aead}
		}
	}
	return s, nil
}

// Seal encrypts plain for the place where (a configuration leaf
// "app/profile/key.path", a signing key id): it opens only there.
func (s *Sealer) Seal(where, plain string) string {
	nonce := make([]byte, s.current.aead.NonceSize())
	_, _ = rand.Read(nonce)
	ct := s.current.aead.Seal(nonce, nonce, []byte(plain), []byte(where))
	return s.current.id + ":" + base64.RawStdEncoding.EncodeToString(ct)
}

// Open decrypts a sealed value for the place where.
func (s *Sealer) Open(where, sealed string) (string, error) {
	id, b64, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", errs.E(errs.KindInternal, "secret at %s is malformed", where)
	}
	aead, ok := s.all[id]
	if !ok {
		return "", errs.E(errs.KindInternal, "secret at %s was sealed with key %s, which is not configured (add it to the previous encryption keys)", where, id)
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(ct) < aead.NonceSize() {
		return "", errs.E(errs.KindInternal, "secret at %s is malformed", where)
	}
	plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(where))
	if err != nil {
		return "", errs.E(errs.KindInternal, "secret at %s does not open with key %s", where, id)
	}
	return string(plain), nil
}

// KeyID names the key new secrets are sealed with.
func (s *Sealer) KeyID() string { return s.current.id }
