package secrets

import "github.com/cdlc/cdlc/internal/platform/errs"

// FromConfig builds the AES-256-GCM sealer of a configuration section's
// secrets at rest: from <section>.encryption_key (raw), or, when it is
// unset, a key secret generates into <data_dir>/<file>;
// <section>.previous_encryption_keys still open what they sealed.
func FromConfig(secret func(file, raw string) (string, error), section, file, raw string, previousRaw []string) (*Sealer, error) {
	raw, err := secret(file, raw)
	if err != nil {
		return nil, err
	}
	key, err := ParseKey(raw)
	if err != nil {
		return nil, errs.Invalid(section+".encryption_key", "%v", err)
	}
	var previous [][]byte
	for _, p := range previousRaw {
		k, err := ParseKey(p)
		if err != nil {
			return nil, errs.Invalid(section+".previous_encryption_keys", "%v", err)
		}
		previous = append(previous, k)
	}
	return NewSealer(key, previous...)
}
