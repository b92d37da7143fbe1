package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
)

func TestIndexDocsPagesInIDOrder(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		var people []actor.Record
		for i := 700; i >= 1; i-- {
			people = append(people, actor.Record{Person: actor.Person{ID: nm(i), Name: "Zoë Saldaña", BirthDate: "1978-06-19", Popularity: float64(i),
				AlsoKnownAs: []string{"Zoe Saldana", "zoë saldaña", "Zoë Yadira Saldaña Nazario"}}})
		}
		require.NoError(t, s.UpsertPeople(ctx, people))
		var all []string
		after := ""
		for {
			docs, err := s.IndexDocs(ctx, after, 300)
			require.NoError(t, err)
			for _, doc := range docs {
				all = append(all, doc.ID)
			}
			if len(docs) < 300 {
				break
			}
			after = docs[len(docs)-1].ID
		}
		require.Len(t, all, 700)
		for i, id := range all {
			require.Equal(t, nm(i+1), id)
		}
		docs, err := s.IndexDocs(ctx, nm(41), 1)
		require.NoError(t, err)
		require.Len(t, docs, 1)
		require.Equal(t, nm(42), docs[0].ID)
		require.Equal(t, "person", docs[0].Kind)
		require.Equal(t, 1978, docs[0].Year)
		require.Equal(t, 42.0, docs[0].Popularity)
		require.Equal(t, []string{"Zoë Saldaña", "Zoe Saldana", "Zoë Yadira Saldaña Nazario"}, docs[0].Names)
	})
}
