package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"jifen"
)

// The comparison as Go benchmarks, one sub-benchmark per side:
//
//	cd bench && go test -run '^$' -bench . -count 5
//	cd bench && go test -run '^$' -bench . -short    # the small dataset
//
// The datasets are built on first use into $JIFEN_BENCH_DIR (or the
// temporary directory) and kept for later runs. cmd/compare runs the same
// workloads and prints the medians side by side.

var (
	prepareOnce  sync.Once
	preparedErr  error
	preparedData Files
)

// files returns the query dataset, built once per process.
func files(b *testing.B) Files {
	prepareOnce.Do(func() {
		dir := os.Getenv("JIFEN_BENCH_DIR")
		if dir == "" {
			dir = os.TempDir()
		}
		d := Full
		if testing.Short() {
			d = Quick
		}
		preparedData, preparedErr = Prepare(dir, d, b.Logf)
	})
	if preparedErr != nil {
		b.Fatal(preparedErr)
	}
	return preparedData
}

func openBoth(b *testing.B) (*Jifen, *SQLite) {
	f := files(b)
	j, err := OpenJifen(f.Jifen)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	s, err := OpenSQLite(f.SQLite)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := SameAnswers(context.Background(), j, s); err != nil {
		b.Fatal(err)
	}
	return j, s
}

// BenchmarkAward makes durable awards from 1 and 64 writers into a new
// store: jifen through the bot's /award (group commit, fsync before the
// answer), SQLite with one IMMEDIATE transaction per award (WAL,
// synchronous=FULL), its writers queued on one connection or, with 64
// connections, waiting in the busy handler.
func BenchmarkAward(b *testing.B) {
	ctx := context.Background()
	for _, writers := range []int{1, 64} {
		sides := []awardSide{
			{"jifen", func(dir string) (Awarder, error) { return NewJifenAwards(dir) }},
			{"sqlite", func(dir string) (Awarder, error) { return NewSQLiteAwards(dir, 1) }},
		}
		if writers > 1 {
			sides = append(sides, awardSide{"sqlite-64conns", func(dir string) (Awarder, error) { return NewSQLiteAwards(dir, 64) }})
		}
		for _, side := range sides {
			b.Run(fmt.Sprintf("%s/writers=%d", side.name, writers), func(b *testing.B) {
				a, err := side.open(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				defer a.Close()
				b.ResetTimer()
				if _, _, err := RunAwards(ctx, a, writers, b.N, time.Time{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
			})
		}
	}
}

type awardSide struct {
	name string
	open func(dir string) (Awarder, error)
}

// BenchmarkLeaderboard is the month's top 10: jifen's board, loaded
// (warm, as in a running bot) or reloaded from the aggregates each time
// (cold); SQLite summing the month's entries or reading its aggregate.
func BenchmarkLeaderboard(b *testing.B) {
	ctx := context.Background()
	j, s := openBoth(b)
	month := Month()
	b.Run("jifen", func(b *testing.B) {
		j.Top(month)
		for b.Loop() {
			j.Top(month)
		}
	})
	b.Run("jifen-cold", func(b *testing.B) {
		for b.Loop() {
			j.TopCold(month)
		}
	})
	for _, q := range []struct {
		name string
		top  func(context.Context, jifen.Period) ([]Standing, error)
	}{{"sqlite-entries", s.TopFromEntries}, {"sqlite-aggregate", s.TopFromAggregate}} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := q.top(ctx, month); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScore is one member's balance, month total and month rank.
func BenchmarkScore(b *testing.B) {
	ctx := context.Background()
	j, s := openBoth(b)
	month := Month()
	b.Run("jifen", func(b *testing.B) {
		j.Score(ScoreMember, month)
		for b.Loop() {
			j.Score(ScoreMember, month)
		}
	})
	for _, q := range []struct {
		name  string
		score func(context.Context, string, jifen.Period) (Score, error)
	}{{"sqlite-entries", s.ScoreFromEntries}, {"sqlite-aggregate", s.ScoreFromAggregate}} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := q.score(ctx, ScoreMember, month); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkYearReport is the year's report figures: jifen's report.Analyze
// against SQLite's aggregations.
func BenchmarkYearReport(b *testing.B) {
	ctx := context.Background()
	j, s := openBoth(b)
	year := Year()
	b.Run("jifen", func(b *testing.B) {
		for b.Loop() {
			if _, err := j.Report(year); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sqlite", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Report(ctx, year); err != nil {
				b.Fatal(err)
			}
		}
	})
}
