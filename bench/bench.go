// Package bench measures cdlc's HTTP endpoints under a fixed concurrency for
// a fixed time, and always beside a baseline measured in the same run: a bare
// net/http handler serving a body of the same size, loaded by the same client.
// A figure on its own says little about a machine; the ratio to the baseline
// says how much the platform costs on top of Go's HTTP stack.
//
// A benchmark is a report, not a test: a slow figure never fails a run. Only
// errors do (the server does not start, a response has the wrong status).
//
// Each scenario lives in its own file (scenario_*.go) and registers itself in
// init with Register. The program that runs them is bench/cmd/cdlc-bench.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Request is one HTTP request a scenario sends. URL is absolute: scenarios
// build it from Env.BaseURL, which points at the cdlc server for the
// measured run and at the bare handler for the baseline run, so both runs
// send exactly the same method, headers and body.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// HTTP turns r into a request bound to ctx.
func (r Request) HTTP(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	return req, nil
}

// Env is what a scenario knows about the server it talks to.
type Env struct {
	// BaseURL is scheme://host:port without a trailing slash.
	BaseURL string
	// Token is the operator's admin bearer token (CDLC_AUTH_ADMIN_TOKEN);
	// empty when the bench targets a server it did not start and -token was
	// not given.
	Token string
	// Client is for Setup; the load itself uses its own clients.
	Client *http.Client
	// PIDs are the processes that serve BaseURL (the server; a gateway and
	// the service behind it), whose CPU time the bench reads around each
	// measured period. Empty when the bench did not start them.
	PIDs []int
}

// Scenario is one endpoint under load.
type Scenario struct {
	// Name identifies the scenario on the command line and in reports,
	// "<service>.<operation>" (e.g. "config.effective").
	Name string
	// Description says in a line what is measured.
	Description string
	// Setup prepares the server once before any load (writes the data the
	// requests read, warms caches). Optional.
	Setup func(ctx context.Context, env Env) error
	// Build returns the request to send. It is called for every request,
	// from many goroutines at once, so it must be safe for concurrent use
	// and cheap.
	Build func(env Env) Request
	// Status is the status every response must have; anything else counts
	// as an error. Zero means 200.
	Status int
	// Aim is the throughput, as a fraction of the baseline's, that the
	// scenario is expected to reach (0.5 = half). Zero means no aim. It is
	// reported, never enforced.
	Aim float64
	// AimP50, when set, is the most p50 latency the scenario should add
	// over its baseline. Reported, never enforced.
	AimP50 time.Duration
	// Servers, when set, makes the scenario bring its own pair of servers
	// instead of using the started one and the bare handler: Measured is
	// loaded as "cdlc", Baseline as "baseline" (BaselineName says what it
	// is). The gateway scenario measures a gateway in front of a service
	// against that service called directly.
	Servers func(ctx context.Context, o Options, env Env, progress io.Writer) (*Pair, error)
	// P95Aim is the p95 latency the scenario aims at; zero means none.
	// Reported, never enforced.
	P95Aim time.Duration
	// AimVsReference is the throughput the scenario aims at as a fraction
	// of its reference server's (Pair.Reference); zero means none.
	// Reported, never enforced.
	AimVsReference float64
	// Concurrency, when not zero, replaces the run's -concurrency for this
	// scenario (both sides): a latency target means something at a load
	// like the one it is set for.
	Concurrency int
}

// Pair is a scenario's own measured and baseline servers.
type Pair struct {
	Measured, Baseline Env
	// BaselineName says in a few words what the baseline is.
	BaselineName string
	// Reference, when set, is a third server loaded in the same rounds
	// (nginx in front of the same upstream), named ReferenceName.
	Reference     *Env
	ReferenceName string
	// Stop stops what the scenario started.
	Stop func() error
}

// ExpectedStatus is the status every response must have.
func (s Scenario) ExpectedStatus() int {
	if s.Status == 0 {
		return http.StatusOK
	}
	return s.Status
}

var (
	registryMu sync.Mutex
	registry   = map[string]Scenario{}
)

// Register adds a scenario to the set the program can run. It panics on a
// duplicate or incomplete scenario: both are programming errors found at
// start.
func Register(s Scenario) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if s.Name == "" || s.Build == nil {
		panic(fmt.Sprintf("bench: scenario %q needs a Name and a Build func", s.Name))
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("bench: scenario %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// Scenarios returns every registered scenario, sorted by name.
func Scenarios() []Scenario {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]Scenario, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the scenarios with the given names, in that order, or an
// error naming an unknown one and listing the valid names.
func Lookup(names []string) ([]Scenario, error) {
	all := Scenarios()
	byName := make(map[string]Scenario, len(all))
	valid := make([]string, 0, len(all))
	for _, s := range all {
		byName[s.Name] = s
		valid = append(valid, s.Name)
	}
	out := make([]Scenario, 0, len(names))
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q (valid: %v)", n, valid)
		}
		out = append(out, s)
	}
	return out, nil
}

// bearer returns the headers of an API call: JSON, and the token when
// there is one.
func bearer(token string) http.Header {
	h := http.Header{"Accept": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return h
}

// send makes one setup request (for Setup funcs) and fails unless ok accepts its status.
func send(ctx context.Context, c *http.Client, r Request, ok func(int) bool) error {
	req, err := r.HTTP(ctx)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if !ok(resp.StatusCode) {
		return fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, snippet(bytes.TrimSpace(b)))
	}
	return nil
}
