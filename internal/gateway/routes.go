package gateway

import "github.com/cdlc/cdlc/internal/platform/kit"

// Route and Access are the platform's (kit): every service declares its
// routes in the service table, and the gateway's route table is all of
// them (internal/app derives it).
type (
	Route  = kit.Route
	Access = kit.Access
)

// Route classes (kit's), which pick the rate limits.
const (
	ClassDefault = kit.ClassDefault
	ClassToken   = kit.ClassToken
	ClassLogin   = kit.ClassLogin
)
