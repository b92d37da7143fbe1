package configserver

import (
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Values is a configuration document: a JSON object whose leaves are
// settings. A leaf written as {"$secret": "..."} is a secret: stored
// encrypted, and shown in plain text only to callers with the secrets scope.
type Values = map[string]any

// Markers of secret leaves: $secret on input (plain text), $enc at rest.
const (
	secretMarker = "$secret"
	sealedMarker = "$enc"
	// Redacted replaces a secret's value for callers without the scope.
	Redacted = "******"
)

var (
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	keyPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// maxDepth bounds nesting, so a hostile document cannot make flattening
// or merging recurse without end.
const maxDepth = 16

// ValidateName checks an application or profile name.
func ValidateName(field, name string) error {
	if !namePattern.MatchString(name) {
		return errs.Invalid(field, "must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit; got %q", name)
	}
	return nil
}

// validateValues checks a document as a caller wrote it: keys are plain
// identifiers (a dot would make flat keys ambiguous), depth is bounded,
// secret markers are well-formed and sealed markers are not forged.
func validateValues(field string, v Values, depth int) error {
	if depth > maxDepth {
		return errs.Invalid(field, "nesting deeper than %d levels", maxDepth)
	}
	for k, val := range v {
		path := field + "." + k
		if !keyPattern.MatchString(k) {
			return errs.Invalid(path, "keys must be 1-128 letters, digits, '-' or '_' (no dots); got %q", k)
		}
		obj, ok := val.(map[string]any)
		if !ok {
			continue
		}
		if s, isSecret := obj[secretMarker]; isSecret {
			if len(obj) != 1 {
				return errs.Invalid(path, `a secret is written as {"$secret": "value"} with nothing else beside it`)
			}
			if _, ok := s.(string); !ok {
				return errs.Invalid(path, "a secret's value must be a string")
			}
			continue
		}
		if _, forged := obj[sealedMarker]; forged {
			return errs.Invalid(path, `"$enc" is reserved for stored secrets; write {"$secret": "value"}`)
		}
		if err := validateValues(path, obj, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// isLeafSecret reports whether v is a secret leaf ($secret or $enc).
func secretLeaf(v any) (marker string, payload string, ok bool) {
	obj, isObj := v.(map[string]any)
	if !isObj || len(obj) != 1 {
		return "", "", false
	}
	for _, m := range []string{secretMarker, sealedMarker} {
		if s, ok := obj[m].(string); ok {
			return m, s, true
		}
	}
	return "", "", false
}

// Flatten lists the leaves of v by dotted key ("db.pool.size"). Secret
// leaves stay whole; empty objects vanish.
func Flatten(v Values) map[string]any {
	out := map[string]any{}
	flattenInto(out, "", v)
	return out
}

func flattenInto(out map[string]any, prefix string, v Values) {
	for k, val := range v {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if obj, ok := val.(map[string]any); ok {
			if _, _, isSecret := secretLeaf(obj); !isSecret {
				flattenInto(out, key, obj)
				continue
			}
		}
		out[key] = val
	}
}

// Unflatten builds a nested document from dotted keys.
func Unflatten(flat map[string]any) Values {
	out := Values{}
	for _, key := range slices.Sorted(maps.Keys(flat)) {
		parts := strings.Split(key, ".")
		cur := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = flat[key]
	}
	return out
}

// Merge overlays layers in order: later layers win leaf by leaf; objects
// merge, anything else (arrays included) replaces, and a null removes the
// key, as in a merge patch.
func Merge(layers ...Values) Values {
	out := Values{}
	for _, l := range layers {
		applyPatch(out, l)
	}
	return out
}

// MergePatch applies an RFC 7396 JSON merge patch: null deletes, objects
// merge, everything else replaces. The result is a new document.
func MergePatch(doc, patch Values) Values {
	out := deepCopy(doc)
	applyPatch(out, patch)
	return out
}

func applyPatch(dst, patch Values) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if obj, ok := v.(map[string]any); ok {
			if _, _, isSecret := secretLeaf(obj); !isSecret {
				d, ok := dst[k].(map[string]any)
				if !ok {
					d = map[string]any{}
					dst[k] = d
				}
				applyPatch(d, obj)
				continue
			}
		}
		dst[k] = v
	}
}

func deepCopy(v Values) Values {
	out := make(Values, len(v))
	for k, val := range v {
		if obj, ok := val.(map[string]any); ok {
			out[k] = deepCopy(obj)
			continue
		}
		out[k] = val
	}
	return out
}

// Change is one setting that differs between two documents. Op is "set"
// (added or changed; Value holds the new value) or "delete".
type Change struct {
	Op     string `json:"op" enum:"set,delete" doc:"set: the key was added or changed; delete: it was removed"`
	Key    string `json:"key" doc:"Dotted key, e.g. db.pool.size"`
	Value  any    `json:"value,omitempty" doc:"The new value (for set); secrets are redacted without the config:secrets scope"`
	Secret bool   `json:"secret,omitempty" doc:"The value is a secret"`
}

// Diff lists what changed from a to b, both flat and with secrets opened,
// sorted by key. secret reports the keys that are secrets in b.
func Diff(a, b map[string]any, secret map[string]bool) []Change {
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(b)) {
		old, had := a[k]
		if had && equal(old, b[k]) {
			continue
		}
		out = append(out, Change{Op: "set", Key: k, Value: b[k], Secret: secret[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, still := b[k]; !still {
			out = append(out, Change{Op: "delete", Key: k})
		}
	}
	slices.SortStableFunc(out, func(x, y Change) int { return strings.Compare(x.Key, y.Key) })
	return out
}

func equal(a, b any) bool {
	return reflect.DeepEqual(a, b)
}
