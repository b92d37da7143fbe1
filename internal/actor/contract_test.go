package actor_test

import (
	"testing"

	"github.com/cdlc/cdlc/internal/actor/actortest"
)

// The in-process service keeps the contract other services rely on.
func TestContractInProcess(t *testing.T) {
	actortest.Run(t, func(t *testing.T, wrap actortest.Wrap) actortest.Subject {
		svc, store := actortest.Local(t)
		return actortest.Subject{Service: wrap(svc), Store: store}
	})
}
