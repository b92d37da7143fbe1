package auth

import (
	"strings"
	"sync"
	"time"
)

// DenyList is what a verifier refuses although the signature is good:
// access tokens revoked by id, token families (every access token issued
// from one grant: a refresh-token family, an authorization code) and
// deleted subjects. The authorization server publishes revocations and
// deletions as events; every process feeds them to its deny list, so a
// revocation holds everywhere within the bus's delivery time, with no
// network call per request. Entries leave when the tokens they deny have
// expired anyway; the list is bounded (the entries closest to expiry go
// first when it is full).
type DenyList struct {
	mu      sync.RWMutex
	entries map[string]time.Time // key -> until
	max     int
	now     func() time.Time
}

// NewDenyList holds at most max entries (0 means 100,000).
func NewDenyList(max int) *DenyList {
	if max <= 0 {
		max = 100_000
	}
	return &DenyList{entries: map[string]time.Time{}, max: max, now: time.Now}
}

// Keys of the deny list.
func tokenKey(id string) string    { return "jti:" + id }
func familyKey(id string) string   { return "family:" + id }
func subjectKey(sub string) string { return "sub:" + sub }
func (d *DenyList) alive(k string) bool {
	until, ok := d.entries[k]
	return ok && d.now().Before(until)
}

// TokenFamily is the family of an access token id: the platform's access
// tokens are "<family>.<random>", the family being the grant they were
// issued from.
func TokenFamily(tokenID string) string {
	f, _, ok := strings.Cut(tokenID, ".")
	if !ok {
		return ""
	}
	return f
}

// DenyToken refuses the access token id until until.
func (d *DenyList) DenyToken(id string, until time.Time) { d.add(tokenKey(id), until) }

// DenyFamily refuses every access token of the family until until.
func (d *DenyList) DenyFamily(family string, until time.Time) { d.add(familyKey(family), until) }

// DenySubject refuses every token of a deleted subject until until (when
// every token issued to them has expired).
func (d *DenyList) DenySubject(sub string, until time.Time) { d.add(subjectKey(sub), until) }

func (d *DenyList) add(key string, until time.Time) {
	if key == "" || !d.now().Before(until) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.entries[key]; ok && old.After(until) {
		return
	}
	if _, ok := d.entries[key]; !ok && len(d.entries) >= d.max {
		d.evict()
	}
	d.entries[key] = until
}

// evict drops expired entries, then, if still full, the one closest to
// expiry (the one whose tokens die first).
func (d *DenyList) evict() {
	now := d.now()
	var soonest string
	var at time.Time
	for k, u := range d.entries {
		if !now.Before(u) {
			delete(d.entries, k)
			continue
		}
		if soonest == "" || u.Before(at) {
			soonest, at = k, u
		}
	}
	if len(d.entries) >= d.max && soonest != "" {
		delete(d.entries, soonest)
	}
}

// Denied reports whether p's token is refused.
func (d *DenyList) Denied(p Principal) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if len(d.entries) == 0 {
		return false
	}
	if p.Subject != "" && d.alive(subjectKey(p.Subject)) {
		return true
	}
	if p.TokenID == "" {
		return false
	}
	if d.alive(tokenKey(p.TokenID)) {
		return true
	}
	f := TokenFamily(p.TokenID)
	return f != "" && d.alive(familyKey(f))
}

// Len is the number of entries (expired ones included until evicted).
func (d *DenyList) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.entries)
}
