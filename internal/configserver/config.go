package configserver

import (
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Config is the configurations server's section (config_server.*).
type Config struct {
	// EncryptionKey seals secrets at rest: 32 bytes, base64. When empty, one
	// is generated into <data_dir>/config-encryption.key (fine for a laptop;
	// set it from a secret store in production).
	EncryptionKey string `koanf:"encryption_key" secret:"true"`
	// PreviousEncryptionKeys still open secrets sealed before a key rotation.
	PreviousEncryptionKeys []string `koanf:"previous_encryption_keys" secret:"true"`
	// CacheTTL bounds how long a rendered document may be served.
	CacheTTL time.Duration `koanf:"cache_ttl"`
}

// DefaultConfig is the section of a fresh install.
func DefaultConfig() *Config { return &Config{CacheTTL: time.Minute} }

// Validate names the key at fault.
func (c *Config) Validate() error {
	if c.CacheTTL <= 0 {
		return errs.Invalid("cache_ttl", "must be a positive duration such as 1m")
	}
	return nil
}
