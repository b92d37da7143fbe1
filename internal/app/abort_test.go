package app_test

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// abort sends an anonymous GET for path and resets the connection after
// wait, before the answer comes: a client that gives up (a closed browser
// tab, a mobile client losing its network).
func abort(t *testing.T, base, path string, wait time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	_, err = fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: cdlc\r\n\r\n", path)
	require.NoError(t, err)
	time.Sleep(wait)
	// Linger 0: close with a reset, as the client in the field did.
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
}

var requestsLine = regexp.MustCompile(`(?m)^cdlc_http_requests_total\{code="(\d+)",method="GET",route="([^"]+)"\} (\d+)$`)

// statusCounts sums an instance's requests to routes containing route by
// status code, from its /metrics.
func statusCounts(t *testing.T, in *apptest.Instance, route string) map[int]int {
	t.Helper()
	out := map[int]int{}
	for _, m := range requestsLine.FindAllStringSubmatch(string(in.Do("GET", "/metrics", nil).Body), -1) {
		if !strings.Contains(m[2], route) {
			continue
		}
		code, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[3])
		out[code] += n
	}
	return out
}

// cutShort counts the requests a client abandoned before they were
// answered: 499, or (the defect) 5xx.
func cutShort(counts map[int]int) int {
	n := 0
	for code, c := range counts {
		if code == 499 || code >= 500 {
			n += c
		}
	}
	return n
}

// abortUntil aborts requests to path until the instance that runs the
// service has recorded want of them as cut short, so that the test is sure
// to have aborted requests while they were being served.
// want is twice the breaker's failure threshold (5 in these tests): were
// hang-ups failures, the breaker would open; how many resets land while a
// request is being served depends on the machine's speed.
func abortUntil(t *testing.T, edge, service *apptest.Instance, path, route string, want int) {
	t.Helper()
	for i := 0; cutShort(statusCounts(t, service, route)) < want; i++ {
		require.Less(t, i, 40, "too few requests were cut short mid-flight: %v", statusCounts(t, service, route))
		for j := range 30 {
			abort(t, edge.URL, fmt.Sprintf("%s&year_from=%d", path, 1900+j), time.Duration(j%4)*time.Millisecond/2)
		}
	}
}

// seedTitles gives discover something to read.
func seedTitles(t *testing.T, in *apptest.Instance, n int) {
	t.Helper()
	for i := range n {
		createTitle(t, in, map[string]any{"kind": "movie", "title": fmt.Sprintf("Film %d", i), "start_year": 1950 + i%70,
			"genres": []string{"drama"}, "popularity": i})
	}
}

// A client that disconnects is not a failure of the service: requests
// reset mid-flight are logged as 499, not 500, and the gateway's breaker in
// front of the inventory stays closed, so everyone else is still served.
// The gateway calls the inventory in process here (target all-in-one).
func TestClientAbortsKeepTheBreakerClosedInProcess(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "gateway,inventory,actor", "gateway.breaker.failure_threshold": "5"})
	seedTitles(t, in, 60)
	const route = "/api/v1/discover/titles"
	abortUntil(t, in, in, route+"?sort=title.asc&limit=100", route, 10)

	counts := statusCounts(t, in, route)
	for code := range counts {
		require.Less(t, code, 500, "no aborted request is a 5xx: %v", counts)
	}
	metrics := string(in.Do("GET", "/metrics", nil).Body)
	require.Contains(t, metrics, `cdlc_circuit_breaker_state{name="upstream:inventory",state="closed"} 1`)
	res := in.Do("GET", route+"?sort=title.asc", nil, "Authorization", "")
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
}

// The same with the inventory in another process behind the gateway's
// proxy: neither process counts the hang-ups as failures.
func TestClientAbortsKeepTheBreakerClosedProxied(t *testing.T) {
	services := apptest.Start(t, map[string]string{"target": "inventory,actor"})
	gw := apptest.Start(t, map[string]string{"target": "gateway", "peers.inventory": services.URL, "peers.actor": services.URL,
		"gateway.breaker.failure_threshold": "5"})
	seedTitles(t, services, 60)
	const route = "/api/v1/discover/titles"
	abortUntil(t, gw, services, route+"?sort=title.asc&limit=100", route, 10)

	for _, in := range []*apptest.Instance{gw, services} {
		counts := statusCounts(t, in, route)
		for code := range counts {
			require.Less(t, code, 500, "no aborted request is a 5xx: %v", counts)
		}
	}
	require.Positive(t, statusCounts(t, gw, route)[499], "the gateway logs the hang-ups as 499")
	metrics := string(gw.Do("GET", "/metrics", nil).Body)
	require.Contains(t, metrics, `cdlc_circuit_breaker_state{name="upstream:inventory",state="closed"} 1`)
	res := gw.Do("GET", route+"?sort=title.asc", nil, "Authorization", "")
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
}
