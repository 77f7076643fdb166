package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/report"
)

// Config is a comparison run.
type Config struct {
	Dir  string  // where the datasets are kept and the award stores made
	Data Dataset // the query dataset
	// More are further query datasets, on which the leaderboard and score
	// workloads run again (those whose cost grows with the directory).
	More []Dataset
	Runs int // each side runs each workload this many times; the table gives medians
	// Only, if set, keeps the workloads whose name it matches; NoAwards
	// leaves out the award workloads.
	Only     *regexp.Regexp
	NoAwards bool
	// QueryTime is how long one run of a query repeats it (at least once);
	// AwardTime is how long one run of an award workload lasts.
	QueryTime, AwardTime time.Duration
	Logf                 func(format string, args ...any)
}

// FullConfig is the comparison of BENCHMARKS.md; QuickConfig a smoke run.
func FullConfig(dir string) Config {
	return Config{Dir: dir, Data: Full, More: []Dataset{Large}, Runs: 5, QueryTime: 300 * time.Millisecond, AwardTime: 3 * time.Second}
}

// QuickConfig is a smoke run on the small dataset.
func QuickConfig(dir string) Config {
	return Config{Dir: dir, Data: Quick, Runs: 2, QueryTime: 30 * time.Millisecond, AwardTime: 300 * time.Millisecond}
}

// Row is one line of the table: the medians of both sides. For awards the
// figures are rates (awards/s), for queries times per query; Ratio is how
// many times faster jifen is (below 1: SQLite is faster).
type Row struct {
	Workload      string
	Rate          bool
	Jifen, SQLite float64 // awards/s, or seconds per query
	Ratio         float64
}

// Result is a comparison run: its rows and the disk's fsync rate, measured
// in the same run, that bounds a durable write committed alone.
type Result struct {
	Rows      []Row
	FsyncRate float64
	Sizes     []FileSizes
}

// FileSizes are the sizes in bytes of the two files of a dataset.
type FileSizes struct {
	Data          Dataset
	Jifen, SQLite int64
}

// Compare runs every workload on both sides, alternating the sides run by
// run so that the noise of a shared machine falls on both, and checks first
// that both sides give the same answers.
func Compare(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	res := &Result{}
	var err error
	if res.FsyncRate, err = fsyncRate(cfg.Dir, time.Second); err != nil {
		return nil, err
	}
	cfg.Logf("disk: %.0f fsyncs/s", res.FsyncRate)
	if !cfg.NoAwards {
		if err := compareAwards(ctx, cfg, res); err != nil {
			return nil, err
		}
	}
	for i, d := range append([]Dataset{cfg.Data}, cfg.More...) {
		if err := compareQueries(ctx, cfg, d, i == 0, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// compareQueries runs the query workloads on dataset d: all of them, or
// (all false) those whose cost grows with the directory.
func compareQueries(ctx context.Context, cfg Config, d Dataset, all bool, res *Result) error {
	files, err := Prepare(cfg.Dir, d, cfg.Logf)
	if err != nil {
		return err
	}
	sz := FileSizes{Data: d}
	for _, f := range []struct {
		path string
		out  *int64
	}{{files.Jifen, &sz.Jifen}, {files.SQLite, &sz.SQLite}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			return err
		}
		*f.out = fi.Size()
	}
	res.Sizes = append(res.Sizes, sz)
	j, err := OpenJifen(files.Jifen)
	if err != nil {
		return err
	}
	defer j.Close()
	s, err := OpenSQLite(files.SQLite)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := SameAnswers(ctx, j, s); err != nil {
		return err
	}
	month, year, member := Month(), Year(), ScoreMember
	type op = func() error
	queries := []struct {
		name          string
		jifen, sqlite op
		grows         bool // with the directory
	}{
		{"leaderboard top-10, month: jifen board (warm) vs SQLite GROUP BY on entries (covering index)",
			func() error { j.Top(month); return nil },
			func() error { _, err := s.TopFromEntries(ctx, month); return err }, false},
		{"leaderboard top-10, month: jifen board (warm) vs SQLite aggregate table",
			func() error { j.Top(month); return nil },
			func() error { _, err := s.TopFromAggregate(ctx, month); return err }, true},
		{"leaderboard top-10, month: jifen board (cold: reloaded) vs SQLite aggregate table",
			func() error { j.TopCold(month); return nil },
			func() error { _, err := s.TopFromAggregate(ctx, month); return err }, true},
		{"score (balance, month, rank): jifen vs SQLite from entries",
			func() error { j.Score(member, month); return nil },
			func() error { _, err := s.ScoreFromEntries(ctx, member, month); return err }, false},
		{"score (balance, month, rank): jifen vs SQLite aggregate table",
			func() error { j.Score(member, month); return nil },
			func() error { _, err := s.ScoreFromAggregate(ctx, member, month); return err }, true},
		{"year report: jifen report.Analyze vs SQLite aggregations",
			func() error { _, err := j.Report(year); return err },
			func() error { _, err := s.Report(ctx, year); return err }, false},
	}
	for _, q := range queries {
		if !all && !q.grows || cfg.Only != nil && !cfg.Only.MatchString(q.name) {
			continue
		}
		name := q.name
		if d != cfg.Data {
			name = fmt.Sprintf("%s [%d members]", q.name, d.Members)
		}
		cfg.Logf("%s", name)
		var jt, st []float64
		for range cfg.Runs {
			for _, side := range []struct {
				op  op
				out *[]float64
			}{{q.jifen, &jt}, {q.sqlite, &st}} {
				d, err := timeOp(side.op, cfg.QueryTime)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				*side.out = append(*side.out, d.Seconds())
			}
		}
		row := Row{Workload: name, Jifen: median(jt), SQLite: median(st)}
		row.Ratio = row.SQLite / row.Jifen
		res.Rows = append(res.Rows, row)
	}
	return nil
}

func compareAwards(ctx context.Context, cfg Config, res *Result) error {
	for _, w := range []struct {
		name           string
		writers, conns int
	}{
		{"durable awards, 64 writers: jifen /award vs SQLite, 1 write connection", 64, 1},
		{"durable awards, 64 writers: jifen /award vs SQLite, 64 connections + busy_timeout", 64, 64},
		{"durable awards, 1 writer: jifen /award vs SQLite", 1, 1},
	} {
		if cfg.Only != nil && !cfg.Only.MatchString(w.name) {
			continue
		}
		cfg.Logf("%s", w.name)
		var jr, sr []float64
		for range cfg.Runs {
			for _, side := range []struct {
				open func(dir string) (Awarder, error)
				out  *[]float64
			}{
				{func(dir string) (Awarder, error) { return NewJifenAwards(dir) }, &jr},
				{func(dir string) (Awarder, error) { return NewSQLiteAwards(dir, w.conns) }, &sr},
			} {
				rate, err := awardRun(ctx, cfg, side.open, w.writers)
				if err != nil {
					return fmt.Errorf("%s: %w", w.name, err)
				}
				*side.out = append(*side.out, rate)
			}
		}
		row := Row{Workload: w.name, Rate: true, Jifen: median(jr), SQLite: median(sr)}
		row.Ratio = row.Jifen / row.SQLite
		res.Rows = append(res.Rows, row)
	}
	return nil
}

// awardRun makes awards for cfg.AwardTime in a new store and returns the
// rate.
func awardRun(ctx context.Context, cfg Config, open func(dir string) (Awarder, error), writers int) (float64, error) {
	dir, err := os.MkdirTemp(cfg.Dir, "jifen-compare-awards-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	a, err := open(dir)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	n, took, err := RunAwards(ctx, a, writers, 0, time.Now().Add(cfg.AwardTime))
	if err != nil {
		return 0, err
	}
	return float64(n) / took.Seconds(), a.Close()
}

// ScoreMember is whose score the score workload reads.
const ScoreMember = "e00042"

// SameAnswers checks that both sides answer the workloads alike: the same
// leaderboard points, the same score and the same report figures.
func SameAnswers(ctx context.Context, j *Jifen, s *SQLite) error {
	month := Month()
	points := func(l []Standing) []int64 {
		var out []int64
		for _, st := range l {
			out = append(out, st.Points)
		}
		return out
	}
	want := points(j.Top(month))
	for name, top := range map[string]func(context.Context, jifen.Period) ([]Standing, error){
		"from entries": s.TopFromEntries, "from the aggregate": s.TopFromAggregate,
	} {
		got, err := top(ctx, month)
		if err != nil {
			return err
		}
		if !slices.Equal(points(got), want) {
			return fmt.Errorf("leaderboard %s: SQLite %v, jifen %v", name, points(got), want)
		}
	}
	jsc := j.Score(ScoreMember, month)
	for name, score := range map[string]func(context.Context, string, jifen.Period) (Score, error){
		"from entries": s.ScoreFromEntries, "from the aggregate": s.ScoreFromAggregate,
	} {
		got, err := score(ctx, ScoreMember, month)
		if err != nil {
			return err
		}
		if got != jsc {
			return fmt.Errorf("score %s: SQLite %+v, jifen %+v", name, got, jsc)
		}
	}
	sum, err := j.Report(Year())
	if err != nil {
		return err
	}
	fig, err := s.Report(ctx, Year())
	if err != nil {
		return err
	}
	return sameReport(sum, fig, j.st.Members())
}

// sameReport compares the figures the report shows with SQLite's.
func sameReport(sum *report.Summary, fig *ReportFigures, members []jifen.Member) error {
	c := fig.Current
	var errs []string
	check := func(what string, jifen, sqlite int64) {
		if jifen != sqlite {
			errs = append(errs, fmt.Sprintf("%s: jifen %d, SQLite %d", what, jifen, sqlite))
		}
	}
	p := sum.Points
	check("awarded", p.Awarded, c.Awarded)
	check("deducted", p.Deducted, c.Deducted)
	check("net", p.Net, c.Net)
	check("previous net", p.PreviousNet, fig.Previous.Net)
	check("entries", int64(p.Entries), int64(c.Entries))
	for _, sh := range p.ByCategory {
		check("category "+sh.ID, sh.Points, c.ByCategory[sh.ID])
		check("category entries "+sh.ID, int64(sh.Entries), int64(c.CategoryN[sh.ID]))
	}
	for _, sh := range p.ByBehavior {
		check("behavior "+sh.ID, sh.Points, c.ByBehavior[sh.ID])
	}
	cats := Catalog().Categories
	for i, d := range sum.Matrix.Departments {
		for k, cat := range cats {
			check("matrix "+d+"×"+cat.ID, sum.Matrix.Points[i][k], c.DeptCategory[[2]string{d, cat.ID}])
		}
	}
	deptTotal := map[string]int64{}
	for _, m := range members {
		deptTotal[m.Department] += c.ByMember[m.ID]
	}
	for _, d := range sum.Departments {
		check("department "+d.Name, d.Total, deptTotal[d.Name])
	}
	received := 0
	for _, n := range c.Received {
		if n > 0 {
			received++
		}
	}
	if got := math.Round(float64(received)/float64(sum.Members)*10000) / 10000; math.Abs(got-sum.Distribution.Participation) > 0.0001 {
		errs = append(errs, fmt.Sprintf("participation: jifen %v, SQLite %v", sum.Distribution.Participation, got))
	}
	if len(errs) > 0 {
		return fmt.Errorf("year report differs:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}

// timeOp runs op once to warm up, then repeatedly for at least min, and
// returns the time per call.
func timeOp(op func() error, min time.Duration) (time.Duration, error) {
	if err := op(); err != nil {
		return 0, err
	}
	n := 0
	start := time.Now()
	for {
		if err := op(); err != nil {
			return 0, err
		}
		n++
		if d := time.Since(start); d >= min {
			return d / time.Duration(n), nil
		}
	}
}

// fsyncRate is how many 4 KiB writes, each followed by an fsync, the disk
// under dir completes per second: the bound of a durable write committed
// alone (SQLite's WAL commit syncs once, bbolt's twice).
func fsyncRate(dir string, d time.Duration) (float64, error) {
	f, err := os.CreateTemp(dir, "jifen-compare-fsync-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := f.Truncate(4 << 20); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	page := make([]byte, 4096)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.WriteAt(page, int64(n%1000)*4096); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// WriteTable writes the result as a Markdown table.
func (r *Result) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "| workload | jifen | SQLite | ratio (× jifen faster) |\n|---|--:|--:|--:|\n")
	for _, row := range r.Rows {
		f := formatDuration
		if row.Rate {
			f = func(v float64) string { return fmt.Sprintf("%.0f awards/s", v) }
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", row.Workload, f(row.Jifen), f(row.SQLite), formatRatio(row.Ratio))
	}
	fmt.Fprintf(w, "\nRatio: how many times faster jifen is (awards: jifen's rate ÷ SQLite's; queries: SQLite's time ÷ jifen's).\n")
	fmt.Fprintf(w, "Disk floor in the same run: %.0f fsyncs/s (4 KiB write + fsync).\n", r.FsyncRate)
	for _, sz := range r.Sizes {
		fmt.Fprintf(w, "Files, %d members, %d entries: jifen %.0f MB, SQLite %.0f MB (%.2f×).\n", sz.Data.Members, sz.Data.Entries,
			float64(sz.Jifen)/1e6, float64(sz.SQLite)/1e6, float64(sz.Jifen)/float64(sz.SQLite))
	}
}

func formatDuration(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%.0f ns", sec*1e9)
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", sec*1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", sec*1e3)
	}
	return fmt.Sprintf("%.2f s", sec)
}

func formatRatio(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	case r >= 0.5:
		return fmt.Sprintf("%.2f×", r)
	}
	inv := fmt.Sprintf("%.0f", 1/r)
	if 1/r < 10 {
		inv = fmt.Sprintf("%.1f", 1/r)
	}
	return fmt.Sprintf("%.2g× (SQLite %s× faster)", r, inv)
}
