package httpapi

import "github.com/cdlc/cdlc/internal/platform/kit"

// Routes are the customer service's public paths: every call acts on the
// caller's own account.
var Routes = kit.Subtree("/api/v1/account", kit.Scoped(Scope), kit.Scoped(Scope))
