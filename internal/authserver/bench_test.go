package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// BenchmarkClientCredentials measures the token endpoint in-process
// (make bench measures it against the binary, beside the baseline).
func BenchmarkClientCredentials(b *testing.B) {
	settings := map[string]string{"target": "auth", "log.level": "error"}
	inst := apptest.Start(b, settings)
	res := inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "bench", "grant_types": []string{"client_credentials"}, "scopes": []string{"catalog:write"}})
	require.Equal(b, 201, res.Status)
	var cc struct {
		Client struct{ ID string }
		Secret string `json:"client_secret"`
	}
	res.JSON(b, &cc)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"catalog:write"}}.Encode()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", inst.URL+"/oauth2/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(cc.Client.ID, cc.Secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				b.Fatal(err, res)
			}
			res.Body.Close()
		}
	})
}
