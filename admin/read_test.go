package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"jifen/locale"
	"jifen/roster"
	"jifen/store"
	"jifen/store/storetest"
)

// loseReads rebuilds e's console on a ledger whose reads can be made to
// fail (all pass until allow says otherwise), with plan as its directory
// sync planner.
func loseReads(t *testing.T, e *testEnv, plan func(context.Context, roster.Platform) (roster.Plan, error)) *storetest.LostReads {
	t.Helper()
	l := &storetest.LostReads{Ledger: e.st}
	l.Allow(math.MaxInt)
	s, err := New(context.Background(), Options{Store: l, Config: e.cfg, Language: locale.EN, Now: func() time.Time { return e.now },
		Bot: e.bot, SyncPlan: plan, SlackTeam: func(context.Context) (string, error) { return "THOME", nil }})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return l
}

// pageRead fetches target with every read failing but the session's,
// and checks the page answered 500 with text and after a failed read.
func pageRead(t *testing.T, l *storetest.LostReads, b *browser, method, target string, send func() *httptest.ResponseRecorder, text string) *httptest.ResponseRecorder {
	t.Helper()
	before := l.Failures()
	l.Allow(1) // the session's read
	w := send()
	l.Allow(math.MaxInt)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("%s %s with its read failing: %d, want 500\n%s", method, target, w.Code, w.Body)
	}
	if l.Failures() == before {
		t.Fatalf("%s %s: no read failed", method, target)
	}
	mustContain(t, w, text)
	return w
}

// A list whose read fails answers 500 with the page's message and shows
// nothing it read; an export whose read fails is not sent and not put on
// the audit trail.
func TestFailedReadList(t *testing.T) {
	e, _ := ledgerEnv(t)
	l := loseReads(t, e, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := pageRead(t, l, b, "GET", "/admin/ledger", func() *httptest.ResponseRecorder { return b.get("/admin/ledger") },
		"The ledger could not be read.")
	mustLack(t, w.Body.String(), "张伟", "陈静", "大单", "/admin/ledger/export")

	exports := func() int { return len(e.st.AuditLog(store.AuditFilter{Action: "ledger.export"})) }
	w = pageRead(t, l, b, "GET", "export", func() *httptest.ResponseRecorder { return b.get("/admin/ledger/export?format=csv") },
		"The ledger could not be read.")
	if w.Header().Get("Content-Disposition") != "" || strings.Contains(w.Body.String(), "大单") {
		t.Errorf("the export was sent after its read failed:\n%s", w.Body)
	}
	if n := exports(); n != 0 {
		t.Errorf("a failed export is on the audit trail %d times", n)
	}

	// The store back, the same requests succeed.
	if w := b.get("/admin/ledger"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "大单") {
		t.Errorf("the ledger after the store is back: %d", w.Code)
	}
	if w := b.get("/admin/ledger/export?format=csv"); w.Code != http.StatusOK || exports() != 1 {
		t.Errorf("the export after the store is back: %d, %d records", w.Code, exports())
	}
}

// A report whose read fails answers 500 with the report's message and
// none of its figures or downloads.
func TestFailedReadReport(t *testing.T) {
	e := overviewEnv(t, "")
	l := loseReads(t, e, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	ok := b.get("/admin/reports/2026-10")
	if ok.Code != http.StatusOK || !strings.Contains(ok.Body.String(), "/admin/reports/2026-10/download") {
		t.Fatalf("the report: %d", ok.Code)
	}
	for _, target := range []string{"/admin/reports/2026-10", "/admin/reports/2026-10/download?format=json"} {
		w := pageRead(t, l, b, "GET", target, func() *httptest.ResponseRecorder { return b.get(target) },
			"The report could not be produced.")
		mustLack(t, w.Body.String(), "/admin/reports/2026-10/download", "张伟", "孙丽")
		if w.Header().Get("Content-Disposition") != "" {
			t.Errorf("%s: sent as a file after its read failed", target)
		}
	}
	// The overview, a report of the month, too.
	w := pageRead(t, l, b, "GET", "/admin/", func() *httptest.ResponseRecorder { return b.get("/admin/") },
		"Some figures could not be read")
	mustLack(t, w.Body.String(), "Key figures", "Awards waiting for approval")
}

// A form's action whose read fails answers 500 and writes nothing: the
// members sync, which reads before its write, and the import
// confirmation, which reads in it. Its key is not spent, so the same form
// sent again once the store is back applies.
func TestFailedReadFormAction(t *testing.T) {
	t.Run("sync", func(t *testing.T) {
		dir := &syncDirectory{people: syncPeople}
		e := newTestEnv(t, nil)
		dir.st = e.st
		l := loseReads(t, e, dir.Plan)
		b := e.browser(t)
		b.signIn(e.s, "hr")
		w := b.get("/admin/members/sync?from=slack")
		memWantCode(t, "preview", w.Code, http.StatusOK)
		form := syncForm(t, w.Body.String())
		members := fmt.Sprint(e.st.Members())
		pageRead(t, l, b, "POST", "/admin/members/sync", func() *httptest.ResponseRecorder { return b.post("/admin/members/sync", form) },
			"The sync could not be written; nothing was changed.")
		if got := fmt.Sprint(e.st.Members()); got != members {
			t.Errorf("a sync whose read failed wrote the members:\n%+v\nwere\n%+v", got, members)
		}
		if recs := e.st.AuditLog(store.AuditFilter{Action: "members.sync"}); len(recs) != 0 {
			t.Errorf("a sync whose read failed is on the audit trail: %+v", recs)
		}
		w = b.post("/admin/members/sync", form)
		memWantCode(t, "again", w.Code, http.StatusOK)
		mustContain(t, w, "3 members written.")
		if m, _ := e.st.Member("mail"); m.SlackID != "UZHAO" {
			t.Errorf("mail = %+v after the sync, want linked to UZHAO", m)
		}
	})
	t.Run("import", func(t *testing.T) {
		e := newTestEnv(t, nil)
		l := loseReads(t, e, nil)
		b := e.browser(t)
		b.signIn(e.s, "hr")
		form := impConfirmForm(t, impPreview(b, "ratings", "ratings.xlsx", impXLSX(t, impRatingsGood)))
		l.Writes = true
		w := pageRead(t, l, b, "POST", "/admin/imports/confirm", func() *httptest.ResponseRecorder { return b.post("/admin/imports/confirm", form) },
			"The import could not be written.")
		l.Writes = false
		mustLack(t, w.Body.String(), "Imported", "王芳 (hr)")
		if rs := e.st.Ratings("2026-10"); len(rs) != 0 || len(impAudit(e)) != 0 {
			t.Errorf("an import whose read failed wrote %+v, audit %+v", rs, impAudit(e))
		}
		// The preview too: nothing shown, no form to confirm.
		w = pageRead(t, l, b, "POST", "/admin/imports/preview", func() *httptest.ResponseRecorder {
			return impPreview(b, "ratings", "ratings.xlsx", impXLSX(t, impRatingsGood))
		}, "Internal error")
		mustLack(t, w.Body.String(), `name="ticket"`, "王芳 (hr)")

		w = b.post("/admin/imports/confirm", form)
		if w.Code != http.StatusOK || len(e.st.Ratings("2026-10")) != 3 {
			t.Fatalf("the confirmation again: %d, %d ratings\n%s", w.Code, len(e.st.Ratings("2026-10")), w.Body)
		}
		mustContain(t, w, "Imported 3 ratings from ratings.xlsx.")
	})
}

// When the session's own read fails, the page answers 500: the viewer is
// neither signed out nor sent to the sign-in page, and signing out, which
// needs the session's member, writes nothing and can be sent again.
func TestFailedReadSession(t *testing.T) {
	e := newTestEnv(t, nil)
	l := loseReads(t, e, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	cookie := *b.cookies[sessionCookie]
	l.Allow(0)
	w := b.get("/admin/")
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("the overview with the session's read failing: %d, want 500", w.Code)
	}
	mustContain(t, w, "Internal error")
	w = b.post("/admin/logout", nil)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("sign-out with the session's read failing: %d, want 500", w.Code)
	}
	l.Allow(math.MaxInt)
	if c := b.cookies[sessionCookie]; c == nil || c.Value != cookie.Value {
		t.Fatalf("the session cookie was cleared: %+v", c)
	}
	var se session
	raw, _ := e.s.verify("session", cookie.Value)
	if err := json.Unmarshal(raw, &se); err != nil {
		t.Fatal(err)
	}
	if _, out := e.st.Seen(signedOutKey(se.ID)); out || len(e.st.AuditLog(store.AuditFilter{Action: "sign_out"})) != 0 {
		t.Error("a sign-out whose read failed was written")
	}
	if w := b.get("/admin/"); w.Code != http.StatusOK {
		t.Errorf("the session after the store is back: %d", w.Code)
	}
}
