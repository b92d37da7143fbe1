package configserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/configserver"
)

func TestFlattenUnflattenRoundTrip(t *testing.T) {
	doc := configserver.Values{
		"db":  map[string]any{"pool": map[string]any{"size": 10.0}, "password": map[string]any{"$secret": "x"}},
		"tag": []any{"a", "b"},
		"on":  true,
	}
	flat := configserver.Flatten(doc)
	require.Equal(t, map[string]any{
		"db.pool.size": 10.0, "db.password": map[string]any{"$secret": "x"}, "tag": []any{"a", "b"}, "on": true,
	}, flat)
	require.Equal(t, doc, configserver.Unflatten(flat))
}

func TestMergeLaterLayersWin(t *testing.T) {
	got := configserver.Merge(
		configserver.Values{"log": map[string]any{"level": "info", "format": "json"}, "list": []any{1.0, 2.0}},
		configserver.Values{"log": map[string]any{"level": "debug"}, "list": []any{3.0}},
	)
	require.Equal(t, configserver.Values{"log": map[string]any{"level": "debug", "format": "json"}, "list": []any{3.0}}, got)
}

func TestMergePatchFollowsRFC7396(t *testing.T) {
	doc := configserver.Values{"a": "b", "c": map[string]any{"d": "e", "f": "g"}}
	got := configserver.MergePatch(doc, configserver.Values{"a": "z", "c": map[string]any{"f": nil}})
	require.Equal(t, configserver.Values{"a": "z", "c": map[string]any{"d": "e"}}, got)
	require.Equal(t, "b", doc["a"], "the original is not modified")
}

func TestDiff(t *testing.T) {
	a := map[string]any{"x": 1.0, "y": "same", "gone": true}
	b := map[string]any{"x": 2.0, "y": "same", "new": "n", "pw": "s"}
	require.Equal(t, []configserver.Change{
		{Op: "delete", Key: "gone"},
		{Op: "set", Key: "new", Value: "n"},
		{Op: "set", Key: "pw", Value: "s", Secret: true},
		{Op: "set", Key: "x", Value: 2.0},
	}, configserver.Diff(a, b, map[string]bool{"pw": true}))
}
