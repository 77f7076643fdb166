package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/store"
)

// decEnv is the console with notices queued for Slack (as jifen serve
// has them) and a second admin, hr2, so that an award to hr has someone
// to decide it.
func decEnv(t *testing.T, edit func(*config.Config)) *testEnv {
	t.Helper()
	e := newTestEnv(t, edit)
	e.bot.SetPlatforms("slack")
	if err := e.st.PutMembers(context.Background(), []jifen.Member{
		{ID: "hr2", Name: "孙丽", SlackID: "UHR2", Department: "人力部", Role: jifen.RoleAdmin},
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// decChat runs a chat command as member, as chat would, and fails the
// test if the bot refuses it.
func decChat(t *testing.T, e *testEnv, member, text string) bot.Response {
	t.Helper()
	m, ok := e.st.Member(member)
	if !ok {
		t.Fatalf("no member %s", member)
	}
	resp := e.bot.Handle(context.Background(), bot.Request{Caller: m, Text: text, Source: "slack", Key: "chat-" + random()})
	if resp.Reply.Kind == "error" {
		t.Fatalf("%s: %s refused: %v", member, text, resp.Reply.Text)
	}
	return resp
}

// decSubmit finds the form of the button with id in the page w and posts
// it, with the reason given (if the form asks for one). It returns the
// answer and the form's token.
func decSubmit(t *testing.T, b *browser, w *httptest.ResponseRecorder, id, reason string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	action, token := decFormOf(t, w, id)
	form := url.Values{"token": {token}}
	if reason != "" {
		form.Set("reason", reason)
	}
	return b.post(action, form), token
}

var (
	decActionRe = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	decTokenRe  = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

// decFormOf is the action and token of the form holding the button id.
func decFormOf(t *testing.T, w *httptest.ResponseRecorder, id string) (action, token string) {
	t.Helper()
	body := w.Body.String()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("the page has no button %s:\n%s", id, body)
	}
	start := strings.LastIndex(body[:i], "<form ")
	form := body[start:i]
	a, tok := decActionRe.FindStringSubmatch(form), decTokenRe.FindStringSubmatch(form)
	if a == nil || tok == nil {
		t.Fatalf("the form of %s lacks an action or a token: %s", id, form)
	}
	return a[1], tok[1]
}

// decAudit is the audit trail's records of decisions.
func decAudit(e *testEnv) []store.AuditRecord {
	var out []store.AuditRecord
	for _, r := range e.st.AuditLog(store.AuditFilter{Limit: 1000}) {
		if strings.HasPrefix(r.Action, "approval.") || strings.HasPrefix(r.Action, "redemption.") {
			out = append(out, r)
		}
	}
	return out
}

// decOutboxTo is the bodies of the messages queued for member on Slack.
func decOutboxTo(t *testing.T, e *testEnv, member string) []string {
	t.Helper()
	msgs, err := e.st.OutboxDue("slack", 0, e.now.AddDate(1, 0, 0), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.To == member {
			out = append(out, string(m.Body))
		}
	}
	return out
}

// Approving an award waiting for approval from the console applies its
// points, records the decision once in the audit trail and tells the
// giver in chat; the page shows the bot's answer after the redirect. A
// second submission of the same form applies nothing and answers the same.
func TestDecisionsApproveAward(t *testing.T) {
	e := decEnv(t, nil)
	decChat(t, e, "mgr", "/award @emp 80 big_deal closed the Hangzhou contract")
	if a, ok := e.st.Approval(1); !ok || a.Status != store.Pending {
		t.Fatalf("the award is not pending: %+v", a)
	}
	before := e.st.Balance("emp")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	page := b.get("/admin/decisions")
	if page.Code != http.StatusOK {
		t.Fatalf("GET: %d\n%s", page.Code, page.Body)
	}
	mustContain(t, page, "A1", "李雷", "张伟", "&#43;80", "签大单", "closed the Hangzhou contract", "2026-11-10 10:00",
		`id="approve-approval-1"`, `id="reject-approval-1"`)
	giverNotices := len(decOutboxTo(t, e, "mgr"))

	w, token := decSubmit(t, b, page, "approve-approval-1", "")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	if loc != "/admin/decisions?done="+token {
		t.Errorf("redirected to %q", loc)
	}
	if got := e.st.Balance("emp"); got != before+80 {
		t.Errorf("balance = %d, want %d", got, before+80)
	}
	if a, _ := e.st.Approval(1); a.Status != store.Approved || a.DecidedBy != "hr" || len(a.Entries) != 1 {
		t.Errorf("approval = %+v", a)
	}
	recs := decAudit(e)
	if len(recs) != 1 || recs[0].Actor != "hr" || recs[0].Action != "approval.approve" || recs[0].Object != "approval 1" ||
		recs[0].Outcome != "ok" || recs[0].Via != "slack" {
		t.Errorf("audit = %+v", recs)
	}
	notices := decOutboxTo(t, e, "mgr")
	if len(notices) != giverNotices+1 || !strings.Contains(notices[len(notices)-1], "Your request A1 was approved by 王芳") {
		t.Errorf("the giver's notices = %q", notices)
	}
	queued, _ := e.st.OutboxLen("slack")

	done := b.get(loc)
	mustContain(t, done, `id="decision-result"`, "Request A1 approved by 王芳", "No award is waiting for approval.")
	if strings.Contains(done.Body.String(), `id="approve-approval-1"`) {
		t.Errorf("the decided award still has its button:\n%s", done.Body)
	}

	// The same form again (a double click, a browser's retry).
	again := b.post("/admin/decisions/approvals/1/approve", url.Values{"token": {token}})
	if again.Code != http.StatusSeeOther || again.Header().Get("Location") != loc {
		t.Errorf("second submit: %d %q\n%s", again.Code, again.Header().Get("Location"), again.Body)
	}
	if got := e.st.Balance("emp"); got != before+80 {
		t.Errorf("after the second submit balance = %d, want %d", got, before+80)
	}
	if n := len(decAudit(e)); n != 1 {
		t.Errorf("audit records after the second submit = %d", n)
	}
	if n, _ := e.st.OutboxLen("slack"); n != queued {
		t.Errorf("outbox %d → %d after the second submit", queued, n)
	}

	// Another admin deciding it now is told who decided.
	b2 := e.browser(t)
	b2.signIn(e.s, "hr2")
	w = b2.post("/admin/decisions/approvals/1/reject", url.Values{"token": {random()}, "reason": {"too late"}})
	if w.Code != http.StatusConflict {
		t.Errorf("deciding again: %d", w.Code)
	}
	mustContain(t, w, `id="decision-error"`, "Request A1 was approved (by 王芳); it cannot be decided again.")
	if recs := decAudit(e); len(recs) != 2 || recs[0].Actor != "hr2" || recs[0].Outcome != "refused" || recs[0].Action != "approval.reject" {
		t.Errorf("audit = %+v", recs)
	}
	if got := e.st.Balance("emp"); got != before+80 {
		t.Errorf("after the refused rejection balance = %d", got)
	}
}

// A rejection takes a reason, as in chat: the giver is told it, the
// points are never applied, and the audit trail names the approval but
// not the reason.
func TestDecisionsRejectAwardWithReason(t *testing.T) {
	e := decEnv(t, nil)
	decChat(t, e, "mgr", "/award @emp 80 big_deal closed the Hangzhou contract")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w, token := decSubmit(t, b, b.get("/admin/decisions"), "reject-approval-1", "  the contract is not signed yet ")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", w.Code, w.Body)
	}
	a, _ := e.st.Approval(1)
	if a.Status != store.Rejected || a.Note != "the contract is not signed yet" || a.DecidedBy != "hr" {
		t.Errorf("approval = %+v", a)
	}
	if got := e.st.Balance("emp"); got != 0 {
		t.Errorf("balance = %d", got)
	}
	notices := decOutboxTo(t, e, "mgr")
	if len(notices) == 0 || !strings.Contains(notices[len(notices)-1], "Your request A1 was rejected by 王芳: the contract is not signed yet") {
		t.Errorf("the giver's notices = %q", notices)
	}
	mustContain(t, b.get("/admin/decisions?done="+token), `id="decision-result"`, "Request A1 rejected by 王芳", "the contract is not signed yet")
	recs := decAudit(e)
	if len(recs) != 1 || recs[0].Action != "approval.reject" || recs[0].Object != "approval 1" {
		t.Errorf("audit = %+v", recs)
	}

	// Without a reason, as in chat: "no reason given".
	decChat(t, e, "mgr", "/award @emp 60 big_deal another contract")
	if w, _ := decSubmit(t, b, b.get("/admin/decisions"), "reject-approval-2", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("reject without a reason: %d\n%s", w.Code, w.Body)
	}
	if a, _ := e.st.Approval(2); a.Status != store.Rejected || a.Note != "" {
		t.Errorf("approval 2 = %+v", a)
	}

	// A reason longer than the catalog allows is refused, nothing written.
	decChat(t, e, "mgr", "/award @emp 60 big_deal a third contract")
	w, _ = decSubmit(t, b, b.get("/admin/decisions"), "reject-approval-3", strings.Repeat("长", 501))
	if w.Code != http.StatusBadRequest {
		t.Errorf("long reason: %d", w.Code)
	}
	mustContain(t, w, "A reason is at most 500 characters; yours has 501")
	if a, _ := e.st.Approval(3); a.Status != store.Pending {
		t.Errorf("approval 3 = %+v", a)
	}
}

// Separation of duties: an admin who receives an award cannot decide it
// in the console any more than in chat. The page offers no button; a
// forged form is refused with the bot's message, changes nothing and is
// recorded as refused. The other admin approves it.
func TestDecisionsSeparationOfDuties(t *testing.T) {
	e := decEnv(t, nil)
	decChat(t, e, "mgr", "/award @hr 80 big_deal closed the Hangzhou contract")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	page := b.get("/admin/decisions")
	mustContain(t, page, "A1", "You give or receive this award: another admin decides it.")
	if strings.Contains(page.Body.String(), `id="approve-approval-1"`) {
		t.Errorf("the receiver is offered to approve:\n%s", page.Body)
	}
	w := b.post("/admin/decisions/approvals/1/approve", url.Values{"token": {random()}})
	if w.Code != http.StatusForbidden {
		t.Errorf("the receiver approving: %d", w.Code)
	}
	mustContain(t, w, `id="decision-error"`, "You are the giver or a receiver of request A1, so you cannot approve or reject it; another admin must decide.")
	if a, _ := e.st.Approval(1); a.Status != store.Pending || a.DecidedBy != "" {
		t.Errorf("approval = %+v", a)
	}
	if got := e.st.Balance("hr"); got != 0 {
		t.Errorf("balance = %d", got)
	}
	recs := decAudit(e)
	if len(recs) != 1 || recs[0].Actor != "hr" || recs[0].Action != "approval.approve" || recs[0].Object != "approval 1" || recs[0].Outcome != "refused" {
		t.Errorf("audit = %+v", recs)
	}

	b2 := e.browser(t)
	b2.signIn(e.s, "hr2")
	if w, _ := decSubmit(t, b2, b2.get("/admin/decisions"), "approve-approval-1", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("the other admin approving: %d\n%s", w.Code, w.Body)
	}
	if got := e.st.Balance("hr"); got != 80 {
		t.Errorf("balance after approval = %d", got)
	}
}

// Redemptions: a rejection refunds in full, an approval leaves the points
// spent and asks for the item to be handed out, marking it handed out
// closes it, and a cancellation refunds an approved one. Each is the
// chat command, with its notice to the member, and deciding a closed one
// says who decided it.
func TestDecisionsRedemptions(t *testing.T) {
	e := decEnv(t, nil)
	for range 3 {
		decChat(t, e, "hr", "/award @emp 100 big_deal big contracts")
	}
	if got := e.st.Balance("emp"); got != 300 {
		t.Fatalf("balance = %d", got)
	}
	decChat(t, e, "emp", "/redeem half_day_off")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	page := b.get("/admin/decisions")
	mustContain(t, page, "R1", "张伟", "半天调休", "<td class=\"n\">200</td>", "waiting for approval", `id="approve-redemption-1"`, `id="reject-redemption-1"`)

	// Rejected with a reason: refunded.
	w, _ := decSubmit(t, b, page, "reject-redemption-1", "not this quarter")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", w.Code, w.Body)
	}
	if got := e.st.Balance("emp"); got != 300 {
		t.Errorf("balance after the rejection = %d, want 300 (refunded)", got)
	}
	r, _ := decRedemption(e, 1)
	if r.Status != store.RedemptionRejected || r.Note != "not this quarter" || r.Refund == 0 {
		t.Errorf("redemption 1 = %+v", r)
	}
	if n := decOutboxTo(t, e, "emp"); len(n) == 0 || !strings.Contains(n[len(n)-1], "Your redemption R1 (半天调休) was rejected by 王芳: not this quarter. 200 points refunded in full.") {
		t.Errorf("the member's notices = %q", n)
	}

	// Approved, then handed out.
	decChat(t, e, "emp", "/redeem half_day_off")
	w, token := decSubmit(t, b, b.get("/admin/decisions"), "approve-redemption-2", "")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, b.get("/admin/decisions?done="+token), `id="decision-result"`, "Approved: 张伟 redeems 半天调休 ×1 (approved by 王芳).")
	if r, _ := decRedemption(e, 2); r.Status != store.RedemptionApproved || r.DecidedBy != "hr" {
		t.Errorf("redemption 2 = %+v", r)
	}
	if got := e.st.Balance("emp"); got != 100 {
		t.Errorf("balance after the approval = %d, want 100", got)
	}
	if n := decOutboxTo(t, e, "emp"); len(n) == 0 || !strings.Contains(n[len(n)-1], "Your redemption R2 (半天调休) was approved by 王芳") {
		t.Errorf("the member's notices = %q", n)
	}
	// Approved already: said with who approved it.
	w = b.post("/admin/decisions/redemptions/2/approve", url.Values{"token": {random()}})
	if w.Code != http.StatusConflict {
		t.Errorf("approving again: %d", w.Code)
	}
	mustContain(t, w, "Redemption R2 is to hand out already (王芳).")

	page = b.get("/admin/decisions")
	mustContain(t, page, "to hand out", `id="fulfil-redemption-2"`, `id="cancel-redemption-2"`)
	if w, _ := decSubmit(t, b, page, "fulfil-redemption-2", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("fulfil: %d\n%s", w.Code, w.Body)
	}
	if r, _ := decRedemption(e, 2); r.Status != store.RedemptionFulfilled || r.FulfilledBy != "hr" {
		t.Errorf("redemption 2 = %+v", r)
	}
	// Handed out: it cannot be cancelled, and says who handed it out.
	w = b.post("/admin/decisions/redemptions/2/cancel", url.Values{"token": {random()}})
	if w.Code != http.StatusConflict {
		t.Errorf("cancelling a handed-out redemption: %d", w.Code)
	}
	mustContain(t, w, "Redemption R2 was handed out by 王芳; its points cannot be refunded.")
	if got := e.st.Balance("emp"); got != 100 {
		t.Errorf("balance after the refused cancellation = %d", got)
	}

	// An item without approval is to hand out at once; cancelled, refunded.
	decChat(t, e, "emp", "/redeem coffee")
	if w, _ := decSubmit(t, b, b.get("/admin/decisions"), "cancel-redemption-3", "the café closed"); w.Code != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", w.Code, w.Body)
	}
	if r, _ := decRedemption(e, 3); r.Status != store.RedemptionCancelled || r.CancelledBy != "hr" {
		t.Errorf("redemption 3 = %+v", r)
	}
	if got := e.st.Balance("emp"); got != 100 {
		t.Errorf("balance after the cancellation = %d, want 100", got)
	}
	mustContain(t, b.get("/admin/decisions"), "No redemption is waiting.")

	var actions []string
	for _, r := range decAudit(e) {
		actions = append(actions, r.Action+" "+r.Object+" "+r.Outcome)
	}
	want := []string{"redemption.cancel redemption 3 ok", "redemption.cancel redemption 2 refused", "redemption.fulfil redemption 2 ok",
		"redemption.approve redemption 2 refused", "redemption.approve redemption 2 ok", "redemption.reject redemption 1 ok"}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
}

// decRedemption reads a redemption (the store lists open ones and a
// member's).
func decRedemption(e *testEnv, id uint64) (store.Redemption, bool) {
	for _, r := range e.st.Redemptions("emp", 100) {
		if r.ID == id {
			return r, true
		}
	}
	return store.Redemption{}, false
}

// An admin's own redemption is decided by another admin: the page offers
// them only to mark it handed out, as chat does.
func TestDecisionsOwnRedemption(t *testing.T) {
	e := decEnv(t, nil)
	for range 4 {
		decChat(t, e, "mgr", "/award @hr 50 big_deal big contract")
	}
	decChat(t, e, "hr", "/redeem half_day_off")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	page := b.get("/admin/decisions")
	mustContain(t, page, "Your own: another admin decides it.")
	if strings.Contains(page.Body.String(), `id="approve-redemption-1"`) {
		t.Errorf("the redeemer is offered to approve:\n%s", page.Body)
	}
	w := b.post("/admin/decisions/redemptions/1/approve", url.Values{"token": {random()}})
	if w.Code != http.StatusForbidden {
		t.Errorf("approving one's own: %d", w.Code)
	}
	mustContain(t, w, "Redemption R1 is your own, so you cannot approve, reject or cancel it; another admin must decide.")
	if r := e.st.Redemptions("hr", 1); len(r) != 1 || r[0].Status != store.RedemptionPending {
		t.Errorf("redemption = %+v", r)
	}
}

// An unknown or malformed id is a 404, a form without its token a 400;
// neither writes anything but the refusal's record.
func TestDecisionsBadRequests(t *testing.T) {
	e := decEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	cases := []struct {
		name, target string
		form         url.Values
		status       int
		want         string
	}{
		{"unknown approval", "/admin/decisions/approvals/999/approve", url.Values{"token": {random()}}, http.StatusNotFound, "There is no request A999."},
		{"unknown redemption", "/admin/decisions/redemptions/999/fulfil", url.Values{"token": {random()}}, http.StatusNotFound, "There is no redemption R999."},
		{"malformed id", "/admin/decisions/approvals/12abc/approve", url.Values{"token": {random()}}, http.StatusNotFound, "There is no request A12abc."},
		{"zero id", "/admin/decisions/redemptions/0/approve", url.Values{"token": {random()}}, http.StatusNotFound, "There is no redemption R0."},
		{"no token", "/admin/decisions/approvals/1/approve", nil, http.StatusBadRequest, "This form has expired"},
		{"bad token", "/admin/decisions/approvals/1/approve", url.Values{"token": {"short"}}, http.StatusBadRequest, "This form has expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := b.post(c.target, c.form)
			if w.Code != c.status {
				t.Errorf("%d, want %d", w.Code, c.status)
			}
			mustContain(t, w, c.want)
		})
	}
	if w := b.post("/admin/decisions/approvals/1/revoke", url.Values{"token": {random()}}); w.Code != http.StatusNotFound {
		t.Errorf("an unknown action: %d", w.Code)
	}
	recs := decAudit(e)
	if len(recs) != 2 || recs[0].Object != "redemption 999" || recs[1].Object != "approval 999" || recs[0].Outcome != "refused" {
		t.Errorf("audit = %+v", recs)
	}
}

// The queues and decisions are for admins: managers and employees are
// refused, signed out a GET goes to sign in and a POST is refused, and a
// form posted from another site never reaches the bot. A reward's
// fulfiller who is not an admin marks it handed out in chat (the notice's
// button), not here.
func TestDecisionsAccess(t *testing.T) {
	e := decEnv(t, func(c *config.Config) {
		c.Admin.Employees = config.EmployeesPage
		for i := range c.Rules.Rewards {
			if c.Rules.Rewards[i].ID == "coffee" {
				c.Rules.Rewards[i].Fulfiller = "mgr"
			}
		}
	})
	decChat(t, e, "hr", "/award @emp 100 big_deal big contract")
	decChat(t, e, "emp", "/redeem coffee")
	decChat(t, e, "mgr", "/award @emp 80 big_deal closed the Hangzhou contract")

	for _, who := range []string{"mgr", "emp"} {
		b := e.browser(t)
		b.signIn(e.s, who)
		if w := b.get("/admin/decisions"); w.Code != http.StatusForbidden {
			t.Errorf("%s GET: %d", who, w.Code)
		}
		for _, target := range []string{"/admin/decisions/approvals/1/approve", "/admin/decisions/redemptions/1/fulfil", "/admin/decisions/redemptions/1/cancel"} {
			if w := b.post(target, url.Values{"token": {random()}}); w.Code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", who, target, w.Code)
			}
		}
	}
	out := e.browser(t)
	if w := out.get("/admin/decisions"); w.Code != http.StatusFound || w.Header().Get("Location") != "/admin/login?next=%2Fadmin%2Fdecisions" {
		t.Errorf("signed out GET: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := out.post("/admin/decisions/approvals/1/approve", url.Values{"token": {random()}}); w.Code != http.StatusForbidden {
		t.Errorf("signed out POST: %d", w.Code)
	}

	// From another site, with an admin's session.
	b := e.browser(t)
	b.signIn(e.s, "hr")
	r := httptest.NewRequest("POST", "/admin/decisions/approvals/1/approve", strings.NewReader(url.Values{"token": {random()}}.Encode()))
	r.Host = "jifen.example.com"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d", w.Code)
	}

	if a, _ := e.st.Approval(1); a.Status != store.Pending {
		t.Errorf("approval = %+v", a)
	}
	if rs := e.st.Redemptions("emp", 10); len(rs) != 1 || rs[0].Status != store.RedemptionApproved {
		t.Errorf("redemption = %+v", rs)
	}
	if recs := decAudit(e); len(recs) != 0 {
		t.Errorf("audit = %+v", recs)
	}
	// The fulfiller's way: the notice's button in chat.
	decChat(t, e, "mgr", "/redemptions fulfil R1")
	if rs := e.st.Redemptions("emp", 10); rs[0].Status != store.RedemptionFulfilled || rs[0].FulfilledBy != "mgr" {
		t.Errorf("redemption = %+v", rs)
	}
}
