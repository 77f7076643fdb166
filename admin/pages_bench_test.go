package admin

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/locale"
	"jifen/store"
)

// BenchmarkPagesDemo opens each console page as the example's HR admin
// (and the overview as a manager) on the demo company's store
// (JIFEN_DEMO_STORE, made by `jifen demo --config config.example.yaml`),
// as of its clock now. Each page is to answer in under 200 ms.
func BenchmarkPagesDemo(b *testing.B) {
	path := os.Getenv("JIFEN_DEMO_STORE")
	if path == "" {
		b.Skip("JIFEN_DEMO_STORE is not set")
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
	defer st.Close()
	bt := bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: 1, Language: locale.ZH, Surveys: cfg.Surveys})
	s, err := New(context.Background(), Options{Store: st, Config: cfg, Language: locale.ZH, Bot: bt})
	if err != nil {
		b.Fatal(err)
	}
	member := func(role jifen.Role) jifen.Member {
		for _, x := range st.Members() {
			if x.Role == role && !x.Bot && x.Left.IsZero() {
				return x
			}
		}
		b.Fatalf("the demo has no %s", role)
		return jifen.Member{}
	}
	admin, manager := member(jifen.RoleAdmin), member(jifen.RoleManager)
	year := jifen.PeriodOf(jifen.Year, st.Now(), st.Location()).Key
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
		{"surveys", "/admin/surveys", admin},
		{"imports", "/admin/imports", admin},
	} {
		b.Run(page.name, func(b *testing.B) {
			rec := httptest.NewRecorder()
			s.startSession(rec, page.as.ID, platformSlack)
			for b.Loop() {
				r := httptest.NewRequest("GET", page.path, nil)
				r.Host = "jifen.example.com"
				for _, c := range rec.Result().Cookies() {
					r.AddCookie(c)
				}
				w := httptest.NewRecorder()
				s.Handler().ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("%s: %d", page.path, w.Code)
				}
			}
		})
	}
}
