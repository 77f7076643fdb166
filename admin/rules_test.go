package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/config"
	"jifen/locale"
	"jifen/rules"
	"jifen/simulate"
	"jifen/store"
)

// rulesExampleSection is the rules: section of the example config.
func rulesExampleSection(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sec := rulesSection(data)
	if !strings.HasPrefix(sec, "rules:\n") || !strings.Contains(sec, "peer_thanks") {
		t.Fatalf("the example's rules: section was not found:\n%.300s", sec)
	}
	return sec
}

// rulesProposed is the example's catalog with 签单 (deal) worth a fixed 20
// and 客户好评 (good_review) at most twice a month instead of three times.
func rulesProposed(t testing.TB) string {
	t.Helper()
	sec := rulesExampleSection(t)
	for old, new := range map[string]string{
		"tags: [签单, deal]\n          points: [10, 30]\n":   "tags: [签单, deal]\n          points: 20\n",
		"- {period: month, times: 3}   # 每人每月最多 3 次（30 分）": "- {period: month, times: 2}",
	} {
		if strings.Count(sec, old) != 1 {
			t.Fatalf("the example's rules have %d × %q", strings.Count(sec, old), old)
		}
		sec = strings.Replace(sec, old, new, 1)
	}
	return sec
}

// rulesOctober records October's points for 张伟 (emp): 签单 25 and
// 客户好评 10 three times. Under the proposed catalog that is 20 + 2×10.
func rulesOctober(t *testing.T, e *testEnv) {
	t.Helper()
	ctx := context.Background()
	_, _, err := e.st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		for i, x := range []struct {
			behavior, category string
			points             int64
		}{{"deal", "sales", 25}, {"good_review", "satisfaction", 10}, {"good_review", "satisfaction", 10}, {"good_review", "satisfaction", 10}} {
			at := time.Date(2026, 10, 5+i, 3, 0, 0, 0, time.UTC)
			if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "hr", Receiver: "emp", Points: x.points,
				Category: x.category, Behavior: x.behavior, Effective: at, At: at, RuleVersion: 1}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rulesState is what a read-only action must leave as it found it.
type rulesState struct {
	entries, audit, versions int
	verify                   string
	file                     [32]byte
}

func rulesSnapshot(t *testing.T, e *testEnv) rulesState {
	t.Helper()
	rep, err := e.st.Verify()
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.st.CatalogVersions()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Sync(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(e.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	return rulesState{entries: e.st.EntryCount(), audit: len(e.st.AuditLog(store.AuditFilter{})), versions: len(vs),
		verify: fmt.Sprintf("%+v", rep), file: sha256.Sum256(data)}
}

func (st rulesState) same(t *testing.T, after rulesState) {
	t.Helper()
	if st != after {
		t.Errorf("the store changed: before %+v, after %+v", st, after)
	}
}

var (
	rulesRowRE  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	rulesCellRE = regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`)
	rulesTagRE  = regexp.MustCompile(`<[^>]*>`)
)

// rulesRows is every table row of a page as its cells' text joined by |.
func rulesRows(body string) []string {
	var out []string
	for _, r := range rulesRowRE.FindAllStringSubmatch(body, -1) {
		var cells []string
		for _, c := range rulesCellRE.FindAllStringSubmatch(r[1], -1) {
			cells = append(cells, html.UnescapeString(rulesTagRE.ReplaceAllString(c[1], "")))
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}

func rulesEN(key string, args ...any) string { return locale.T(locale.EN, key, args...) }

func TestRulesVersionsAndTheirChanges(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	cur := e.cfg.Rules
	// Version 1: 签单 was worth 5~25, 客户好评 had no limit, a behavior
	// since removed, a lower approval threshold and no thanks.
	old := *cur
	old.ApprovalThreshold = 30
	old.Thanks = nil
	old.Behaviors = slices.Clone(cur.Behaviors)
	for i := range old.Behaviors {
		switch b := &old.Behaviors[i]; b.ID {
		case "deal":
			b.Min, b.Max, b.Category = 5, 25, "satisfaction"
		case "good_review":
			b.Limits = nil
		}
	}
	old.Behaviors = append(old.Behaviors, rules.Behavior{ID: "old_bonus", Name: "旧奖励", Category: "sales", Min: 5, Max: 5})
	if _, err := e.st.RegisterCatalog(ctx, old.Fingerprint(), &old); err != nil {
		t.Fatal(err)
	}
	e.now = testNow.Add(48 * time.Hour)
	if v, err := e.st.RegisterCatalog(ctx, cur.Fingerprint(), cur); err != nil || v != 2 {
		t.Fatalf("version %d, %v", v, err)
	}

	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/rules")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/rules: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, "The catalog in force (version 2)")
	rows := rulesRows(w.Body.String())
	want := []string{
		// The catalog in force, as /rules shows it.
		"销售业绩|签单|deal|+10 ~ +30|成交 签约 #签单 #deal|manager, points admin|none",
		"客户满意度|客户好评|good_review|+10|客户好评 好评 表扬信 #好评|manager, points admin|at most 3 times this month",
		"Approval|awards over 50 points to one person need a points admin",
		"Thanks|20 points this month, at most 5 per thanks, recorded as peer_thanks",
		// Version 2, registered two days after version 1, and what it changed.
		"2 (in force)|2026-11-12 10:00|" +
			"签单 (deal): moved from category 客户满意度 to 销售业绩, points +5 ~ +25 → +10 ~ +30" +
			"客户好评 (good_review): limits none → at most 3 times this month" +
			"Behavior removed: 旧奖励 (old_bonus), was +5" +
			"Approval: awards over 30 points to one person need a points admin → awards over 50 points to one person need a points admin" +
			"Thanks: off → 20 points this month, at most 5 per thanks, recorded as peer_thanks",
		fmt.Sprintf("1|2026-11-10 10:00|The first version recorded: %d categories, %d behaviors.", len(old.Categories), len(old.Behaviors)),
	}
	for _, r := range want {
		if !slices.Contains(rows, r) {
			t.Errorf("no row %q among:\n%s", r, strings.Join(rows, "\n"))
		}
	}
}

// A version recorded in a shape this jifen cannot read is listed as such,
// and the page still opens.
func TestRulesUnreadableVersion(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if _, err := e.st.RegisterCatalog(ctx, "an older shape", map[string]any{"Behaviors": "not a list"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RegisterCatalog(ctx, e.cfg.Rules.Fingerprint(), e.cfg.Rules); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/rules")
	if w.Code != http.StatusOK {
		t.Fatalf("%d", w.Code)
	}
	rows := rulesRows(w.Body.String())
	for _, want := range []string{
		"1|2026-11-10 10:00|This version's recorded content cannot be read by this jifen.",
		fmt.Sprintf("2 (in force)|2026-11-10 10:00|%d categories, %d behaviors.", len(e.cfg.Rules.Categories), len(e.cfg.Rules.Behaviors)),
	} {
		if !slices.Contains(rows, want) {
			t.Errorf("no row %q among:\n%s", want, strings.Join(rows, "\n"))
		}
	}
}

func TestRulesSimulateSideBySide(t *testing.T) {
	e := newTestEnv(t, func(c *config.Config) { c.Path = "../config.example.yaml" })
	rulesOctober(t, e)
	b := e.browser(t)
	b.signIn(e.s, "hr")

	// The page offers the config file's rules: section to edit.
	w := b.get("/admin/rules")
	if w.Code != http.StatusOK {
		t.Fatalf("GET: %d", w.Code)
	}
	mustContain(t, w, "The text below is the rules: section of ../config.example.yaml", html.EscapeString("points: [10, 30]"),
		`name="catalog"`, `name="period"`, `name="file"`)
	if strings.Contains(w.Body.String(), "has changed since") {
		t.Error("the example config's rules are the ones in force, yet the page calls the file changed")
	}

	proposed := rulesProposed(t)
	before := rulesSnapshot(t, e)
	w = b.post("/admin/rules/simulate", url.Values{"catalog": {strings.ReplaceAll(proposed, "\n", "\r\n")}, "period": {"2026-10"}})
	if w.Code != http.StatusOK {
		t.Fatalf("POST: %d\n%s", w.Code, w.Body)
	}
	before.same(t, rulesSnapshot(t, e))

	// The figures are simulate's own, computed here directly.
	cat, err := config.ParseCatalog("", []byte(proposed), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	p, err := jifen.ParsePeriod("2026-10", e.st.Location())
	if err != nil {
		t.Fatal(err)
	}
	res, err := simulate.Run(e.st, p, simulate.Options{Location: e.st.Location(), Now: e.st.Now(), Current: e.cfg.Rules, Proposed: cat})
	if err != nil {
		t.Fatal(err)
	}
	intro, sections := res.Sections(rulesEN)
	for _, s := range intro {
		mustContain(t, w, html.EscapeString(s))
	}
	rows := rulesRows(w.Body.String())
	n := 0
	for _, sec := range sections {
		mustContain(t, w, "<h3>"+html.EscapeString(sec.Title)+"</h3>")
		for _, r := range sec.Rows {
			want := strings.Join(r, "|")
			i := slices.Index(rows[n:], want)
			if i < 0 {
				t.Errorf("section %q: no row %q after row %d", sec.Title, want, n)
				continue
			}
			n += i + 1
		}
	}
	// And by hand: 25 + 3×10 happened; 20 + 2×10 under the proposal.
	for _, want := range []string{"Net points|55|40|-15", "Entries|4|3|-1"} {
		if !slices.Contains(rows, want) {
			t.Errorf("no row %q among:\n%s", want, strings.Join(rows, "\n"))
		}
	}
	// The YAML to apply is the proposed rules: section, comments kept.
	mustContain(t, w, "The YAML to apply", "replace the rules: section of ../config.example.yaml",
		html.EscapeString("- {period: month, times: 2}"), "peer_thanks", "# max_reason_length")

	// Uploaded rather than pasted, and as JSON: the same figures.
	w2 := b.upload("/admin/rules/simulate", url.Values{"period": {"2026-10"}}, "new-rules.yaml", []byte(proposed))
	if w2.Code != http.StatusOK {
		t.Fatalf("upload: %d\n%s", w2.Code, w2.Body)
	}
	if !slices.Contains(rulesRows(w2.Body.String()), "Net points|55|40|-15") {
		t.Error("the uploaded catalog was not simulated")
	}
	mustContain(t, w2, html.EscapeString("- {period: month, times: 2}"))
	// The page's own form: the catalog pasted, no file chosen (the
	// browser still sends the empty file input).
	w3 := b.upload("/admin/rules/simulate", url.Values{"period": {"2026-10"}, "catalog": {proposed}}, "", nil)
	if w3.Code != http.StatusOK || !slices.Contains(rulesRows(w3.Body.String()), "Net points|55|40|-15") {
		t.Errorf("pasted in the multipart form: %d", w3.Code)
	}
	before.same(t, rulesSnapshot(t, e))
}

func TestRulesSimulateBadCatalog(t *testing.T) {
	e := newTestEnv(t, nil)
	rulesOctober(t, e)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	before := rulesSnapshot(t, e)
	cases := []struct {
		name, yaml, period string
		status             int
		wants              []string
	}{
		{"a YAML syntax error, with its line", "rules:\n  approval_threshold: 5\n  categories:\n    - id: x\n      name: [unclosed\n", "2026-10",
			http.StatusBadRequest, []string{"catalog:4: did not find expected", "Nothing was written"}},
		{"a behavior worth 0, with its line and key", "rules:\n  categories:\n    - id: x\n      name: X\n      behaviors:\n        - id: y\n          name: Y\n          points: 0\n", "2026-10",
			http.StatusBadRequest, []string{"catalog:8: rules.categories[0].behaviors[0].points: must not be 0"}},
		{"no rules: section", "timezone: Asia/Shanghai\n", "2026-10",
			http.StatusBadRequest, []string{"catalog:1: rules: required"}},
		{"nothing pasted", "  \n", "2026-10", http.StatusBadRequest, []string{"Paste a proposed catalog"}},
		{"a period that is no period", rulesProposed(t), "last-year", http.StatusBadRequest, nil},
		{"a period not begun", rulesProposed(t), "2027", http.StatusNotFound, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := b.post("/admin/rules/simulate", url.Values{"catalog": {c.yaml}, "period": {c.period}})
			if w.Code != c.status {
				t.Fatalf("%d, want %d\n%s", w.Code, c.status, w.Body)
			}
			mustContain(t, w, c.wants...)
			// The config package's own problems, each with its line.
			if _, err := config.ParseCatalog("catalog", []byte(c.yaml), nil); err != nil && strings.TrimSpace(c.yaml) != "" && c.status == http.StatusBadRequest && c.period == "2026-10" {
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Fatal(err)
				}
				for _, p := range ce.Problems {
					if p.Line == 0 {
						t.Errorf("problem %q has no line", p)
					}
					mustContain(t, w, "<code>"+html.EscapeString(p.String())+"</code>")
				}
			}
			if strings.Contains(w.Body.String(), "The YAML to apply") {
				t.Error("a refused catalog is offered to apply")
			}
		})
	}
	// A file upload names the file in the problems.
	w := b.upload("/admin/rules/simulate", url.Values{"period": {"2026-10"}}, "draft.yaml", []byte("rules:\n  categories: 5\n"))
	if w.Code != http.StatusBadRequest {
		t.Fatalf("upload: %d", w.Code)
	}
	mustContain(t, w, "draft.yaml:2")
	before.same(t, rulesSnapshot(t, e))
}

func TestRulesSimulateRefusesOversizedCatalogs(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	before := rulesSnapshot(t, e)
	// Just over the limit for a catalog, still inside the form's.
	big := "rules:\n" + strings.Repeat("# padding\n", maxCatalogBytes/10)
	w := b.post("/admin/rules/simulate", url.Values{"catalog": {big}, "period": {"2026-10"}})
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("paste: %d", w.Code)
	}
	mustContain(t, w, "too large: at most 256 KB")
	w = b.upload("/admin/rules/simulate", url.Values{"period": {"2026-10"}}, "big.yaml", []byte(big))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("upload: %d", w.Code)
	}
	// Far over both.
	w = b.post("/admin/rules/simulate", url.Values{"catalog": {strings.Repeat(big, 4)}, "period": {"2026-10"}})
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge paste: %d", w.Code)
	}
	w = b.upload("/admin/rules/simulate", url.Values{"period": {"2026-10"}}, "huge.yaml", []byte(strings.Repeat(big, 4)))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge upload: %d", w.Code)
	}
	before.same(t, rulesSnapshot(t, e))
}

func TestRulesRoutesByRole(t *testing.T) {
	e := newTestEnv(t, nil)
	form := url.Values{"catalog": {rulesProposed(t)}, "period": {"2026-10"}}
	for _, who := range []string{"mgr", "emp"} {
		b := e.browser(t)
		b.signIn(e.s, who)
		if w := b.get("/admin/rules"); w.Code != http.StatusForbidden {
			t.Errorf("%s GET: %d", who, w.Code)
		}
		if w := b.post("/admin/rules/simulate", form); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "Net") {
			t.Errorf("%s POST: %d", who, w.Code)
		}
	}
	b := e.browser(t)
	w := b.get("/admin/rules")
	if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), "/admin/login?next=%2Fadmin%2Frules") {
		t.Errorf("signed out GET: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := b.post("/admin/rules/simulate", form); w.Code != http.StatusForbidden {
		t.Errorf("signed out POST: %d", w.Code)
	}

	// An admin's browser posting from another site is refused before the
	// page runs.
	b.signIn(e.s, "hr")
	r := httptest.NewRequest("POST", "/admin/rules/simulate", strings.NewReader(form.Encode()))
	r.Host = "jifen.example.com"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	cw := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(cw, r)
	if cw.Code != http.StatusForbidden || bytes.Contains(cw.Body.Bytes(), []byte("Net")) {
		t.Errorf("cross-origin POST: %d", cw.Code)
	}
	// The same form from the console itself is simulated.
	if w := b.post("/admin/rules/simulate", form); w.Code != http.StatusOK {
		t.Errorf("admin POST: %d", w.Code)
	}
}

func TestRulesSection(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"the section alone", "rules:\n  a: 1\n", "rules:\n  a: 1\n"},
		{"between others, their comments left out",
			"timezone: x\n# rules\nrules:\n  # keep\n  a: 1\n\n# the shop\nrewards: []\n", "rules:\n  # keep\n  a: 1\n"},
		{"last, without a final newline", "a: 1\nrules:\n  b: 2", "rules:\n  b: 2\n"},
		{"a flow mapping, encoded anew", "{a: 1, rules: {b: 2}}", "rules: {b: 2}\n"},
		{"none", "a: 1\n", ""},
		{"not YAML", "a: [\n", ""},
	}
	for _, c := range cases {
		if got := rulesSection([]byte(c.in)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// BenchmarkRulesSimulateDemo simulates a year under a changed catalog as
// the example's HR admin, on the demo company's store (JIFEN_DEMO_STORE,
// made by `jifen demo --config config.example.yaml`), as of its clock now.
// The floor sub-benchmark is simulate.Run alone on the same store.
func BenchmarkRulesSimulateDemo(b *testing.B) {
	d := openDemo(b, false)
	st, cfg := d.st, d.cfg
	br := d.browser(b, d.member(b, jifen.RoleAdmin))
	proposed := rulesProposed(b)
	year := jifen.PeriodOf(jifen.Year, st.Now(), st.Location())
	form := url.Values{"catalog": {proposed}, "period": {year.Key}}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if w := br.post("/admin/rules/simulate", form); w.Code != http.StatusOK {
				b.Fatalf("%d\n%.2000s", w.Code, w.Body)
			}
		}
	})
	b.Run("catalog", func(b *testing.B) {
		for b.Loop() {
			if w := br.get("/admin/rules"); w.Code != http.StatusOK {
				b.Fatalf("%d", w.Code)
			}
		}
	})
	cat, err := config.ParseCatalog("", []byte(proposed), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			if _, err := simulate.Run(st, year, simulate.Options{Location: st.Location(), Now: st.Now(), Current: cfg.Rules, Proposed: cat}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The server's environment holds its secrets: a proposed catalog naming
// a variable does not bring its value into the page.
func TestRulesSimulateReadsNoEnvironment(t *testing.T) {
	e := newTestEnv(t, nil)
	t.Setenv("JIFEN_RULES_TEST_SECRET", "xoxb-very-secret")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	proposed := strings.Replace(rulesProposed(t), "name: 签单\n", "name: ${JIFEN_RULES_TEST_SECRET:-签单}\n", 1)
	w := b.post("/admin/rules/simulate", url.Values{"catalog": {proposed}, "period": {"2026-10"}})
	if w.Code != http.StatusOK {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "very-secret") {
		t.Error("the page shows the value of a variable of the server's environment")
	}
}
