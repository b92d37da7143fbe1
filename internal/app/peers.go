package app

import (
	"net/http"
	"slices"
	"time"

	actorgrpc "github.com/cdlc/cdlc/internal/actor/grpcapi"
	inventorygrpc "github.com/cdlc/cdlc/internal/inventory/grpcapi"
)

// connectPeers points the in-process service handles of services that do
// not run here at their gRPC clients, for those with a peer URL. This is
// the one place where the deployment shape is decided: service code calls
// a.Inventory or a.Actor and cannot tell local from remote.
func (a *App) connectPeers(running []string) {
	peers := a.Config().Peers
	hc := &http.Client{Timeout: 10 * time.Second}
	if u, ok := peers["inventory"]; ok && !slices.Contains(running, "inventory") {
		a.Inventory = inventorygrpc.NewClient(hc, u)
	}
	if u, ok := peers["actor"]; ok && !slices.Contains(running, "actor") {
		a.Actor = actorgrpc.NewClient(hc, u)
	}
}
