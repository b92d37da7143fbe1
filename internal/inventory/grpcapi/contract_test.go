package grpcapi_test

import (
	"testing"

	"github.com/cdlc/cdlc/internal/inventory/grpcapi"
	"github.com/cdlc/cdlc/internal/inventory/inventorytest"
	"github.com/cdlc/cdlc/internal/platform/rpc/rpctest"
)

// Over gRPC, the client keeps the same contract as the catalog in
// process: same answers, field for field, and same errors.
func TestContractOverGRPC(t *testing.T) {
	for _, tr := range rpctest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			inventorytest.Run(t, func(t *testing.T, wrap inventorytest.Wrap) inventorytest.Subject {
				svc, store := inventorytest.Local(t)
				path, h := grpcapi.Handler(wrap(svc))
				c := tr.Serve(t, path, h)
				return inventorytest.Subject{Service: grpcapi.NewClient(c.HTTP, c.URL, c.Options...), Store: store}
			})
		})
	}
}
