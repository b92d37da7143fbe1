package bench_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/bench"
)

// envFake makes the test binary play `cdlc serve`; its value picks the
// behaviour: "ok", "crash" (exits before it is ready), "badstop" (exits 1
// on SIGTERM), "flaky" (every 10th config read answers 500).
const envFake = "CDLC_BENCH_FAKE_SERVER"

// serveFakeCDLCIfAsked stands in for `cdlc serve --target=config
// --http-addr=... --data-dir=...` with the config API's contract.
func serveFakeCDLCIfAsked() {
	mode, ok := os.LookupEnv(envFake)
	if !ok {
		return
	}
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "fake cdlc: want `serve`")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	target := fs.String("target", "all", "")
	addr := fs.String("http-addr", ":8080", "")
	dataDir := fs.String("data-dir", "./data", "")
	_ = fs.Parse(os.Args[2:])
	fmt.Printf("fake cdlc: target=%s addr=%s\n", *target, *addr)
	if mode == "crash" {
		fmt.Println("fake cdlc: cannot open the database: disk on fire")
		os.Exit(3)
	}
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: fakeHandler(os.Getenv("CDLC_AUTH_ADMIN_TOKEN"), mode == "flaky")}
	go func() { _ = srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	_ = srv.Shutdown(context.Background())
	if mode == "badstop" {
		fmt.Println("fake cdlc: outbox flush failed")
		os.Exit(1)
	}
	os.Exit(0)
}

// fakeHandler serves /healthz, /readyz (ready from the third poll on) and the
// config API: PUT stores values (admin token required), GET .../effective
// returns them.
func fakeHandler(token string, flaky bool) http.Handler {
	var mu sync.Mutex
	docs := map[string][]byte{}
	readyPolls, reads := 0, 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		readyPolls++
		n := readyPolls
		mu.Unlock()
		if n < 3 {
			http.Error(w, `{"status":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	authorized := func(r *http.Request) bool { return token != "" && r.Header.Get("Authorization") == "Bearer "+token }
	mux.HandleFunc("PUT /api/v1/config/{app}/{profile}", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var in struct {
			Values map[string]any `json:"values"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Values) == 0 {
			http.Error(w, "bad document", http.StatusBadRequest)
			return
		}
		b, _ := json.Marshal(in.Values)
		mu.Lock()
		docs[r.PathValue("app")+"/"+r.PathValue("profile")] = b
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"version":1}`)
	})
	mux.HandleFunc("GET /api/v1/config/{app}/{profile}/effective", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		doc, ok := docs[r.PathValue("app")+"/"+r.PathValue("profile")]
		reads++
		n := reads
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if flaky && n%10 == 0 {
			http.Error(w, "flaky", http.StatusInternalServerError)
			return
		}
		w.Header().Set("ETag", `"1"`)
		_, _ = w.Write(doc)
	})
	return mux
}

// fastLoad keeps the end-to-end tests short and deterministic in what they
// count.
var fastLoad = bench.Load{Concurrency: 4, Duration: time.Hour, MaxRequests: 100, Rounds: 2, Timeout: 5 * time.Second, Driver: bench.DriverGo}

func startedServerOptions(t *testing.T, mode string) bench.Options {
	t.Helper()
	t.Setenv(envFake, mode)
	return bench.Options{
		Load:     fastLoad,
		Server:   bench.ServerOptions{Bin: os.Args[0], Target: "config", DataDir: filepath.Join(t.TempDir(), "data"), ReadyTimeout: 20 * time.Second, StopTimeout: 10 * time.Second},
		Baseline: bench.BaselineInProcess,
	}
}

func TestRunStartsServerAndComparesEveryScenario(t *testing.T) {
	o := startedServerOptions(t, "ok")
	var progress strings.Builder
	o.Progress = &progress
	rep, err := bench.Run(context.Background(), o, fakeScenarios(t))
	require.NoError(t, err)
	rep.Finish()
	require.Empty(t, rep.Problems)
	require.False(t, rep.Failed)
	require.Contains(t, rep.Server, "serve --target=config --http-addr=127.0.0.1:")
	require.Contains(t, rep.Server, "--data-dir="+o.Server.DataDir)
	require.DirExists(t, o.Server.DataDir)

	byName := map[string]bench.Comparison{}
	for _, c := range rep.Results {
		byName[c.Scenario] = c
		require.Equal(t, int64(200), c.Measured.OK, c.Scenario)
		require.Equal(t, int64(200), c.Baseline.OK, c.Scenario)
		require.Zero(t, c.Errors(), c.Scenario)
		require.Positive(t, c.Ratio, c.Scenario)
		require.Equal(t, int64(200*c.BodyBytes), c.Measured.Bytes, "%s: the probe saw the body size every read saw", c.Scenario)
		require.Equal(t, int64(200*c.BodyBytes), c.Baseline.Bytes, "%s: the baseline serves a body of the same size", c.Scenario)
	}
	require.Contains(t, byName, "config.effective")
	require.Contains(t, byName, "healthz")
	require.Greater(t, byName["config.effective"].BodyBytes, 500, "the stored document comes back")
	require.Equal(t, 0.5, byName["config.effective"].Aim)
	require.Contains(t, progress.String(), "stopping the server")
}

func TestRunReportsServerThatDoesNotStart(t *testing.T) {
	o := startedServerOptions(t, "crash")
	_, err := bench.Run(context.Background(), o, fakeScenarios(t))
	require.ErrorContains(t, err, "server failed to start")
	require.ErrorContains(t, err, "exited before it was ready")
	require.ErrorContains(t, err, "disk on fire", "the server's own words are in the error")
}

func TestRunReportsMissingBinary(t *testing.T) {
	o := startedServerOptions(t, "ok")
	o.Server.Bin = filepath.Join(t.TempDir(), "cdlc")
	_, err := bench.Run(context.Background(), o, fakeScenarios(t))
	require.ErrorContains(t, err, "make build")
}

func TestRunReportsUncleanStop(t *testing.T) {
	o := startedServerOptions(t, "badstop")
	scenarios, err := bench.Lookup([]string{"healthz"})
	require.NoError(t, err)
	rep, err := bench.Run(context.Background(), o, scenarios)
	require.NoError(t, err)
	rep.Finish()
	require.True(t, rep.Failed)
	require.Len(t, rep.Problems, 1)
	require.Contains(t, rep.Problems[0], "exited uncleanly after SIGTERM")
	require.Contains(t, rep.Problems[0], "outbox flush failed")
}

func TestRunCountsErrorResponses(t *testing.T) {
	o := startedServerOptions(t, "flaky")
	scenarios, err := bench.Lookup([]string{"config.effective"})
	require.NoError(t, err)
	rep, err := bench.Run(context.Background(), o, scenarios)
	require.NoError(t, err)
	rep.Finish()
	require.True(t, rep.Failed, "error responses fail the run")
	c := rep.Results[0]
	require.Zero(t, c.Baseline.Errors())
	require.Equal(t, int64(200), c.Measured.Requests())
	require.Equal(t, int64(20), c.Measured.ErrorsByStatus[500], "every 10th of 200 reads fails")

	var b strings.Builder
	require.NoError(t, rep.WriteTable(&b))
	require.Contains(t, b.String(), "!!! config.effective (cdlc): 20 of 200 requests FAILED (status 500 x20)")
}

func TestRunAgainstRunningTarget(t *testing.T) {
	srv := httptest.NewServer(fakeHandler("s3cret", false))
	defer srv.Close()
	o := bench.Options{Load: fastLoad, TargetURL: srv.URL, Token: "s3cret", Baseline: bench.BaselineInProcess}
	rep, err := bench.Run(context.Background(), o, fakeScenarios(t))
	require.NoError(t, err)
	rep.Finish()
	require.False(t, rep.Failed, "%v", rep.Problems)
	require.Equal(t, srv.URL+" (already running)", rep.Server)
	require.Len(t, rep.Results, 2)

	// A wrong token fails the config setup, loudly, and the other
	// scenario still runs.
	o.Token = "wrong"
	rep, err = bench.Run(context.Background(), o, fakeScenarios(t))
	require.NoError(t, err)
	rep.Finish()
	require.True(t, rep.Failed)
	require.Len(t, rep.Results, 1)
	require.Equal(t, "healthz", rep.Results[0].Scenario)
	require.Len(t, rep.Problems, 1)
	require.Contains(t, rep.Problems[0], "config.effective: setup: PUT /api/v1/config/bench/default: status 401")

	// No token at all says how to give one.
	o.Token = ""
	rep, err = bench.Run(context.Background(), o, fakeScenarios(t))
	require.NoError(t, err)
	require.Contains(t, strings.Join(rep.Problems, "\n"), "pass -token")
}

func TestRunInterruptedStopsServerAndKeepsNoHalfResult(t *testing.T) {
	o := startedServerOptions(t, "ok")
	o.Load = bench.Load{Concurrency: 2, Duration: time.Hour, Timeout: 5 * time.Second, Driver: bench.DriverGo}
	ctx, cancel := context.WithCancel(context.Background())
	o.Progress = progressFunc(func(line string) {
		// Interrupt once the load has begun.
		if strings.Contains(line, "alternating rounds") {
			cancel()
		}
	})
	rep, err := bench.Run(ctx, o, fakeScenarios(t))
	require.NoError(t, err)
	rep.Finish()
	require.True(t, rep.Failed)
	require.Empty(t, rep.Results)
	require.Equal(t, []string{"interrupted: context canceled"}, rep.Problems, "and the server stopped cleanly")
}

// progressFunc calls f with each progress line.
type progressFunc func(line string)

func (f progressFunc) Write(p []byte) (int, error) {
	f(string(p))
	return len(p), nil
}

// fakeScenarios are the scenarios the fake server answers (config and
// healthz); the others need the real services.
func fakeScenarios(t *testing.T) []bench.Scenario {
	t.Helper()
	sc, err := bench.Lookup([]string{"config.effective", "healthz"})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
