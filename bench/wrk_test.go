package bench_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/bench"
)

func TestWrkScriptCyclesTheSampledRequests(t *testing.T) {
	n := 0
	build := func() bench.Request {
		n++
		return bench.Request{Method: "POST", URL: "http://127.0.0.1:9/a?q=" + string(rune('a'+n%3)),
			Header: http.Header{"Authorization": {"Bearer t"}}, Body: []byte("x=\"1\"\n")}
	}
	script, base, err := bench.WrkScript(build, 6)
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9", base)
	s := string(script)
	require.Equal(t, 6, strings.Count(s, `"POST /a?q=`), "one request per sample, in order")
	require.Contains(t, s, `"POST /a?q=b HTTP/1.1\013\010Host: 127.0.0.1:9\013\010Authorization: Bearer t\013\010Content-Length: 6\013\010\013\010x=\"1\"\010"`)
	require.Contains(t, s, "done = function(summary, latency, requests)")

	// The same request every time is written once.
	script, _, err = bench.WrkScript(func() bench.Request { return bench.Request{URL: "http://h:1/x"} }, 50)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(script), `"GET /x HTTP/1.1`))

	_, _, err = bench.WrkScript(func() bench.Request {
		n++
		return bench.Request{URL: "http://h:" + string(rune('1'+n%2)) + "/x"}
	}, 4)
	require.ErrorContains(t, err, "one host per scenario")
}

func TestParseWrk(t *testing.T) {
	out := []byte("Running 1s test @ http://127.0.0.1:1\n  1 threads and 2 connections\n" +
		"cdlc-bench summary 2000000 1000 250000 0 1 0 10 2\n" +
		"cdlc-bench latency 100:500 200:480 5000:20\n")
	r, err := bench.ParseWrk(out)
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, r.Elapsed)
	require.Equal(t, int64(990), r.OK)
	require.Equal(t, int64(10), r.BadStatus)
	require.Equal(t, int64(3), r.TransportErrors)
	require.Equal(t, int64(13), r.Errors())
	require.InDelta(t, 495, r.Throughput, 1e-9)
	require.Equal(t, 100*time.Microsecond, r.Latency.P50)
	require.InDelta(t, float64(5*time.Millisecond), float64(r.Latency.Max), float64(5*time.Microsecond), "three significant digits")
	require.Len(t, r.ErrorSamples, 2)

	_, err = bench.ParseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n"))
	require.ErrorContains(t, err, "no summary")
}

func needWrk(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed: " + bench.WrkInstallHint)
	}
}

// TestRunWithWrk runs a scenario under wrk against the fake server, and
// reads both servers' CPU time.
func TestRunWithWrk(t *testing.T) {
	needWrk(t)
	o := startedServerOptions(t, "ok")
	o.Load = bench.Load{Concurrency: 4, Duration: time.Second, Rounds: 1, Timeout: 5 * time.Second, Driver: bench.DriverWrk}
	o.Baseline = bench.BaselineProcess
	scenarios, err := bench.Lookup([]string{"healthz"})
	require.NoError(t, err)
	rep, err := bench.Run(context.Background(), o, scenarios)
	require.NoError(t, err)
	rep.Finish()
	require.False(t, rep.Failed, "%v %+v", rep.Problems, rep.Results)
	require.Equal(t, bench.DriverWrk, rep.Driver)
	c := rep.Results[0]
	for _, r := range []bench.Result{c.Baseline, c.Measured} {
		require.Positive(t, r.OK)
		require.Positive(t, r.Latency.P50)
		require.True(t, r.CPUMeasured, "the bench started both servers")
		require.Positive(t, r.ServerCPU)
		require.Equal(t, r.ServerCPU/time.Duration(r.Requests()), r.CPUPerRequest)
		require.Positive(t, r.ClientCPU, "wrk's own CPU")
	}
	require.Positive(t, c.CPURatio)
}

// TestRunWithWrkCountsBadStatus: wrk does not say which status it got, but
// counts those outside 2xx and 3xx, and the run fails.
func TestRunWithWrkCountsBadStatus(t *testing.T) {
	needWrk(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && strings.HasPrefix(r.UserAgent(), "Go-http-client") {
			return // the probe passes
		}
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer srv.Close()
	o := bench.Options{Load: bench.Load{Concurrency: 2, Duration: time.Second, Rounds: 1, Timeout: 5 * time.Second},
		TargetURL: srv.URL, Baseline: bench.BaselineInProcess}
	scenarios, err := bench.Lookup([]string{"healthz"})
	require.NoError(t, err)
	rep, err := bench.Run(context.Background(), o, scenarios)
	require.NoError(t, err)
	rep.Finish()
	require.True(t, rep.Failed)
	c := rep.Results[0]
	require.Positive(t, c.Measured.BadStatus)
	require.Zero(t, c.Measured.OK)
	require.Zero(t, c.Baseline.Errors())
	require.False(t, c.Measured.CPUMeasured, "a running target's processes are unknown")
	require.True(t, c.Baseline.CPUMeasured, "in process, with wrk outside, the baseline's CPU is the bench's")
	var b strings.Builder
	require.NoError(t, rep.WriteTable(&b))
	require.Contains(t, b.String(), "status not 2xx/3xx x")
}

// TestNginxProxiesToTheUpstream starts nginx with the bench's
// configuration in front of a server and reads through it.
func TestNginxProxiesToTheUpstream(t *testing.T) {
	if _, err := exec.LookPath("nginx"); err != nil {
		if _, err := exec.LookPath("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx not installed: " + bench.NginxInstallHint)
		}
	}
	var sawForwarded atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawForwarded.Store(r.Header.Get("X-Forwarded-For") + " " + r.Header.Get("Connection"))
		w.WriteHeader(http.StatusTeapot)
	}))
	defer up.Close()
	ng, err := bench.StartNginx(context.Background(), up.URL, 1)
	require.NoError(t, err)
	defer func() { require.NoError(t, ng.Stop()) }()
	code, err := ng.Check("/x")
	require.NoError(t, err)
	require.Equal(t, http.StatusTeapot, code)
	require.Equal(t, "127.0.0.1 ", sawForwarded.Load(), "the client's address passed on, the upstream connection kept alive")
	require.GreaterOrEqual(t, len(ng.PIDs()), 2, "the master and its worker")
}
