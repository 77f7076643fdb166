package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/bot/feishu"
	"jifen/config"
	"jifen/store"
)

// BenchmarkPersonalReports queues the monthly personal report of 1,000
// members and sends them from the outbox through a fake Feishu Open API,
// and reports how long it took and
// the highest send rate seen in any one second (Feishu allows about 50 a
// second per app, 5 a second to one user):
//
//	go test ./cmd/jifen -run '^$' -bench PersonalReports -benchtime 1x
func BenchmarkPersonalReports(b *testing.B) {
	var mu sync.Mutex
	var stamps []time.Time
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "tenant_access_token/internal") {
			fmt.Fprint(w, `{"code":0,"tenant_access_token":"t-fake","expire":7200}`)
			return
		}
		mu.Lock()
		stamps = append(stamps, time.Now())
		mu.Unlock()
		fmt.Fprint(w, `{"code":0,"data":{"message_id":"om_x"}}`)
	}))
	defer fake.Close()

	b.Setenv("JIFEN_STORE", filepath.Join(b.TempDir(), "unused.db"))
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "jifen.db"), store.Options{Location: cfg.Location, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ms := []jifen.Member{{ID: "hr", Name: "人事", Role: jifen.RoleAdmin}}
	for i := range 1000 {
		ms = append(ms, jifen.Member{ID: fmt.Sprintf("e%04d", i), Name: fmt.Sprintf("员工%04d", i), Department: "销售部",
			Role: jifen.RoleEmployee, FeishuOpenID: fmt.Sprintf("ou_%032d", i)})
	}
	if err := st.SyncMembers(context.Background(), ms); err != nil {
		b.Fatal(err)
	}
	bt := bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: 1})
	fc := config.Feishu{Enabled: true, AppID: "cli_bench", AppSecret: "fake", VerificationToken: "t", BaseURL: fake.URL}
	fa, err := feishu.New(feishu.Options{Bot: bt, Store: st, Config: fc})
	if err != nil {
		b.Fatal(err)
	}
	a := &app{cfg: cfg, store: st, bot: bt}
	s := config.Schedule{Name: "personal_monthly", Job: "personal", Period: jifen.Month}
	for b.Loop() {
		mu.Lock()
		stamps = nil
		mu.Unlock()
		start := time.Now()
		p := poster{feishu: fa}
		queued, err := personal(context.Background(), a, p, s, time.Now(), false)
		if err != nil || queued != 1000 {
			b.Fatalf("queued %d: %v", queued, err)
		}
		if left := drain(context.Background(), st, p, slog.New(slog.DiscardHandler)); left != 0 {
			b.Fatalf("%d left in the outbox", left)
		}
		el := time.Since(start)
		mu.Lock()
		if len(stamps) != 1000 {
			b.Fatalf("%d sent", len(stamps))
		}
		mu.Unlock()
		b.ReportMetric(el.Seconds(), "s/1000-reports")
	}
	// The busiest one-second window.
	sort.Slice(stamps, func(i, j int) bool { return stamps[i].Before(stamps[j]) })
	peak := 0
	for i, j := 0, 0; i < len(stamps); i++ {
		for stamps[i].Sub(stamps[j]) >= time.Second {
			j++
		}
		peak = max(peak, i-j+1)
	}
	b.ReportMetric(float64(peak), "peak-sends/s")
}
