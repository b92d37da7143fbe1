package bench

import "time"

// cpuOf returns the CPU time the processes have used so far, summed; false
// when there are none or one cannot be read (it exited, or the platform
// has no way to ask).
func cpuOf(pids []int) (time.Duration, bool) {
	if len(pids) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, pid := range pids {
		d, ok := processCPU(pid)
		if !ok {
			return 0, false
		}
		sum += d
	}
	return sum, true
}
