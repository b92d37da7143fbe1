// Package config loads a process's configuration in layers — defaults <
// configuration server < YAML file (--config) < environment (CDLC_...) <
// flags — into a typed struct, validates it with errors that name the key,
// prints it with secrets redacted, and holds the live value that reloadable
// settings are read from.
//
// The struct is the schema: `koanf:"name"` tags give the keys,
// `secret:"true"` marks values never printed, `reload:"true"` marks values a
// running process may change without a restart. We merge with koanf
// (github.com/knadh/koanf), a small, well-kept library that keeps providers
// and parsers apart, and decode with mapstructure through it.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// EnvPrefix starts every environment variable the loader reads.
const EnvPrefix = "CDLC_"

// Sources are the layers above the defaults, lowest first.
type Sources struct {
	// Remote is the document fetched from the configuration server (nested or flat keys).
	Remote map[string]any
	// File is the path of a YAML file; empty for none.
	File string
	// Env is the environment, as os.Environ gives it; only CDLC_ variables count.
	Env []string
	// Flags maps keys to values given on the command line.
	Flags map[string]string
	// OnUnknownRemote is told of each setting in Remote that T does not have.
	OnUnknownRemote func(key string)
}

// Field describes one leaf setting of a configuration struct.
type Field struct {
	Key        string
	Type       reflect.Type
	Secret     bool
	Reloadable bool
	// Map marks a map-valued setting whose sub-keys are free (features.x).
	Map bool
}

// Fields lists the leaf settings of the struct type of v, sorted by key.
func Fields(v any) []Field {
	var out []Field
	walk(reflect.TypeOf(v), "", false, false, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

func walk(t reflect.Type, prefix string, secret, reload bool, out *[]Field) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		s := secret || f.Tag.Get("secret") == "true"
		r := reload || f.Tag.Get("reload") == "true"
		ft := f.Type
		if ft.Kind() == reflect.Struct && ft != durationType && ft != reflect.TypeOf(time.Time{}) {
			walk(ft, key, s, r, out)
			continue
		}
		*out = append(*out, Field{Key: key, Type: ft, Secret: s, Reloadable: r, Map: ft.Kind() == reflect.Map})
	}
}

// Load merges defaults with the sources into a new T and validates it. Errors
// are *errs.Error of kind Invalid whose Field is the offending key.
func Load[T any](defaults T, src Sources) (T, error) {
	var zero T
	fields := Fields(defaults)
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(flatten(defaults, fields), "."), nil); err != nil {
		return zero, err
	}
	if len(src.Remote) > 0 {
		rk := koanf.New(".")
		if err := rk.Load(confmap.Provider(src.Remote, "."), nil); err != nil {
			return zero, err
		}
		// A newer server may hold settings this build does not know; they
		// are skipped, not fatal, so that old processes keep starting.
		for _, key := range rk.Keys() {
			if !known(key, fields) {
				rk.Delete(key)
				if src.OnUnknownRemote != nil {
					src.OnUnknownRemote(key)
				}
			}
		}
		if err := k.Merge(rk); err != nil {
			return zero, err
		}
	}
	if src.File != "" {
		b, err := os.ReadFile(src.File)
		if err != nil {
			return zero, &errs.Error{Kind: errs.KindInvalid, Field: "--config", Detail: "cannot read the configuration file; check the path and its permissions", Err: err}
		}
		fk := koanf.New(".")
		if err := fk.Load(rawbytes.Provider(b), yaml.Parser()); err != nil {
			return zero, &errs.Error{Kind: errs.KindInvalid, Field: "--config", Detail: src.File + " is not valid YAML", Err: err}
		}
		if err := checkKeys(fk, fields, src.File); err != nil {
			return zero, err
		}
		if err := k.Merge(fk); err != nil {
			return zero, err
		}
	}
	env := map[string]any{}
	for _, kv := range src.Env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		if key, ok := envKey(strings.TrimPrefix(name, EnvPrefix), fields); ok {
			env[key] = val
		}
	}
	if err := k.Load(confmap.Provider(env, "."), nil); err != nil {
		return zero, err
	}
	flags := map[string]any{}
	for key, val := range src.Flags {
		if !known(key, fields) {
			return zero, errs.Invalid(key, "unknown setting; `cdlc config print` lists them")
		}
		flags[key] = val
	}
	if err := k.Load(confmap.Provider(flags, "."), nil); err != nil {
		return zero, err
	}

	out := defaults
	if err := decode(k, &out); err != nil {
		return zero, err
	}
	if v, ok := any(&out).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return zero, err
		}
	}
	return out, nil
}

// decode fills out from k; out already holds the defaults, which keeps map
// and slice defaults when nothing overrides them.
func decode(k *koanf.Koanf, out any) error {
	err := k.UnmarshalWithConf("", out, koanf.UnmarshalConf{
		Tag: "koanf",
		DecoderConfig: &mapstructure.DecoderConfig{
			DecodeHook: mapstructure.ComposeDecodeHookFunc(
				mapstructure.StringToTimeDurationHookFunc(),
				stringToSlice,
				mapstructure.TextUnmarshallerHookFunc(),
			),
			WeaklyTypedInput: true,
			Result:           out,
			TagName:          "koanf",
		},
	})
	if err != nil {
		return decodeError(err)
	}
	return nil
}

// stringToSlice splits comma-separated strings from the environment and
// flags into lists ("a,b" -> ["a","b"]); an empty string is an empty list.
func stringToSlice(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice {
		return data, nil
	}
	s := strings.TrimSpace(data.(string))
	if s == "" {
		return []string{}, nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, nil
}

var keyInError = regexp.MustCompile(`'([^']+)'(.*)`)

// decodeError turns mapstructure's message into "key: reason".
func decodeError(err error) error {
	msg := err.Error()
	for _, line := range strings.Split(msg, "\n") {
		if m := keyInError.FindStringSubmatch(line); m != nil {
			reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m[2]), ":"))
			reason = strings.TrimPrefix(reason, "expected type ")
			return errs.Invalid(m[1], "%s", reason)
		}
	}
	return errs.Invalid("config", "%s", msg)
}

func checkKeys(k *koanf.Koanf, fields []Field, where string) error {
	for _, key := range k.Keys() {
		if !known(key, fields) {
			return errs.Invalid(key, "unknown setting in %s; `cdlc config print` lists them", where)
		}
	}
	return nil
}

func known(key string, fields []Field) bool {
	for _, f := range fields {
		if f.Key == key || (f.Map && strings.HasPrefix(key, f.Key+".")) {
			return true
		}
		// A whole list given as one value (file: db.replicas: [..]).
		if f.Key == key {
			return true
		}
	}
	return false
}

// envKey maps HTTP_READ_TIMEOUT to http.read_timeout by matching the known
// keys, so operators write settings with single underscores. Map settings
// take the rest of the name as the sub-key (FEATURES_NEW_PLAYER ->
// features.new_player).
func envKey(name string, fields []Field) (string, bool) {
	up := strings.ToUpper(name)
	for _, f := range fields {
		e := strings.ToUpper(strings.ReplaceAll(f.Key, ".", "_"))
		if e == up {
			return f.Key, true
		}
		if f.Map && strings.HasPrefix(up, e+"_") {
			return f.Key + "." + strings.ToLower(up[len(e)+1:]), true
		}
	}
	return "", false
}

// EnvName is the environment variable that sets key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// flatten reads v's leaf values by key.
func flatten(v any, fields []Field) map[string]any {
	out := make(map[string]any, len(fields))
	rv := reflect.ValueOf(v)
	for _, f := range fields {
		out[f.Key] = lookup(rv, f.Key).Interface()
	}
	return out
}

func lookup(v reflect.Value, key string) reflect.Value {
	for _, part := range strings.Split(key, ".") {
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("koanf"), ",")
			if name == part {
				v = v.Field(i)
				break
			}
		}
	}
	return v
}

// Redacted is the value of v by key, with every non-empty secret replaced
// by "******": what `cdlc config print` and the admin endpoint show.
func Redacted(v any) map[string]any {
	fields := Fields(v)
	out := flatten(v, fields)
	for _, f := range fields {
		if f.Secret && !reflect.ValueOf(out[f.Key]).IsZero() {
			out[f.Key] = "******"
		}
		if d, ok := out[f.Key].(time.Duration); ok {
			out[f.Key] = d.String()
		}
	}
	return out
}

// Change is one setting that differs between two configurations.
type Change struct {
	Key        string
	Reloadable bool
}

// Diff lists the settings that differ between old and new.
func Diff[T any](old, new T) []Change {
	fields := Fields(old)
	a, b := flatten(old, fields), flatten(new, fields)
	var out []Change
	for _, f := range fields {
		if !reflect.DeepEqual(a[f.Key], b[f.Key]) {
			out = append(out, Change{Key: f.Key, Reloadable: f.Reloadable})
		}
	}
	return out
}

// Keys lists every setting's key, for help texts.
func Keys(v any) []string {
	var out []string
	for _, f := range Fields(v) {
		out = append(out, f.Key)
	}
	return slices.Clip(out)
}

// IsInvalid reports whether err is a configuration error (exit code 2).
func IsInvalid(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Kind == errs.KindInvalid
}

// Describe formats a configuration error as the one line an operator reads.
func Describe(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Field != "" {
		hint := ""
		if !strings.HasPrefix(e.Field, "-") && e.Field != "config" {
			hint = fmt.Sprintf(" (set in the file, as %s, or with --set %s=...)", EnvName(e.Field), e.Field)
		}
		return fmt.Sprintf("invalid configuration: %s%s", err.Error(), hint)
	}
	return "invalid configuration: " + err.Error()
}

// ApplyReloadable returns cur with every reloadable setting taken from next,
// and lists the settings that differ but need a restart (left as in cur).
func ApplyReloadable[T any](cur, next T) (T, []Change) {
	out := cur
	var pending []Change
	ov, nv := reflect.ValueOf(&out).Elem(), reflect.ValueOf(next)
	for _, c := range Diff(cur, next) {
		if !c.Reloadable {
			pending = append(pending, c)
			continue
		}
		lookup(ov, c.Key).Set(lookup(nv, c.Key))
	}
	return out, pending
}
