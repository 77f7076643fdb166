package simulate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"jifen"
	"jifen/config"
	"jifen/rules"
	"jifen/simulate"
	"jifen/store"
	"jifen/store/storetest"
)

// BenchmarkSimulateYear simulates a year of 1,000,000 entries for 5,000
// members under a changed catalog (签单 revalued, 全勤 capped once a month,
// a behavior removed). The store is built once, a few minutes, and kept in
// $JIFEN_BENCH_DIR when set:
//
//	JIFEN_BENCH_DIR=/tmp/bench go test ./simulate -run '^$' -bench SimulateYear -benchtime 3x
func BenchmarkSimulateYear(b *testing.B) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cfg := benchConfig(b)
	path := storetest.Cached(b, "jifen-simulate-5000-1000000.db", func(path string) error { return buildYear(path, cfg, sh, 5000, 1_000_000) })
	st, err := store.Open(path, store.Options{Location: sh})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	proposed := *cfg.Rules
	proposed.Behaviors = slices.Clone(cfg.Rules.Behaviors)
	for i := range proposed.Behaviors {
		switch bh := &proposed.Behaviors[i]; bh.ID {
		case "deal":
			bh.Min, bh.Max = 20, 60
		case "full_attendance":
			bh.Limits = []rules.BehaviorLimit{{Period: jifen.Month, Times: 1}}
		}
	}
	proposed.Behaviors = slices.DeleteFunc(proposed.Behaviors, func(bh rules.Behavior) bool { return bh.ID == "slow_response" })
	year := jifen.PeriodOf(jifen.Year, time.Date(2026, 6, 1, 0, 0, 0, 0, sh), sh)
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, sh)
	for b.Loop() {
		res, err := simulate.Run(st, year, simulate.Options{Location: sh, Now: now, Current: cfg.Rules, Proposed: &proposed})
		if err != nil {
			b.Fatal(err)
		}
		if res.Totals.Entries.Actual < 900_000 || len(res.Removed) == 0 || len(res.CapsHit) == 0 {
			b.Fatalf("unexpected result: %+v, %d removed, %d caps hit", res.Totals, len(res.Removed), len(res.CapsHit))
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

type benchClock struct{ t time.Time }

func (c *benchClock) Now() time.Time { return c.t }

// buildYear writes a year of entries, as report's benchmark does, with a
// manager per department as the givers and a revoke every 1,000 entries.
func buildYear(path string, cfg *config.Config, loc *time.Location, members, entries int) error {
	clock := &benchClock{}
	st, err := store.Open(path, store.Options{Location: loc, NoSync: true, Clock: clock})
	if err != nil {
		return err
	}
	defer st.Close()
	depts := []string{"销售部", "客服部", "研发部", "生产部", "人力资源部", "财务部", "质量部", "采购部"}
	ms := []jifen.Member{}
	for i, d := range depts {
		ms = append(ms, jifen.Member{ID: fmt.Sprintf("m%d", i), Name: "经理" + d, Department: d, Role: jifen.RoleManager})
	}
	for i := range members {
		ms = append(ms, jifen.Member{ID: fmt.Sprintf("e%05d", i), Name: fmt.Sprintf("员工%05d", i), Department: depts[i%len(depts)],
			Role: jifen.RoleEmployee})
	}
	if err := st.SyncMembers(context.Background(), ms); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 5))
	behaviors := cfg.Rules.Behaviors
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	span := 360 * 24 * time.Hour
	const chunk = 10_000
	next := func(first int) { clock.t = start.Add(span / time.Duration(entries) * time.Duration(first+chunk)) }
	return storetest.Fill(st, entries, chunk, next, func(tx store.Txn, i int) jifen.Entry {
		if i%1000 == 999 {
			return jifen.Entry{Kind: jifen.KindRevoke, At: clock.t, Giver: "m0", Reverses: uint64(i - 10), Reason: "bench"}
		}
		bh := behaviors[rng.IntN(len(behaviors))]
		pts := bh.Min + rng.Int64N(bh.Max-bh.Min+1)
		kind := jifen.KindAward
		if pts < 0 {
			kind = jifen.KindDeduct
		}
		rcv := ms[len(depts)+rng.IntN(members)]
		giver := "m" + fmt.Sprint(slices.Index(depts, rcv.Department))
		return jifen.Entry{Kind: kind, At: clock.t, Effective: start.Add(span / time.Duration(entries) * time.Duration(i)), Giver: giver,
			Receiver: rcv.ID, Points: pts, Category: bh.Category, Behavior: bh.ID, Reason: "bench", RuleVersion: 1}
	})
}
