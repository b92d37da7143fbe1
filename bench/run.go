package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"time"
)

// Options is one bench run.
type Options struct {
	Load Load
	// TargetURL is an already running server; empty means start one with
	// Server.
	TargetURL string
	// Token is the admin bearer token. When the bench starts the server it
	// generates one if empty.
	Token  string
	Server ServerOptions
	// Baseline says where the bare handler runs.
	Baseline BaselineMode
	// Progress receives a line per step (nil: discarded).
	Progress io.Writer
}

// Run starts (or targets) the server, then for each scenario runs its setup,
// one probe request, the baseline and the scenario under the same load, and
// returns the report. Problems that stop a scenario (setup failed, probe
// failed, the server did not stop cleanly) are in Report.Problems; failed
// requests are in each result. Report.Failed says whether any occurred.
// The error is for what stops the whole run: the server did not start.
func Run(ctx context.Context, o Options, scenarios []Scenario) (*Report, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	rep := &Report{
		Started:      time.Now().UTC(),
		GoVersion:    runtime.Version(),
		Platform:     runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:         runtime.NumCPU(),
		Concurrency:  o.Load.Concurrency,
		Duration:     o.Load.Duration,
		Warmup:       o.Load.Warmup,
		Rounds:       o.Load.rounds(),
		BaselineMode: o.Baseline,
		Driver:       o.Load.driver(),
	}
	if rep.BaselineMode == "" {
		rep.BaselineMode = BaselineProcess
	}
	rep.Host, _ = os.Hostname()

	env := Env{BaseURL: o.TargetURL, Token: o.Token, Client: &http.Client{Timeout: 10 * time.Second}}
	var srv *Server
	if o.TargetURL == "" {
		if env.Token == "" {
			env.Token = NewToken()
		}
		so := o.Server
		so.Token = env.Token
		fmt.Fprintf(progress, "starting %s serve --target=%s ...\n", so.Bin, so.Target)
		var err error
		srv, err = StartServer(ctx, so)
		if err != nil {
			return rep, fmt.Errorf("server failed to start: %w", err)
		}
		env.BaseURL = srv.URL()
		env.PIDs = []int{srv.PID()}
		rep.Server = srv.Command()
		fmt.Fprintf(progress, "server ready at %s\n", env.BaseURL)
	} else {
		rep.Server = o.TargetURL + " (already running)"
	}

	for _, s := range scenarios {
		if ctx.Err() != nil {
			break
		}
		c, err := runScenario(ctx, o, env, s, progress)
		switch {
		case ctx.Err() != nil:
			// Interrupted half-way: its figures compare unequal periods.
		case err != nil:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", s.Name, err))
		default:
			rep.Results = append(rep.Results, c)
		}
	}
	if ctx.Err() != nil {
		rep.Problems = append(rep.Problems, "interrupted: "+ctx.Err().Error())
	}

	if srv != nil {
		fmt.Fprintf(progress, "stopping the server (SIGTERM) ...\n")
		if err := srv.Stop(o.Server.StopTimeout); err != nil {
			rep.Problems = append(rep.Problems, err.Error())
		}
	}
	return rep, nil
}

func runScenario(ctx context.Context, o Options, env Env, s Scenario, progress io.Writer) (c Comparison, err error) {
	var pair *Pair
	if s.Servers != nil {
		fmt.Fprintf(progress, "%s: starting its servers\n", s.Name)
		if pair, err = s.Servers(ctx, o, env, progress); err != nil {
			return Comparison{}, fmt.Errorf("servers: %w", err)
		}
		defer func() {
			if serr := pair.Stop(); serr != nil && err == nil {
				err = serr
			}
		}()
		env = pair.Measured
	}
	if s.Setup != nil {
		fmt.Fprintf(progress, "%s: setup\n", s.Name)
		if err := s.Setup(ctx, env); err != nil {
			return Comparison{}, fmt.Errorf("setup: %w", err)
		}
	}
	size, err := probe(ctx, env, s)
	if err != nil {
		return Comparison{}, fmt.Errorf("probe: %w", err)
	}

	benv := env
	baselineName := fmt.Sprintf("bare net/http, %d-byte body", size)
	if pair != nil {
		benv, baselineName = pair.Baseline, pair.BaselineName
	} else {
		base, err := StartBaseline(ctx, o.Baseline, BaselineBody(size))
		if err != nil {
			return Comparison{}, err
		}
		defer base.Close()
		benv.BaseURL = base.URL()
		benv.PIDs = nil
		if pid := base.PID(); pid != os.Getpid() || o.Load.driver() != DriverGo {
			// In process, the baseline's CPU is the bench's own: only
			// meaningful when the load comes from another process.
			benv.PIDs = []int{pid}
		}
	}

	load := o.Load
	if s.Concurrency > 0 {
		load.Concurrency = s.Concurrency
	}
	sides := []*side{{name: "baseline", env: benv}, {name: "cdlc", env: env}}
	if pair != nil && pair.Reference != nil {
		sides = append(sides, &side{name: pair.ReferenceName, env: *pair.Reference})
	}
	for _, sd := range sides {
		if err := sd.prepare(s, load); err != nil {
			return Comparison{}, err
		}
		defer sd.close()
	}

	rounds := load.rounds()
	fmt.Fprintf(progress, "%s: baseline (%s) and cdlc, %s warm-up each, then %s each in %d alternating rounds (load: %s)\n",
		s.Name, baselineName, load.Warmup, load.Duration, rounds, load.driver())
	if load.Warmup > 0 {
		for _, sd := range sides {
			sd.measure(ctx, load, load.Warmup, 0)
		}
	}
	slice := load.Duration / time.Duration(rounds)
	results := make([]Result, len(sides))
	for i := range rounds {
		if ctx.Err() != nil {
			break
		}
		for j, sd := range sides {
			r := sd.measure(ctx, load, slice, load.MaxRequests)
			if i == 0 {
				results[j] = r
			} else {
				results[j] = Merge(results[j], r)
			}
		}
	}
	c = Compare(s, size, results[0], results[1])
	if pair != nil {
		c.BaselineName = pair.BaselineName
		if pair.Reference != nil {
			c = c.WithReference(pair.ReferenceName, results[2], s.AimVsReference)
		}
	}
	return c, nil
}

// side is one server under load in a scenario's rounds: the baseline, the
// measured server, or a reference.
type side struct {
	name  string
	env   Env
	build func() Request
	want  int
	// client drives the Go load; wrk the wrk load.
	client *http.Client
	wrk    *wrkLoad
	tmp    string
}

func (sd *side) prepare(s Scenario, load Load) error {
	env := sd.env
	sd.build = func() Request { return s.Build(env) }
	sd.want = s.ExpectedStatus()
	if load.driver() == DriverGo {
		// Each side has a client of its own, so neither inherits the
		// other's connections; each keeps its connections across rounds.
		sd.client = NewClient(load.Concurrency, load.Timeout)
		return nil
	}
	tmp, err := os.MkdirTemp("", "cdlc-bench-wrk-")
	if err != nil {
		return err
	}
	sd.tmp = tmp
	sd.wrk, err = newWrkLoad(tmp, sd.name, sd.build, load.WrkThreads)
	return err
}

func (sd *side) close() {
	if sd.client != nil {
		sd.client.CloseIdleConnections()
	}
	if sd.tmp != "" {
		_ = os.RemoveAll(sd.tmp)
	}
}

// measure drives one period and reads the CPU its server's processes used
// meanwhile.
func (sd *side) measure(ctx context.Context, load Load, d time.Duration, maxRequests int64) Result {
	cpu0, ok0 := cpuOf(sd.env.PIDs)
	var r Result
	if sd.wrk != nil {
		var err error
		if r, err = sd.wrk.run(ctx, load.Concurrency, d, load.Timeout); err != nil {
			if ctx.Err() != nil {
				return Result{hist: newHistogram()}
			}
			r = Result{TransportErrors: 1, ErrorSamples: []string{err.Error()}, hist: newHistogram()}
		}
	} else {
		r = drive(ctx, sd.client, sd.build, sd.want, load.Concurrency, d, maxRequests)
	}
	cpu1, ok1 := cpuOf(sd.env.PIDs)
	if ok0 && ok1 {
		r.ServerCPU, r.CPUMeasured = cpu1-cpu0, true
		r.finish()
	}
	return r
}

// probe sends one request and returns the size of the response body, which
// the baseline then serves.
func probe(ctx context.Context, env Env, s Scenario) (int, error) {
	req, err := s.Build(env).HTTP(ctx)
	if err != nil {
		return 0, err
	}
	resp, err := env.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != s.ExpectedStatus() {
		return 0, fmt.Errorf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, s.ExpectedStatus(), snippet(body))
	}
	return len(body), nil
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
