package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/storetest"
)

// BenchmarkExportLedger exports 100,000 and 1,000,000 entries as CSV and
// reports the time and the heap in use at the end: memory must not grow
// with the ledger (the export streams). Stores are built once and kept in
// $JIFEN_BENCH_DIR when set:
//
//	JIFEN_BENCH_DIR=/tmp/bench go test ./cmd/jifen -run '^$' -bench ExportLedger -benchtime 1x
func BenchmarkExportLedger(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		path := ledgerStore(b, n)
		b.Run(fmt.Sprintf("csv/entries=%d", n), func(b *testing.B) {
			b.Setenv("JIFEN_STORE", path)
			m := &Main{Stdin: nil, Stdout: io.Discard, Stderr: io.Discard}
			fs := m.newFlags(*find("export"))
			if err := fs.Parse([]string{"--config", "../../config.example.yaml", "--format", "csv"}); err != nil {
				b.Fatal(err)
			}
			var peak uint64
			for b.Loop() {
				done := make(chan struct{})
				go func() { // sample the heap while exporting
					var ms runtime.MemStats
					for {
						select {
						case <-done:
							return
						case <-time.After(20 * time.Millisecond):
							runtime.ReadMemStats(&ms)
							peak = max(peak, ms.HeapInuse)
						}
					}
				}()
				err := m.export(context.Background(), fs, []string{"ledger"})
				close(done)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

func ledgerStore(b *testing.B, n int) string {
	return storetest.Cached(b, fmt.Sprintf("jifen-ledger-%d.db", n), func(path string) error {
		b.Setenv("JIFEN_STORE", filepath.Join(b.TempDir(), "x.db"))
		m := &Main{Stdout: io.Discard, Stderr: io.Discard}
		fs := m.newFlags(*find("verify"))
		_ = fs.Parse([]string{"--config", "../../config.example.yaml"})
		a, err := m.open(context.Background(), fs)
		if err != nil {
			return err
		}
		cfg := a.cfg
		a.Close()
		st, err := store.Open(path, store.Options{Location: cfg.Location, NoSync: true})
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.SyncMembers(context.Background(), cfg.Members); err != nil {
			return err
		}
		var people []jifen.Member
		for _, mb := range cfg.Members {
			if !mb.Bot {
				people = append(people, mb)
			}
		}
		rng := rand.New(rand.NewPCG(9, 9))
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		return storetest.Fill(st, n, 10_000, nil, func(_ store.Txn, i int) jifen.Entry {
			bh := cfg.Rules.Behaviors[rng.IntN(len(cfg.Rules.Behaviors))]
			return jifen.Entry{Kind: jifen.KindImport, Effective: start.Add(time.Duration(i) * 30 * time.Second), Giver: "hr_li",
				Receiver: people[rng.IntN(len(people))].ID, Points: bh.Min, Category: bh.Category, Behavior: bh.ID,
				Reason: "导入的历史记录", Source: "bench"}
		})
	})
}
