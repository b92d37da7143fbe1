package bench

// nginx as a reference reverse proxy: the gateway scenario loads it in the
// same rounds as the gateway, in front of the same upstream, so that the
// gateway's cost reads beside a proxy known to be lean. Debian's package
// (`scripts/apt-install nginx`, which make bench runs); the bench starts it
// with a generated configuration in a temporary directory, in the
// foreground, on a free loopback port, as an unprivileged user.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NginxInstallHint says how to get nginx.
const NginxInstallHint = "install it with `scripts/apt-install nginx` (make bench does)"

// Nginx is a running nginx the bench started.
type Nginx struct {
	cmd  *exec.Cmd
	url  string
	dir  string
	done chan struct{}
	err  error
}

// NginxConfig is the configuration the bench runs nginx with: a reverse
// proxy of upstream (scheme://host:port) on listen, with what a
// production proxy in front of an API has: keep-alive connections to the
// upstream, the client's address and a request id passed on, an access log
// (buffered, as nginx is usually run). Its files go under dir.
func NginxConfig(dir, listen, upstream string, workers int) string {
	host := strings.TrimPrefix(strings.TrimPrefix(upstream, "http://"), "https://")
	return fmt.Sprintf(`# written by cdlc-bench
worker_processes %d;
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 4096; }
http {
    access_log %[2]s/access.log combined buffer=64k flush=1s;
    client_body_temp_path %[2]s/client_body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    upstream cdlc {
        server %[3]s;
        keepalive 64;
    }
    server {
        listen %[4]s;
        location / {
            proxy_pass http://cdlc;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
        }
    }
}
`, workers, dir, host, listen)
}

// StartNginx starts nginx proxying to upstream with NginxConfig, and waits
// until it answers. As root it runs as the user nobody.
func StartNginx(ctx context.Context, upstream string, workers int) (*Nginx, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			return nil, fmt.Errorf("nginx not found: %s", NginxInstallHint)
		}
		bin = "/usr/sbin/nginx"
	}
	dir, err := os.MkdirTemp("", "cdlc-bench-nginx-")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(NginxConfig(dir, listen, upstream, max(workers, 1))), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	n := &Nginx{url: "http://" + listen, dir: dir, done: make(chan struct{})}
	n.cmd = exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", conf)
	// A group of its own, so that the workers can be killed with the
	// master if it does not stop.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		if err := dropToNobody(n.cmd, dir); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	out, _ := os.Create(filepath.Join(dir, "output.log"))
	n.cmd.Stdout, n.cmd.Stderr = out, out
	if err := n.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	go func() { n.err = n.cmd.Wait(); out.Close(); close(n.done) }()
	if err := n.waitReady(ctx); err != nil {
		logs := n.logs()
		_ = n.Stop()
		return nil, fmt.Errorf("nginx: %w\n%s", err, logs)
	}
	// The master listens before it forks the workers, whose CPU the
	// bench reads: give them a moment to appear.
	for range 100 {
		if len(childPIDs(n.cmd.Process.Pid)) >= max(workers, 1) || runtime.GOOS != "linux" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n, nil
}

// dropToNobody makes cmd run as nobody, owning dir.
func dropToNobody(cmd *exec.Cmd, dir string) error {
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("nginx: run as nobody: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return err
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

func (n *Nginx) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(n.url, "http://"), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("exited before it listened (%v)", n.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after 10s", n.url)
		}
	}
}

// URL is its base URL.
func (n *Nginx) URL() string { return n.url }

// PIDs are the master's and its workers'.
func (n *Nginx) PIDs() []int {
	return append([]int{n.cmd.Process.Pid}, childPIDs(n.cmd.Process.Pid)...)
}

// Check sends one GET through nginx and returns its status.
func (n *Nginx) Check(path string) (int, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(n.url + path)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (n *Nginx) logs() string {
	var b strings.Builder
	for _, f := range []string{"output.log", "error.log"} {
		if data, err := os.ReadFile(filepath.Join(n.dir, f)); err == nil && len(data) > 0 {
			b.WriteString("  " + f + ": " + strings.TrimSpace(string(data)) + "\n")
		}
	}
	return b.String()
}

// Stop ends nginx (SIGQUIT, its graceful stop; SIGKILL after 10 s) and
// removes its directory.
func (n *Nginx) Stop() error {
	defer os.RemoveAll(n.dir)
	select {
	case <-n.done:
		return nil
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
		return fmt.Errorf("nginx did not stop within 10s of SIGQUIT; killed")
	}
}
