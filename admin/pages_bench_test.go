package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/locale"
	"jifen/store"
)

// demoEnv is the console, in Chinese, on the demo company's store
// (JIFEN_DEMO_STORE, made by `jifen demo --config config.example.yaml`),
// as of its clock now, with the example's config.
type demoEnv struct {
	s   *Server
	st  *store.Store
	cfg *config.Config
}

// openDemo opens the demo store, or skips b when JIFEN_DEMO_STORE is not
// set. A benchmark that writes (an export is audited, an import
// confirmed) opens a copy.
func openDemo(b *testing.B, copy bool) *demoEnv {
	b.Helper()
	path := os.Getenv("JIFEN_DEMO_STORE")
	if path == "" {
		b.Skip("JIFEN_DEMO_STORE is not set")
	}
	if copy {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		path = filepath.Join(b.TempDir(), "demo.db")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg.HTTP.PublicURL = "https://jifen.example.com"
	cfg.Slack.Enabled, cfg.Feishu.Enabled = false, false
	st, err := store.Open(path, store.Options{Location: cfg.Location, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	bt := bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: 1, Language: locale.ZH, Surveys: cfg.Surveys})
	s, err := New(context.Background(), Options{Store: st, Config: cfg, Language: locale.ZH, Bot: bt})
	if err != nil {
		b.Fatal(err)
	}
	return &demoEnv{s: s, st: st, cfg: cfg}
}

// member is the first active member with role who has a department.
func (d *demoEnv) member(b *testing.B, role jifen.Role) jifen.Member {
	for _, m := range d.st.Members() {
		if m.Role == role && !m.Bot && m.Left.IsZero() && m.Department != "" {
			return m
		}
	}
	b.Fatalf("the demo has no %s", role)
	return jifen.Member{}
}

// browser is a browser signed in as m.
func (d *demoEnv) browser(b *testing.B, m jifen.Member) *browser {
	br := &browser{t: b, h: d.s.Handler(), cookies: map[string]*http.Cookie{}}
	rec := httptest.NewRecorder()
	d.s.startSession(rec, m.ID, platformSlack)
	for _, c := range rec.Result().Cookies() {
		br.cookies[c.Name] = c
	}
	return br
}

// BenchmarkPagesDemo opens each console page on the demo company's year
// as its HR admin, and the department-scoped ones as a manager. Each page
// is to answer in under 200 ms.
func BenchmarkPagesDemo(b *testing.B) {
	d := openDemo(b, false)
	admin, manager := d.member(b, jifen.RoleAdmin), d.member(b, jifen.RoleManager)
	year := jifen.PeriodOf(jifen.Year, d.st.Now(), d.st.Location()).Key
	rounds := d.st.Rounds(d.cfg.Surveys[0].ID)
	if len(rounds) == 0 {
		b.Fatal("the demo has no survey round")
	}
	latest := fmt.Sprintf("/admin/surveys/%s/%d", d.cfg.Surveys[0].ID, rounds[len(rounds)-1].N)
	for _, page := range []struct {
		name, path string
		as         jifen.Member
	}{
		{"overview", "/admin/", admin},
		{"overview-manager", "/admin/", manager},
		{"reports", "/admin/reports", admin},
		{"report-year", "/admin/reports/" + year, admin},
		{"audit", "/admin/audit", admin},
		{"rules", "/admin/rules", admin},
		{"decisions", "/admin/decisions", admin},
		{"ledger", "/admin/ledger", admin},
		{"ledger-year", "/admin/ledger?period=" + year, admin},
		{"ledger-manager", "/admin/ledger?period=" + year, manager},
		{"members", "/admin/members?left=1", admin},
		{"members-manager", "/admin/members", manager},
		{"surveys", "/admin/surveys", admin},
		{"survey-results", latest, admin},
		{"imports", "/admin/imports", admin},
	} {
		b.Run(page.name, func(b *testing.B) {
			br := d.browser(b, page.as)
			for b.Loop() {
				if w := br.get(page.path); w.Code != http.StatusOK {
					b.Fatalf("%s: %d", page.path, w.Code)
				}
			}
		})
	}
}
