package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// BaselineBody returns a JSON object of exactly size bytes (at least the
// few bytes the smallest object needs), the body the baseline serves in
// place of the scenario's response.
func BaselineBody(size int) []byte {
	const head, tail = `{"baseline":"`, `"}`
	pad := size - len(head) - len(tail)
	if pad < 0 {
		pad = 0
	}
	return []byte(head + strings.Repeat("x", pad) + tail)
}

// BaselineHandler is the bare net/http handler every scenario is compared
// with: no router, no middleware, one fixed JSON body.
func BaselineHandler(body []byte) http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(body)
	})
}

// Baseline is a running bare handler.
type Baseline interface {
	// URL is its base URL, scheme://host:port.
	URL() string
	// PID is the process it runs in.
	PID() int
	// Close stops it.
	Close() error
}

// BaselineMode says where the baseline handler runs.
type BaselineMode string

const (
	// BaselineProcess runs it in a child process (this program started
	// again), so that, like the cdlc server, it does not share the load
	// generator's Go runtime. The default.
	BaselineProcess BaselineMode = "process"
	// BaselineInProcess runs it inside the bench process.
	BaselineInProcess BaselineMode = "inprocess"
)

// StartBaseline starts a bare handler serving body on 127.0.0.1 at a free
// port.
func StartBaseline(ctx context.Context, mode BaselineMode, body []byte) (Baseline, error) {
	switch mode {
	case BaselineInProcess:
		return startInProcess(body)
	case BaselineProcess, "":
		return startChild(ctx, len(body))
	default:
		return nil, fmt.Errorf("unknown baseline mode %q (valid: %s, %s)", mode, BaselineProcess, BaselineInProcess)
	}
}

type inProcess struct {
	srv *http.Server
	url string
}

func startInProcess(body []byte) (*inProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline: listen: %w", err)
	}
	srv := &http.Server{Handler: BaselineHandler(body), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &inProcess{srv: srv, url: "http://" + ln.Addr().String()}, nil
}

func (b *inProcess) URL() string  { return b.url }
func (b *inProcess) PID() int     { return os.Getpid() }
func (b *inProcess) Close() error { return b.srv.Close() }

// The child process learns its job from the environment rather than from
// flags, so that any binary that calls ServeBaselineIfChild first (the
// bench program, a test binary) can play the part.
const (
	envBaselineBodySize = "CDLC_BENCH_BASELINE_BODY_SIZE"
	childReadyPrefix    = "cdlc-bench baseline listening on "
)

// ServeBaselineIfChild turns the process into a baseline server, never
// returning, when it was started as one by StartBaseline; otherwise it
// returns at once. Call it first thing in main (and in TestMain).
func ServeBaselineIfChild() {
	v, ok := os.LookupEnv(envBaselineBodySize)
	if !ok {
		return
	}
	size, err := strconv.Atoi(v)
	if err != nil || size < 0 {
		fmt.Fprintf(os.Stderr, "%s=%q: want a byte count\n", envBaselineBodySize, v)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "baseline: listen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%shttp://%s\n", childReadyPrefix, ln.Addr())
	srv := &http.Server{Handler: BaselineHandler(BaselineBody(size)), ReadHeaderTimeout: 5 * time.Second}
	// The parent ends the child with a signal; the default action (exit)
	// is what we want, so no handler is installed.
	err = srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "baseline: %v\n", err)
	os.Exit(1)
}

type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func startChild(ctx context.Context, size int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("baseline: find own executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envBaselineBodySize+"="+strconv.Itoa(size))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("baseline: start %s: %w", exe, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), childReadyPrefix); ok {
				lines <- u
			}
		}
		close(lines)
	}()
	go func() { _ = cmd.Wait(); close(c.done) }()
	select {
	case u, ok := <-lines:
		if !ok {
			<-c.done
			return nil, fmt.Errorf("baseline: child process exited before listening (%v)", cmd.ProcessState)
		}
		c.url = u
		return c, nil
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	_ = c.Close()
	return nil, fmt.Errorf("baseline: child process did not start listening within 10s")
}

func (c *child) URL() string { return c.url }
func (c *child) PID() int    { return c.cmd.Process.Pid }

func (c *child) Close() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.done
	return nil
}
