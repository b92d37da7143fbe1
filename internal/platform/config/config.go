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
	"maps"
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

// Sections are configuration sections declared at run time rather than in
// the configuration struct: one per service of the service table, keyed by
// its top-level key, each a pointer to a struct holding its settings. A
// field of this type (tagged `koanf:"-"`) inlines its sections at the
// level of the struct it is in: the section "customer" with a field
// `koanf:"max_profiles"` is the setting customer.max_profiles, read from
// the file, CDLC_CUSTOMER_MAX_PROFILES and --set like any other.
//
// Sections are treated as values: Load and ApplyReloadable copy them, so
// two configurations never share a section.
type Sections map[string]any

// Clone copies every section (a new struct behind each pointer).
func (s Sections) Clone() Sections {
	if s == nil {
		return nil
	}
	out := make(Sections, len(s))
	for k, v := range s {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
			panic(fmt.Sprintf("config: section %q must be a pointer to a struct, got %T", k, v))
		}
		c := reflect.New(rv.Elem().Type())
		c.Elem().Set(rv.Elem())
		out[k] = c.Interface()
	}
	return out
}

var sectionsType = reflect.TypeOf(Sections(nil))

// Fields lists the leaf settings of v, sorted by key.
func Fields(v any) []Field {
	var out []Field
	walk(reflect.ValueOf(v), "", false, false, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// walk lists the leaves of v. It reads values, not only types, because a
// Sections field holds its sections' types in its entries.
func walk(v reflect.Value, prefix string, secret, reload bool, out *[]Field) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type == sectionsType {
			secs := v.Field(i).Interface().(Sections)
			for _, name := range slices.Sorted(maps.Keys(secs)) {
				walk(reflect.ValueOf(secs[name]), join(prefix, name), secret, reload, out)
			}
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "" && opts == "squash" {
			// An inlined struct: its settings are at this level.
			walk(v.Field(i), prefix, secret, reload, out)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		key := join(prefix, name)
		s := secret || f.Tag.Get("secret") == "true"
		r := reload || f.Tag.Get("reload") == "true"
		ft := f.Type
		if ft.Kind() == reflect.Struct && ft != durationType && ft != reflect.TypeOf(time.Time{}) {
			walk(v.Field(i), key, s, r, out)
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
	secs := cloneSections(reflect.ValueOf(&out).Elem())
	if err := decode(k, &out); err != nil {
		return zero, err
	}
	for _, sec := range secs {
		if err := decodeSection(k, sec); err != nil {
			return zero, err
		}
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

// section is one run-time section being loaded: its key and the pointer
// its settings are decoded into.
type section struct {
	key string
	ptr any
}

// cloneSections replaces every Sections field reachable from v (a struct
// value that can be set) by a copy, so that loading never writes into the
// defaults' sections, and returns the copied sections with their keys.
func cloneSections(v reflect.Value) []section {
	var out []section
	var visit func(v reflect.Value, prefix string)
	visit = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if f.Type == sectionsType {
				c := fv.Interface().(Sections).Clone()
				fv.Set(reflect.ValueOf(c))
				for _, name := range slices.Sorted(maps.Keys(c)) {
					out = append(out, section{key: join(prefix, name), ptr: c[name]})
				}
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
			if name == "" || name == "-" || f.Type.Kind() != reflect.Struct || f.Type == durationType {
				continue
			}
			visit(fv, join(prefix, name))
		}
	}
	visit(v, "")
	return out
}

// decodeSection fills a run-time section from its keys and validates it
// when it has a Validate method; its errors name the whole key.
func decodeSection(k *koanf.Koanf, sec section) error {
	if err := decode(k.Cut(sec.key), sec.ptr); err != nil {
		return prefixField(err, sec.key)
	}
	if v, ok := sec.ptr.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return prefixField(err, sec.key)
		}
	}
	return nil
}

// prefixField makes an Invalid error's field the whole key.
func prefixField(err error, prefix string) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Field != "" && !strings.HasPrefix(e.Field, prefix+".") {
		c := *e
		c.Field = prefix + "." + e.Field
		return &c
	}
	return err
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
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		t := v.Type()
		found := false
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("koanf"), ",")
			if name == part && name != "-" {
				v, found = v.Field(i), true
				break
			}
		}
		if found {
			continue
		}
		// A struct inlined at this level (`koanf:",squash"`).
		for i := range t.NumField() {
			if t.Field(i).Tag.Get("koanf") != ",squash" {
				continue
			}
			if f := lookup(v.Field(i), part); f.IsValid() && f.Type() != v.Field(i).Type() {
				v, found = f, true
				break
			}
		}
		if found {
			continue
		}
		// A run-time section inlined at this level.
		for i := range t.NumField() {
			if t.Field(i).Type != sectionsType {
				continue
			}
			if sec, ok := v.Field(i).Interface().(Sections)[part]; ok {
				v = reflect.ValueOf(sec)
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
	if ov.Kind() == reflect.Struct {
		// Sections are pointers: copy them before setting, so cur keeps its own.
		cloneSections(ov)
	}
	for _, c := range Diff(cur, next) {
		if !c.Reloadable {
			pending = append(pending, c)
			continue
		}
		lookup(ov, c.Key).Set(lookup(nv, c.Key))
	}
	return out, pending
}
