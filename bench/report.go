package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Report is a whole run: where and how it ran, and a comparison per scenario.
type Report struct {
	Started      time.Time     `json:"started"`
	Host         string        `json:"host"`
	GoVersion    string        `json:"go_version"`
	Platform     string        `json:"platform"`
	CPUs         int           `json:"cpus"`
	Concurrency  int           `json:"concurrency"`
	Duration     time.Duration `json:"duration_ns"`
	Warmup       time.Duration `json:"warmup_ns"`
	Rounds       int           `json:"rounds"`
	BaselineMode BaselineMode  `json:"baseline_mode"`
	// Driver is the load generator (wrk or go).
	Driver Driver `json:"driver"`
	// Server is the command line of the server the bench started, or the
	// URL it was pointed at.
	Server  string       `json:"server"`
	Results []Comparison `json:"results"`
	// Problems are errors other than failed requests: a scenario whose
	// setup failed, a server that did not stop cleanly.
	Problems []string `json:"problems,omitempty"`
	// Failed is true when there were problems or failed requests; the
	// program then exits non-zero. Speed never sets it.
	Failed bool `json:"failed"`
}

// Finish sets Failed from the problems and errors recorded.
func (r *Report) Finish() {
	r.Failed = len(r.Problems) > 0
	for _, c := range r.Results {
		if c.Errors() > 0 {
			r.Failed = true
		}
	}
}

// WriteJSON writes the report, indented, to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteTable writes the report for people: a header saying how it ran, a
// table with a baseline and a cdlc row per scenario, the ratios, and, loud
// and last, every error.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cdlc bench  %s  %s %s, %d CPUs, host %s\n",
		r.Started.Format(time.RFC3339), r.GoVersion, r.Platform, r.CPUs, r.Host)
	fmt.Fprintf(&b, "load:     %s, %d concurrent keep-alive connections, %s measured after %s warm-up, in %d rounds alternating with the baseline\n",
		driverText(r.Driver), r.Concurrency, r.Duration, r.Warmup, max(r.Rounds, 1))
	fmt.Fprintf(&b, "baseline: bare net/http handler on 127.0.0.1 (%s), same body size, same client and load\n",
		baselineWhere(r.BaselineMode))
	fmt.Fprintf(&b, "server:   %s\n\n", r.Server)

	if len(r.Results) > 0 {
		rows := [][]string{{"scenario", "run", "req/s", "p50", "p90", "p95", "p99", "max", "cpu/req", "ok", "errors"}}
		for _, c := range r.Results {
			rows = append(rows, row(c.Scenario, "baseline", c.Baseline), row(c.Scenario, "cdlc", c.Measured))
			if c.Reference != nil {
				rows = append(rows, row(c.Scenario, c.ReferenceName, *c.Reference))
			}
		}
		writeColumns(&b, rows, 2)
		b.WriteString("\n")
		for _, c := range r.Results {
			fmt.Fprintf(&b, "%s: %s of baseline throughput (%s); added latency p50 %s, p99 %s%s\n",
				c.Scenario, percent(c.Ratio), aimText(c), signed(c.AddedP50), signed(c.AddedP99), cpuText(c))
			if c.Reference != nil {
				fmt.Fprintf(&b, "  (%s: %s of %s's throughput%s; added p50 %s against %s's %s)\n",
					c.Scenario, percent(c.VsReference), c.ReferenceName, referenceAim(c), signed(c.AddedP50), c.ReferenceName, signed(c.ReferenceAddedP50))
			}
			if c.BaselineName != "" {
				fmt.Fprintf(&b, "  (%s: the baseline is %s)\n", c.Scenario, c.BaselineName)
			}
			if c.AimP50 > 0 {
				verdict := "met"
				if !c.AimP50Met {
					verdict = "NOT met"
				}
				fmt.Fprintf(&b, "  (%s: added p50 target < %s, %s)\n", c.Scenario, c.AimP50, verdict)
			}
		}
	}

	var loud []string
	for _, c := range r.Results {
		for _, run := range []struct {
			name string
			res  Result
		}{{"cdlc", c.Measured}, {"baseline", c.Baseline}, {c.ReferenceName, deref(c.Reference)}} {
			if n := run.res.Errors(); n > 0 {
				msg := fmt.Sprintf("!!! %s (%s): %d of %d requests FAILED (%s); its figures do not mean much",
					c.Scenario, run.name, n, run.res.Requests(), errorBreakdown(run.res))
				for _, s := range run.res.ErrorSamples {
					msg += "\n!!!     " + s
				}
				loud = append(loud, msg)
			}
		}
	}
	for _, p := range r.Problems {
		loud = append(loud, "!!! "+strings.ReplaceAll(p, "\n", "\n!!! "))
	}
	if len(loud) > 0 {
		b.WriteString("\n" + strings.Join(loud, "\n") + "\n")
		b.WriteString("!!! the run had errors: see above\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func row(scenario, run string, r Result) []string {
	return []string{
		scenario, run, fmt.Sprintf("%.1f", r.Throughput),
		Millis(r.Latency.P50), Millis(r.Latency.P90), Millis(r.Latency.P95),
		Millis(r.Latency.P99), Millis(r.Latency.Max), Micros(r),
		fmt.Sprint(r.OK), fmt.Sprint(r.Errors()),
	}
}

// Micros formats a result's server CPU per request in microseconds, "-"
// when it was not measured.
func Micros(r Result) string {
	if !r.CPUMeasured {
		return "-"
	}
	return fmt.Sprintf("%.1fµs", float64(r.CPUPerRequest)/float64(time.Microsecond))
}

func cpuText(c Comparison) string {
	if c.CPURatio == 0 {
		return ""
	}
	return fmt.Sprintf("; server CPU per request %.2fx the baseline's", c.CPURatio)
}

func referenceAim(c Comparison) string {
	if c.AimVsReference == 0 {
		return ""
	}
	verdict := "met"
	if c.VsReference < c.AimVsReference {
		verdict = "NOT met"
	}
	return fmt.Sprintf(", target >= %s%%, %s", strconv.FormatFloat(c.AimVsReference*100, 'f', -1, 64), verdict)
}

func deref(r *Result) Result {
	if r == nil {
		return Result{}
	}
	return *r
}

func driverText(d Driver) string {
	switch d {
	case DriverGo:
		return "the bench's own Go client"
	case "":
		return "load"
	}
	return string(d)
}

// writeColumns writes rows as a table: the first left columns aligned left
// (names), the others right (figures), two spaces apart.
func writeColumns(b *strings.Builder, rows [][]string, left int) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, cell := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len(cell))
			if i < left {
				line.WriteString(cell + pad)
			} else {
				line.WriteString(pad + cell)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

func baselineWhere(m BaselineMode) string {
	if m == BaselineInProcess {
		return "inside the bench process"
	}
	return "in a child process"
}

func aimText(c Comparison) string {
	if c.P95Aim != 0 {
		verdict := "met"
		if !c.P95Met {
			verdict = "NOT met"
		}
		return fmt.Sprintf("target: p95 < %v at %d in flight, %s (p95 %v)", c.P95Aim, c.Concurrency, verdict, c.Measured.Latency.P95)
	}
	if c.Aim == 0 {
		return "no target"
	}
	verdict := "met"
	if !c.AimMet {
		verdict = "NOT met"
	}
	return fmt.Sprintf("target: >= %s%% of baseline, %s", strconv.FormatFloat(c.Aim*100, 'f', -1, 64), verdict)
}

func errorBreakdown(r Result) string {
	var parts []string
	for _, code := range r.StatusCodes() {
		parts = append(parts, fmt.Sprintf("status %d x%d", code, r.ErrorsByStatus[code]))
	}
	if r.BadStatus > 0 {
		parts = append(parts, fmt.Sprintf("status not 2xx/3xx x%d", r.BadStatus))
	}
	if r.TransportErrors > 0 {
		parts = append(parts, fmt.Sprintf("no response x%d", r.TransportErrors))
	}
	return strings.Join(parts, ", ")
}

// percent formats a ratio as a percentage with one decimal.
func percent(r float64) string { return fmt.Sprintf("%.1f%%", r*100) }

// Millis formats a latency in milliseconds, with more decimals the smaller
// it is, so that columns compare at a glance.
func Millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 0:
		return "-" + Millis(-d)
	case ms < 10:
		return fmt.Sprintf("%.3fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.0fms", ms)
	}
}

// signed formats an added latency with its sign.
func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + Millis(d)
	}
	return Millis(d)
}
