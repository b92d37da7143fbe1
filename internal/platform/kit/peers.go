package kit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"connectrpc.com/connect"
)

// Peers resolves, for every service of the table, the handle callers in
// this process use: the in-process one once the service has started here,
// else its gRPC client at its peer URL, else a client that fails every
// call with Unavailable and says why. It is the one place where the
// deployment shape is decided; service code calls its Peer function and
// cannot tell local from remote.
type Peers struct {
	table map[string]*Service
	urls  map[string]string
	hc    connect.HTTPClient
	opts  func(name string) []connect.ClientOption
	runs  func(name string) bool

	mu     sync.RWMutex
	local  map[string]any
	remote map[string]any
}

// PeersOptions build a Peers.
type PeersOptions struct {
	// Table is the service table.
	Table []*Service
	// URLs are the peers.<name> base URLs.
	URLs map[string]string
	// Client makes the calls to remote peers.
	Client connect.HTTPClient
	// Options are a remote peer's client options (its breaker, retries and
	// timeouts: rpc.Peer.ClientOptions).
	Options func(name string) []connect.ClientOption
	// Runs reports whether a service runs in this process.
	Runs func(name string) bool
}

// NewPeers builds the resolver; nothing is dialled until a call.
func NewPeers(o PeersOptions) *Peers {
	p := &Peers{table: map[string]*Service{}, urls: o.URLs, hc: o.Client, opts: o.Options, runs: o.Runs,
		local: map[string]any{}, remote: map[string]any{}}
	for _, s := range o.Table {
		p.table[s.Name] = s
	}
	if p.runs == nil {
		p.runs = func(string) bool { return false }
	}
	return p
}

// SetLocal makes h the in-process handle of name (the service started
// here; tests use it to play a service).
func (p *Peers) SetLocal(name string, h any) { p.setLocal(name, h) }

func (p *Peers) setLocal(name string, h any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.local[name] = h
}

// Handle is what a caller of name uses right now (Peer wraps it).
func (p *Peers) Handle(name string) any { return p.handle(name) }

// handle is what a caller of name uses right now.
func (p *Peers) handle(name string) any {
	p.mu.RLock()
	h, ok := p.local[name]
	if !ok {
		h, ok = p.remote[name]
	}
	p.mu.RUnlock()
	if ok {
		return h
	}
	s, known := p.table[name]
	if !known || s.Remote == nil {
		panic(fmt.Sprintf("kit: %s is called but has no Remote client constructor in the service table", name))
	}
	url, configured := p.urls[name]
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.local[name]; ok {
		return h
	}
	if h, ok := p.remote[name]; ok {
		return h
	}
	switch {
	case p.runs(name):
		// It runs here but has not started yet: say so, and do not cache
		// the stub (its handle arrives when it starts).
		return s.Remote(unavailable(name+" is starting in this process"), "http://"+name+".invalid")
	case configured && url != "":
		var opts []connect.ClientOption
		if p.opts != nil {
			opts = p.opts(name)
		}
		h = s.Remote(p.hc, strings.TrimRight(url, "/"), opts...)
	default:
		h = s.Remote(unavailable(fmt.Sprintf("%s does not run in this process and peers.%s is not set", name, name)), "http://"+name+".invalid")
	}
	p.remote[name] = h
	return h
}

// unavailable is an HTTP client whose every request fails with reason:
// the gRPC client above it reports the call as Unavailable, as it does for
// a peer that does not answer.
func unavailable(reason string) connect.HTTPClient {
	return &http.Client{Transport: failing{err: errors.New(reason)}}
}

type failing struct{ err error }

func (f failing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, f.err
}

// Configured reports whether name can be reached from this process: it
// runs here or has a peer URL.
func (p *Peers) Configured(name string) bool {
	return p.runs(name) || p.urls[name] != ""
}

// ErrUnconfigured is returned by Check for a called peer that is neither
// here nor configured.
var ErrUnconfigured = errors.New("not configured")

// Check reports whether a remote peer's process answers its /healthz (for
// readiness).
func (p *Peers) Check(hc *http.Client, name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		base := p.urls[name]
		if base == "" {
			return fmt.Errorf("%w: set peers.%s", ErrUnconfigured, name)
		}
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
