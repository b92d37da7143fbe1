package bench

// The gateway's cost: a cached catalog read (a title by id with its
// credits appended) with a valid access token, through a --target=gateway
// process proxying to a --target=inventory,actor process, against the same
// request sent to that process directly, in the same run (issue 4: at
// least 60% of the direct throughput, under 1 ms added p50).
//
// Both processes verify the token (the gateway at the edge, the service
// again, as the contract asks), against the key set of an issuer the bench
// serves itself until the auth target exists: gatewayTokens is the one
// place to swap for a client-credentials token from the real provider
// (golang.org/x/oauth2/clientcredentials against <issuer>/oauth2/token).
//
//	make bench BENCH_FLAGS='-scenarios=gateway.title'

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cdlc/cdlc/internal/platform/auth/authtest"
)

// TokenSource yields the access token a scenario sends, and the issuer
// URL the servers must trust.
type TokenSource func(ctx context.Context) (issuer, token string, stop func(), err error)

// gatewayTokens mints a token with a key the bench generates, and serves
// that key's JWKS (and a discovery document) on a loopback port.
var gatewayTokens TokenSource = func(context.Context) (string, string, func(), error) {
	iss := authtest.New("")
	if err := iss.Serve(); err != nil {
		return "", "", nil, err
	}
	tok := iss.Mint(authtest.Claims{Subject: "bench-client", ClientID: "bench-client", Scope: "catalog:write",
		Expires: time.Now().Add(24 * time.Hour)})
	return iss.URL, tok, func() { _ = iss.Close() }, nil
}

// gatewayToken is the token Build sends, set by the scenario's Servers.
var gatewayToken atomic.Pointer[string]

// gatewayTitles maps a server's base URL to the title Build reads there
// (the two processes of gateway.title_all have a database each).
var gatewayTitles sync.Map

func gatewayBuild(env Env) Request {
	id := "ct0000000000000000"
	if v, ok := gatewayTitles.Load(env.BaseURL); ok {
		id = v.(string)
	} else if p := inventoryTitleID.Load(); p != nil {
		// gateway.title: the services behind the gateway hold the title.
		id = *p
	}
	tok := ""
	if p := gatewayToken.Load(); p != nil {
		tok = *p
	}
	return Request{Method: http.MethodGet, URL: env.BaseURL + "/api/v1/titles/" + id + "?append=credits", Header: bearer(tok)}
}

func init() {
	Register(Scenario{
		Name:        "gateway.title",
		Description: "GET /api/v1/titles/{id}?append=credits with a JWT via --target=gateway vs the inventory,actor process directly",
		Servers:     gatewaySplit,
		Setup:       setupGateway,
		Build:       gatewayBuild,
		Status:      http.StatusOK,
		Aim:         0.6,
		AimP50:      time.Millisecond,
		// nginx, in front of the same process in the same rounds.
		AimVsReference: 0.8,
	})
	Register(Scenario{
		Name:        "gateway.title_all",
		Description: "the same read with a JWT from --target=gateway,inventory,actor (gateway in process, as in all) vs an inventory,actor process without a gateway",
		Servers:     gatewayAll,
		Setup:       setupGateway,
		Build:       gatewayBuild,
		Status:      http.StatusOK,
		Aim:         0.6,
		AimP50:      time.Millisecond,
	})
}

// gatewayLimitArgs set the gateway's buckets far above the load, so that
// the limiter's cost is measured but it never refuses.
func GatewayLimitArgs() []string {
	var args []string
	for _, class := range []string{"default", "token", "login"} {
		for _, who := range []string{"ip", "client"} {
			args = append(args, "--set", "gateway.limits."+class+"."+who+".rate=1000000",
				"--set", "gateway.limits."+class+"."+who+".burst=1000000")
		}
	}
	return args
}

// gatewayAll starts --target=gateway,inventory,actor (the gateway calls
// the services in process, as in "all") and, as the baseline, an
// inventory,actor process without a gateway, which checks the token in its
// own middleware; it writes the baseline's copy of the data itself (Setup
// writes the measured one's). The auth target is left out: with it in the
// process, the verifier would read that provider's keys, not the bench
// issuer's.
func gatewayAll(ctx context.Context, o Options, env Env, progress io.Writer) (*Pair, error) {
	p, err := gatewayPair(ctx, o, env, progress, false, func(string) (string, []string) {
		return "gateway,inventory,actor", nil
	})
	if err != nil {
		return nil, err
	}
	p.BaselineName = "an inventory,actor process without a gateway, same token"
	if err := setupGateway(ctx, p.Baseline); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("baseline setup: %w", err)
	}
	return p, nil
}

// gatewaySplit starts the services and a gateway in front of them, both
// trusting the bench's issuer. One database behind both: the baseline
// reads what Setup writes through the gateway.
func gatewaySplit(ctx context.Context, o Options, env Env, progress io.Writer) (*Pair, error) {
	p, err := gatewayPair(ctx, o, env, progress, true, func(direct string) (string, []string) {
		return "gateway", []string{"--set", "peers.inventory=" + direct, "--set", "peers.actor=" + direct}
	})
	if err != nil {
		return nil, err
	}
	p.BaselineName = "the inventory,actor process called directly, same token"
	// nginx in front of the same process, loaded in the same rounds.
	ng, err := StartNginx(ctx, p.Baseline.BaseURL, runtime.NumCPU())
	if err != nil {
		fmt.Fprintf(progress, "gateway.title: no nginx to compare with: %v\n", err)
		return p, nil
	}
	ref := p.Baseline
	ref.BaseURL, ref.PIDs = ng.URL(), append(ng.PIDs(), p.Baseline.PIDs...)
	p.Reference, p.ReferenceName = &ref, "nginx"
	stop := p.Stop
	p.Stop = func() error {
		err := ng.Stop()
		if serr := stop(); serr != nil {
			err = serr
		}
		return err
	}
	fmt.Fprintf(progress, "nginx (%d workers) ready at %s in front of %s\n", runtime.NumCPU(), ng.URL(), p.Baseline.BaseURL)
	return p, nil
}

// gatewayPair starts the bench's issuer, an inventory,actor process (the
// baseline, called directly) and the measured process with the target and
// extra flags front gives for the direct process's URL; both trust the
// issuer, the measured one with limits far above the load.
func gatewayPair(ctx context.Context, o Options, env Env, progress io.Writer, split bool, front func(direct string) (string, []string)) (*Pair, error) {
	if o.Server.Bin == "" || o.TargetURL != "" {
		return nil, fmt.Errorf("this scenario starts its own servers from -bin; it cannot run against -target")
	}
	issuer, tok, stopIssuer, err := gatewayTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("token source: %w", err)
	}
	gatewayToken.Store(&tok)
	so := o.Server
	so.Token, so.DataDir = env.Token, ""
	so.Target = "inventory,actor"
	so.Args = []string{"--set", "auth.issuer=" + issuer}
	direct, err := StartServer(ctx, so)
	if err != nil {
		stopIssuer()
		return nil, err
	}
	target, args := front(direct.URL())
	so.Target = target
	so.Args = append(append([]string{"--set", "auth.issuer=" + issuer}, args...), GatewayLimitArgs()...)
	measuredServer, err := StartServer(ctx, so)
	if err != nil {
		_ = direct.Stop(so.StopTimeout)
		stopIssuer()
		return nil, err
	}
	fmt.Fprintf(progress, "--target=%s ready at %s, inventory,actor at %s\n", target, measuredServer.URL(), direct.URL())
	measured, baseline := env, env
	measured.BaseURL, baseline.BaseURL = measuredServer.URL(), direct.URL()
	// The measured side's cost is every process on its path: the front
	// and, when split, the service behind it.
	measured.PIDs, baseline.PIDs = []int{measuredServer.PID()}, []int{direct.PID()}
	if split {
		measured.PIDs = append(measured.PIDs, direct.PID())
	}
	return &Pair{Measured: measured, Baseline: baseline, Stop: func() error {
		defer stopIssuer()
		err := measuredServer.Stop(so.StopTimeout)
		if derr := direct.Stop(so.StopTimeout); err == nil {
			err = derr
		}
		return err
	}}, nil
}

// setupGateway creates the title through the gateway (the admin token),
// credits a person on it, and warms the caches with the access token.
func setupGateway(ctx context.Context, env Env) error {
	if err := setupInventory(ctx, env); err != nil {
		return err
	}
	id := *inventoryTitleID.Load()
	post := func(path string, body any, out any) error {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r := Request{Method: http.MethodPost, URL: env.BaseURL + path, Header: bearer(env.Token), Body: b}
		r.Header.Set("Content-Type", "application/json")
		req, err := r.HTTP(ctx)
		if err != nil {
			return err
		}
		res, err := env.Client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode >= 300 {
			msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
			return fmt.Errorf("POST %s: status %d: %s", path, res.StatusCode, msg)
		}
		if out != nil {
			return json.NewDecoder(res.Body).Decode(out)
		}
		return nil
	}
	var person struct {
		ID string `json:"id"`
	}
	if err := post("/api/v1/people", map[string]any{"name": "Bench Gateway Person (invented)", "professions": []string{"actor"}}, &person); err != nil {
		return err
	}
	if err := post("/api/v1/credits", map[string]any{"credits": []any{map[string]any{
		"title_id": id, "person_id": person.ID, "department": "acting", "job": "actor", "order": 1, "characters": []string{"The Projectionist"},
	}}}, nil); err != nil {
		return err
	}
	gatewayTitles.Store(env.BaseURL, id)
	get := gatewayBuild(env)
	for range inventoryWarmReads {
		if err := send(ctx, env.Client, get, func(code int) bool { return code == http.StatusOK }); err != nil {
			return err
		}
	}
	return nil
}
