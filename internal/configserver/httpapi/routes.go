package httpapi

import (
	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// Routes are the configurations server's public paths. Its watch is a
// long-lived stream and its changes a long poll: no gateway timeout.
var Routes = func() []kit.Route {
	rs := kit.Subtree("/api/v1/config", kit.Scoped(configserver.ScopeRead), kit.Scoped(configserver.ScopeWrite))
	for i := range rs {
		rs[i].Timeout = -1
	}
	return rs
}()
