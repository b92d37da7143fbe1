package grpcapi_test

import (
	"testing"

	"github.com/cdlc/cdlc/internal/actor/actortest"
	"github.com/cdlc/cdlc/internal/actor/grpcapi"
	"github.com/cdlc/cdlc/internal/platform/rpc/rpctest"
)

// Over gRPC, the client keeps the same contract as the service in
// process: same answers, field for field, and same errors.
func TestContractOverGRPC(t *testing.T) {
	for _, tr := range rpctest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			actortest.Run(t, func(t *testing.T, wrap actortest.Wrap) actortest.Subject {
				svc, store := actortest.Local(t)
				path, h := grpcapi.Handler(wrap(svc))
				c := tr.Serve(t, path, h)
				return actortest.Subject{Service: grpcapi.NewClient(c.HTTP, c.URL, c.Options...), Store: store}
			})
		})
	}
}
