package app

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"

	actorgrpc "github.com/cdlc/cdlc/internal/actor/grpcapi"
	customergrpc "github.com/cdlc/cdlc/internal/customer/grpcapi"
	inventorygrpc "github.com/cdlc/cdlc/internal/inventory/grpcapi"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// connectPeers points the in-process service handles of services that do
// not run here at their gRPC clients, for those with a peer URL. This is
// the one place where the deployment shape is decided: service code calls
// a.Inventory, a.Actor or a.Customer and cannot tell local from remote.
//
// Every call to a peer goes through its circuit breaker, with a timeout
// per attempt, and reads are retried with backoff (rpc.Peer, tuned by
// rpc.*): a peer that is down costs its callers one fast 503 with
// Retry-After rather than a hung request each.
func (a *App) connectPeers(running []string) {
	cfg := a.Config()
	// Each attempt has the deadline rpc.timeout (the interceptor's); the
	// client's own timeout is a backstop for anything else (readiness).
	hc := &http.Client{Timeout: cfg.RPC.Timeout + time.Second}
	peer := func(name string) (string, []connect.ClientOption, bool) {
		u, ok := cfg.Peers[name]
		if !ok || slices.Contains(running, name) {
			return "", nil, false
		}
		return u, rpc.NewPeer(name, cfg.RPC, a.breakerMetrics()).ClientOptions(), true
	}
	if u, opts, ok := peer("inventory"); ok {
		a.Inventory = inventorygrpc.NewClient(hc, u, opts...)
	}
	if u, opts, ok := peer("actor"); ok {
		a.Actor = actorgrpc.NewClient(hc, u, opts...)
	}
	if u, opts, ok := peer("customer"); ok {
		a.Customer = customergrpc.NewClient(hc, u, opts...)
	}
	// Readiness covers every peer this process calls (over gRPC, or
	// through the gateway's proxy), in a stable order.
	for _, name := range slices.Sorted(maps.Keys(cfg.Peers)) {
		if !slices.Contains(running, name) {
			a.Health.Add("peer:"+name, peerAlive(hc, cfg.Peers[name]))
		}
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
