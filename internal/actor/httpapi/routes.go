package httpapi

import (
	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// Routes are the actor service's public paths: people and credits,
// including a title's credits; reads are public, edits need
// catalog:write.
var Routes = kit.Routes(
	kit.Subtree("/api/v1/people", kit.Public, kit.Scoped(actor.ScopeWrite)),
	kit.Subtree("/api/v1/credits", kit.Public, kit.Scoped(actor.ScopeWrite)),
	kit.Subtree("/api/v1/titles/{id}/credits", kit.Public, kit.Scoped(actor.ScopeWrite)),
	kit.Subtree("/api/v1/search/people", kit.Public, kit.Scoped(actor.ScopeWrite)),
)
