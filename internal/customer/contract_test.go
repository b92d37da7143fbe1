package customer_test

import (
	"testing"

	"github.com/cdlc/cdlc/internal/customer/customertest"
)

// The in-process service keeps the contract other services rely on.
func TestContractInProcess(t *testing.T) {
	customertest.Run(t, func(t *testing.T, wrap customertest.Wrap) customertest.Subject {
		svc, store := customertest.Local(t)
		return customertest.Subject{Service: wrap(svc), Store: store}
	})
}
