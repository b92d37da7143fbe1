package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/configserver/client"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

const doc = "/api/v1/config/shop/prod"

func start(t *testing.T) *apptest.Instance {
	in := apptest.Start(t, map[string]string{"target": "config", "http.max_body_bytes": "4096"})
	in.App.Verifier.Add("reader", auth.Principal{Subject: "reader", Scopes: []string{configserver.ScopeRead}})
	return in
}

func problem(t *testing.T, r apptest.Response) httpx.Problem {
	t.Helper()
	require.Equal(t, httpx.ProblemContentType, r.Header.Get("Content-Type"), string(r.Body))
	var p httpx.Problem
	r.JSON(t, &p)
	return p
}

func TestBadRequestsAreProblemsAndChangeNothing(t *testing.T) {
	in := start(t)
	res := in.Do("PUT", doc, map[string]any{"values": map[string]any{"pool": 4}})
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Equal(t, `"1"`, res.Header.Get("ETag"))

	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		location           string
	}{
		{"no token", "GET", doc, nil, []string{"Authorization", ""}, 401, ""},
		{"bad token", "GET", doc, nil, []string{"Authorization", "Bearer nope"}, 401, ""},
		{"read-only token writes", "PUT", doc, map[string]any{"values": map[string]any{}}, []string{"Authorization", "Bearer reader"}, 403, ""},
		{"missing document", "GET", "/api/v1/config/shop/qa", nil, nil, 404, ""},
		{"bad app name", "PUT", "/api/v1/config/Shop!/prod", map[string]any{"values": map[string]any{}}, nil, 400, "path.app"},
		{"values not an object", "PUT", doc, map[string]any{"values": 5}, nil, 400, "body.values"},
		{"values missing", "PUT", doc, map[string]any{"message": "x"}, nil, 400, "body"},
		{"dotted key", "PUT", doc, map[string]any{"values": map[string]any{"a.b": 1}}, nil, 400, "body.values.a.b"},
		{"forged sealed secret", "PUT", doc, map[string]any{"values": map[string]any{"k": map[string]any{"$enc": "x:y"}}}, nil, 400, "body.values.k"},
		{"secret not a string", "PUT", doc, map[string]any{"values": map[string]any{"k": map[string]any{"$secret": 1}}}, nil, 400, "body.values.k"},
		{"malformed json", "PUT", doc, `{"values": {`, nil, 400, ""},
		{"too large", "PUT", doc, map[string]any{"values": map[string]any{"big": strings.Repeat("x", 5000)}}, nil, 413, ""},
		{"stale If-Match", "PUT", doc, map[string]any{"values": map[string]any{}}, []string{"If-Match", `"7"`}, 412, ""},
		{"garbage If-Match", "PUT", doc, map[string]any{"values": map[string]any{}}, []string{"If-Match", "yesterday"}, 400, "header.If-Match"},
		{"page too large", "GET", doc + "/versions?limit=1000", nil, nil, 400, "query.limit"},
		{"diff without from", "GET", doc + "/diff?to=1", nil, nil, 400, "query.from"},
		{"diff of unknown version", "GET", doc + "/diff?from=1&to=9", nil, nil, 404, ""},
		{"rollback to unknown version", "POST", doc + "/rollback", map[string]any{"version": 9}, nil, 404, ""},
		{"bad wait", "GET", doc + "/changes?since=1&wait=forever", nil, nil, 400, "query.wait"},
		{"negative since", "GET", doc + "/watch?since=-1", nil, nil, 400, "query.since"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := in.Do(c.method, c.path, c.body, c.headers...)
			require.Equal(t, c.status, res.Status, string(res.Body))
			p := problem(t, res)
			require.Equal(t, c.status, p.Status)
			require.NotEmpty(t, p.Detail)
			require.NotEmpty(t, p.RequestID)
			if c.location != "" {
				require.NotEmpty(t, p.Errors, string(res.Body))
				require.Equal(t, c.location, p.Errors[0].Location, string(res.Body))
			}
		})
	}

	var hist struct {
		Versions []configserver.Document `json:"versions"`
	}
	in.Do("GET", doc+"/versions", nil).JSON(t, &hist)
	require.Len(t, hist.Versions, 1, "no failed write left a version behind")
}

func TestSecretsNeedTheScope(t *testing.T) {
	in := start(t)
	res := in.Do("PUT", doc, map[string]any{"values": map[string]any{"db": map[string]any{"password": map[string]any{"$secret": "hunter2"}}}})
	require.Equal(t, 200, res.Status, string(res.Body))

	for _, path := range []string{doc, doc + "/effective", doc + "/versions/1"} {
		res = in.Do("GET", path, nil, "Authorization", "Bearer reader")
		require.Equal(t, 200, res.Status, string(res.Body))
		require.NotContains(t, string(res.Body), "hunter2", path)
		require.Contains(t, string(res.Body), configserver.Redacted, path)
		res = in.Do("GET", path, nil)
		require.Contains(t, string(res.Body), "hunter2", path)
	}
	res = in.Do("GET", doc+"/changes?since=0", nil, "Authorization", "Bearer reader")
	require.NotContains(t, string(res.Body), "hunter2")
}

func TestEffectiveETagAndHistory(t *testing.T) {
	in := start(t)
	for i, v := range []any{1, 2, 3} {
		res := in.Do("PUT", doc, map[string]any{"values": map[string]any{"pool": v}, "message": "step"}, "If-Match", `"`+string(rune('0'+i))+`"`)
		require.Equal(t, 200, res.Status, string(res.Body))
	}
	res := in.Do("GET", doc+"/effective", nil)
	require.Equal(t, 200, res.Status)
	etag := res.Header.Get("ETag")
	require.NotEmpty(t, etag)
	var e configserver.Effective
	res.JSON(t, &e)
	require.EqualValues(t, 3, e.Values["pool"])

	res = in.Do("GET", doc+"/effective", nil, "If-None-Match", etag)
	require.Equal(t, 304, res.Status)
	require.Empty(t, res.Body)

	var page struct {
		Versions   []configserver.Document `json:"versions"`
		NextBefore int64                   `json:"next_before"`
		Limit      int                     `json:"limit"`
	}
	in.Do("GET", doc+"/versions?limit=2", nil).JSON(t, &page)
	require.Len(t, page.Versions, 2)
	require.EqualValues(t, 3, page.Versions[0].Version)
	require.EqualValues(t, 2, page.NextBefore)
	page.NextBefore = 0
	in.Do("GET", doc+"/versions?limit=2&before=2", nil).JSON(t, &page)
	require.Len(t, page.Versions, 1)
	require.Zero(t, page.NextBefore, "last page")

	var diff struct {
		Changes []configserver.Change `json:"changes"`
	}
	in.Do("GET", doc+"/diff?from=1&to=3", nil).JSON(t, &diff)
	require.Equal(t, []configserver.Change{{Op: "set", Key: "pool", Value: 3.0}}, diff.Changes)

	res = in.Do("POST", doc+"/rollback", map[string]any{"version": 1})
	require.Equal(t, 200, res.Status, string(res.Body))
	var d configserver.Document
	res.JSON(t, &d)
	require.EqualValues(t, 4, d.Version)
	require.EqualValues(t, 1, d.RollbackOf)
	res = in.Do("GET", doc+"/effective", nil, "If-None-Match", etag)
	require.Equal(t, 200, res.Status, "the ETag changes with the document")

	var list struct {
		Documents []configserver.DocumentRef `json:"documents"`
	}
	in.Do("GET", "/api/v1/config", nil).JSON(t, &list)
	require.Len(t, list.Documents, 1)
	require.EqualValues(t, 4, list.Documents[0].Version)
	require.Equal(t, "admin", list.Documents[0].UpdatedBy)
}

func TestWatchStreamsOnlyWhatChanged(t *testing.T) {
	in := start(t)
	in.Do("PUT", doc, map[string]any{"values": map[string]any{"pool": 1, "log": map[string]any{"level": "info"}}})
	var e configserver.Effective
	in.Do("GET", doc+"/effective", nil).JSON(t, &e)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", in.URL+doc+"/watch?since="+itoa(e.Revision), nil)
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	lines := bufio.NewScanner(res.Body)
	next := func() string {
		for lines.Scan() {
			if l := lines.Text(); strings.HasPrefix(l, "data: ") {
				return strings.TrimPrefix(l, "data: ")
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return ""
	}
	// Wait for the stream to be established before changing anything.
	require.True(t, lines.Scan())

	in.Do("PATCH", doc, map[string]any{"values": map[string]any{"log": map[string]any{"level": "debug"}}})
	var cs configserver.ChangeSet
	require.NoError(t, json.Unmarshal([]byte(next()), &cs))
	require.Equal(t, []configserver.Change{{Op: "set", Key: "log.level", Value: "debug"}}, cs.Changes)
	require.Greater(t, cs.Revision, e.Revision)

	// A change to the shared application reaches this watcher too.
	in.Do("PUT", "/api/v1/config/application/default", map[string]any{"values": map[string]any{"region": "eu"}})
	require.NoError(t, json.Unmarshal([]byte(next()), &cs))
	require.Equal(t, []configserver.Change{{Op: "set", Key: "region", Value: "eu"}}, cs.Changes)
}

func TestLongPollAnswersOnChange(t *testing.T) {
	in := start(t)
	in.Do("PUT", doc, map[string]any{"values": map[string]any{"pool": 1}})
	var e configserver.Effective
	in.Do("GET", doc+"/effective", nil).JSON(t, &e)

	got := make(chan apptest.Response, 1)
	go func() { got <- in.Do("GET", doc+"/changes?since="+itoa(e.Revision)+"&wait=20s", nil) }()
	// The poll is waiting; a change releases it with only that change.
	require.Never(t, func() bool { return len(got) > 0 }, 200*time.Millisecond, 20*time.Millisecond)
	in.Do("PATCH", doc, map[string]any{"values": map[string]any{"pool": 2}})
	select {
	case res := <-got:
		require.Equal(t, 200, res.Status, string(res.Body))
		var cs configserver.ChangeSet
		res.JSON(t, &cs)
		require.Equal(t, []configserver.Change{{Op: "set", Key: "pool", Value: 2.0}}, cs.Changes)
	case <-time.After(15 * time.Second):
		t.Fatal("the long poll did not answer after a change")
	}
}

func TestOpenAPIDocumentsTheAPI(t *testing.T) {
	in := start(t)
	var spec struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	in.Do("GET", "/openapi.json", nil).JSON(t, &spec)
	require.Equal(t, "3.1.0", spec.OpenAPI)
	for _, p := range []string{"/api/v1/config", doc[:len("/api/v1/config")] + "/{app}/{profile}", "/api/v1/config/{app}/{profile}/effective", "/api/v1/config/{app}/{profile}/watch"} {
		require.Contains(t, spec.Paths, p)
	}
	require.Contains(t, spec.Paths["/api/v1/config/{app}/{profile}"], "patch")
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// A since above the configuration's revision (a restore from a backup)
// is answered at once with the real revision and the whole state, marked
// reset; the client library replaces what it holds and goes on receiving
// later changes, across the server's bounded streams.
func TestSinceAboveTheRevisionResets(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "config", "config_server.watch_max_duration": "300ms"})
	in.Do("PUT", doc, map[string]any{"values": map[string]any{"pool": 1}})
	var e configserver.Effective
	in.Do("GET", doc+"/effective", nil).JSON(t, &e)
	ahead := itoa(e.Revision + 1000)

	for _, path := range []string{doc + "/changes?since=" + ahead, doc + "/changes?since=" + ahead + "&wait=20s"} {
		res := in.Do("GET", path, nil)
		require.Equal(t, 200, res.Status, string(res.Body))
		var cs configserver.ChangeSet
		res.JSON(t, &cs)
		require.True(t, cs.Reset, path)
		require.Equal(t, e.Revision, cs.Revision, path)
		require.Equal(t, []configserver.Change{{Op: "set", Key: "pool", Value: 1.0}}, cs.Changes, path)
	}

	c, err := client.New(in.URL, "shop", "prod", apptest.AdminToken, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	snap := client.Snapshot{Revision: e.Revision + 1000, Values: map[string]any{"stale": true}}
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = c.Watch(ctx, snap.Revision, func(cs configserver.ChangeSet) {
			mu.Lock()
			defer mu.Unlock()
			snap.Apply(cs)
		})
	}()
	current := func(want map[string]any) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return reflect.DeepEqual(want, snap.Values)
		}
	}
	require.Eventually(t, current(map[string]any{"pool": 1.0}), 10*time.Second, 10*time.Millisecond, "the reset replaces the stale state")
	// Let the server end a stream (its life is 300ms) before the next change.
	require.Eventually(t, func() bool { return watchStreams(t, in) >= 2 }, 10*time.Second, 20*time.Millisecond)
	in.Do("PATCH", doc, map[string]any{"values": map[string]any{"pool": 2}})
	require.Eventually(t, current(map[string]any{"pool": 2.0}), 10*time.Second, 10*time.Millisecond, "later changes arrive")
	mu.Lock()
	require.Greater(t, snap.Revision, e.Revision)
	mu.Unlock()
}

// watchStreams counts the watch streams an instance has ended.
func watchStreams(t *testing.T, in *apptest.Instance) int {
	t.Helper()
	const prefix = `cdlc_http_requests_total{code="200",method="GET",route="GET /api/v1/config/{app}/{profile}/watch"} `
	for _, l := range strings.Split(string(in.Do("GET", "/metrics", nil).Body), "\n") {
		if strings.HasPrefix(l, prefix) {
			n, err := strconv.Atoi(strings.TrimPrefix(l, prefix))
			require.NoError(t, err)
			return n
		}
	}
	return 0
}

// A watch stream lives a bounded time: then the server sends reconnect
// and closes it.
func TestWatchStreamIsBounded(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "config", "config_server.watch_max_duration": "200ms"})
	in.Do("PUT", doc, map[string]any{"values": map[string]any{"pool": 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", in.URL+doc+"/watch?since=1", nil)
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err, "the server ends the stream")
	require.Contains(t, string(body), "event: reconnect\n")
}
