//go:build !linux

package bench

import "time"

// processCPU is only implemented on Linux; elsewhere the report shows no
// CPU figures.
func processCPU(int) (time.Duration, bool) { return 0, false }

// childPIDs is only implemented on Linux.
func childPIDs(int) []int { return nil }
