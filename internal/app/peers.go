package app

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	actorgrpc "github.com/cdlc/cdlc/internal/actor/grpcapi"
	customergrpc "github.com/cdlc/cdlc/internal/customer/grpcapi"
	inventorygrpc "github.com/cdlc/cdlc/internal/inventory/grpcapi"
)

// connectPeers points the in-process service handles of services that do
// not run here at their gRPC clients, for those with a peer URL. This is
// the one place where the deployment shape is decided: service code calls
// a.Inventory, a.Actor or a.Customer and cannot tell local from remote.
func (a *App) connectPeers(running []string) {
	peers := a.Config().Peers
	hc := &http.Client{Timeout: 10 * time.Second}
	if u, ok := peers["inventory"]; ok && !slices.Contains(running, "inventory") {
		a.Inventory = inventorygrpc.NewClient(hc, u)
	}
	if u, ok := peers["actor"]; ok && !slices.Contains(running, "actor") {
		a.Actor = actorgrpc.NewClient(hc, u)
	}
	// Readiness covers every peer this process calls (over gRPC, or through
	// the gateway's proxy), in a stable order.
	names := slices.Sorted(maps.Keys(peers))
	for _, name := range names {
		if !slices.Contains(running, name) {
			a.Health.Add("peer:"+name, peerAlive(hc, peers[name]))
		}
	}
	if u, ok := peers["customer"]; ok && !slices.Contains(running, "customer") {
		a.Customer = customergrpc.NewClient(hc, u)
		a.Health.Add("peer:customer", peerAlive(hc, u))
	}
}

// peerAlive is a readiness check of a peer: its /healthz answers.
func peerAlive(hc *http.Client, base string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/healthz", nil)
		if err != nil {
			return err
		}
		res, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("unreachable: %w", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("answered %s", res.Status)
		}
		return nil
	}
}
