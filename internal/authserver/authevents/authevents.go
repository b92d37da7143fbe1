// Package authevents is the authorization server's event contract: the
// topics it publishes through its outbox and their payloads, which
// producers and consumers both import. Users' events are keyed by subject.
package authevents

import (
	"time"

	"github.com/cdlc/cdlc/internal/platform/events"
)

// User is the payload of user.registered and user.deleted.
type User struct {
	// Subject is the user's id, the "sub" of their tokens.
	Subject string   `json:"subject"`
	Email   string   `json:"email,omitempty"`
	Roles   []string `json:"roles,omitempty"`
}

// Message is the payload of notification.email: an e-mail to send.
type Message struct {
	To       string `json:"to"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	Template string `json:"template"`
	Link     string `json:"link,omitempty"`
}

// The authorization server's topics.
var (
	UserRegistered = events.Define[User]("user.registered", "A user registered.", 1)
	UserDeleted    = events.Define[User]("user.deleted", "A user was deleted: their account goes too.", 1)
	// Email is consumed by the e-mail sender (a log sink until the
	// dispatch service delivers mail).
	Email = events.Define[Message]("notification.email", "An e-mail to send.", 1)
)

// Revoked is the payload of token.revoked: access tokens that must stop
// opening the platform before they expire. Every process keeps a deny
// list of them (platform/auth.DenyList) until Until.
type Revoked struct {
	// TokenIDs are access tokens revoked one by one (their jti).
	TokenIDs []string `json:"token_ids,omitempty"`
	// Families are grants revoked whole: every access token issued from
	// them ("<family>.<random>" ids).
	Families []string `json:"families,omitempty"`
	// Subject is whose tokens they are.
	Subject string `json:"subject,omitempty"`
	// Until is when the last of them expires.
	Until time.Time `json:"until"`
}

// TokensRevoked is published when tokens are revoked: RFC 7009
// revocation, a replayed authorization code, a refresh token reused after
// rotation, sign-out.
var TokensRevoked = events.Define[Revoked]("token.revoked", "Access tokens were revoked before their expiry.", 1)
