package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"jifen"
	"jifen/config"
	"jifen/store"
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
	year := jifen.PeriodOf(jifen.Year, time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), shanghai)
	for b.Loop() {
		s, err := Analyze(st, year, Options{Location: shanghai, Catalog: cfg.Rules, T: zh})
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
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MiB")
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
	dir := os.Getenv("JIFEN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("jifen-report-%d-%d.db", members, entries))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	cfg := benchConfig(b)
	tmp := path + ".tmp"
	os.Remove(tmp)
	clock := &benchClock{}
	st, err := store.Open(tmp, store.Options{Location: shanghai, NoSync: true, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	depts := []string{"销售部", "客服部", "研发部", "生产部", "人力资源部", "财务部", "质量部", "采购部"}
	levels := []string{"基层员工", "基层员工", "基层员工", "中层管理", "高层"}
	ms := []jifen.Member{{ID: "admin", Name: "管理员", Role: jifen.RoleAdmin}}
	for i := range members {
		ms = append(ms, jifen.Member{ID: fmt.Sprintf("e%05d", i), Name: fmt.Sprintf("员工%05d", i), Department: depts[i%len(depts)],
			Level: levels[i%len(levels)], Role: jifen.RoleEmployee, Joined: time.Date(2018+i%9, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC)})
	}
	ctx := context.Background()
	if err := st.SyncMembers(ctx, ms); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	behaviors := cfg.Rules.Behaviors
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
	span := 360 * 24 * time.Hour
	const chunk = 10_000
	for done := 0; done < entries; done += chunk {
		clock.t = start.Add(span / time.Duration(entries) * time.Duration(done+chunk))
		_, _, err := st.Write(ctx, "", func(tx *store.Tx) ([]byte, error) {
			for j := 0; j < chunk && done+j < entries; j++ {
				bh := behaviors[rng.IntN(len(behaviors))]
				pts := bh.Min + rng.Int64N(bh.Max-bh.Min+1)
				kind := jifen.KindAward
				if pts < 0 {
					kind = jifen.KindDeduct
				}
				eff := start.Add(span / time.Duration(entries) * time.Duration(done+j))
				if _, err := tx.Append(&jifen.Entry{Kind: kind, At: clock.t, Effective: eff, Giver: "admin", Receiver: ms[1+rng.IntN(members)].ID,
					Points: pts, Category: bh.Category, Behavior: bh.ID, Reason: "bench", RuleVersion: 1}); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

type benchClock struct{ t time.Time }

func (c *benchClock) Now() time.Time { return c.t }
