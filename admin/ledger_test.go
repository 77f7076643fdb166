package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/locale"
	"jifen/store"
)

// ledgerEntries are the entries of the ledger test company, by what they
// are.
type ledgerEntries struct {
	quoted   uint64 // 张伟 (研发部), October, 签单, a reason with a comma and quotes
	formula  uint64 // 陈静 (销售部), October, 签单, a reason that reads as a formula; revoked
	gone     uint64 // 钱进 (研发部, left on October 31st), October, 签单
	review   uint64 // 孙丽 (研发部), November, 客户好评
	approved uint64 // 陈静, November, 签大单 by 李雷 above the threshold, approved by 王芳
	revoke   uint64 // the revoke of formula, by 王芳 (counts in October)
	redeem   uint64 // 陈静 redeems a 咖啡券
}

func (l ledgerEntries) all() []uint64 {
	return []uint64{l.quoted, l.formula, l.gone, l.review, l.approved, l.revoke, l.redeem}
}

// ledgerEnv is the test company with two more colleagues and a ledger
// written as chat writes it: awards in October and November, one above
// the approval threshold approved by an admin, a revoke and a redemption.
func ledgerEnv(t *testing.T) (*testEnv, ledgerEntries) {
	t.Helper()
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if err := e.st.PutMembers(ctx, []jifen.Member{
		{ID: "sales", Name: "陈静", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "dev2", Name: "孙丽", Department: "研发部", Role: jifen.RoleEmployee},
	}); err != nil {
		t.Fatal(err)
	}
	say := func(who, text string) []uint64 {
		t.Helper()
		m, _ := e.st.Member(who)
		resp := e.bot.Handle(ctx, bot.Request{Caller: m, Text: text, Source: "slack"})
		if resp.Reply.Kind == "error" || resp.Failed {
			t.Fatalf("%s: %s: %v", who, text, resp.Reply.Text)
		}
		return resp.Entries
	}
	one := func(who, text string) uint64 {
		t.Helper()
		ids := say(who, text)
		if len(ids) != 1 {
			t.Fatalf("%s: %s: entries %v", who, text, ids)
		}
		return ids[0]
	}
	var l ledgerEntries
	e.now = time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC)
	l.quoted = one("hr", "/award @张伟 10 签单 \"大单, 续约\" 第二行")
	l.formula = one("hr", "/award @陈静 20 =SUM(1,2) #签单")
	l.gone = one("hr", "/award @钱进 10 签单")
	e.now = time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC)
	l.review = one("hr", "/award @孙丽 客户好评")
	if ids := say("mgr", "/award @陈静 60 签大单 华为"); len(ids) != 0 {
		t.Fatalf("an award above the threshold took effect at once: %v", ids)
	}
	l.approved = one("hr", "/approve 1")
	say("hr", fmt.Sprintf("/revoke %d 录错了", l.formula))
	_, l.revoke, _ = e.st.Entry(l.formula)
	l.redeem = one("sales", "/redeem 咖啡券")
	e.now = testNow
	return e, l
}

// ledgerIDs are the entry ids of a ledger page's rows, in order.
var ledgerRowID = regexp.MustCompile(`<tr><td><a href="/admin/ledger/(\d+)">`)

func ledgerIDs(t *testing.T, w *httptest.ResponseRecorder) []uint64 {
	t.Helper()
	var out []uint64
	for _, m := range ledgerRowID.FindAllStringSubmatch(w.Body.String(), -1) {
		n, _ := strconv.ParseUint(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

// newestFirst sorts ids as the ledger lists them.
func newestFirst(ids ...uint64) []uint64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

func ledgerURL(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return path + "?" + q.Encode()
}

// Each filter narrows the ledger to exactly the entries it names, alone
// and together; a member is found by id or name, as receiver or giver; a
// period holds the entries that count in it (a revoke counts where the
// entry it reverses does).
func TestLedgerFiltersNarrow(t *testing.T) {
	e, l := ledgerEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	cases := []struct {
		name  string
		query []string
		want  []uint64
	}{
		{"everything", nil, l.all()},
		{"a receiver by id", []string{"member", "emp"}, []uint64{l.quoted}},
		{"a receiver by name", []string{"member", "孙丽"}, []uint64{l.review}},
		{"a giver by name", []string{"member", "李雷"}, []uint64{l.approved}},
		{"giver or receiver", []string{"member", "sales"}, []uint64{l.formula, l.approved, l.revoke, l.redeem}},
		{"a department", []string{"department", "销售部"}, []uint64{l.formula, l.approved, l.revoke, l.redeem}},
		{"another department", []string{"department", "研发部"}, []uint64{l.quoted, l.gone, l.review}},
		{"a behavior by id", []string{"behavior", "deal"}, []uint64{l.quoted, l.formula, l.gone, l.revoke}},
		{"a behavior by name", []string{"behavior", "签大单"}, []uint64{l.approved}},
		{"a reward", []string{"behavior", "reward:coffee"}, []uint64{l.redeem}},
		{"a month", []string{"period", "2026-10"}, []uint64{l.quoted, l.formula, l.gone, l.revoke}},
		{"another month", []string{"period", "2026-11"}, []uint64{l.review, l.approved, l.redeem}},
		{"a quarter", []string{"period", "2026-Q4"}, l.all()},
		{"a year before", []string{"period", "2025"}, nil},
		{"a kind", []string{"kind", "revoke"}, []uint64{l.revoke}},
		{"together", []string{"department", "销售部", "period", "2026-10", "behavior", "deal"}, []uint64{l.formula, l.revoke}},
		{"together, nothing", []string{"member", "emp", "period", "2026-11"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := b.get(ledgerURL("/admin/ledger", c.query...))
			if w.Code != http.StatusOK {
				t.Fatalf("%d\n%s", w.Code, w.Body)
			}
			if got, want := ledgerIDs(t, w), newestFirst(c.want...); !slices.Equal(got, want) {
				t.Errorf("rows %v, want %v", got, want)
			}
			mustContain(t, w, fmt.Sprintf("%d ", len(c.want)))
		})
	}
}

// The results say what became of each entry, and an entry's page tells
// its history: the approval it was made on, the revoke that reversed it,
// the redemption it belongs to.
func TestLedgerHistory(t *testing.T) {
	e, l := ledgerEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/ledger")
	mustContain(t, w,
		fmt.Sprintf(`<a href="/admin/ledger/%d">revoked by #%d</a>`, l.revoke, l.revoke),
		fmt.Sprintf(`<a href="/admin/ledger/%d">reverses #%d</a>`, l.formula, l.formula),
		"approved by 王芳 via approval #1",
		"redemption R1 (to hand out)",
		"钱进 (gone), left 2026-10-31",
		"<td>签大单</td>", "reward: 咖啡券",
		// The revoke counts in October; it was recorded in November.
		"2026-10-15 10:00<br><small class=\"note\">recorded 2026-11-05 10:00</small>")

	w = b.get(fmt.Sprintf("/admin/ledger/%d", l.approved))
	if w.Code != http.StatusOK {
		t.Fatalf("entry: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, fmt.Sprintf("Entry #%d", l.approved), "陈静 (sales)", "李雷 (mgr)", "<td>60</td>", "华为",
		"Requested by 李雷 (mgr) on 2026-11-05 10:00 (approval #1).", "Approved by 王芳 (hr) on 2026-11-05 10:00.")

	w = b.get(fmt.Sprintf("/admin/ledger/%d", l.formula))
	mustContain(t, w, "Revoked by 王芳 (hr) on 2026-11-05 10:00: entry", fmt.Sprintf(`<a href="/admin/ledger/%d">#%d</a>`, l.revoke, l.revoke), "“录错了”")
	w = b.get(fmt.Sprintf("/admin/ledger/%d", l.revoke))
	mustContain(t, w, "Reverses entry", fmt.Sprintf(`<a href="/admin/ledger/%d">#%d</a>`, l.formula, l.formula))
	w = b.get(fmt.Sprintf("/admin/ledger/%d", l.redeem))
	mustContain(t, w, "Redemption R1: 咖啡券 ×1 for 30 points, requested on 2026-11-05 10:00, to hand out")
	w = b.get(fmt.Sprintf("/admin/ledger/%d", l.review))
	mustContain(t, w, "Nothing has happened to this entry since it was recorded.")
}

// A manager sees the entries of their department's members only: in the
// list, on an entry's page and in an export, whatever they ask for.
func TestLedgerManagerSeesOnlyTheirDepartment(t *testing.T) {
	e, l := ledgerEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "mgr") // 销售部
	sales := []uint64{l.formula, l.approved, l.revoke, l.redeem}
	w := b.get("/admin/ledger")
	if got, want := ledgerIDs(t, w), newestFirst(sales...); !slices.Equal(got, want) {
		t.Errorf("manager's rows %v, want %v", got, want)
	}
	mustLack(t, w.Body.String(), "张伟", "孙丽", "钱进", "续约", `<option value="研发部"`)

	// Filters naming another department or one of its members.
	for _, q := range [][]string{{"department", "研发部"}, {"department", "人力部"}, {"member", "emp"}, {"member", "张伟"},
		{"member", "emp", "department", "销售部"}, {"member", "hr"}} {
		for _, path := range []string{"/admin/ledger", "/admin/ledger/export"} {
			target := ledgerURL(path, append(q, "format", "csv")...)
			w := b.get(target)
			if w.Code != http.StatusForbidden {
				t.Errorf("%s: %d", target, w.Code)
			}
			mustLack(t, w.Body.String(), "张伟 (emp)", "续约", "孙丽 (dev2)", "id,time")
			if len(ledgerIDs(t, w)) != 0 {
				t.Errorf("%s shows rows", target)
			}
		}
	}
	// Filters within the department narrow it still.
	if got := ledgerIDs(t, b.get(ledgerURL("/admin/ledger", "member", "李雷"))); !slices.Equal(got, []uint64{l.approved}) {
		t.Errorf("the department's entries given by the manager: %v", got)
	}
	// 王芳 of 人力部 gave entries in 销售部: as a giver she is no filter
	// to see them by.
	for _, id := range []uint64{l.quoted, l.gone, l.review} {
		if w := b.get(fmt.Sprintf("/admin/ledger/%d", id)); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "签单") {
			t.Errorf("entry %d of 研发部: %d\n%s", id, w.Code, w.Body)
		}
	}
	if w := b.get(fmt.Sprintf("/admin/ledger/%d", l.approved)); w.Code != http.StatusOK {
		t.Errorf("entry of 销售部: %d", w.Code)
	}
	// The export holds the department's rows only.
	w = b.get("/admin/ledger/export?format=csv")
	if w.Code != http.StatusOK {
		t.Fatalf("export: %d\n%s", w.Code, w.Body)
	}
	if got, want := csvIDs(t, w.Body.Bytes()), sales; !slices.Equal(got, want) {
		t.Errorf("manager's export %v, want %v", got, want)
	}
	// The refused exports are in the audit trail, the one done too.
	refused, done := 0, 0
	for _, r := range e.st.AuditLog(store.AuditFilter{Action: "ledger"}) {
		if r.Actor != "mgr" {
			t.Errorf("record %+v", r)
		}
		switch r.Outcome {
		case "refused":
			refused++
		case "ok":
			done++
			if r.Object != "csv all (4 rows)" {
				t.Errorf("export recorded as %q", r.Object)
			}
		}
	}
	if refused != 6 || done != 1 {
		t.Errorf("%d refused and %d done exports recorded", refused, done)
	}

	// The manager of 研发部 sees 研发部's, the member who left too.
	b = e.browser(t)
	b.signIn(e.s, "mail")
	if got, want := ledgerIDs(t, b.get("/admin/ledger")), newestFirst(l.quoted, l.gone, l.review); !slices.Equal(got, want) {
		t.Errorf("研发部's manager's rows %v, want %v", got, want)
	}
}

// A manager whose chat visibility is their own score sees their own
// entries only.
func TestLedgerManagerFollowsScoreVisibility(t *testing.T) {
	e, l := ledgerEnv(t)
	e.cfg.Privacy.ScoreVisibility = jifen.ScoreVisibility{jifen.RoleManager: jifen.VisibleSelf}
	b := e.browser(t)
	b.signIn(e.s, "mgr")
	if got := ledgerIDs(t, b.get("/admin/ledger?department=销售部")); len(got) != 0 {
		t.Errorf("rows %v", got)
	}
	if w := b.get(ledgerURL("/admin/ledger", "member", "sales")); w.Code != http.StatusForbidden {
		t.Errorf("a colleague: %d", w.Code)
	}
	if w := b.get(fmt.Sprintf("/admin/ledger/%d", l.approved)); w.Code != http.StatusForbidden {
		t.Errorf("a colleague's entry: %d", w.Code)
	}
}

// csvIDs reads an export: the byte-order mark, the header, and the ids of
// its rows.
func csvIDs(t *testing.T, body []byte) []uint64 {
	t.Helper()
	rest, ok := bytes.CutPrefix(body, []byte("\ufeff"))
	if !ok {
		t.Fatalf("no byte-order mark: %q", body[:min(len(body), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || recs[0][0] != "id" || recs[0][13] != "reason" {
		t.Fatalf("header %v", recs)
	}
	var out []uint64
	for _, r := range recs[1:] {
		n, err := strconv.ParseUint(r[0], 10, 64)
		if err != nil {
			t.Fatalf("row %v", r)
		}
		out = append(out, n)
	}
	return out
}

// The CSV export holds every row the filter selects (not a page), oldest
// first, with a byte-order mark; reasons with commas, quotes and line
// breaks come back whole, and one a spreadsheet would run as a formula
// starts with an apostrophe. The export is recorded, without any text.
func TestLedgerExportCSV(t *testing.T) {
	e, l := ledgerEnv(t)
	// Chat keeps a reason on one line; an import may hold line breaks.
	var imported uint64
	if _, _, err := e.st.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		var err error
		imported, err = tx.Append(&jifen.Entry{Kind: jifen.KindImport, Receiver: "dev2", Points: 5, Reason: "第一行, \"引号\"\n第二行",
			Effective: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/ledger/export?format=csv&period=2026-10")
	if w.Code != http.StatusOK {
		t.Fatalf("export: %d\n%s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename=jifen-ledger-2026-10.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}
	body := w.Body.Bytes()
	if got, want := csvIDs(t, body), []uint64{l.quoted, l.formula, l.gone, l.revoke, imported}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if !bytes.Contains(body, []byte("\"第一行, \"\"引号\"\"\n第二行\"")) {
		t.Errorf("the quoted reason is not quoted as CSV quotes it:\n%s", body)
	}
	recs, _ := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	byID := map[string][]string{}
	for _, r := range recs[1:] {
		byID[r[0]] = r
	}
	quoted, formula := byID[fmt.Sprint(l.quoted)], byID[fmt.Sprint(l.formula)]
	if quoted[13] != "签单 \"大单, 续约\" 第二行" || quoted[5] != "张伟" || quoted[6] != "研发部" || quoted[7] != "10" || quoted[10] != "签单" {
		t.Errorf("quoted row %q", quoted)
	}
	if r := byID[fmt.Sprint(imported)]; r[13] != "第一行, \"引号\"\n第二行" || r[11] != "" || r[12] != "" {
		t.Errorf("imported row %q", r)
	}
	if formula[13] != "'=SUM(1,2) #签单" || formula[18] != fmt.Sprint(l.revoke) {
		t.Errorf("formula row %q", formula)
	}
	// Negative points are numbers, not text kept from a formula.
	if r := byID[fmt.Sprint(l.revoke)]; r[7] != "-20" || r[15] != fmt.Sprint(l.formula) {
		t.Errorf("revoke row %q", r)
	}
	// The approval and the redemption.
	w = b.get("/admin/ledger/export?format=csv&period=2026-11")
	recs, _ = csv.NewReader(bytes.NewReader(w.Body.Bytes()[3:])).ReadAll()
	for _, r := range recs[1:] {
		switch r[0] {
		case fmt.Sprint(l.approved):
			if r[16] != "1" || r[19] != "hr" || r[11] != "mgr" {
				t.Errorf("approved row %q", r)
			}
		case fmt.Sprint(l.redeem):
			if r[20] != "R1" || r[8] != "1" {
				t.Errorf("redeem row %q", r)
			}
		}
	}
	recs2 := e.st.AuditLog(store.AuditFilter{Action: "ledger.export"})
	if len(recs2) != 2 || recs2[1].Object != "csv period=2026-10 (5 rows)" || recs2[1].Actor != "hr" || recs2[1].Outcome != "ok" {
		t.Errorf("audit records %+v", recs2)
	}

	// The whole filtered set, not a page: 150 more entries.
	addEntries(t, e, 150)
	w = b.get("/admin/ledger/export?format=csv&department=" + url.QueryEscape("研发部"))
	if n := len(csvIDs(t, w.Body.Bytes())); n != 154 {
		t.Errorf("%d rows exported, want 154", n)
	}
	// And a name typed into the filter does not reach the trail.
	b.get("/admin/ledger/export?format=csv&member=" + url.QueryEscape("张伟"))
	if r := e.st.AuditLog(store.AuditFilter{Action: "ledger.export", Limit: 1})[0]; r.Object != "csv member=emp (151 rows)" {
		t.Errorf("recorded %q", r.Object)
	}
}

// The XLSX export holds the same rows; a reason that reads as a formula
// is a string cell, never a formula.
func TestLedgerExportXLSX(t *testing.T) {
	e, l := ledgerEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/ledger/export?format=xlsx&department=" + url.QueryEscape("销售部"))
	if w.Code != http.StatusOK {
		t.Fatalf("export: %d\n%s", w.Code, w.Body)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=jifen-ledger-2026") || !strings.HasSuffix(cd, ".xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Ledger")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][0] != "id" || rows[0][13] != "reason" {
		t.Fatalf("rows %q", rows)
	}
	var ids []uint64
	for _, r := range rows[1:] {
		n, _ := strconv.ParseUint(r[0], 10, 64)
		ids = append(ids, n)
	}
	if want := []uint64{l.formula, l.approved, l.revoke, l.redeem}; !slices.Equal(ids, want) {
		t.Errorf("rows %v, want %v", ids, want)
	}
	if v, _ := f.GetCellValue("Ledger", "N2"); v != "=SUM(1,2) #签单" {
		t.Errorf("reason cell %q", v)
	}
	if fm, _ := f.GetCellFormula("Ledger", "N2"); fm != "" {
		t.Errorf("the reason became a formula: %q", fm)
	}
	if typ, _ := f.GetCellType("Ledger", "H2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("points are text")
	}
}

// addEntries appends n awards of 1 point to 张伟 through the store, each
// a second apart, and returns their ids.
func addEntries(t *testing.T, e *testEnv, n int) []uint64 {
	t.Helper()
	var ids []uint64
	_, _, err := e.st.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		for i := range n {
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "hr", Receiver: "emp", Points: 1, Category: "sales", Behavior: "deal",
				At: testNow.Add(time.Duration(i) * time.Second)})
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// nextLink is a page's link to the older entries, or "".
var olderLink = regexp.MustCompile(`<a href="([^"]+)">Older →</a>`)

// The pages follow one another by entry id, newest first, without a gap
// or a repeat, and an entry recorded meanwhile does not move them.
func TestLedgerPagingIsStable(t *testing.T) {
	e, l := ledgerEnv(t)
	extra := addEntries(t, e, 230)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	want := newestFirst(append(extra, l.quoted)...)
	var got []uint64
	target := ledgerURL("/admin/ledger", "member", "emp")
	pages := 0
	for target != "" {
		w := b.get(target)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", target, w.Code)
		}
		ids := ledgerIDs(t, w)
		if len(ids) > ledgerPageSize {
			t.Fatalf("a page of %d", len(ids))
		}
		got = append(got, ids...)
		pages++
		target = ""
		if m := olderLink.FindStringSubmatch(w.Body.String()); m != nil {
			target = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(target, "member=emp") {
				t.Errorf("the next page loses the filter: %s", target)
			}
		}
		if pages == 1 {
			// Recorded between two pages: it is on the first page,
			// which was read already, and moves nothing on the next.
			addEntries(t, e, 1)
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("%d pages: %v\nwant %v", pages, got, want)
	}
}

// Bad filters get a message saying what is wrong, 400, and write nothing.
func TestLedgerBadInput(t *testing.T) {
	e, _ := ledgerEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	for _, c := range []struct{ target, want string }{
		{ledgerURL("/admin/ledger", "member", "nobody"), "There is no member “nobody”."},
		{ledgerURL("/admin/ledger", "member", strings.Repeat("长", 500)), "There is no member “" + strings.Repeat("长", 40) + "…”."},
		{ledgerURL("/admin/ledger", "department", "无此部门"), "There is no department “无此部门”."},
		{ledgerURL("/admin/ledger", "behavior", "跳舞"), "The rule catalog has no behavior or reward “跳舞”."},
		{ledgerURL("/admin/ledger", "period", "2026-13"), "“2026-13” is not a period"},
		{ledgerURL("/admin/ledger", "period", "last month"), "“last month” is not a period"},
		{ledgerURL("/admin/ledger", "kind", "gift"), "“gift” is not a kind of entry."},
		{ledgerURL("/admin/ledger", "before", "x"), "“x” is not a page of the ledger."},
		{ledgerURL("/admin/ledger/export", "format", "pdf"), "“pdf” is not an export format: csv or xlsx."},
		{ledgerURL("/admin/ledger/export", "format", "csv", "period", "2026-00"), "“2026-00” is not a period"},
		{"/admin/ledger/abc", "“abc” is not an entry number."},
		{"/admin/ledger/0", "“0” is not an entry number."},
	} {
		w := b.get(c.target)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", c.target, w.Code)
		}
		mustContain(t, w, c.want)
	}
	if w := b.get("/admin/ledger/99999"); w.Code != http.StatusNotFound {
		t.Errorf("an entry there is not: %d", w.Code)
	} else {
		mustContain(t, w, "There is no entry #99999.")
	}
	// A name two members share asks for the id.
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "emp2", Name: "张伟", Department: "销售部", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	w := b.get(ledgerURL("/admin/ledger", "member", "张伟"))
	if w.Code != http.StatusBadRequest {
		t.Errorf("an ambiguous name: %d", w.Code)
	}
	mustContain(t, w, "More than one member is called “张伟”")
	if recs := e.st.AuditLog(store.AuditFilter{}); len(recs) != 0 {
		t.Errorf("bad input recorded: %+v", recs)
	}
}

// Signed out, a ledger page sends to the sign-in; an employee is refused
// it, even where employees have a page of their own.
func TestLedgerRoles(t *testing.T) {
	e, l := ledgerEnv(t)
	paths := []string{"/admin/ledger", fmt.Sprintf("/admin/ledger/%d", l.quoted), "/admin/ledger/export?format=csv"}
	for _, p := range paths {
		w := e.browser(t).get(p)
		if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), "/admin/login?next=") {
			t.Errorf("signed out %s: %d %s", p, w.Code, w.Header().Get("Location"))
		}
	}
	for _, employees := range []string{config.EmployeesRefuse, config.EmployeesPage} {
		e.cfg.Admin.Employees = employees
		b := e.browser(t)
		b.signIn(e.s, "emp")
		for _, p := range paths {
			w := b.get(p)
			if w.Code != http.StatusForbidden {
				t.Errorf("employee (%s) %s: %d", employees, p, w.Code)
			}
			mustLack(t, w.Body.String(), "续约", "id,time")
		}
	}
	// The ledger is in an admin's and a manager's header.
	for _, who := range []string{"hr", "mgr"} {
		b := e.browser(t)
		b.signIn(e.s, who)
		mustContain(t, b.get("/admin/"), `href="/admin/ledger"`)
	}
}

// The ledger speaks the console's language.
func TestLedgerInChinese(t *testing.T) {
	e, _ := ledgerEnv(t)
	s, err := New(context.Background(), Options{Store: e.st, Config: e.cfg, Language: locale.ZH, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	b := e.browser(t)
	b.signIn(s, "hr")
	mustContain(t, b.get("/admin/ledger"), "积分流水", "共 7 条记录符合条件。", "已被 #", "由王芳审批通过（审批单 #1）")
	mustContain(t, b.get("/admin/ledger?period=2026-13"), "“2026-13”不是周期")
	w := b.get("/admin/ledger/export?format=xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("积分明细", "N1"); v != "理由" {
		t.Errorf("header %q", v)
	}
}

// BenchmarkLedgerDemo opens the ledger on the demo company's store
// (JIFEN_DEMO_STORE, made by `jifen demo --config config.example.yaml`),
// as its HR admin and as a manager: the first page of everything, a
// department's month, a member's year, a behavior's quarter, an entry,
// and an export of a month.
func BenchmarkLedgerDemo(b *testing.B) {
	d := openDemo(b, true) // exports are recorded in the audit trail
	st := d.st
	admin, manager := d.member(b, jifen.RoleAdmin), d.member(b, jifen.RoleManager)
	loc := st.Location()
	now := st.Now()
	month := jifen.PeriodOf(jifen.Month, now, loc).Previous(loc).Key
	year := jifen.PeriodOf(jifen.Year, now, loc).Key
	quarter := jifen.PeriodOf(jifen.Quarter, now, loc).Key
	var someone string
	for _, x := range st.Members() {
		if x.Department == manager.Department && x.ID != manager.ID {
			someone = x.ID
			break
		}
	}
	entry := st.EntryCount() / 2
	for _, c := range []struct {
		name string
		who  jifen.Member
		path string
	}{
		{"admin/all", admin, "/admin/ledger"},
		{"admin/department-month", admin, ledgerURL("/admin/ledger", "department", manager.Department, "period", month)},
		{"admin/member-year", admin, ledgerURL("/admin/ledger", "member", someone, "period", year)},
		{"admin/behavior-quarter", admin, ledgerURL("/admin/ledger", "behavior", "good_review", "period", quarter)},
		{"admin/entry", admin, fmt.Sprintf("/admin/ledger/%d", entry)},
		{"admin/export-month-csv", admin, ledgerURL("/admin/ledger/export", "period", month, "format", "csv")},
		{"admin/export-year-xlsx", admin, ledgerURL("/admin/ledger/export", "period", year, "format", "xlsx")},
		{"manager/all", manager, "/admin/ledger"},
		{"manager/month", manager, ledgerURL("/admin/ledger", "period", month)},
	} {
		b.Run(c.name, func(b *testing.B) {
			br := d.browser(b, c.who)
			for b.Loop() {
				if w := br.get(c.path); w.Code != http.StatusOK && !(c.name == "admin/entry" && w.Code == http.StatusNotFound) {
					b.Fatalf("%s: %d %s", c.path, w.Code, w.Body)
				}
			}
		})
	}
}

// A forgotten member shows under their pseudonym, with the reasons of
// their entries cleared, and their old name finds no one; a member who
// left shows with their last day.
func TestLedgerForgottenMember(t *testing.T) {
	e, l := ledgerEnv(t)
	if err := e.st.ForgetMember(context.Background(), "emp", "已删除成员-1a2b3c"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get(fmt.Sprintf("/admin/ledger/%d", l.quoted))
	mustContain(t, w, "已删除成员-1a2b3c (emp), left 2026-11-10")
	mustLack(t, w.Body.String(), "张伟", "续约")
	if w := b.get(ledgerURL("/admin/ledger", "member", "张伟")); w.Code != http.StatusBadRequest {
		t.Errorf("the old name: %d", w.Code)
	}
	if got := ledgerIDs(t, b.get(ledgerURL("/admin/ledger", "member", "已删除成员-1a2b3c"))); !slices.Equal(got, []uint64{l.quoted}) {
		t.Errorf("by pseudonym: %v", got)
	}
	w = b.get("/admin/ledger/export?format=csv&member=emp")
	if bytes.Contains(w.Body.Bytes(), []byte("张伟")) || bytes.Contains(w.Body.Bytes(), []byte("续约")) {
		t.Errorf("the export names the forgotten member:\n%s", w.Body)
	}
}
