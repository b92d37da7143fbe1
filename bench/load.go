package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Load is how hard and how long to drive an endpoint.
type Load struct {
	// Concurrency is the number of workers, each with one request in flight
	// at a time, and the size of the client's keep-alive pool.
	Concurrency int
	// Duration of the measured period.
	Duration time.Duration
	// Warmup is driven the same way before the measured period, and thrown
	// away: it opens the connections and warms the server's caches.
	Warmup time.Duration
	// Timeout bounds one request (connection, headers and body).
	Timeout time.Duration
	// Rounds splits the measured period: the baseline and the scenario
	// take turns, Duration/Rounds each, Rounds times, so that a change in
	// the machine's background load during the run weighs on both alike.
	// Zero means 1.
	Rounds int
	// MaxRequests, when positive, ends each measured period (each round)
	// after that many requests instead of after its time. Tests use it to
	// be deterministic. The Go driver only.
	MaxRequests int64
	// Driver is the load generator; empty means DriverWrk.
	Driver Driver
	// WrkThreads is wrk's -t (at most Concurrency); zero means 1, which
	// on two cores leaves the other to the server.
	WrkThreads int
}

// rounds is Rounds, at least 1.
func (l Load) rounds() int { return max(l.Rounds, 1) }

// driver is Driver, DriverWrk when empty.
func (l Load) driver() Driver {
	if l.Driver == "" {
		return DriverWrk
	}
	return l.Driver
}

// NewClient returns the client every run uses: keep-alive, a connection
// pool as large as the concurrency, no proxy, no HTTP/2 (the server speaks
// HTTP/1.1 on a plain socket).
func NewClient(concurrency int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   false,
		},
		// A redirect would measure something else than the scenario says.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Histogram bounds: latencies are recorded in microseconds from 1µs to one
// minute with three significant digits (0.1% precision).
const (
	histMin     = 1
	histMax     = int64(time.Minute / time.Microsecond)
	histSigFigs = 3
)

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, histSigFigs)
}

// maxErrorSamples caps the distinct error messages a run keeps.
const maxErrorSamples = 5

// Drive runs warm-up then one measured period of load.Duration against
// build's requests and returns what the measured period saw (Rounds is for
// Run, which alternates two endpoints). A worker sends one request at a
// time, reads the whole body, and checks the status against want. ctx ends
// the run early (the result then covers what completed).
func Drive(ctx context.Context, client *http.Client, build func() Request, want int, load Load) Result {
	if load.Warmup > 0 {
		drive(ctx, client, build, want, load.Concurrency, load.Warmup, 0)
	}
	return drive(ctx, client, build, want, load.Concurrency, load.Duration, load.MaxRequests)
}

// worker is one load goroutine's private tally, merged after the run so the
// hot path takes no lock.
type worker struct {
	hist     *hdrhistogram.Histogram
	ok       int64
	bytes    int64
	byStatus map[int]int64
	failures int64 // transport errors: no status at all
	samples  []string
}

func drive(ctx context.Context, client *http.Client, build func() Request, want, concurrency int, d time.Duration, maxRequests int64) Result {
	if concurrency < 1 {
		concurrency = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var issued atomic.Int64
	workers := make([]*worker, concurrency)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{hist: newHistogram(), byStatus: map[int]int64{}}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if maxRequests > 0 {
					if issued.Add(1) > maxRequests {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				w.do(ctx, client, build(), want)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{Elapsed: elapsed, ErrorsByStatus: map[int]int64{}, hist: newHistogram()}
	seen := map[string]bool{}
	for _, w := range workers {
		res.hist.Merge(w.hist)
		res.OK += w.ok
		res.Bytes += w.bytes
		res.TransportErrors += w.failures
		for code, n := range w.byStatus {
			res.ErrorsByStatus[code] += n
		}
		for _, s := range w.samples {
			if !seen[s] && len(res.ErrorSamples) < maxErrorSamples {
				seen[s] = true
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
	}
	res.finish()
	return res
}

// do sends one request and records its outcome.
func (w *worker) do(ctx context.Context, client *http.Client, r Request, want int) {
	req, err := r.HTTP(ctx)
	if err != nil {
		w.fail(fmt.Sprintf("build request: %v", err))
		return
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // the run was interrupted: not the server's fault
		}
		w.fail(err.Error())
		return
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	lat := time.Since(t0)
	if err != nil {
		w.fail(fmt.Sprintf("read body: %v", err))
		return
	}
	if resp.StatusCode != want {
		w.byStatus[resp.StatusCode]++
		w.sample(fmt.Sprintf("%s %s: status %d, want %d", req.Method, req.URL.Path, resp.StatusCode, want))
		return
	}
	w.ok++
	w.bytes += n
	us := lat.Microseconds()
	if us < histMin {
		us = histMin
	}
	// RecordValue fails only above histMax, which the client timeout
	// prevents unless it is set above a minute; clamp rather than lose it.
	if us > histMax {
		us = histMax
	}
	_ = w.hist.RecordValue(us)
}

func (w *worker) fail(msg string) {
	w.failures++
	w.sample(msg)
}

func (w *worker) sample(msg string) {
	if len(w.samples) < maxErrorSamples {
		for _, s := range w.samples {
			if s == msg {
				return
			}
		}
		w.samples = append(w.samples, msg)
	}
}
