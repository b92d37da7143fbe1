// Package archtest holds the rules of the module's package boundaries and
// the test that checks them against the import graph `go list` reports.
//
// A service is a folder internal/<svc> (every folder of internal/ but the
// platform, the composition root internal/app and this one). Its domain
// package is internal/<svc>; its contract packages are the ones under it
// whose name ends in "test" (actortest, the contract suites) or "events"
// (authevents, an event contract); its wiring package internal/<svc>/wiring
// starts it on the platform's kit; every other package under it is an
// adapter (sqlstore, httpapi, grpcapi, searchindex, client, ...). The rules:
//
//   - only the composition roots (internal/app and cmd/cdlc, and what is under
//     them) import adapters, and a service's wiring and contract suites import
//     its own adapters (they assemble or exercise the service);
//   - so a service never imports another service's adapters, and an adapter
//     never imports another adapter, of its own service or another.
//
// Test files may import adapters (a store's tests build the real engine),
// so only the imports of the packages themselves are checked.
package archtest

import (
	"fmt"
	"sort"
	"strings"
)

// Package is one package of the import graph: its path and what its
// non-test files import.
type Package struct {
	ImportPath string
	Imports    []string
}

// Rules names the module and the folders whose packages may import
// adapters.
type Rules struct {
	// Module is the module path (github.com/cdlc/cdlc).
	Module string
	// Roots are the composition roots, relative to Module (internal/app,
	// cmd/cdlc); packages under them may import adapters.
	Roots []string
	// NotServices are the folders of internal/ that are not services
	// (platform, app, archtest).
	NotServices []string
}

// Role is what a package is to the rules.
type Role int

// The roles of a package.
const (
	// Other is a package outside internal/<svc> (platform, cmd, bench...).
	Other Role = iota
	// Domain is internal/<svc> itself.
	Domain
	// Contract is a package under internal/<svc> whose name ends in "test".
	Contract
	// Wiring is internal/<svc>/wiring, the service's own composition.
	Wiring
	// Adapter is every other package under internal/<svc>.
	Adapter
)

// Classify returns the role of a package and the service it belongs to
// ("" for Other).
func (r Rules) Classify(path string) (Role, string) {
	rel, ok := strings.CutPrefix(path, r.Module+"/internal/")
	if !ok {
		return Other, ""
	}
	svc, rest, sub := strings.Cut(rel, "/")
	for _, n := range r.NotServices {
		if svc == n {
			return Other, ""
		}
	}
	if !sub {
		return Domain, svc
	}
	last := rest[strings.LastIndex(rest, "/")+1:]
	if strings.HasSuffix(last, "test") || strings.HasSuffix(last, "events") {
		return Contract, svc
	}
	if rest == "wiring" {
		return Wiring, svc
	}
	return Adapter, svc
}

func (r Rules) isRoot(path string) bool {
	for _, root := range r.Roots {
		p := r.Module + "/" + root
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// Violations lists, sorted, every import that breaks the rules.
func (r Rules) Violations(pkgs []Package) []string {
	var out []string
	for _, p := range pkgs {
		if r.isRoot(p.ImportPath) {
			continue
		}
		role, svc := r.Classify(p.ImportPath)
		for _, imp := range p.Imports {
			irole, isvc := r.Classify(imp)
			if irole != Adapter {
				continue
			}
			switch {
			case (role == Wiring || role == Contract) && svc == isvc:
				// A service's own assembly and contract suites.
			case role == Adapter:
				out = append(out, fmt.Sprintf("%s (an adapter of %s) imports the adapter %s", p.ImportPath, svc, imp))
			case svc != "" && svc != isvc:
				out = append(out, fmt.Sprintf("%s (of the %s service) imports the %s service's adapter %s", p.ImportPath, svc, isvc, imp))
			default:
				out = append(out, fmt.Sprintf("%s imports the adapter %s; only %s may", p.ImportPath, imp, strings.Join(r.Roots, " and ")))
			}
		}
	}
	sort.Strings(out)
	return out
}
