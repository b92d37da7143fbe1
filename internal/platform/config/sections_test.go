package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// shop is a section a service declares at run time.
type shop struct {
	MaxItems int           `koanf:"max_items"`
	Hold     time.Duration `koanf:"hold"`
	APIKey   string        `koanf:"api_key" secret:"true"`
	Banner   string        `koanf:"banner" reload:"true"`
}

func (s *shop) Validate() error {
	if s.MaxItems < 1 {
		return errs.Invalid("max_items", "must be at least 1, got %d", s.MaxItems)
	}
	return nil
}

type withSections struct {
	Name     string          `koanf:"name"`
	Services config.Sections `koanf:"-"`
}

func sectionDefaults() withSections {
	return withSections{Name: "cdlc", Services: config.Sections{"shop": &shop{MaxItems: 5, Hold: 10 * time.Minute, Banner: "hi"}}}
}

// A section declared at run time is read from every layer like a field of
// the struct, is validated with errors that name the whole key, is
// redacted, and is never shared between two loaded configurations.
func TestSectionsLoadLikeFields(t *testing.T) {
	defs := sectionDefaults()
	file := writeFile(t, "shop:\n  hold: 5m\n")
	cfg, err := config.Load(defs, config.Sources{
		File:  file,
		Env:   []string{"CDLC_SHOP_MAX_ITEMS=9"},
		Flags: map[string]string{"shop.api_key": "k"},
	})
	require.NoError(t, err)
	got := cfg.Services["shop"].(*shop)
	require.Equal(t, shop{MaxItems: 9, Hold: 5 * time.Minute, APIKey: "k", Banner: "hi"}, *got)
	require.Equal(t, 5, defs.Services["shop"].(*shop).MaxItems, "the defaults are not written")

	red := config.Redacted(cfg)
	require.Equal(t, "******", red["shop.api_key"])
	require.Equal(t, "5m0s", red["shop.hold"])
	require.Contains(t, config.Keys(defs), "shop.max_items")

	_, err = config.Load(defs, config.Sources{Flags: map[string]string{"shop.max_items": "0"}})
	var e *errs.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "shop.max_items", e.Field)
	_, err = config.Load(defs, config.Sources{Flags: map[string]string{"shop.nope": "1"}})
	require.ErrorAs(t, err, &e)
	require.Equal(t, "shop.nope", e.Field)

	next, err := config.Load(defs, config.Sources{File: file, Env: []string{"CDLC_SHOP_MAX_ITEMS=3"},
		Flags: map[string]string{"shop.api_key": "k", "shop.banner": "new"}})
	require.NoError(t, err)
	applied, pending := config.ApplyReloadable(cfg, next)
	require.Equal(t, "new", applied.Services["shop"].(*shop).Banner)
	require.Equal(t, 9, applied.Services["shop"].(*shop).MaxItems, "a restart setting stays")
	require.Equal(t, []config.Change{{Key: "shop.max_items"}}, pending)
	require.Equal(t, "hi", cfg.Services["shop"].(*shop).Banner, "the current configuration is not written")
}

type inner struct {
	TTL  time.Duration `koanf:"ttl"`
	Deep struct {
		N int `koanf:"n"`
	} `koanf:"deep"`
}

type withSquash struct {
	Auth struct {
		Issuer string `koanf:"issuer"`
		Inner  inner  `koanf:",squash"`
	} `koanf:"auth"`
}

// A struct inlined with `koanf:",squash"` (a service's own settings inside
// a shared section) has its keys at the section's level.
func TestSquashedStructsAreInlined(t *testing.T) {
	var d withSquash
	d.Auth.Inner.TTL = time.Minute
	cfg, err := config.Load(d, config.Sources{Env: []string{"CDLC_AUTH_TTL=5m", "CDLC_AUTH_DEEP_N=3"}, Flags: map[string]string{"auth.issuer": "https://x"}})
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, cfg.Auth.Inner.TTL)
	require.Equal(t, 3, cfg.Auth.Inner.Deep.N)
	require.Equal(t, "https://x", cfg.Auth.Issuer)
	red := config.Redacted(cfg)
	require.Equal(t, "5m0s", red["auth.ttl"])
	require.EqualValues(t, 3, red["auth.deep.n"])
}
