package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

type sample struct {
	Name string `koanf:"name"`
	HTTP struct {
		Addr        string        `koanf:"addr"`
		ReadTimeout time.Duration `koanf:"read_timeout"`
		Origins     []string      `koanf:"origins" reload:"true"`
	} `koanf:"http"`
	DB struct {
		DSN string `koanf:"dsn" secret:"true"`
	} `koanf:"db"`
	Log struct {
		Level string `koanf:"level" reload:"true"`
	} `koanf:"log"`
	Features map[string]string `koanf:"features" reload:"true"`
	Workers  int               `koanf:"workers"`
}

func (s *sample) Validate() error {
	if s.Workers < 1 {
		return errs.Invalid("workers", "must be at least 1, got %d", s.Workers)
	}
	return nil
}

func defaults() sample {
	var s sample
	s.Name = "cdlc"
	s.HTTP.Addr = ":8080"
	s.HTTP.ReadTimeout = 10 * time.Second
	s.HTTP.Origins = []string{"*"}
	s.Log.Level = "info"
	s.Features = map[string]string{"a": "1"}
	s.Workers = 2
	return s
}

func writeFile(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "cdlc.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLayersOverrideInOrder(t *testing.T) {
	file := writeFile(t, "http:\n  addr: :9000\n  read_timeout: 3s\nlog:\n  level: warn\nworkers: 4\n")
	got, err := config.Load(defaults(), config.Sources{
		Remote: map[string]any{"http": map[string]any{"addr": ":7000"}, "log.level": "debug", "name": "remote"},
		File:   file,
		Env:    []string{"CDLC_LOG_LEVEL=error", "CDLC_HTTP_READ_TIMEOUT=7s", "CDLC_FEATURES_NEW_PLAYER=on", "HOME=/root", "CDLC_HTTP_ORIGINS=a.example, b.example"},
		Flags:  map[string]string{"workers": "9"},
	})
	require.NoError(t, err)
	require.Equal(t, "remote", got.Name, "remote beats defaults")
	require.Equal(t, ":9000", got.HTTP.Addr, "file beats remote")
	require.Equal(t, 7*time.Second, got.HTTP.ReadTimeout, "env beats file")
	require.Equal(t, "error", got.Log.Level)
	require.Equal(t, 9, got.Workers, "flags beat env")
	require.Equal(t, []string{"a.example", "b.example"}, got.HTTP.Origins)
	require.Equal(t, map[string]string{"a": "1", "new_player": "on"}, got.Features)
}

func TestBadValuesNameTheKey(t *testing.T) {
	cases := []struct {
		name string
		src  config.Sources
		key  string
	}{
		{"bad duration in env", config.Sources{Env: []string{"CDLC_HTTP_READ_TIMEOUT=soon"}}, "http.read_timeout"},
		{"bad int in flag", config.Sources{Flags: map[string]string{"workers": "many"}}, "workers"},
		{"unknown flag key", config.Sources{Flags: map[string]string{"htp.addr": "x"}}, "htp.addr"},
		{"unknown file key", config.Sources{File: "yaml:htpp:\n  addr: x\n"}, "htpp.addr"},
		{"validation", config.Sources{Flags: map[string]string{"workers": "0"}}, "workers"},
		{"unreadable file", config.Sources{File: "/nonexistent/cdlc.yaml"}, "--config"},
		{"not yaml", config.Sources{File: "yaml:a: [\n"}, "--config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.src.File) > 5 && c.src.File[:5] == "yaml:" {
				c.src.File = writeFile(t, c.src.File[5:])
			}
			_, err := config.Load(defaults(), c.src)
			require.Error(t, err)
			require.True(t, config.IsInvalid(err))
			require.Equal(t, c.key, errs.FieldOf(err), err.Error())
			require.Contains(t, config.Describe(err), c.key)
		})
	}
}

func TestRedactedAndDiff(t *testing.T) {
	a := defaults()
	a.DB.DSN = "root:hunter2@tcp(db)/x"
	r := config.Redacted(a)
	require.Equal(t, "******", r["db.dsn"])
	require.Equal(t, "10s", r["http.read_timeout"])
	require.Equal(t, ":8080", r["http.addr"])

	b := a
	b.Log.Level = "debug"
	b.HTTP.Addr = ":1"
	require.ElementsMatch(t, []config.Change{{Key: "http.addr"}, {Key: "log.level", Reloadable: true}}, config.Diff(a, b))
}

func TestLiveTellsListeners(t *testing.T) {
	l := config.NewLive(defaults())
	var seen []string
	l.OnChange(func(old, new *sample) { seen = append(seen, old.Log.Level+"->"+new.Log.Level) })
	n := defaults()
	n.Log.Level = "debug"
	l.Store(n)
	require.Equal(t, "debug", l.Load().Log.Level)
	require.Equal(t, []string{"info->debug"}, seen)
	require.EqualValues(t, 1, l.Version())
}

func TestApplyReloadableKeepsTheRest(t *testing.T) {
	cur := defaults()
	next := defaults()
	next.Log.Level = "debug"
	next.Features = map[string]string{"b": "2"}
	next.HTTP.Addr = ":9999"
	got, pending := config.ApplyReloadable(cur, next)
	require.Equal(t, "debug", got.Log.Level)
	require.Equal(t, map[string]string{"b": "2"}, got.Features)
	require.Equal(t, ":8080", got.HTTP.Addr, "not reloadable: needs a restart")
	require.Equal(t, []config.Change{{Key: "http.addr"}}, pending)
	require.Equal(t, "info", cur.Log.Level, "the current value is not touched")
}
