package bench

import (
	"slices"
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one measured period saw.
type Result struct {
	// OK counts responses with the expected status; only they enter the
	// latency figures and the throughput.
	OK int64 `json:"ok"`
	// ErrorsByStatus counts responses with another status, by status.
	ErrorsByStatus map[int]int64 `json:"errors_by_status,omitempty"`
	// TransportErrors counts requests that got no response at all
	// (refused, reset, timed out).
	TransportErrors int64 `json:"transport_errors"`
	// ErrorSamples holds a few distinct error messages.
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Bytes is the total body size of the OK responses.
	Bytes int64 `json:"bytes"`
	// Elapsed is the length of the measured period, from the first request
	// sent to the last response read.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Throughput is OK responses per second of Elapsed.
	Throughput float64 `json:"throughput_rps"`
	// Latency of the OK responses.
	Latency Latency `json:"latency"`

	hist *hdrhistogram.Histogram // the latencies, in µs, kept for merging
}

// Errors is the number of requests that failed, for any reason.
func (r Result) Errors() int64 {
	n := r.TransportErrors
	for _, c := range r.ErrorsByStatus {
		n += c
	}
	return n
}

// Requests is the number of requests that completed or failed.
func (r Result) Requests() int64 { return r.OK + r.Errors() }

// StatusCodes returns the unexpected statuses seen, sorted.
func (r Result) StatusCodes() []int {
	codes := make([]int, 0, len(r.ErrorsByStatus))
	for c := range r.ErrorsByStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// Latency summarises a latency distribution. Percentiles come from an HDR
// histogram with three significant digits, so each figure is within 0.1%
// of the exact order statistic.
type Latency struct {
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
}

// LatencyOf summarises a histogram of microseconds.
func LatencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	return Latency{
		Mean: time.Duration(h.Mean() * float64(time.Microsecond)),
		P50:  us(h.ValueAtQuantile(50)),
		P90:  us(h.ValueAtQuantile(90)),
		P95:  us(h.ValueAtQuantile(95)),
		P99:  us(h.ValueAtQuantile(99)),
		Max:  us(h.Max()),
	}
}

// finish derives the summary figures once the counts are in.
func (r *Result) finish() {
	if r.hist != nil {
		r.Latency = LatencyOf(r.hist)
	}
	r.Throughput = Throughput(r.OK, r.Elapsed)
}

// Merge returns the result of two measured periods taken as one: counts and
// times add up, percentiles come from the union of the latencies.
func Merge(a, b Result) Result {
	m := Result{
		OK:              a.OK + b.OK,
		TransportErrors: a.TransportErrors + b.TransportErrors,
		Bytes:           a.Bytes + b.Bytes,
		Elapsed:         a.Elapsed + b.Elapsed,
		ErrorsByStatus:  map[int]int64{},
		hist:            newHistogram(),
	}
	for _, r := range []Result{a, b} {
		for code, n := range r.ErrorsByStatus {
			m.ErrorsByStatus[code] += n
		}
		for _, s := range r.ErrorSamples {
			if len(m.ErrorSamples) < maxErrorSamples && !slices.Contains(m.ErrorSamples, s) {
				m.ErrorSamples = append(m.ErrorSamples, s)
			}
		}
		if r.hist != nil {
			m.hist.Merge(r.hist)
		}
	}
	m.finish()
	return m
}

// Throughput is n per second of d, zero when d is not positive.
func Throughput(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Comparison sets a scenario's result beside its baseline's.
type Comparison struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	// BodyBytes is the size of the scenario's response, which the
	// baseline handler served too.
	BodyBytes int    `json:"body_bytes"`
	Baseline  Result `json:"baseline"`
	Measured  Result `json:"measured"`
	// Ratio is Measured.Throughput / Baseline.Throughput (0 when the
	// baseline served nothing).
	Ratio float64 `json:"throughput_ratio"`
	// AddedP50 and AddedP99 are the latency the server adds over the
	// baseline at those percentiles (negative when it is faster).
	AddedP50 time.Duration `json:"added_p50_ns"`
	AddedP99 time.Duration `json:"added_p99_ns"`
	// Aim is the scenario's expected Ratio, 0 when none; AimMet says
	// whether Ratio reached it.
	Aim    float64 `json:"aim_ratio,omitempty"`
	AimMet bool    `json:"aim_met"`
	// AimP50 is the most p50 latency the scenario should add, 0 when none;
	// AimP50Met says whether AddedP50 stayed under it.
	AimP50    time.Duration `json:"aim_added_p50_ns,omitempty"`
	AimP50Met bool          `json:"aim_added_p50_met"`
	// BaselineName says what the baseline was when it was not the bare
	// handler (the gateway scenario compares with the service called
	// directly).
	BaselineName string `json:"baseline_name,omitempty"`
	// P95Aim is the scenario's p95 aim, 0 when none; P95Met says whether
	// the measured p95 is under it.
	P95Aim time.Duration `json:"aim_p95_ns,omitempty"`
	P95Met bool          `json:"aim_p95_met"`
	// Concurrency is the load's, when the scenario set its own.
	Concurrency int `json:"concurrency,omitempty"`
}

// Compare sets measured beside baseline.
func Compare(s Scenario, bodyBytes int, baseline, measured Result) Comparison {
	c := Comparison{
		Scenario:    s.Name,
		Description: s.Description,
		BodyBytes:   bodyBytes,
		Baseline:    baseline,
		Measured:    measured,
		Ratio:       Ratio(measured.Throughput, baseline.Throughput),
		AddedP50:    measured.Latency.P50 - baseline.Latency.P50,
		AddedP99:    measured.Latency.P99 - baseline.Latency.P99,
		Aim:         s.Aim,
	}
	c.AimMet = s.Aim == 0 || c.Ratio >= s.Aim
	c.AimP50 = s.AimP50
	c.AimP50Met = s.AimP50 == 0 || c.AddedP50 < s.AimP50
	c.P95Aim, c.Concurrency = s.P95Aim, s.Concurrency
	c.P95Met = s.P95Aim == 0 || measured.Latency.P95 < s.P95Aim
	return c
}

// Ratio is a/b, zero when b is not positive.
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Errors is the number of failed requests in both runs.
func (c Comparison) Errors() int64 { return c.Baseline.Errors() + c.Measured.Errors() }
