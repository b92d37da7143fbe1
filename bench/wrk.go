package bench

// The wrk driver. wrk (https://github.com/wg/wrk, Debian's package) is an
// event-loop load generator in C: one thread keeps dozens of keep-alive
// connections busy for a fraction of the CPU a Go client needs per
// request. On a small machine the load generator shares the cores with the
// server, so a heavy client caps the baseline first and flatters every
// ratio; with wrk the bare baseline is not client-bound. The requests come
// from the scenario's Build, sampled and written into a Lua script; the
// script's done() prints the counts and the whole latency histogram, which
// Go reads back into an HDR histogram so that rounds merge exactly.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Driver names the load generator.
type Driver string

const (
	// DriverWrk runs wrk, one process per measured period. The default.
	DriverWrk Driver = "wrk"
	// DriverGo runs this program's own net/http client: no dependency,
	// and Load.MaxRequests for deterministic tests, but on a small machine
	// it needs about as much CPU per request as the server.
	DriverGo Driver = "go"
)

// wrkSamples is how many times Build is called to make the request list a
// wrk run cycles through (the search scenarios pick a query at random).
const wrkSamples = 1000

// WrkInstallHint says how to get wrk.
const WrkInstallHint = "install it with `scripts/apt-install wrk` (make bench does), or run with -driver=go"

// wrkLoad is one side's wrk set-up: the script and the base URL.
type wrkLoad struct {
	bin     string
	script  string
	baseURL string
	threads int
}

// newWrkLoad finds wrk and writes the Lua script for build's requests into
// dir.
func newWrkLoad(dir, name string, build func() Request, threads int) (*wrkLoad, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return nil, fmt.Errorf("wrk not found: %s", WrkInstallHint)
	}
	script, base, err := wrkScript(build, wrkSamples)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".lua")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		return nil, err
	}
	return &wrkLoad{bin: bin, script: path, baseURL: base, threads: max(threads, 1)}, nil
}

// WrkScript returns the Lua script that makes wrk send n requests from
// build in turn (the same one n times when build always returns it) and
// report what it saw, and the base URL to give wrk. Every request must
// have the same scheme and host.
func WrkScript(build func() Request, n int) ([]byte, string, error) { return wrkScript(build, n) }

func wrkScript(build func() Request, n int) ([]byte, string, error) {
	var base string
	seen := map[string]bool{}
	var raws []string
	for range max(n, 1) {
		r := build()
		u, err := url.Parse(r.URL)
		if err != nil {
			return nil, "", err
		}
		if u.Scheme != "http" {
			return nil, "", fmt.Errorf("wrk driver: %s: only http:// URLs", r.URL)
		}
		b := u.Scheme + "://" + u.Host
		if base == "" {
			base = b
		} else if b != base {
			return nil, "", fmt.Errorf("wrk driver: requests go to %s and %s; one host per scenario", base, b)
		}
		raw := rawRequest(r, u)
		raws = append(raws, raw)
		seen[raw] = true
	}
	if len(seen) == 1 {
		raws = raws[:1]
	}
	var s bytes.Buffer
	s.WriteString("-- written by cdlc-bench: the requests to send in turn, and a report for it to read\nlocal reqs = {\n")
	for _, raw := range raws {
		s.WriteString("  " + luaQuote(raw) + ",\n")
	}
	s.WriteString(wrkScriptTail)
	return s.Bytes(), base, nil
}

const wrkScriptTail = `}
local n, i = #reqs, 0
request = function()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("cdlc-bench summary %d %d %d %d %d %d %d %d\n",
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
  -- latency(i) is the i-th latency seen (in microseconds) and how many
  -- responses took it; #latency is how many distinct ones there are.
  local out = {}
  for i = 1, #latency do
    local v, c = latency(i)
    out[#out + 1] = string.format("%d:%d", v, c)
  end
  io.write("cdlc-bench latency " .. table.concat(out, " ") .. "\n")
end
`

// rawRequest is r as HTTP/1.1 on the wire, headers sorted.
func rawRequest(r Request, u *url.URL) string {
	method := r.Method
	if method == "" {
		method = "GET"
	}
	var b strings.Builder
	b.WriteString(method + " " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n")
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") {
			continue
		}
		for _, v := range r.Header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if r.Body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.String()
}

// luaQuote writes s as a Lua string literal: printable ASCII as it is,
// every other byte as a decimal escape.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// wholeSeconds rounds d up to whole seconds, at least one: wrk's -d and
// --timeout take seconds.
func wholeSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// run drives the load for d with concurrency connections and returns what
// wrk saw; the process's own CPU time is in ClientCPU.
func (w *wrkLoad) run(ctx context.Context, concurrency int, d, timeout time.Duration) (Result, error) {
	concurrency = max(concurrency, 1)
	threads := min(w.threads, concurrency)
	cmd := exec.CommandContext(ctx, w.bin,
		"-t", strconv.Itoa(threads), "-c", strconv.Itoa(concurrency),
		"-d", strconv.Itoa(wholeSeconds(d))+"s", "--timeout", strconv.Itoa(wholeSeconds(timeout))+"s",
		"-s", w.script, w.baseURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %v: %s%s", err, bytes.TrimSpace(stderr.Bytes()), bytes.TrimSpace(stdout.Bytes()))
	}
	res, err := parseWrk(stdout.Bytes())
	if err != nil {
		return Result{}, err
	}
	if st := cmd.ProcessState; st != nil {
		res.ClientCPU = st.UserTime() + st.SystemTime()
	}
	return res, nil
}

// ParseWrk reads what the script's done() printed.
func ParseWrk(out []byte) (Result, error) { return parseWrk(out) }

func parseWrk(out []byte) (Result, error) {
	res := Result{ErrorsByStatus: map[int]int64{}, hist: newHistogram()}
	var gotSummary bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "cdlc-bench summary "); ok {
			var f [8]int64
			for i, s := range strings.Fields(rest) {
				if i >= len(f) {
					break
				}
				v, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return Result{}, fmt.Errorf("wrk summary %q: %w", rest, err)
				}
				f[i] = v
			}
			duration, requests, bytesRead := f[0], f[1], f[2]
			connect, read, write, status, timeout := f[3], f[4], f[5], f[6], f[7]
			res.Elapsed = time.Duration(duration) * time.Microsecond
			res.BadStatus = status
			res.OK = requests - status
			res.Bytes = bytesRead
			res.TransportErrors = connect + read + write + timeout
			if res.TransportErrors > 0 {
				res.ErrorSamples = append(res.ErrorSamples, fmt.Sprintf("wrk: socket errors: connect %d, read %d, write %d, timeout %d", connect, read, write, timeout))
			}
			if status > 0 {
				res.ErrorSamples = append(res.ErrorSamples, fmt.Sprintf("wrk: %d responses with a status outside 2xx and 3xx", status))
			}
			gotSummary = true
			continue
		}
		if rest, ok := strings.CutPrefix(line, "cdlc-bench latency"); ok {
			for _, pair := range strings.Fields(rest) {
				v, c, ok := strings.Cut(pair, ":")
				us, err1 := strconv.ParseInt(v, 10, 64)
				n, err2 := strconv.ParseInt(c, 10, 64)
				if !ok || err1 != nil || err2 != nil {
					return Result{}, fmt.Errorf("wrk latency %q: not value:count", pair)
				}
				_ = res.hist.RecordValues(min(max(us, histMin), histMax), n)
			}
		}
	}
	if !gotSummary {
		return Result{}, errors.New("wrk printed no summary (did the script run?):\n" + snippet(out))
	}
	res.finish()
	return res, nil
}
