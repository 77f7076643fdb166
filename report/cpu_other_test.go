//go:build !unix

package report

// processCPU cannot be read here (see cpu_unix_test.go).
func processCPU() (seconds float64, ok bool) { return 0, false }
