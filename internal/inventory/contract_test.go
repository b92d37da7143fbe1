package inventory_test

import (
	"testing"

	"github.com/cdlc/cdlc/internal/inventory/inventorytest"
)

// The in-process catalog keeps the contract other services rely on.
func TestContractInProcess(t *testing.T) {
	inventorytest.Run(t, func(t *testing.T, wrap inventorytest.Wrap) inventorytest.Subject {
		svc, store := inventorytest.Local(t)
		return inventorytest.Subject{Service: wrap(svc), Store: store}
	})
}
