package bench

// The config service's read path: GET the effective (merged) configuration
// of one application and profile, with a warm cache.
//
// The API contract this file assumes (issue 2, part 4); adjust here if the
// service's routes or auth change:
//
//	PUT /api/v1/config/{app}/{profile}            Authorization: Bearer <admin token>
//	    {"values": {...}}                          -> 2xx, a new version
//	GET /api/v1/config/{app}/{profile}/effective  -> 200, the merged document, with an ETag

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

const (
	configApp     = "bench"
	configProfile = "default"
	// configWarmReads are sent after the write so that the measured reads
	// find the cache warm.
	configWarmReads = 5
)

// configValues is the document the scenario stores: a service's usual
// settings, about a kilobyte of JSON once merged.
var configValues = map[string]any{
	"log":       map[string]any{"level": "info", "format": "json"},
	"feature_x": true,
	"http": map[string]any{
		"read_timeout": "15s", "write_timeout": "60s", "idle_timeout": "120s",
		"max_body_bytes": 4194304,
		"cors":           map[string]any{"allowed_origins": []string{"https://cdlc.example", "https://admin.cdlc.example"}},
	},
	"db":    map[string]any{"driver": "sqlite", "max_open_conns": 16, "busy_timeout": "5s"},
	"cache": map[string]any{"driver": "memory", "ttl": "5m", "max_entries": 100000},
	"events": map[string]any{
		"driver": "memory", "retries": 5, "dead_letter": "dlq",
		"topics": []string{"catalog.changed", "config.changed", "booking.held", "order.paid"},
	},
	"catalog": map[string]any{
		"page_size": 20, "max_page_size": 100,
		"append":  []string{"credits", "images", "videos", "similar"},
		"locales": []string{"en-US", "fr-FR", "de-DE", "es-ES", "it-IT", "ja-JP"},
	},
	"rate_limit":      map[string]any{"enabled": true, "requests_per_minute": 600, "burst": 100},
	"recommendations": map[string]any{"enabled": true, "fallback": "popular", "max_items": 50},
}

func init() {
	Register(Scenario{
		Name:        "config.effective",
		Description: "GET /api/v1/config/{app}/{profile}/effective, warm cache",
		Setup:       setupConfig,
		Build: func(env Env) Request {
			return Request{
				Method: http.MethodGet,
				URL:    env.BaseURL + "/api/v1/config/" + configApp + "/" + configProfile + "/effective",
				Header: bearer(env.Token),
			}
		},
		Status: http.StatusOK,
		Aim:    0.5,
	})
}

// setupConfig stores the document, then reads it a few times to warm the
// cache.
func setupConfig(ctx context.Context, env Env) error {
	if env.Token == "" {
		return fmt.Errorf("writing the configuration needs the admin token: pass -token (or set CDLC_AUTH_ADMIN_TOKEN) with -target")
	}
	body, err := json.Marshal(map[string]any{"values": configValues})
	if err != nil {
		return err
	}
	put := Request{
		Method: http.MethodPut,
		URL:    env.BaseURL + "/api/v1/config/" + configApp + "/" + configProfile,
		Header: bearer(env.Token),
		Body:   body,
	}
	put.Header.Set("Content-Type", "application/json")
	if err := send(ctx, env.Client, put, func(code int) bool { return code >= 200 && code < 300 }); err != nil {
		return err
	}
	get := Request{
		URL:    env.BaseURL + "/api/v1/config/" + configApp + "/" + configProfile + "/effective",
		Header: bearer(env.Token),
	}
	for range configWarmReads {
		if err := send(ctx, env.Client, get, func(code int) bool { return code == http.StatusOK }); err != nil {
			return err
		}
	}
	return nil
}
