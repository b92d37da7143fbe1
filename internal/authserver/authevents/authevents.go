// Package authevents is the authorization server's event contract: the
// topics it publishes through its outbox and their payloads, which
// producers and consumers both import. Users' events are keyed by subject.
package authevents

import "github.com/cdlc/cdlc/internal/platform/events"

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
