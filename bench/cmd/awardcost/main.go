// Command awardcost measures what one durable award through the bot costs
// jifen's store: for 3 s (or the seconds given), awards from the given number of writers into a
// new store in DIR (the award workload of cmd/compare), then the rate, the
// process's CPU time per award and the bytes it wrote to the disk per award
// (from /proc/self/io, Linux). Comparing two builds of the store this way
// needs fewer runs than comparing rates on a shared machine: CPU time and
// bytes vary less than wall time.
//
//	cd bench && go run ./cmd/awardcost DIR 64
//	cd bench && go run ./cmd/awardcost DIR 64 20   # 20 s
//	CPUPROFILE=cpu.prof go run ./cmd/awardcost DIR 1
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"jifen/bench"
)

func writeBytes() int64 {
	f, _ := os.Open("/proc/self/io")
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: awardcost DIR WRITERS [SECONDS]")
		os.Exit(2)
	}
	secs := 3
	if len(os.Args) == 4 {
		secs, _ = strconv.Atoi(os.Args[3])
	}
	dir, err := os.MkdirTemp(os.Args[1], "awardcost-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	writers, _ := strconv.Atoi(os.Args[2])
	a, err := bench.NewJifenAwards(dir)
	if err != nil {
		panic(err)
	}
	defer a.Close()
	ctx := context.Background()
	if p := os.Getenv("CPUPROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	w0, c0 := writeBytes(), cpu()
	n, took, err := bench.RunAwards(ctx, a, writers, 0, time.Now().Add(time.Duration(secs)*time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Printf("writers %d: %d awards in %v: %.0f/s, %.1f KB written and %v CPU per award\n", writers, n, took.Round(time.Millisecond),
		float64(n)/took.Seconds(), float64(writeBytes()-w0)/float64(n)/1e3, (cpu()-c0)/time.Duration(n))
}
