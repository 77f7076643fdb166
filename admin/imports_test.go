package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/importer"
	"jifen/locale"
	"jifen/store"
)

// impXLSX is a workbook whose first sheet holds rows.
func impXLSX(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// impCSV is rows as CSV text.
func impCSV(rows [][]any) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	for _, r := range rows {
		var rec []string
		for _, c := range r {
			rec = append(rec, fmt.Sprint(c))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return b.Bytes()
}

func impPreview(b *browser, kind, name string, data []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.upload("/admin/imports/preview", url.Values{"kind": {kind}}, name, data)
}

var impHidden = regexp.MustCompile(`name="(ticket|data)" value="([^"]*)"`)

// impConfirmForm is the preview's confirm form, as the browser sends it.
func impConfirmForm(t *testing.T, w *httptest.ResponseRecorder) url.Values {
	t.Helper()
	form := url.Values{}
	for _, m := range impHidden.FindAllStringSubmatch(w.Body.String(), -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("ticket") == "" || form.Get("data") == "" || !strings.Contains(w.Body.String(), `id="confirm"`) {
		t.Fatalf("the preview has no confirm form (%d):\n%s", w.Code, w.Body)
	}
	return form
}

// impAudit is the import records of the audit trail.
func impAudit(e *testEnv) []store.AuditRecord {
	return e.st.AuditLog(store.AuditFilter{Action: "import"})
}

var impRatingsGood = [][]any{
	{"member", "period", "grade"},
	{"hr", "2026-10", "A"},
	{"张伟", "2026-10", "B"},
	{"mgr", "2026-10", "C"},
}

// The browser's path: a ratings workbook with one bad row shows that row
// and its reason and writes nothing; the corrected file previews clean,
// still writes nothing; confirming writes every row with one audit
// record; confirming again applies nothing twice.
func TestImportRatingsXLSX(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	if w := b.get("/admin/imports"); w.Code != http.StatusOK {
		t.Fatalf("GET /admin/imports: %d", w.Code)
	} else {
		mustContain(t, w, `<input type="file" name="file"`, `<select name="kind"`, `id="preview"`, `enctype="multipart/form-data"`)
	}

	bad := [][]any{{"member", "period", "grade"}, {"hr", "2026-10", "A"}, {"张伟", "2026-10", "E"}, {"mgr", "2026-10", "C"}}
	w := impPreview(b, "ratings", "ratings.xlsx", impXLSX(t, bad))
	if w.Code != http.StatusBadRequest {
		t.Errorf("a file with a bad row: %d, want 400", w.Code)
	}
	mustContain(t, w, `<table class="bad">`, `<td class="n">3</td><td class="text">grade &#34;E&#34;: want A, B, C or D</td>`,
		"ratings.xlsx cannot be imported: nothing was written.", "1 bad row: fix every one")
	if strings.Contains(w.Body.String(), `id="confirm"`) || strings.Contains(w.Body.String(), `name="ticket"`) {
		t.Errorf("a file with a bad row can be confirmed:\n%s", w.Body)
	}
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 {
		t.Fatalf("the preview wrote %+v", rs)
	}

	w = impPreview(b, "ratings", "ratings.xlsx", impXLSX(t, impRatingsGood))
	if w.Code != http.StatusOK {
		t.Fatalf("the corrected file: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, "ratings.xlsx: 3 ratings to import.", "王芳 (hr)", "张伟 (emp)", "Import 3 ratings", "Confirm by 11:00; after that, upload the file again.")
	if strings.Contains(w.Body.String(), `class="bad"`) {
		t.Errorf("the corrected file shows bad rows:\n%s", w.Body)
	}
	form := impConfirmForm(t, w)
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
		t.Fatalf("the preview wrote %+v", rs)
	}

	w = b.post("/admin/imports/confirm", form)
	if w.Code != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, `<p id="result"><strong>Imported 3 ratings from ratings.xlsx.</strong></p>`)
	got := map[string]string{}
	for _, r := range e.st.Ratings("2026-10") {
		got[r.Member] = r.Grade
	}
	if want := map[string]string{"hr": "A", "emp": "B", "mgr": "C"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ratings written: %v, want %v", got, want)
	}
	recs := impAudit(e)
	if len(recs) != 1 || recs[0].Action != "import.ratings" || recs[0].Actor != "hr" || recs[0].Outcome != "ok" ||
		!strings.HasPrefix(recs[0].Object, "ratings.xlsx, 3 rows") {
		t.Fatalf("audit records: %+v", recs)
	}

	// A double click, or the page sent again.
	w = b.post("/admin/imports/confirm", form)
	if w.Code != http.StatusOK {
		t.Fatalf("second confirm: %d", w.Code)
	}
	mustContain(t, w, "This import was already applied: 3 ratings from ratings.xlsx. Nothing was written again.")
	if n := len(impAudit(e)); n != 1 {
		t.Errorf("after a second confirm: %d audit records, want 1", n)
	}
	if w := b.get("/admin/audit"); !strings.Contains(w.Body.String(), "imported ratings") {
		t.Errorf("the audit page does not show the import:\n%s", w.Body)
	}
}

// Two confirmations of one preview at once (a double click) apply it once.
func TestImportConfirmRace(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	points := [][]any{{"time", "receiver", "points", "reason"}, {"2026-11-02", "emp", 5, "migrated"}}
	form := impConfirmForm(t, impPreview(b, "points", "points.csv", impCSV(points)))
	var wg sync.WaitGroup
	bodies := make([]string, 4)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &browser{t: t, h: b.h, cookies: b.cookies}
			r := httptest.NewRequest("POST", "/admin/imports/confirm", strings.NewReader(form.Encode()))
			r.Host = "jifen.example.com"
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", "https://jifen.example.com")
			r.AddCookie(c.cookies[sessionCookie])
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, r)
			bodies[i] = rec.Body.String()
		}()
	}
	wg.Wait()
	var done int
	for _, body := range bodies {
		if strings.Contains(body, "Imported 1 points from points.csv.") {
			done++
		} else if !strings.Contains(body, "already applied") {
			t.Errorf("a confirmation says:\n%s", body)
		}
	}
	if done != 1 || e.st.Balance("emp") != 5 || len(impAudit(e)) != 1 {
		t.Errorf("%d confirmations applied; balance %d; %d audit records", done, e.st.Balance("emp"), len(impAudit(e)))
	}
}

// A confirmation whose ticket was altered, is another admin's, names
// another file or has expired is refused, and writes nothing.
func TestImportTicketRefused(t *testing.T) {
	e := newTestEnv(t, nil)
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "hr2", Name: "孙丽", Department: "人力部", Role: jifen.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.signIn(e.s, "hr")
	form := impConfirmForm(t, impPreview(b, "ratings", "ratings.csv", impCSV(impRatingsGood)))
	other := impConfirmForm(t, impPreview(b, "ratings", "other.csv", impCSV(impRatingsGood[:2])))
	with := func(k, v string) url.Values {
		f := url.Values{"ticket": {form.Get("ticket")}, "data": {form.Get("data")}}
		f.Set(k, v)
		return f
	}
	// A ticket signed for kpis, as a forger would make it, without the key.
	enc, sig, _ := strings.Cut(form.Get("ticket"), ".")
	raw, _ := decodeB64(enc)
	var tk importTicket
	json.Unmarshal(raw, &tk)
	tk.Kind = "kpis"
	forged, _ := json.Marshal(tk)
	for name, f := range map[string]url.Values{
		"altered signature": with("ticket", enc+"."+strings.Repeat("A", len(sig))),
		"forged kind":       with("ticket", b64(forged)+"."+sig),
		"another file":      with("data", other.Get("data")),
		"no ticket":         with("ticket", ""),
		"garbage data":      with("data", "!!"),
	} {
		w := b.post("/admin/imports/confirm", f)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "This confirmation is not valid") {
			t.Errorf("%s: %d\n%s", name, w.Code, w.Body)
		}
	}
	hr2 := e.browser(t)
	hr2.signIn(e.s, "hr2")
	if w := hr2.post("/admin/imports/confirm", form); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "This confirmation is not valid") {
		t.Errorf("another admin's ticket: %d\n%s", w.Code, w.Body)
	}
	e.now = e.now.Add(importTTL)
	b.signIn(e.s, "hr")
	if w := b.post("/admin/imports/confirm", form); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "This preview has expired") {
		t.Errorf("an expired ticket: %d\n%s", w.Code, w.Body)
	}
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
		t.Errorf("a refused confirmation wrote %+v, %+v", rs, impAudit(e))
	}
}

// Admins only: a manager and an employee are refused, signed out a GET
// goes to sign in and a POST is refused; a form posted from another site
// never reaches the page.
func TestImportRoles(t *testing.T) {
	e := newTestEnv(t, nil)
	hr := e.browser(t)
	hr.signIn(e.s, "hr")
	form := impConfirmForm(t, impPreview(hr, "ratings", "ratings.csv", impCSV(impRatingsGood)))
	for _, who := range []string{"", "emp", "mgr"} {
		b := e.browser(t)
		if who != "" {
			b.signIn(e.s, who)
		}
		get, post := http.StatusForbidden, http.StatusForbidden
		if who == "" {
			get = http.StatusFound
		}
		if w := b.get("/admin/imports"); w.Code != get {
			t.Errorf("GET as %q: %d, want %d", who, w.Code, get)
		} else if who == "" && !strings.HasPrefix(w.Header().Get("Location"), "/admin/login?next=") {
			t.Errorf("signed out, sent to %q", w.Header().Get("Location"))
		}
		if w := impPreview(b, "ratings", "ratings.csv", impCSV(impRatingsGood)); w.Code != post {
			t.Errorf("preview as %q: %d, want %d", who, w.Code, post)
		}
		if w := b.post("/admin/imports/confirm", form); w.Code != post {
			t.Errorf("confirm as %q: %d, want %d", who, w.Code, post)
		}
	}
	for name, h := range map[string]http.Header{
		"foreign Origin":            {"Origin": {"https://evil.example"}},
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
	} {
		for _, path := range []string{"/admin/imports/preview", "/admin/imports/confirm"} {
			r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
			r.Host = "jifen.example.com"
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				r.Header[k] = v
			}
			r.AddCookie(hr.cookies[sessionCookie])
			w := httptest.NewRecorder()
			e.s.Handler().ServeHTTP(w, r)
			if w.Code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", name, path, w.Code)
			}
		}
	}
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
		t.Errorf("a refused request wrote %+v", rs)
	}
	// The admin's own confirmation still goes through.
	if w := hr.post("/admin/imports/confirm", form); w.Code != http.StatusOK || len(e.st.Ratings("2026-10")) != 3 {
		t.Errorf("the admin's confirmation: %d\n%s", w.Code, w.Body)
	}
}

// A file over the limit, no file, an unknown kind and an unreadable file
// each get a clear message and write nothing.
func TestImportBadUploads(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	big := append([]byte("member,period,grade\n"), bytes.Repeat([]byte("hr,2026-10,A\n"), maxImportBytes/13+1)...)
	w := impPreview(b, "ratings", "ratings.csv", big)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized file: %d, want 413", w.Code)
	}
	mustContain(t, w, "The file is larger than 10 MB: split it, or import it with jifen import on the server. Nothing was written.")
	for name, tc := range map[string]struct {
		kind, file string
		data       []byte
		want       string
	}{
		"no file":        {"ratings", "", nil, "Choose a .csv or .xlsx file to upload."},
		"unknown kind":   {"salaries", "ratings.csv", impCSV(impRatingsGood), "Choose what the file holds"},
		"a .txt":         {"ratings", "ratings.txt", impCSV(impRatingsGood), "ratings.txt: want a .csv or .xlsx file"},
		"not a workbook": {"ratings", "ratings.xlsx", []byte("hello"), "not a readable .xlsx file"},
		"missing column": {"ratings", "ratings.csv", []byte("member,grade\nhr,A\n"), "missing column(s): period"},
	} {
		w := impPreview(b, tc.kind, tc.file, tc.data)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.want) || strings.Contains(w.Body.String(), `id="confirm"`) {
			t.Errorf("%s: %d, want 400 and %q\n%s", name, w.Code, tc.want, w.Body)
		}
	}
	if w := b.post("/admin/imports/preview", url.Values{"kind": {"ratings"}}); w.Code != http.StatusBadRequest {
		t.Errorf("a form without a file: %d", w.Code)
	}
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
		t.Errorf("a bad upload wrote %+v", rs)
	}
}

// Every kind, as CSV and as XLSX: a bad row is named with the CLI's
// reason; the good file is written as `jifen import` writes it, with one
// audit record.
func TestImportEveryKind(t *testing.T) {
	for _, tc := range []struct {
		kind      string
		good, bad [][]any
		reason    string
		check     func(t *testing.T, e *testEnv)
	}{
		{"members",
			[][]any{{"id", "name", "department", "role", "joined", "email"}, {"zhou", "周杰", "销售部", "", "2024-03-01", "zhou@example.com"}, {"emp", "张伟", "研发部", "manager", "", ""}},
			[][]any{{"id", "name", "department", "role", "joined", "email"}, {"zhou", "周杰", "销售部", "", "2024-03-01", "zhou@example.com"}, {"emp", "张伟", "研发部", "boss", "", ""}},
			`<td class="n">3</td><td class="text">role &#34;boss&#34;: want admin, manager or employee</td>`,
			func(t *testing.T, e *testEnv) {
				m, ok := e.st.Member("zhou")
				if !ok || m.Name != "周杰" || m.Department != "销售部" || m.Role != jifen.RoleEmployee || m.Joined.Format(time.DateOnly) != "2024-03-01" {
					t.Errorf("new member %+v %v", m, ok)
				}
				// What the store knew and the file leaves empty is kept.
				if m, _ := e.st.Member("emp"); m.Role != jifen.RoleManager || m.SlackID != "UEMP" {
					t.Errorf("updated member %+v", m)
				}
			}},
		{"ratings",
			impRatingsGood,
			[][]any{{"成员", "周期", "分数"}, {"hr", "2026-10", "4.5"}, {"nobody", "2026-10", "3"}},
			`<td class="n">3</td><td class="text">no member &#34;nobody&#34;</td>`,
			func(t *testing.T, e *testEnv) {
				if rs := e.st.Ratings("2026-10"); len(rs) != 3 {
					t.Errorf("ratings %+v", rs)
				}
			}},
		{"kpis",
			[][]any{{"name", "period", "value", "department"}, {"销售额", "2026-10", "1,280,000", "销售部"}, {"满意度", "2026-Q4", 4.6, ""}},
			[][]any{{"name", "period", "value"}, {"销售额", "2026-10", "1,280,000"}, {"满意度", "2026-W40", 4.6}},
			`<td class="n">3</td><td class="text">period &#34;2026-W40&#34;: want 2026-10, 2026-Q4 or 2026</td>`,
			func(t *testing.T, e *testEnv) {
				ks := e.st.KPIs("2026-10")
				if len(ks) != 1 || ks[0].Value != 1_280_000 || ks[0].Department != "销售部" || len(e.st.KPIs("2026-Q4")) != 1 {
					t.Errorf("KPIs %+v %+v", ks, e.st.KPIs("2026-Q4"))
				}
			}},
		{"points",
			[][]any{{"time", "receiver", "points", "giver", "reason"}, {"2026-11-02 10:00", "emp", 5, "mgr", "migrated"}, {"2026-10-15", "张伟", -2, "", ""}},
			[][]any{{"time", "receiver", "points"}, {"2026-11-02 10:00", "emp", 5}, {"2027-01-01", "emp", 3}},
			`<td class="n">3</td><td class="text">time &#34;2027-01-01&#34; is in the future</td>`,
			func(t *testing.T, e *testEnv) {
				h := e.st.History("emp", 10)
				if e.st.Balance("emp") != 3 || len(h) != 2 || h[0].Kind != jifen.KindImport || h[0].RuleVersion != 1 {
					t.Errorf("balance %d, history %+v", e.st.Balance("emp"), h)
				}
			}},
	} {
		for _, format := range []string{"csv", "xlsx"} {
			t.Run(tc.kind+"."+format, func(t *testing.T) {
				e := newTestEnv(t, nil)
				b := e.browser(t)
				b.signIn(e.s, "hr")
				file := func(rows [][]any) []byte {
					if format == "csv" {
						return impCSV(rows)
					}
					return impXLSX(t, rows)
				}
				name := tc.kind + "." + format
				w := impPreview(b, tc.kind, name, file(tc.bad))
				if w.Code != http.StatusBadRequest {
					t.Errorf("bad file: %d", w.Code)
				}
				mustContain(t, w, `<table class="bad">`, tc.reason)
				w = impPreview(b, tc.kind, name, file(tc.good))
				form := impConfirmForm(t, w)
				if n := len(impAudit(e)); n != 0 {
					t.Fatalf("previews recorded %d imports", n)
				}
				if w := b.post("/admin/imports/confirm", form); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), fmt.Sprintf("Imported %d ", len(tc.good)-1)) {
					t.Fatalf("confirm: %d\n%s", w.Code, w.Body)
				}
				tc.check(t, e)
				recs := impAudit(e)
				if len(recs) != 1 || recs[0].Action != "import."+tc.kind || !strings.HasPrefix(recs[0].Object, fmt.Sprintf("%s, %d rows", name, len(tc.good)-1)) {
					t.Errorf("audit records %+v", recs)
				}
			})
		}
	}
}

// Importing the same file again, from a new preview, does what `jifen
// import` does: the same ratings again (nothing changes), points a second
// time. The preview says the file was imported before.
func TestImportSameFileTwice(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	for i := 0; i < 2; i++ {
		w := impPreview(b, "ratings", "ratings.csv", impCSV(impRatingsGood))
		if i == 1 {
			mustContain(t, w, "3 row(s) replace an earlier value", "<th>Replaces</th>", "The same file was already imported on 2026-11-10 10:00 by 王芳 (hr).")
		} else if strings.Contains(w.Body.String(), "Replaces") || strings.Contains(w.Body.String(), "already imported") {
			t.Errorf("the first preview says the ratings replace others:\n%s", w.Body)
		}
		if w := b.post("/admin/imports/confirm", impConfirmForm(t, w)); !strings.Contains(w.Body.String(), "Imported 3 ratings") {
			t.Fatalf("import %d: %d\n%s", i, w.Code, w.Body)
		}
	}
	if rs := e.st.Ratings("2026-10"); len(rs) != 3 || len(impAudit(e)) != 2 {
		t.Errorf("ratings %+v, %d audit records", rs, len(impAudit(e)))
	}
	points := impCSV([][]any{{"time", "receiver", "points"}, {"2026-11-02", "emp", 5}})
	for i := 0; i < 2; i++ {
		w := impPreview(b, "points", "points.csv", points)
		if w := b.post("/admin/imports/confirm", impConfirmForm(t, w)); w.Code != http.StatusOK {
			t.Fatalf("points %d: %d", i, w.Code)
		}
	}
	if bal := e.st.Balance("emp"); bal != 10 {
		t.Errorf("points imported twice: balance %d, want 10 (as jifen import)", bal)
	}
}

// A file checked clean at the preview that no longer passes when
// confirmed (a member left the directory meanwhile) writes nothing.
func TestImportConfirmRechecks(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	rows := [][]any{{"member", "period", "grade"}, {"周杰", "2026-10", "A"}}
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "zhou", Name: "周杰"}}); err != nil {
		t.Fatal(err)
	}
	form := impConfirmForm(t, impPreview(b, "ratings", "ratings.csv", impCSV(rows)))
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "zhou", Name: "周杰伦"}}); err != nil {
		t.Fatal(err)
	}
	w := b.post("/admin/imports/confirm", form)
	if w.Code != http.StatusConflict {
		t.Errorf("confirm after a change: %d, want 409", w.Code)
	}
	mustContain(t, w, "ratings.csv no longer passes the checks", `<td class="n">2</td><td class="text">no member &#34;周杰&#34;</td>`)
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
		t.Errorf("wrote %+v", rs)
	}
}

// changedBeforeWrite is a ledger that another replica changes once, just
// before the next write begins: after every read made before it.
type changedBeforeWrite struct {
	store.Ledger
	change func()
}

func (l *changedBeforeWrite) Write(ctx context.Context, key string, fn func(store.Txn) ([]byte, error)) ([]byte, bool, error) {
	if c := l.change; c != nil {
		l.change = nil
		c()
	}
	return l.Ledger.Write(ctx, key, fn)
}

// The confirmation checks the file in the write that imports it: a
// member renamed after any read the confirmation could make, just before
// its write, is found, and the file refused.
func TestImportConfirmChecksInItsWrite(t *testing.T) {
	e := newTestEnv(t, nil)
	l := &changedBeforeWrite{Ledger: e.st}
	s, err := New(context.Background(), Options{Store: l, Config: e.cfg, Language: locale.EN, Now: func() time.Time { return e.now }, Bot: e.bot})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	b := e.browser(t)
	b.signIn(e.s, "hr")
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "zhou", Name: "周杰"}}); err != nil {
		t.Fatal(err)
	}
	form := impConfirmForm(t, impPreview(b, "ratings", "ratings.csv", impCSV([][]any{{"member", "period", "grade"}, {"周杰", "2026-10", "A"}})))
	l.change = func() {
		if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "zhou", Name: "周杰伦"}}); err != nil {
			t.Error(err)
		}
	}
	w := b.post("/admin/imports/confirm", form)
	if w.Code != http.StatusConflict {
		t.Errorf("confirm with a member renamed before its write: %d, want 409", w.Code)
	}
	if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
		t.Errorf("wrote %+v", rs)
	}
}

// A long file's preview lists its first rows and says how many there are.
func TestImportPreviewLong(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	rows := [][]any{{"name", "period", "value"}}
	for i := 0; i < 500; i++ {
		rows = append(rows, []any{fmt.Sprintf("kpi%03d", i), "2026-10", i})
	}
	w := impPreview(b, "kpis", "kpis.csv", impCSV(rows))
	mustContain(t, w, "kpis.csv: 500 KPIs to import.", "The first 200 of 500 rows.", "kpi199")
	if strings.Contains(w.Body.String(), "kpi200") {
		t.Error("the preview lists more than 200 rows")
	}
	if w := b.post("/admin/imports/confirm", impConfirmForm(t, w)); w.Code != http.StatusOK || len(e.st.KPIs("2026-10")) != 500 {
		t.Errorf("confirm: %d, %d KPIs", w.Code, len(e.st.KPIs("2026-10")))
	}
}

func TestImportName(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Users\hr\ratings.xlsx`:         "ratings.xlsx",
		"../../etc/ratings.csv":            "ratings.csv",
		"a\x00b\nc.csv":                    "abc.csv",
		"":                                 "",
		strings.Repeat("名", 100) + ".xlsx": strings.Repeat("名", 75) + ".xlsx",
	} {
		if got := importName(in); got != want {
			t.Errorf("importName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every message the importer gives, for a file or a row, has its text in
// the console's language, and the English text is the importer's own
// wording, so the console shows what the CLI shows.
func TestImportReasonsTranslated(t *testing.T) {
	e := newTestEnv(t, nil)
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "d1", Name: "同名"}, {ID: "d2", Name: "同名"}}); err != nil {
		t.Fatal(err)
	}
	en := e.s
	zh := &Server{lang: locale.ZH}
	loc := e.st.Location()
	var msgs []string
	table := func(text string) *importer.Table {
		t.Helper()
		tb, err := importer.ReadBytes("x.csv", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	collect := func(_ any, err error) {
		t.Helper()
		var bad importer.Errors
		if !errors.As(err, &bad) {
			t.Fatalf("want bad rows, got %v", err)
		}
		for _, b := range bad {
			msgs = append(msgs, b.Reason)
		}
	}
	collect(importer.Members(table("id,name,role,joined,left,email,birthday\n"+
		`"",bad name,boss,notadate,alsonot,bad@,13-45`+"\n"+
		"x1,甲,,2024-03-01,2024-01-01,a@example.com,\n"+
		"x1,甲,,,,a@example.com,\n"+
		"x2,王芳,,,,hr@example.com,\n"), e.st))
	collect(importer.Ratings(table("member,period,grade,score\nnobody,2026-10,A,\nhr,2026-W3,A,\nhr,2026-10,E,\nhr,2026-11,,x\nhr,2026-12,,\nemp,2026-10,A,\nemp,2026-10,B,\n同名,2026-10,A,\n"), e.st, loc))
	collect(importer.KPIs(table("name,period,value\n,2026-10,1\nk,2026-W3,1\nk,2026-10,x\n"), loc))
	collect(importer.Points(table("time,receiver,points,giver,behavior,kind,id,recorded,quantity,reverses\n"+
		"2027-01-01,nobody,0,同名,nosuch,weird,abc,notatime,,\n"+
		"notatime,robot,5,,,award,,,,\n"+
		"2026-11-01,gone,5,,,award,,,,\n"+
		"2026-10-01 10:00,emp,5,,,award,1,2026-09-01,,\n"+
		"2026-10-01,emp,-5,,,revoke,2,,,99\n"+
		"2026-10-01,emp,-5,,reward:nosuch,redeem,3,,1,\n"+
		"2026-10-01,emp,-5,,reward:coffee,redeem,4,,0,\n"+
		"2026-10-01,emp,5,,,award,5,,,\n"+
		"2026-10-01,emp,-3,,,revoke,6,,,5\n"+
		"2026-10-01,emp,-5,,,revoke,7,,,5\n"+
		"2026-10-01,emp,-5,,,revoke,8,,,5\n"), e.st, e.cfg.Rules, loc, e.st.Now()))
	for _, f := range []struct{ name, text string }{
		{"x.txt", "a"}, {"x.xlsx", "not a zip"}, {"x.csv", "a,\"b\n"}, {"x.csv", ""},
		{"x.csv", "member,Member\n"}, {"x.csv", "member,成员,period\n"}, {"x.csv", "member,grade\n"},
		{"x.csv", "member,period,grade\n" + strings.Repeat("x", importer.MaxCell+1) + ",2026-10,A\n"},
	} {
		tb, err := importer.ReadBytes(f.name, []byte(f.text))
		if err == nil {
			_, err = importer.Ratings(tb, e.st, loc)
		}
		if err == nil {
			t.Fatalf("%q: no error", f.text)
		}
		msgs = append(msgs, err.Error())
	}
	msgs = append(msgs, fmt.Sprintf("the file is larger than %d MiB: split it", importer.MaxCSVBytes>>20),
		fmt.Sprintf("the workbook unzips to more than %d MiB: split it", importer.MaxUnzipBytes>>20),
		"the workbook has no sheet", fmt.Sprintf("the sheet has more than %d rows: split it", importer.MaxRows))
	if len(msgs) < 30 {
		t.Fatalf("only %d messages: %q", len(msgs), msgs)
	}
	for _, m := range msgs {
		if got, known := en.importReason(m); got != m || !known {
			t.Errorf("English: %q gives %q (known %v)", m, got, known)
		}
		if got, known := zh.importReason(m); got == m || !known {
			t.Errorf("Chinese: %q gives %q (known %v)", m, got, known)
		}
	}
	// Each of a row's problems is said apart.
	if got, _ := zh.importReason(`name "王芳" is already hr's; email "hr@example.com" is already hr's`); got != `姓名 "王芳" 已属于 hr；邮箱 "hr@example.com" 已属于 hr` {
		t.Errorf("got %q", got)
	}
	// A cell quoted with "; " in it is one cell.
	if got, _ := zh.importReason(`grade "A; B": want A, B, C or D; score "x" is not a number`); got != `等级 "A; B"：应为 A、B、C 或 D；分数 "x" 不是数字` {
		t.Errorf("got %q", got)
	}
	// A console in Chinese says a bad row in Chinese.
	e.s.lang = locale.ZH
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := impPreview(b, "ratings", "ratings.xlsx", impXLSX(t, [][]any{{"member", "period", "grade"}, {"hr", "2026-10", "E"}}))
	mustContain(t, w, `<td class="n">2</td><td class="text">等级 &#34;E&#34;：应为 A、B、C 或 D</td>`, "ratings.xlsx 无法导入：未写入任何内容。")
}

// The imports pages on the demo company's year (JIFEN_DEMO_STORE, made by
// `jifen demo --config config.example.yaml`; the store is copied, as a
// confirmation writes): previews of every member's ratings for a year,
// of a thousand points and of the members, and a ratings import confirmed.
func BenchmarkImportDemo(b *testing.B) {
	d := openDemo(b, true)
	st := d.st
	var admin jifen.Member
	var active []jifen.Member
	now := st.Now()
	for _, m := range st.Members() {
		if m.Bot || m.HasLeft(now, st.Location()) {
			continue
		}
		active = append(active, m)
		if m.Role == jifen.RoleAdmin && admin.ID == "" {
			admin = m
		}
	}
	ratings := [][]any{{"member", "period", "grade"}}
	for _, m := range active {
		for month := 1; month <= 12; month++ {
			ratings = append(ratings, []any{m.ID, fmt.Sprintf("2025-%02d", month), string("ABCD"[month%4])})
		}
	}
	points := [][]any{{"time", "receiver", "points", "reason"}}
	for i := 0; i < 1000; i++ {
		points = append(points, []any{now.In(st.Location()).Format("2006-01-02"), active[i%len(active)].ID, 1 + i%5, "migrated"})
	}
	members := [][]any{{"id", "name", "department", "level", "role"}}
	for _, m := range st.Members() {
		if !m.Bot {
			members = append(members, []any{m.ID, m.Name, m.Department, m.Level, string(m.Role)})
		}
	}
	files := []struct{ kind, name string }{{"ratings", "ratings.xlsx"}, {"points", "points.csv"}, {"members", "members.csv"}}
	data := map[string][]byte{"ratings": impXLSX(b, ratings), "points": impCSV(points), "members": impCSV(members)}
	br := d.browser(b, admin)
	for _, f := range files {
		b.Run("preview-"+f.kind, func(b *testing.B) {
			for b.Loop() {
				if w := impPreview(br, f.kind, f.name, data[f.kind]); w.Code != http.StatusOK {
					b.Fatalf("%d %.2000s", w.Code, w.Body)
				}
			}
		})
	}
	b.Run("confirm-ratings", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			w := impPreview(br, "ratings", "ratings.xlsx", data["ratings"])
			form := url.Values{}
			for _, m := range impHidden.FindAllStringSubmatch(w.Body.String(), -1) {
				form.Set(m[1], m[2])
			}
			b.StartTimer()
			if w := br.post("/admin/imports/confirm", form); w.Code != http.StatusOK {
				b.Fatalf("%d", w.Code)
			}
		}
	})
}

// A ledger written by `jifen export ledger` is read back as it was: a
// revoke reverses the entry it reversed in the file, under its new id.
func TestImportLedgerRevoke(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	ledger := [][]any{{"id", "kind", "time", "recorded", "receiver", "points", "reverses", "source"},
		{41, "import", "2026-10-01 09:00", "2026-10-01 09:00", "emp", 8, "", "import"},
		{42, "revoke", "2026-10-02 09:00", "2026-10-02 09:00", "emp", -8, 41, "slack"}}
	w := impPreview(b, "points", "ledger.xlsx", impXLSX(t, ledger))
	if w := b.post("/admin/imports/confirm", impConfirmForm(t, w)); w.Code != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", w.Code, w.Body)
	}
	h := e.st.History("emp", 10)
	if len(h) != 2 || e.st.Balance("emp") != 0 {
		t.Fatalf("history %+v, balance %d", h, e.st.Balance("emp"))
	}
	var award, revoke jifen.Entry
	for _, x := range h {
		if x.Kind == jifen.KindRevoke {
			revoke = x
		} else {
			award = x
		}
	}
	if revoke.Reverses != award.ID || award.ID == 41 {
		t.Errorf("the revoke reverses %d; the award is %d", revoke.Reverses, award.ID)
	}
	if _, by, _ := e.st.Entry(award.ID); by != revoke.ID {
		t.Errorf("the award is reversed by %d, want %d", by, revoke.ID)
	}
}
