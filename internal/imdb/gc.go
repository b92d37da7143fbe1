package imdb

import (
	"math"
	"runtime/debug"
)

// TuneGC sets the garbage collector for a bulk load and returns what
// restores it. The importer allocates a short-lived row per dataset row:
// collecting less often (GOGC 400) saves about a third of its CPU, which
// on a small machine the database needs, for a heap a few times larger
// (tens of MiB). A soft memory limit of 768 MiB, unless the operator set
// one (GOMEMLIMIT), makes the collector work harder before the process
// nears the 1 GiB an import may use, whatever the batch size.
func TuneGC() (restore func()) {
	gc := debug.SetGCPercent(400)
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		debug.SetMemoryLimit(768 << 20)
	}
	return func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	}
}
