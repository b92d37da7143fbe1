package cache_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       cache.Config
		wantField string // "" means valid
		wantMsg   string
	}{
		{name: "zero value is the embedded default", cfg: cache.Config{}},
		{name: "memory", cfg: cache.Config{Driver: "memory", MaxBytes: 1 << 20}},
		{name: "redis", cfg: cache.Config{Driver: "redis", Redis: cache.RedisOptions{Addr: "127.0.0.1:6379"}}},
		{
			name: "unknown driver", cfg: cache.Config{Driver: "x"},
			wantField: "cache.driver", wantMsg: `cache.driver: must be memory or redis, got "x"`,
		},
		{name: "negative max bytes", cfg: cache.Config{MaxBytes: -1}, wantField: "cache.max_bytes"},
		{name: "redis without addr", cfg: cache.Config{Driver: "redis"}, wantField: "cache.redis.addr"},
		{
			name: "redis negative db", cfg: cache.Config{Driver: "redis", Redis: cache.RedisOptions{Addr: "h:1", DB: -1}},
			wantField: "cache.redis.db",
		},
		{
			name: "redis negative timeout", cfg: cache.Config{Driver: "redis", Redis: cache.RedisOptions{Addr: "h:1", ReadTimeout: -1}},
			wantField: "cache.redis.read_timeout",
		},
		{
			name: "redis options ignored for memory", cfg: cache.Config{Driver: "memory", Redis: cache.RedisOptions{DB: -1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.KindInvalid, errs.KindOf(err))
			require.Equal(t, tt.wantField, errs.FieldOf(err))
			if tt.wantMsg != "" {
				require.EqualError(t, err, tt.wantMsg)
			}
		})
	}
}

func TestNewPicksAdapter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  cache.Config
		want any
	}{
		{"default", cache.Config{}, &cache.Memory{}},
		{"memory", cache.Config{Driver: "memory"}, &cache.Memory{}},
		{"redis", cache.Config{Driver: "redis", Redis: cache.RedisOptions{Addr: "127.0.0.1:6379"}}, &cache.Redis{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := cache.New(tt.cfg)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, c.Close()) })
			require.IsType(t, tt.want, c)
		})
	}

	_, err := cache.New(cache.Config{Driver: "memcached"})
	require.Equal(t, "cache.driver", errs.FieldOf(err))
}
