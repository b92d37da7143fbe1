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
	// BadStatus counts responses wrk saw with a status outside 2xx and 3xx
	// (it does not say which; the probe before the load checks the exact
	// status once).
	BadStatus int64 `json:"bad_status,omitempty"`
	// ServerCPU is the CPU time, user and system, that the processes
	// serving the requests used during the measured period (the server, or
	// the gateway and the service behind it); CPUMeasured says whether it
	// could be read: only for processes the bench started itself.
	ServerCPU   time.Duration `json:"server_cpu_ns"`
	CPUMeasured bool          `json:"cpu_measured"`
	// CPUPerRequest is ServerCPU divided by the requests answered
	// (Requests): what one request costs the server, whoever is the
	// bottleneck.
	CPUPerRequest time.Duration `json:"server_cpu_per_request_ns"`
	// ClientCPU is the load generator's own CPU time (wrk's), when it ran
	// in a process of its own.
	ClientCPU time.Duration `json:"client_cpu_ns,omitempty"`

	hist *hdrhistogram.Histogram // the latencies, in µs, kept for merging
}

// Errors is the number of requests that failed, for any reason.
func (r Result) Errors() int64 {
	n := r.TransportErrors + r.BadStatus
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
	r.CPUPerRequest = 0
	if n := r.Requests(); r.CPUMeasured && n > 0 {
		r.CPUPerRequest = r.ServerCPU / time.Duration(n)
	}
}

// Merge returns the result of two measured periods taken as one: counts and
// times add up, percentiles come from the union of the latencies.
func Merge(a, b Result) Result {
	m := Result{
		OK:              a.OK + b.OK,
		TransportErrors: a.TransportErrors + b.TransportErrors,
		Bytes:           a.Bytes + b.Bytes,
		Elapsed:         a.Elapsed + b.Elapsed,
		BadStatus:       a.BadStatus + b.BadStatus,
		ServerCPU:       a.ServerCPU + b.ServerCPU,
		CPUMeasured:     a.CPUMeasured && b.CPUMeasured,
		ClientCPU:       a.ClientCPU + b.ClientCPU,
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
	// CPURatio is Measured.CPUPerRequest / Baseline.CPUPerRequest: how
	// many times the baseline's CPU a request costs (0 when either is
	// unknown).
	CPURatio float64 `json:"cpu_ratio,omitempty"`
	// Reference is a third server loaded in the same rounds, when the
	// scenario has one (nginx proxying to the same upstream as the
	// gateway); ReferenceName says what it is.
	Reference     *Result `json:"reference,omitempty"`
	ReferenceName string  `json:"reference_name,omitempty"`
	// VsReference is Measured.Throughput / Reference.Throughput;
	// ReferenceAddedP50 is the p50 the reference adds over the baseline,
	// beside AddedP50.
	VsReference       float64       `json:"throughput_vs_reference,omitempty"`
	ReferenceAddedP50 time.Duration `json:"reference_added_p50_ns,omitempty"`
	// AimVsReference is the throughput the scenario should reach as a
	// fraction of the reference's; 0 when none.
	AimVsReference float64 `json:"aim_vs_reference,omitempty"`
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
	if baseline.CPUPerRequest > 0 && measured.CPUPerRequest > 0 {
		c.CPURatio = float64(measured.CPUPerRequest) / float64(baseline.CPUPerRequest)
	}
	return c
}

// WithReference sets a third server's result beside the comparison.
func (c Comparison) WithReference(name string, ref Result, aim float64) Comparison {
	c.Reference, c.ReferenceName, c.AimVsReference = &ref, name, aim
	c.VsReference = Ratio(c.Measured.Throughput, ref.Throughput)
	c.ReferenceAddedP50 = ref.Latency.P50 - c.Baseline.Latency.P50
	return c
}

// Errors is the number of failed requests in every run.
func (c Comparison) Errors() int64 {
	n := c.Baseline.Errors() + c.Measured.Errors()
	if c.Reference != nil {
		n += c.Reference.Errors()
	}
	return n
}

// Ratio is a/b, zero when b is not positive.
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
