package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"jifen"
	"jifen/config"
	"jifen/store"
	"jifen/store/storetest"
)

// BenchmarkReportYear renders every format of a year's summary for 10,000
// members and 2,000,000 entries (the store is built once, a few minutes,
// and kept in $JIFEN_BENCH_DIR when set):
//
//	JIFEN_BENCH_DIR=/tmp/bench go test ./report -run '^$' -bench ReportYear -benchtime 3x
//
// It reports the time per full render (analysis, Markdown, HTML, XLSX,
// JSON) and the memory the process obtained from the system.
func BenchmarkReportYear(b *testing.B) {
	path := yearStore(b, 10_000, 2_000_000)
	t0 := time.Now()
	st, err := store.Open(path, store.Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.Logf("open: %v", time.Since(t0))
	cfg := benchConfig(b)
	renderYear(b, st, cfg)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MiB")
}

// BenchmarkReportYearMemory is BenchmarkReportYear on the same entries and
// members held in memory (read from the store once, before timing): the
// report's own time, without the store's reading and decoding.
func BenchmarkReportYearMemory(b *testing.B) {
	path := yearStore(b, 10_000, 2_000_000)
	st, err := store.Open(path, store.Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	l := &fakeLedger{members: st.Members()}
	err = st.ScanEntries(func(e *jifen.Entry) error { l.entries = append(l.entries, *e); return nil })
	st.Close()
	if err != nil {
		b.Fatal(err)
	}
	renderYear(b, l, benchConfig(b))
}

// renderYear times the summary of 2026 as of the system clock, and its
// Markdown, HTML and XLSX.
func renderYear(b *testing.B, l Ledger, cfg *config.Config) {
	year := jifen.PeriodOf(jifen.Year, time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), shanghai)
	defer reportCPU(b)()
	for b.Loop() {
		s, err := Analyze(l, year, Options{Location: shanghai, Catalog: cfg.Rules, T: zh})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		for _, render := range []func() error{
			func() error { return Markdown(&buf, s, zh) },
			func() error { return HTML(&buf, s, zh, "zh-CN") },
			func() error { return XLSX(&buf, s, zh) },
		} {
			if err := render(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkReportYearFloor reads the same store as BenchmarkReportYear
// with an empty callback: the time store.ScanEntries takes by itself, the
// floor under the report's scan. -bench ReportYear runs both, so the
// report's own share is measured on the same file in the same run.
func BenchmarkReportYearFloor(b *testing.B) {
	path := yearStore(b, 10_000, 2_000_000)
	st, err := store.Open(path, store.Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	defer reportCPU(b)()
	for b.Loop() {
		n := 0
		if err := st.ScanEntries(func(*jifen.Entry) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no entries")
		}
	}
}

// reportCPU starts counting the process's CPU time; the function it returns
// reports it per operation (cpu-s/op), when the system tells it.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		if end, ok2 := processCPU(); ok && ok2 && b.N > 0 {
			b.ReportMetric((end-start)/float64(b.N), "cpu-s/op")
		}
	}
}

func benchConfig(b *testing.B) *config.Config {
	b.Setenv("JIFEN_STORE", filepath.Join(b.TempDir(), "unused.db"))
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func yearStore(b *testing.B, members, entries int) string {
	return storetest.Cached(b, fmt.Sprintf("jifen-report-%d-%d.db", members, entries), func(path string) error {
		cfg := benchConfig(b)
		clock := &benchClock{}
		st, err := store.Open(path, store.Options{Location: shanghai, NoSync: true, Clock: clock})
		if err != nil {
			return err
		}
		defer st.Close()
		depts := []string{"销售部", "客服部", "研发部", "生产部", "人力资源部", "财务部", "质量部", "采购部"}
		levels := []string{"基层员工", "基层员工", "基层员工", "中层管理", "高层"}
		ms := []jifen.Member{{ID: "admin", Name: "管理员", Role: jifen.RoleAdmin}}
		for i := range members {
			ms = append(ms, jifen.Member{ID: fmt.Sprintf("e%05d", i), Name: fmt.Sprintf("员工%05d", i), Department: depts[i%len(depts)],
				Level: levels[i%len(levels)], Role: jifen.RoleEmployee, Joined: time.Date(2018+i%9, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC)})
		}
		if err := st.SyncMembers(context.Background(), ms); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(3, 5))
		behaviors := cfg.Rules.Behaviors
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
		span := 360 * 24 * time.Hour
		const chunk = 10_000
		// Recorded at the end of their chunk, counted at their own time.
		next := func(first int) { clock.t = start.Add(span / time.Duration(entries) * time.Duration(first+chunk)) }
		return storetest.Fill(st, entries, chunk, next, func(_ store.Txn, i int) jifen.Entry {
			bh := behaviors[rng.IntN(len(behaviors))]
			pts := bh.Min + rng.Int64N(bh.Max-bh.Min+1)
			kind := jifen.KindAward
			if pts < 0 {
				kind = jifen.KindDeduct
			}
			return jifen.Entry{Kind: kind, At: clock.t, Effective: start.Add(span / time.Duration(entries) * time.Duration(i)), Giver: "admin",
				Receiver: ms[1+rng.IntN(members)].ID, Points: pts, Category: bh.Category, Behavior: bh.ID, Reason: "bench", RuleVersion: 1}
		})
	})
}

type benchClock struct{ t time.Time }

func (c *benchClock) Now() time.Time { return c.t }
