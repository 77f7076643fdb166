// Command compare runs jifen's workloads on jifen's store and on SQLite and
// prints the medians side by side with their ratio, as a Markdown table:
//
//	cd bench && go run ./cmd/compare            # 10,000 members, 1,000,000 entries, 5 runs; and what grows with the directory at 100,000 members
//	cd bench && go run ./cmd/compare -no-awards -only cold   # only the cold leaderboards
//	cd bench && go run ./cmd/compare -quick     # a smoke run on a small ledger
//
// The datasets are built on the first run into -dir (default
// $JIFEN_BENCH_DIR, else the temporary directory) and reused afterwards;
// the award stores are made there too, so every figure is of the same disk.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"regexp"
	"time"

	"jifen/bench"
)

func main() {
	log.SetFlags(log.Ltime)
	dir := os.Getenv("JIFEN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	flag.StringVar(&dir, "dir", dir, "where the datasets are kept and the award stores made")
	quick := flag.Bool("quick", false, "a smoke run: 1,000 members, 50,000 entries, 2 short runs")
	runs := flag.Int("runs", 0, "runs per workload and side (default 5, or 2 with -quick)")
	only := flag.String("only", "", "run only the workloads whose name matches this regular expression")
	noAwards := flag.Bool("no-awards", false, "leave out the award workloads")
	noLarge := flag.Bool("no-large", false, "leave out the 100,000-member dataset")
	flag.Parse()

	cfg := bench.FullConfig(dir)
	if *quick {
		cfg = bench.QuickConfig(dir)
	}
	if *runs > 0 {
		cfg.Runs = *runs
	}
	cfg.Logf = log.Printf
	cfg.NoAwards = *noAwards
	if *noLarge {
		cfg.More = nil
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Only = re
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	t0 := time.Now()
	res, err := bench.Compare(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n%d members, %d entries (and %v); medians of %d runs; %s in all\n\n", cfg.Data.Members, cfg.Data.Entries, cfg.More, cfg.Runs,
		time.Since(t0).Round(time.Second))
	res.WriteTable(os.Stdout)
}
