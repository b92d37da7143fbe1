package bench_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/bench"
)

func TestMain(m *testing.M) {
	// The test binary plays the baseline's child process and the fake cdlc
	// server when the tests start it as one.
	bench.ServeBaselineIfChild()
	serveFakeCDLCIfAsked()
	os.Exit(m.Run())
}

func TestLatencyOfPercentiles(t *testing.T) {
	h := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	// 1..1000 µs, once each: the p-th percentile is p*10 µs.
	for v := int64(1); v <= 1000; v++ {
		require.NoError(t, h.RecordValue(v))
	}
	l := bench.LatencyOf(h)
	near := func(want, got time.Duration) {
		t.Helper()
		// Three significant digits: within 0.1%, plus one microsecond of
		// bucket rounding.
		require.InDelta(t, float64(want), float64(got), float64(want)/1000+float64(time.Microsecond))
	}
	near(500*time.Microsecond, l.P50)
	near(900*time.Microsecond, l.P90)
	near(950*time.Microsecond, l.P95)
	near(990*time.Microsecond, l.P99)
	near(1000*time.Microsecond, l.Max)
	near(500500*time.Nanosecond, l.Mean)

	require.Equal(t, bench.Latency{}, bench.LatencyOf(hdrhistogram.New(1, 1000, 3)), "empty histogram")
}

func TestRatioAndCompare(t *testing.T) {
	require.Equal(t, 0.5, bench.Ratio(50, 100))
	require.Equal(t, 0.0, bench.Ratio(50, 0), "no baseline: no ratio, no division by zero")
	require.Equal(t, 2000.0, bench.Throughput(1000, 500*time.Millisecond))
	require.Equal(t, 0.0, bench.Throughput(1000, 0))

	s := bench.Scenario{Name: "x", Aim: 0.5}
	base := bench.Result{Throughput: 10000, Latency: bench.Latency{P50: 1 * time.Millisecond, P99: 3 * time.Millisecond}}
	tests := []struct {
		name     string
		measured bench.Result
		ratio    float64
		met      bool
		addP50   time.Duration
		addP99   time.Duration
	}{
		{"above aim", bench.Result{Throughput: 6000, Latency: bench.Latency{P50: 2 * time.Millisecond, P99: 5 * time.Millisecond}}, 0.6, true, time.Millisecond, 2 * time.Millisecond},
		{"exactly aim", bench.Result{Throughput: 5000, Latency: bench.Latency{P50: time.Millisecond, P99: 3 * time.Millisecond}}, 0.5, true, 0, 0},
		{"below aim", bench.Result{Throughput: 4000, Latency: bench.Latency{P50: 500 * time.Microsecond, P99: 9 * time.Millisecond}}, 0.4, false, -500 * time.Microsecond, 6 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := bench.Compare(s, 123, base, tt.measured)
			require.InDelta(t, tt.ratio, c.Ratio, 1e-9)
			require.Equal(t, tt.met, c.AimMet)
			require.Equal(t, tt.addP50, c.AddedP50)
			require.Equal(t, tt.addP99, c.AddedP99)
			require.Equal(t, 123, c.BodyBytes)
		})
	}
	require.True(t, bench.Compare(bench.Scenario{Name: "no aim"}, 0, base, bench.Result{Throughput: 1}).AimMet, "no aim is always met")
}

func TestMergeAddsPeriods(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	client := bench.NewClient(2, time.Second)
	build := func() bench.Request { return bench.Request{URL: srv.URL} }
	load := bench.Load{Concurrency: 2, MaxRequests: 40, Timeout: time.Second}
	a := bench.Drive(context.Background(), client, build, http.StatusOK, load)
	b := bench.Drive(context.Background(), client, build, http.StatusOK, load)

	m := bench.Merge(a, b)
	require.Equal(t, a.OK+b.OK, m.OK)
	require.Equal(t, int64(60), m.OK)
	require.Equal(t, int64(20), m.ErrorsByStatus[http.StatusTeapot])
	require.Equal(t, a.Elapsed+b.Elapsed, m.Elapsed)
	require.InDelta(t, float64(m.OK)/m.Elapsed.Seconds(), m.Throughput, 1e-6)
	require.Equal(t, max(a.Latency.Max, b.Latency.Max), m.Latency.Max)
	require.Len(t, m.ErrorSamples, 1, "the same message is kept once")
}

func TestResultErrors(t *testing.T) {
	r := bench.Result{OK: 90, ErrorsByStatus: map[int]int64{500: 4, 404: 2}, TransportErrors: 3}
	require.Equal(t, int64(9), r.Errors())
	require.Equal(t, int64(99), r.Requests())
	require.Equal(t, []int{404, 500}, r.StatusCodes())
}

func TestMillis(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "0.000ms",
		250 * time.Microsecond:  "0.250ms",
		1500 * time.Microsecond: "1.500ms",
		42 * time.Millisecond:   "42.0ms",
		2500 * time.Millisecond: "2500ms",
		-time.Millisecond:       "-1.000ms",
	} {
		require.Equal(t, want, bench.Millis(d), d.String())
	}
}

func TestBaselineBody(t *testing.T) {
	for _, size := range []int{0, 10, 15, 16, 1234} {
		b := bench.BaselineBody(size)
		require.True(t, json.Valid(b), "size %d: %s", size, b)
		if size >= 15 {
			require.Len(t, b, size)
		}
	}
}

func sampleReport() *bench.Report {
	return &bench.Report{
		Started:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Host:         "box",
		GoVersion:    "go1.26.8",
		Platform:     "linux/amd64",
		CPUs:         2,
		Concurrency:  32,
		Duration:     10 * time.Second,
		Warmup:       2 * time.Second,
		Rounds:       5,
		BaselineMode: bench.BaselineProcess,
		Server:       "bin/cdlc serve --target=config",
		Results: []bench.Comparison{
			bench.Compare(bench.Scenario{Name: "config.effective", Aim: 0.5}, 900,
				bench.Result{OK: 400000, Throughput: 40000, Latency: bench.Latency{P50: 700 * time.Microsecond, P99: 2 * time.Millisecond}},
				bench.Result{OK: 220000, Throughput: 22000, Latency: bench.Latency{P50: 1400 * time.Microsecond, P99: 4 * time.Millisecond}}),
			bench.Compare(bench.Scenario{Name: "healthz"}, 16,
				bench.Result{OK: 500000, Throughput: 50000},
				bench.Result{OK: 300000, Throughput: 30000, ErrorsByStatus: map[int]int64{503: 7}, TransportErrors: 1, ErrorSamples: []string{"GET /healthz: status 503, want 200"}}),
		},
	}
}

func TestReportTable(t *testing.T) {
	rep := sampleReport()
	rep.Finish()
	require.True(t, rep.Failed, "errors in a result fail the run")

	var b strings.Builder
	require.NoError(t, rep.WriteTable(&b))
	out := b.String()
	for _, want := range []string{
		"32 concurrent keep-alive connections, 10s measured after 2s warm-up, in 5 rounds alternating with the baseline",
		"bin/cdlc serve --target=config",
		"config.effective: 55.0% of baseline throughput (target: >= 50% of baseline, met); added latency p50 +0.700ms, p99 +2.000ms",
		"healthz: 60.0% of baseline throughput (no target)",
		"!!! healthz (cdlc): 8 of 300008 requests FAILED (status 503 x7, no response x1)",
		"GET /healthz: status 503, want 200",
		"!!! the run had errors",
	} {
		require.Contains(t, out, want)
	}
	// One header, then a baseline and a cdlc row per scenario, aligned.
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "config.effective  ") || strings.HasPrefix(l, "healthz  ") {
			rows = append(rows, l)
		}
	}
	require.Len(t, rows, 4, out)
	for _, r := range rows[1:] {
		require.Equal(t, len(rows[0]), len(r), "rows align:\n%s", out)
	}

	rep.Results[0] = bench.Compare(bench.Scenario{Name: "config.effective", Aim: 0.5}, 900,
		bench.Result{Throughput: 40000}, bench.Result{Throughput: 10000})
	b.Reset()
	require.NoError(t, rep.WriteTable(&b))
	require.Contains(t, b.String(), "25.0% of baseline throughput (target: >= 50% of baseline, NOT met)")
}

func TestReportCleanRunIsQuiet(t *testing.T) {
	rep := sampleReport()
	rep.Results = rep.Results[:1]
	rep.Finish()
	require.False(t, rep.Failed, "a missed aim is not a failure")
	var b strings.Builder
	require.NoError(t, rep.WriteTable(&b))
	require.NotContains(t, b.String(), "!!!")

	rep.Problems = []string{"server exited uncleanly after SIGTERM: exit status 1\n  server log"}
	rep.Finish()
	require.True(t, rep.Failed)
	b.Reset()
	require.NoError(t, rep.WriteTable(&b))
	require.Contains(t, b.String(), "!!! server exited uncleanly after SIGTERM: exit status 1\n!!!   server log")
}

func TestReportJSON(t *testing.T) {
	rep := sampleReport()
	rep.Finish()
	path := t.TempDir() + "/report.json"
	require.NoError(t, rep.WriteJSON(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, true, got["failed"])
	results := got["results"].([]any)
	require.Len(t, results, 2)
	first := results[0].(map[string]any)
	require.Equal(t, "config.effective", first["scenario"])
	require.InDelta(t, 0.55, first["throughput_ratio"], 1e-9)
	require.Equal(t, true, first["aim_met"])
	require.Equal(t, float64(700*time.Microsecond), first["added_p50_ns"])
	second := results[1].(map[string]any)
	require.Equal(t, map[string]any{"503": float64(7)}, second["measured"].(map[string]any)["errors_by_status"])
}

func TestRegistry(t *testing.T) {
	var names []string
	for _, s := range bench.Scenarios() {
		names = append(names, s.Name)
	}
	require.Subset(t, names, []string{"config.effective", "healthz"})

	got, err := bench.Lookup([]string{"healthz", "config.effective"})
	require.NoError(t, err)
	require.Equal(t, "healthz", got[0].Name)
	_, err = bench.Lookup([]string{"nope"})
	require.ErrorContains(t, err, `unknown scenario "nope"`)
	require.ErrorContains(t, err, "healthz")

	require.Panics(t, func() {
		bench.Register(bench.Scenario{Name: "healthz", Build: func(bench.Env) bench.Request { return bench.Request{} }})
	})
	require.Panics(t, func() { bench.Register(bench.Scenario{Name: "no build"}) })
}

// TestDriveCountsErrors loads a server that fails every third request and
// checks that the client's tally matches the server's, request for request.
func TestDriveCountsErrors(t *testing.T) {
	var served, failed atomic.Int64
	var mu sync.Mutex
	seenAuth := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seenAuth[r.Header.Get("Authorization")] = true
		mu.Unlock()
		if served.Add(1)%3 == 0 {
			failed.Add(1)
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()

	load := bench.Load{Concurrency: 8, Duration: time.Hour, MaxRequests: 300, Timeout: 5 * time.Second}
	build := func() bench.Request {
		return bench.Request{URL: srv.URL + "/x", Header: http.Header{"Authorization": {"Bearer t"}}}
	}
	res := bench.Drive(context.Background(), bench.NewClient(8, 5*time.Second), build, http.StatusOK, load)

	require.Equal(t, int64(300), served.Load())
	require.Equal(t, int64(300), res.Requests())
	require.Equal(t, failed.Load(), res.ErrorsByStatus[500])
	require.Equal(t, int64(100), res.Errors())
	require.Equal(t, int64(200), res.OK)
	require.Equal(t, int64(200*len(`{"ok":true}`)), res.Bytes)
	require.Equal(t, []string{"GET /x: status 500, want 200"}, res.ErrorSamples)
	require.Positive(t, res.Throughput)
	require.Positive(t, res.Latency.Max)
	require.LessOrEqual(t, res.Latency.P50, res.Latency.P99)
	require.Equal(t, map[string]bool{"Bearer t": true}, seenAuth, "headers reach the server")
}

func TestDriveCountsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more

	load := bench.Load{Concurrency: 2, MaxRequests: 10, Timeout: time.Second}
	res := bench.Drive(context.Background(), bench.NewClient(2, time.Second),
		func() bench.Request { return bench.Request{URL: url} }, http.StatusOK, load)
	require.Equal(t, int64(10), res.TransportErrors)
	require.Equal(t, int64(0), res.OK)
	require.NotEmpty(t, res.ErrorSamples)
	require.LessOrEqual(t, len(res.ErrorSamples), 5)
}

func TestDriveWarmupIsNotCounted(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	defer srv.Close()
	load := bench.Load{Concurrency: 2, Warmup: 20 * time.Millisecond, MaxRequests: 50, Timeout: time.Second}
	res := bench.Drive(context.Background(), bench.NewClient(2, time.Second),
		func() bench.Request { return bench.Request{URL: srv.URL} }, http.StatusOK, load)
	require.Equal(t, int64(50), res.OK)
	require.Greater(t, served.Load(), int64(50), "the warm-up sent requests too")
}

func TestBaselineModes(t *testing.T) {
	for _, mode := range []bench.BaselineMode{bench.BaselineInProcess, bench.BaselineProcess} {
		t.Run(string(mode), func(t *testing.T) {
			b, err := bench.StartBaseline(context.Background(), mode, bench.BaselineBody(100))
			require.NoError(t, err)
			defer b.Close()
			resp, err := http.Get(b.URL() + "/anything")
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			require.Equal(t, int64(100), resp.ContentLength)
		})
	}
	_, err := bench.StartBaseline(context.Background(), "elsewhere", nil)
	require.ErrorContains(t, err, "unknown baseline mode")
}
