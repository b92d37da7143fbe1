// Package client reads a process's configuration from the configurations
// server and follows its changes: `cdlc serve --config-url=...` fetches the
// effective document at start and applies the reloadable parts of every
// later change without a restart.
package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
)

// Client talks to one configurations server for one application and profile.
type Client struct {
	base    *url.URL
	app     string
	profile string
	token   string
	http    *http.Client
	log     *slog.Logger
}

// New returns a client for the server at baseURL (e.g. http://config:8080).
func New(baseURL, app, profile, token string, log *slog.Logger) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.Invalid("remote.url", "must be an http(s) URL such as http://config.internal:8080, got %q", baseURL)
	}
	if err := configserver.ValidateName("remote.app", app); err != nil {
		return nil, err
	}
	if err := configserver.ValidateName("remote.profile", profile); err != nil {
		return nil, err
	}
	return &Client{base: u, app: app, profile: profile, token: token, log: log,
		// No overall timeout: watch streams are long-lived; requests carry deadlines.
		http: &http.Client{Transport: http.DefaultTransport}}, nil
}

func (c *Client) url(suffix string, q url.Values) string {
	u := *c.base
	u.Path += "/api/v1/config/" + c.app + "/" + c.profile + suffix
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) get(ctx context.Context, u string, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, errs.Unavailable(err, "configuration server %s", c.base.Host)
	}
	if res.StatusCode != http.StatusOK {
		defer res.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(body, &p)
		err := fmt.Errorf("configuration server %s answered %s: %s", c.base.Host, res.Status, p.Detail)
		switch {
		case res.StatusCode == http.StatusNotFound:
			return nil, &errs.Error{Kind: errs.KindNotFound, Err: err}
		case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
			return nil, &errs.Error{Kind: errs.KindUnauthorized, Detail: "check remote.token (--config-token, CDLC_REMOTE_TOKEN)", Err: err}
		case res.StatusCode >= 500:
			return nil, &errs.Error{Kind: errs.KindUnavailable, Err: err}
		}
		return nil, &errs.Error{Kind: errs.KindInvalid, Err: err}
	}
	return res, nil
}

// Snapshot is the remote configuration as flat keys, and the revision it is at.
type Snapshot struct {
	Revision int64
	Values   map[string]any
}

// Fetch reads the effective configuration. Secrets the token may not see
// come back redacted; they are left out rather than applied as "******".
func (c *Client) Fetch(ctx context.Context) (Snapshot, error) {
	res, err := c.get(ctx, c.url("/effective", nil), "application/json")
	if err != nil {
		return Snapshot{}, err
	}
	defer res.Body.Close()
	var e configserver.Effective
	if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
		return Snapshot{}, fmt.Errorf("decode configuration from %s: %w", c.base.Host, err)
	}
	flat := configserver.Flatten(e.Values)
	for _, k := range e.Secrets {
		if flat[k] == configserver.Redacted {
			delete(flat, k)
		}
	}
	return Snapshot{Revision: e.Revision, Values: flat}, nil
}

// Apply folds a change set into a snapshot, in place. A reset change set
// (the server did not know the snapshot's revision) replaces the snapshot.
func (s *Snapshot) Apply(cs configserver.ChangeSet) {
	if cs.Reset {
		clear(s.Values)
		s.Revision = cs.Revision
	}
	for _, ch := range cs.Changes {
		switch {
		case ch.Op == "delete":
			delete(s.Values, ch.Key)
		case ch.Secret && ch.Value == configserver.Redacted:
			// Not ours to see; keep what we have.
		default:
			// A key set as a leaf shadows what was below it, and the reverse.
			for k := range s.Values {
				if strings.HasPrefix(k, ch.Key+".") || strings.HasPrefix(ch.Key, k+".") {
					delete(s.Values, k)
				}
			}
			s.Values[ch.Key] = ch.Value
		}
	}
	s.Revision = max(s.Revision, cs.Revision)
}

// Watch follows the server's change stream from revision since and calls fn
// with every change set, in order, until ctx ends. It reconnects with
// backoff after any failure, resuming from the last revision it delivered,
// so no change is skipped across reconnects.
func (c *Client) Watch(ctx context.Context, since int64, fn func(configserver.ChangeSet)) error {
	policy := resilience.RetryPolicy{Initial: 200 * time.Millisecond, Max: 15 * time.Second, MaxAttempts: -1,
		Retryable: func(err error) bool { return ctx.Err() == nil },
		OnRetry: func(attempt int, err error, wait time.Duration) {
			c.log.Warn("configuration watch interrupted; reconnecting", "server", c.base.Host, "attempt", attempt, "wait", wait.String(), "err", err)
		}}
	return resilience.Retry(ctx, policy, func(ctx context.Context) error {
		for {
			err := c.stream(ctx, &since, fn)
			if ctx.Err() != nil {
				return resilience.Permanent(ctx.Err())
			}
			if errors.Is(err, errStreamEnded) {
				continue // the server's limit on a stream's life: resume at once
			}
			if err == nil {
				err = io.ErrUnexpectedEOF // the server closed the stream (restart): reconnect
			}
			return err
		}
	})
}

// errStreamEnded is the server ending a watch stream on purpose (event
// reconnect): its streams live for a bounded time.
var errStreamEnded = errors.New("the server ended the watch stream; resume from the last revision")

func (c *Client) stream(ctx context.Context, since *int64, fn func(configserver.ChangeSet)) error {
	res, err := c.get(ctx, c.url("/watch", url.Values{"since": {strconv.FormatInt(*since, 10)}}), "text/event-stream")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event == "change" && data != "" {
				var cs configserver.ChangeSet
				if err := json.Unmarshal([]byte(data), &cs); err != nil {
					return fmt.Errorf("decode change from %s: %w", c.base.Host, err)
				}
				fn(cs)
				*since = max(*since, cs.Revision)
				if cs.Reset {
					*since = cs.Revision
				}
			}
			if event == "reconnect" {
				return errStreamEnded
			}
			event, data = "", ""
		case strings.HasPrefix(line, ":"):
			// heartbeat
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		}
	}
	return sc.Err()
}
