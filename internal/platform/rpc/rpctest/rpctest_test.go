package rpctest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/rpc/rpctest"
)

type inner struct {
	Tags  []string
	Score float64
}

type outer struct {
	Name    string
	On      bool
	At      time.Time
	Inner   inner
	Ptr     *inner
	List    []inner
	Map     map[string]inner
	private string
}

func full() outer {
	return outer{
		Name: "x", On: true, At: time.Unix(1, 0), Inner: inner{Tags: []string{"a"}, Score: 1},
		Ptr: &inner{Tags: []string{"b"}, Score: 2}, List: []inner{{Tags: []string{"c"}, Score: 3}},
		Map:     map[string]inner{"k": {Tags: []string{"d"}, Score: 4}},
		private: "", // zero, and no part of a contract
	}
}

// Empty finds a zero value however deep it sits, and only there; an
// unexported field is not part of a contract.
func TestEmptyFindsEveryZeroField(t *testing.T) {
	require.Empty(t, rpctest.Empty(full()))
	require.Empty(t, rpctest.Empty(&[]outer{full()}))

	o := full()
	o.On = false
	o.At = time.Time{}
	o.Inner.Tags = nil
	o.Ptr.Score = 0
	o.List = append(o.List, inner{Score: 5})
	o.Map["k"] = inner{Score: 6}
	require.Equal(t, []string{
		"rpctest_test.outer.At",
		"rpctest_test.outer.Inner.Tags",
		"rpctest_test.outer.List[1].Tags",
		"rpctest_test.outer.Map[k].Tags",
		"rpctest_test.outer.On",
		"rpctest_test.outer.Ptr.Score",
	}, rpctest.Empty(o))

	o = full()
	o.Ptr, o.Map, o.List = nil, map[string]inner{}, []inner{}
	require.Equal(t, []string{"rpctest_test.outer.List", "rpctest_test.outer.Map", "rpctest_test.outer.Ptr"}, rpctest.Empty(o))
	require.Equal(t, []string{"<nil>"}, rpctest.Empty(nil))
}
