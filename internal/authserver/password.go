package authserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Argon2Params are the argon2id cost parameters (RFC 9106). A hash records
// the parameters it was made with, so changing them affects new hashes only.
type Argon2Params struct {
	MemoryKiB   uint32 `koanf:"memory_kib"`
	Iterations  uint32 `koanf:"iterations"`
	Parallelism uint8  `koanf:"parallelism"`
}

// DefaultArgon2 follows OWASP's argon2id recommendation (19 MiB, t=2, p=1).
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// Validate checks p, naming keys with prefix.
func (p Argon2Params) Validate(prefix string) error {
	if p.MemoryKiB < 8*1024 || p.MemoryKiB > 4<<20 {
		return errs.Invalid(prefix+".memory_kib", "must be between 8192 and 4194304")
	}
	if p.Iterations < 1 || p.Iterations > 64 {
		return errs.Invalid(prefix+".iterations", "must be between 1 and 64")
	}
	if p.Parallelism < 1 {
		return errs.Invalid(prefix+".parallelism", "must be at least 1")
	}
	return nil
}

const argonKeyLen = 32

// HashPassword returns the PHC-formatted argon2id hash of password.
func (p Argon2Params) HashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether password matches the PHC hash, comparing
// in constant time.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m, t uint32
	var par uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &par); err != nil || par == 0 || t == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, par, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// ValidatePassword enforces the password policy (NIST SP 800-63B: length,
// not composition).
func ValidatePassword(field, pw string) error {
	if n := len([]rune(pw)); n < 10 || n > 256 {
		return errs.Invalid(field, "must be 10 to 256 characters")
	}
	return nil
}
