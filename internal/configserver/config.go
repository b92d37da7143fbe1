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
	// WatchMaxDuration bounds the life of one watch stream (SSE); the
	// client then resumes from its last revision. 0 means 10 minutes.
	WatchMaxDuration time.Duration `koanf:"watch_max_duration"`
}

// DefaultConfig is the section of a fresh install.
func DefaultConfig() *Config { return &Config{CacheTTL: time.Minute} }

// Validate names the key at fault.
func (c *Config) Validate() error {
	if c.CacheTTL <= 0 {
		return errs.Invalid("cache_ttl", "must be a positive duration such as 1m")
	}
	if c.WatchMaxDuration < 0 {
		return errs.Invalid("watch_max_duration", "must not be negative (0 means 10m)")
	}
	return nil
}
