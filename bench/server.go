package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ServerOptions says how to start the cdlc server under test.
type ServerOptions struct {
	// Bin is the cdlc binary (bin/cdlc, built by `make build`).
	Bin string
	// Target is the --target list, e.g. "config".
	Target string
	// DataDir is the --data-dir; empty means a temporary directory removed
	// on Stop.
	DataDir string
	// Token is put in the server's environment as CDLC_AUTH_ADMIN_TOKEN.
	Token string
	// Args are extra arguments after the standard ones.
	Args []string
	// ReadyTimeout bounds the wait for GET /readyz to answer 200.
	ReadyTimeout time.Duration
	// StopTimeout bounds the wait for exit after SIGTERM, before SIGKILL.
	StopTimeout time.Duration
}

// Server is a cdlc process the bench started.
type Server struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	tempDir string // removed on Stop
	done    chan struct{}
	waitErr error
}

// NewToken returns a random admin token.
func NewToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// StartServer runs `<Bin> serve --target=<Target> --http-addr=127.0.0.1:<free
// port> --data-dir=<DataDir>` with CDLC_AUTH_ADMIN_TOKEN set, its output in
// a log file, and waits until GET /readyz answers 200. On failure it stops
// the process and returns an error carrying the end of the server's log.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("server binary %s: %w (run `make build` first, or point -target at a running server)", o.Bin, err)
	}
	tmp, err := os.MkdirTemp("", "cdlc-bench-")
	if err != nil {
		return nil, err
	}
	s := &Server{tempDir: tmp, logPath: filepath.Join(tmp, "server.log"), done: make(chan struct{})}
	dataDir := o.DataDir
	if dataDir == "" {
		dataDir = filepath.Join(tmp, "data")
	}
	port, err := FreePort()
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.url = "http://" + addr
	logf, err := os.Create(s.logPath)
	if err != nil {
		s.cleanup()
		return nil, err
	}
	args := append([]string{"serve", "--target=" + o.Target, "--http-addr=" + addr, "--data-dir=" + dataDir}, o.Args...)
	s.cmd = exec.Command(o.Bin, args...)
	s.cmd.Env = append(os.Environ(), "CDLC_AUTH_ADMIN_TOKEN="+o.Token)
	s.cmd.Stdout = logf
	s.cmd.Stderr = logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		s.cleanup()
		return nil, fmt.Errorf("start %s: %w", o.Bin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	if err := s.waitReady(ctx, o.ReadyTimeout); err != nil {
		_ = s.kill()
		tail := s.logTail(20)
		s.cleanup()
		return nil, fmt.Errorf("%s %s: %w\n%s", o.Bin, strings.Join(args, " "), err, tail)
	}
	return s, nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// URL is the server's base URL.
func (s *Server) URL() string { return s.url }

// Command is the command line the server was started with.
func (s *Server) Command() string { return strings.Join(s.cmd.Args, " ") }

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = time.Minute
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer yet"
	for {
		resp, err := client.Get(s.url + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was ready (%v)", s.cmd.ProcessState)
		case <-deadline.C:
			return fmt.Errorf("GET /readyz did not answer 200 within %s (last: %s)", timeout, last)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM, waits up to timeout for the process to exit (then
// kills it), and removes the temporary directory. It returns an error when
// the server did not exit cleanly on SIGTERM.
func (s *Server) Stop(timeout time.Duration) error {
	defer s.cleanup()
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	select {
	case <-s.done:
		return fmt.Errorf("server had already exited: %v", s.waitErr)
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("server did not exit within %s of SIGTERM; killed\n%s", timeout, s.logTail(20))
	}
	if s.waitErr != nil {
		return fmt.Errorf("server exited uncleanly after SIGTERM: %v\n%s", s.waitErr, s.logTail(20))
	}
	return nil
}

// kill ends the process at once.
func (s *Server) kill() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	err := s.cmd.Process.Kill()
	<-s.done
	return err
}

// logTail returns the last n lines of the server's output, indented.
func (s *Server) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil || len(b) == 0 {
		return "  (the server wrote nothing)"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  server log (last lines):\n    " + strings.Join(lines, "\n    ")
}

func (s *Server) cleanup() {
	if s.tempDir != "" {
		if err := os.RemoveAll(s.tempDir); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "remove %s: %v\n", s.tempDir, err)
		}
	}
}
