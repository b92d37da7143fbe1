package events_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/events"
)

type seatV2 struct {
	Row    string `json:"row"`
	Number int    `json:"number"`
}

// seatTopic went from {"seat": "A7"} (version 1) to a row and a number.
var seatTopic = events.Define[seatV2]("test.seat.held", "A seat was held (test).", 2, events.Upgrade{From: 1, Fn: func(p map[string]any) (map[string]any, error) {
	s, _ := p["seat"].(string)
	var n int
	_ = json.Unmarshal([]byte(s[1:]), &n)
	return map[string]any{"row": s[:1], "number": n}, nil
}})

func TestTopicVersionsPayloadsAndUpgradesOldOnes(t *testing.T) {
	m, err := seatTopic.Message("show-1", seatV2{Row: "B", Number: 3})
	require.NoError(t, err)
	require.Equal(t, "test.seat.held", m.Topic)
	require.Equal(t, "show-1", m.Key)
	require.JSONEq(t, `{"v":2,"row":"B","number":3}`, string(m.Payload))
	got, err := seatTopic.Decode(m)
	require.NoError(t, err)
	require.Equal(t, seatV2{Row: "B", Number: 3}, got)

	// Written before versions were recorded, and at version 1.
	for _, old := range []string{`{"seat":"A7"}`, `{"v":1,"seat":"A7"}`} {
		got, err = seatTopic.Decode(events.Message{Topic: seatTopic.Name, Payload: []byte(old)})
		require.NoError(t, err, old)
		require.Equal(t, seatV2{Row: "A", Number: 7}, got, old)
	}
	// A newer producer's added field is ignored.
	got, err = seatTopic.Decode(events.Message{Payload: []byte(`{"v":3,"row":"C","number":1,"zone":"balcony"}`)})
	require.NoError(t, err)
	require.Equal(t, seatV2{Row: "C", Number: 1}, got)
	_, err = seatTopic.Decode(events.Message{Payload: []byte(`{"v":2,"row":5}`)})
	require.Error(t, err, "a payload of the wrong shape is an error")

	var seen seatV2
	h := seatTopic.Handler(func(_ context.Context, _ events.Message, p seatV2) error { seen = p; return nil })
	require.NoError(t, h(context.Background(), m))
	require.Equal(t, seatV2{Row: "B", Number: 3}, seen)

	var info *events.TopicInfo
	for _, ti := range events.Topics() {
		if ti.Name == seatTopic.Name {
			info = &ti
		}
	}
	require.NotNil(t, info, "declared topics are listed")
	require.Equal(t, 2, info.Version)
	props := info.Schema["properties"].(map[string]any)
	require.Contains(t, props, "row")
	require.Contains(t, props, "number")
	require.Contains(t, props, "v")
}

func TestDefineRefusesAConflictingRedeclaration(t *testing.T) {
	require.Panics(t, func() { events.Define[struct{ X int }]("test.seat.held", "", 2) })
}
