//go:build unix

package report

import "syscall"

// processCPU is the CPU time, user and system, the process has used so far
// (ok false where it cannot be read). The benchmarks report it per
// operation beside the wall time: on a machine others share, the wall time
// counts their work too.
func processCPU() (seconds float64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9, true
}
