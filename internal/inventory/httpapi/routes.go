package httpapi

import (
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// Routes are the inventory's public paths: catalog reads are public,
// edits need catalog:write.
var Routes = kit.Routes(
	kit.Subtree("/api/v1/titles", kit.Public, kit.Scoped(inventory.ScopeWrite)),
	kit.Subtree("/api/v1/discover/titles", kit.Public, kit.Scoped(inventory.ScopeWrite)),
	kit.Subtree("/api/v1/search/titles", kit.Public, kit.Scoped(inventory.ScopeWrite)),
	kit.Subtree("/api/v1/search/multi", kit.Public, kit.Scoped(inventory.ScopeWrite)),
	kit.Subtree("/api/v1/genres", kit.Public, kit.Scoped(inventory.ScopeWrite)),
)
