package archtest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/archtest"
)

var rules = archtest.Rules{
	Module:      "github.com/cdlc/cdlc",
	Roots:       []string{"internal/app", "cmd/cdlc"},
	NotServices: []string{"platform", "app", "archtest"},
}

// TestBoundaries checks the module's own import graph.
func TestBoundaries(t *testing.T) {
	if testing.Short() {
		t.Skip("lists every package of the module")
	}
	pkgs := listPackages(t)
	require.Greater(t, len(pkgs), 20, "go list found the module's packages")
	require.Empty(t, rules.Violations(pkgs), "imports across package boundaries (see package archtest)")
}

// listPackages is `go list -json ./...` from the module root: every
// package and the imports of its non-test files.
func listPackages(t *testing.T) []archtest.Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []archtest.Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p archtest.Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestClassify(t *testing.T) {
	for path, want := range map[string]archtest.Role{
		"github.com/cdlc/cdlc/internal/actor":                     archtest.Domain,
		"github.com/cdlc/cdlc/internal/actor/actortest":           archtest.Contract,
		"github.com/cdlc/cdlc/internal/actor/sqlstore":            archtest.Adapter,
		"github.com/cdlc/cdlc/internal/configserver/client":       archtest.Adapter,
		"github.com/cdlc/cdlc/internal/platform/db":               archtest.Other,
		"github.com/cdlc/cdlc/internal/platform/cache/cachetest":  archtest.Other,
		"github.com/cdlc/cdlc/internal/app":                       archtest.Other,
		"github.com/cdlc/cdlc/cmd/cdlc":                           archtest.Other,
		"github.com/cdlc/cdlc/internal/inventory/sqlstore/x/test": archtest.Contract,
	} {
		got, _ := rules.Classify(path)
		require.Equal(t, want, got, path)
	}
}

// TestViolations shows each rule catching what it forbids, and the
// composition roots allowed.
func TestViolations(t *testing.T) {
	const m = "github.com/cdlc/cdlc/"
	for _, tc := range []struct {
		name string
		pkg  archtest.Package
		bad  bool
	}{
		{"adapter imports an adapter of its service",
			archtest.Package{ImportPath: m + "internal/actor/searchindex", Imports: []string{m + "internal/actor/sqlstore"}}, true},
		{"adapter imports an adapter of another service",
			archtest.Package{ImportPath: m + "internal/inventory/httpapi", Imports: []string{m + "internal/actor/grpcapi"}}, true},
		{"domain imports another service's adapter",
			archtest.Package{ImportPath: m + "internal/inventory", Imports: []string{m + "internal/actor/sqlstore"}}, true},
		{"contract package imports another service's adapter",
			archtest.Package{ImportPath: m + "internal/inventory/inventorytest", Imports: []string{m + "internal/actor/sqlstore"}}, true},
		{"platform imports an adapter",
			archtest.Package{ImportPath: m + "internal/platform/search", Imports: []string{m + "internal/actor/sqlstore"}}, true},
		{"adapter imports its domain, another domain, the platform",
			archtest.Package{ImportPath: m + "internal/inventory/sqlstore", Imports: []string{
				m + "internal/inventory", m + "internal/actor", m + "internal/platform/db", m + "internal/actor/actortest", "database/sql"}}, false},
		{"composition root imports adapters",
			archtest.Package{ImportPath: m + "internal/app", Imports: []string{m + "internal/actor/sqlstore", m + "internal/inventory/httpapi"}}, false},
		{"under a composition root",
			archtest.Package{ImportPath: m + "internal/app/apptest", Imports: []string{m + "internal/actor/sqlstore"}}, false},
		{"cmd/cdlc",
			archtest.Package{ImportPath: m + "cmd/cdlc", Imports: []string{m + "internal/imdb/tsv"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := rules.Violations([]archtest.Package{tc.pkg})
			if tc.bad {
				require.Len(t, v, 1)
			} else {
				require.Empty(t, v)
			}
		})
	}
}
