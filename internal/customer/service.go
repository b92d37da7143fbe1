package customer

import (
	"context"
	"regexp"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// ProfileIDPattern is the shape of a profile id: "pf" and a lowercase ULID.
const ProfileIDPattern = `^pf[0-9a-z]{26}$`

var profileID = regexp.MustCompile(ProfileIDPattern)

// NewProfileID returns a new profile id.
func NewProfileID() string { return "pf" + strings.ToLower(ulid.Make().String()) }

// Options are what a Server needs.
type Options struct {
	Store Store
	// Kick wakes the outbox relay after a write (optional).
	Kick func()
}

// Server is the customer service: the rules around a Store. Every method
// taking an Owner creates the owner's account first if it has none.
type Server struct {
	store Store
	kick  func()
}

var _ Service = (*Server)(nil)

// New returns a Server.
func New(o Options) *Server {
	if o.Kick == nil {
		o.Kick = func() {}
	}
	return &Server{store: o.Store, kick: o.Kick}
}

// Account returns the owner's account, creating it on first use.
func (s *Server) Account(ctx context.Context, o Owner) (Account, error) {
	if err := validSubject(o.Subject); err != nil {
		return Account{}, err
	}
	a, err := s.store.Account(ctx, o.Subject)
	if err == nil || !errs.Is(err, errs.KindNotFound) {
		return a, err
	}
	first := FirstProfile(o)
	a, err = s.store.EnsureAccount(ctx, o.Subject, first, DefaultPreferences(first))
	s.kick()
	return a, err
}

// Profiles lists the owner's profiles, oldest first.
func (s *Server) Profiles(ctx context.Context, o Owner) ([]Profile, error) {
	a, err := s.Account(ctx, o)
	return a.Profiles, err
}

// CreateProfile adds a profile. Returns Invalid, Conflict (full account,
// name taken).
func (s *Server) CreateProfile(ctx context.Context, o Owner, in ProfileInput) (Profile, error) {
	a, err := s.Account(ctx, o)
	if err != nil {
		return Profile{}, err
	}
	if len(a.Profiles) >= MaxProfiles {
		return Profile{}, errFull()
	}
	p, err := NewProfile(in, len(a.Profiles))
	if err != nil {
		return Profile{}, err
	}
	p, err = s.store.CreateProfile(ctx, o.Subject, p, DefaultPreferences(p))
	if err == nil {
		s.kick()
	}
	return p, err
}

func errFull() error {
	return errs.Conflict("an account has at most %d profiles; delete one to add another", MaxProfiles)
}

// ErrFull is the Conflict CreateProfile returns for a full account, for
// stores to return the same words.
func ErrFull() error { return errFull() }

func checkID(id string) error {
	if !profileID.MatchString(id) {
		return errs.Invalid("path.id", "must be a profile id (pf and 26 characters); got %q", id)
	}
	return nil
}

// Profile returns one of the owner's profiles. Returns NotFound.
func (s *Server) Profile(ctx context.Context, o Owner, id string) (Profile, error) {
	if err := checkID(id); err != nil {
		return Profile{}, err
	}
	if _, err := s.Account(ctx, o); err != nil {
		return Profile{}, err
	}
	return s.store.Profile(ctx, o.Subject, id)
}

// UpdateProfile changes the fields set in in. A lowered maturity limit
// lowers the preferences' rating with it. expect, when set, is the
// version the change is based on. Returns Invalid, NotFound, Conflict.
func (s *Server) UpdateProfile(ctx context.Context, o Owner, id string, in ProfileInput, expect *int64) (Profile, error) {
	if err := checkID(id); err != nil {
		return Profile{}, err
	}
	if _, err := s.Account(ctx, o); err != nil {
		return Profile{}, err
	}
	p, err := s.store.UpdateProfile(ctx, o.Subject, id, expect, func(p *Profile, prefs *Preferences) error {
		if err := in.Apply(p); err != nil {
			return err
		}
		ClampRating(*p, prefs)
		return nil
	})
	if err == nil {
		s.kick()
	}
	return p, err
}

// DeleteProfile deletes a profile and its preferences; the last profile
// of an account cannot go. Returns NotFound, Conflict.
func (s *Server) DeleteProfile(ctx context.Context, o Owner, id string, expect *int64) error {
	if err := checkID(id); err != nil {
		return err
	}
	if _, err := s.Account(ctx, o); err != nil {
		return err
	}
	err := s.store.DeleteProfile(ctx, o.Subject, id, expect)
	if err == nil {
		s.kick()
	}
	return err
}

// Preferences returns a profile's preferences. Returns NotFound.
func (s *Server) Preferences(ctx context.Context, o Owner, id string) (Preferences, error) {
	if err := checkID(id); err != nil {
		return Preferences{}, err
	}
	if _, err := s.Account(ctx, o); err != nil {
		return Preferences{}, err
	}
	_, prefs, err := s.store.Preferences(ctx, o.Subject, id)
	return prefs, err
}

// SetPreferences replaces a profile's preferences. Returns Invalid,
// NotFound, Conflict.
func (s *Server) SetPreferences(ctx context.Context, o Owner, id string, in PreferencesInput, expect *int64) (Preferences, error) {
	if err := checkID(id); err != nil {
		return Preferences{}, err
	}
	if _, err := s.Account(ctx, o); err != nil {
		return Preferences{}, err
	}
	prefs, err := s.store.UpdatePreferences(ctx, o.Subject, id, expect, func(p Profile, prefs *Preferences) error {
		return in.Apply(p, prefs)
	})
	if err == nil {
		s.kick()
	}
	return prefs, err
}

// Export returns all of the owner's data.
func (s *Server) Export(ctx context.Context, o Owner) (Export, error) {
	if _, err := s.Account(ctx, o); err != nil {
		return Export{}, err
	}
	return s.store.Export(ctx, o.Subject)
}

// DeleteAccount deletes the subject's account and all in it, and
// publishes account.deleted. Returns NotFound when there is none.
func (s *Server) DeleteAccount(ctx context.Context, subject string) error {
	if err := validSubject(subject); err != nil {
		return err
	}
	err := s.store.DeleteAccount(ctx, subject)
	if err == nil {
		s.kick()
	}
	return err
}

// PreferencesOf implements Service.
func (s *Server) PreferencesOf(ctx context.Context, id string) (ProfilePreferences, error) {
	if !profileID.MatchString(id) {
		return ProfilePreferences{}, errs.Invalid("profile_id", "must be a profile id (pf and 26 characters); got %q", id)
	}
	b, err := s.store.PreferencesOf(ctx, []string{id})
	if err != nil {
		return ProfilePreferences{}, err
	}
	if len(b.Preferences) == 0 {
		return ProfilePreferences{}, errs.NotFound("profile %s", id)
	}
	return b.Preferences[0], nil
}

// PreferencesOfMany implements Service. Ids that are not profile ids are
// reported missing.
func (s *Server) PreferencesOfMany(ctx context.Context, ids []string) (PreferencesBatch, error) {
	if len(ids) > MaxBatch {
		return PreferencesBatch{}, errs.Invalid("profile_ids", "at most %d ids per call, got %d", MaxBatch, len(ids))
	}
	var valid []string
	for _, id := range ids {
		if profileID.MatchString(id) {
			valid = append(valid, id)
		}
	}
	found, err := s.store.PreferencesOf(ctx, valid)
	if err != nil {
		return PreferencesBatch{}, err
	}
	byID := make(map[string]ProfilePreferences, len(found.Preferences))
	for _, p := range found.Preferences {
		byID[p.ProfileID] = p
	}
	out := PreferencesBatch{Preferences: []ProfilePreferences{}, Missing: []string{}}
	for _, id := range ids {
		if p, ok := byID[id]; ok {
			out.Preferences = append(out.Preferences, p)
		} else {
			out.Missing = append(out.Missing, id)
		}
	}
	return out, nil
}
