package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"jifen/store"
)

// A sign-in and a sign-out through the platform are recorded with who and
// how; admins read the trail, newest first, and filter it; managers are
// refused it.
func TestAuditTrailOfSignIns(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	state, nonce := b.startLogin("slack", "")
	if w := b.callback("slack", e.slack.Issue("UHR", "THOME", "hr@example.com", nonce), state); w.Code != http.StatusSeeOther {
		t.Fatalf("callback: %d\n%s", w.Code, w.Body)
	}
	e.now = e.now.Add(time.Minute)
	m := e.browser(t)
	m.signIn(e.s, "mgr")
	if w := m.post("/admin/logout", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	// A refused sign-in writes nothing: anyone can try one.
	state, nonce = e.browser(t).startLogin("slack", "")
	e.browser(t).callback("slack", e.slack.Issue("UNOBODY", "THOME", "", nonce), state)

	recs := e.st.AuditLog(store.AuditFilter{})
	if len(recs) != 2 {
		t.Fatalf("records = %+v", recs)
	}
	if r := recs[1]; r.Actor != "hr" || r.Action != "sign_in" || r.Via != "slack" || r.Outcome != "ok" || !r.At.Equal(testNow) {
		t.Errorf("sign-in record = %+v", r)
	}
	if r := recs[0]; r.Actor != "mgr" || r.Action != "sign_out" {
		t.Errorf("sign-out record = %+v", r)
	}

	w := b.get("/admin/audit")
	if w.Code != http.StatusOK {
		t.Fatalf("audit page: %d", w.Code)
	}
	body := w.Body.String()
	in, out := strings.Index(body, "李雷 (mgr)"), strings.Index(body, "王芳 (hr)")
	if in < 0 || out < 0 || in > out {
		t.Errorf("the trail is not newest first:\n%s", body)
	}
	mustContain(t, w, "signed in", "signed out", "2026-11-10 10:00:00", "Slack")

	w = b.get("/admin/audit?actor=" + url.QueryEscape("王芳"))
	if strings.Contains(w.Body.String(), "李雷 (mgr)") || !strings.Contains(w.Body.String(), "王芳 (hr)") {
		t.Errorf("filtered by name:\n%s", w.Body)
	}
	if w := b.get("/admin/audit?action=sign_out"); strings.Contains(w.Body.String(), "王芳 (hr)") {
		t.Errorf("filtered by action:\n%s", w.Body)
	}
	if w := b.get("/admin/audit?actor=nobody"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "There is no member “nobody”.") {
		t.Errorf("unknown member: %d\n%s", w.Code, w.Body)
	}
	m.signIn(e.s, "mgr")
	if w := m.get("/admin/audit"); w.Code != http.StatusForbidden {
		t.Errorf("a manager opened the audit trail: %d", w.Code)
	}
}

// The trail pages by 100, newest first, with links both ways.
func TestAuditTrailPages(t *testing.T) {
	e := newTestEnv(t, nil)
	for range auditPageSize + 5 {
		if err := e.st.Audit(context.Background(), store.AuditRecord{Actor: "hr", Action: "sign_in", Via: "feishu"}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/audit")
	if n := strings.Count(w.Body.String(), "<td>王芳 (hr)</td>"); n != auditPageSize {
		t.Fatalf("first page rows = %d", n)
	}
	mustContain(t, w, `href="/admin/audit?before=6"`)
	w = b.get("/admin/audit?before=6")
	if n := strings.Count(w.Body.String(), "<td>王芳 (hr)</td>"); n != 5 {
		t.Errorf("second page rows = %d", n)
	}
	mustContain(t, w, `href="/admin/audit">`)
	if strings.Contains(w.Body.String(), "before=") {
		t.Errorf("the last page links further:\n%s", w.Body)
	}
}

// An action refused to a signed-in member by their role is recorded; a
// page they may not read is not, nor anything asked signed out.
func TestAuditRefusedActions(t *testing.T) {
	e := newTestEnv(t, nil)
	m := e.browser(t)
	m.signIn(e.s, "mgr")
	if w := m.post("/admin/decisions/redemptions/7/approve", url.Values{"token": {"x"}}); w.Code != http.StatusForbidden {
		t.Fatalf("a manager's decision: %d", w.Code)
	}
	if w := m.get("/admin/audit"); w.Code != http.StatusForbidden {
		t.Fatalf("a manager's audit page: %d", w.Code)
	}
	if w := e.browser(t).post("/admin/imports/confirm", nil); w.Code != http.StatusForbidden {
		t.Fatalf("signed out: %d", w.Code)
	}
	recs := e.st.AuditLog(store.AuditFilter{})
	if len(recs) != 1 {
		t.Fatalf("records = %+v", recs)
	}
	if r := recs[0]; r.Actor != "mgr" || r.Action != "forbidden" || r.Outcome != "refused" || r.Object != "POST /admin/decisions/redemptions/{id}/approve" {
		t.Errorf("record = %+v", r)
	}
}
