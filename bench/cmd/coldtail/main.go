// Command coldtail measures the cold leaderboard of the month (the first
// after a start) on a copy of a built dataset after appending N more
// awards of the month, one transaction each: the entries a cold board of
// the store adds to the month board it reads, at most about 5,000 of
// them. It prints the median of the given number of loads, in wall time
// and in CPU time.
//
//	cd bench && go run ./cmd/coldtail FILE 4999 9
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"jifen"
	"jifen/bench"
	"jifen/store"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: coldtail FILE N RUNS")
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[2])
	runs, _ := strconv.Atoi(os.Args[3])
	tmp := os.Args[1] + ".coldtail"
	if err := copyFile(os.Args[1], tmp); err != nil {
		panic(err)
	}
	defer os.Remove(tmp)
	month := bench.Month()
	st, err := store.Open(tmp, store.Options{Location: bench.Shanghai, Clock: clock{month.End.Add(-time.Hour)}, NoSync: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	ms := st.Members()
	ctx := context.Background()
	for i := range n {
		m := ms[(i*7919)%len(ms)]
		if _, _, err := st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: ms[0].ID, Receiver: m.ID, Points: 5, Category: "service", Behavior: "service"})
			return nil, err
		}); err != nil {
			panic(err)
		}
	}
	if p := os.Getenv("CPUPROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var took, cpus []time.Duration
	for range runs {
		st.DropBoards()
		t0, c0 := time.Now(), cpu()
		st.Top(month, 10, "")
		took, cpus = append(took, time.Since(t0)), append(cpus, cpu()-c0)
	}
	slices.Sort(took)
	slices.Sort(cpus)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	fmt.Printf("%d members, %d entries appended: cold month board median %v (min %v, max %v), CPU median %v, %d runs\n",
		len(ms), n, r(took[len(took)/2]), r(took[0]), r(took[len(took)-1]), r(cpus[len(cpus)/2]), runs)
}

// cpu is the process's CPU time so far: on a shared machine it varies
// less than the wall time.
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type clock struct{ t time.Time }

func (c clock) Now() time.Time { return c.t }

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
