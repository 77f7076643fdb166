package admin

import (
	"context"
	"net/http"
	"testing"
	"time"

	"jifen/locale"
)

// Two replicas of the console share the ledger: a sign-in's callback,
// replayed with its cookie on the other replica, is refused there as
// spent (the platform's one-time code aside), and a sign-out on one ends
// the session on the other.
func TestConsoleReplicasShareSpentStatesAndSignOuts(t *testing.T) {
	e := newTestEnv(t, nil)
	other, err := New(context.Background(), Options{Store: e.st, Config: e.cfg, Language: locale.EN,
		Now: func() time.Time { return e.now }, SlackTeam: func(context.Context) (string, error) { return "THOME", nil }, Bot: e.bot})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	state, nonce := b.startLogin("slack", "")
	login := b.cookies[loginCookie]
	code := e.slack.Issue("UHR", "THOME", "", nonce)
	if w := b.callback("slack", code, state); w.Code != http.StatusSeeOther {
		t.Fatalf("the first callback: %d\n%s", w.Code, w.Body)
	}
	replay := &browser{t: t, h: other.Handler(), cookies: map[string]*http.Cookie{loginCookie: login}}
	w := replay.callback("slack", code, state)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("the callback replayed on another replica: %d, want %d\n%s", w.Code, http.StatusBadRequest, w.Body)
	}
	mustContain(t, w, "expired or was already used")

	// Signed in on the first replica, signed out on the second.
	session := b.cookies[sessionCookie]
	onOther := &browser{t: t, h: other.Handler(), cookies: map[string]*http.Cookie{sessionCookie: session}}
	if w := onOther.get("/admin/"); w.Code != http.StatusOK {
		t.Fatalf("the session on the other replica: %d", w.Code)
	}
	onOther.do("POST", "/admin/logout", http.Header{"Origin": {"https://jifen.example.com"}, "Sec-Fetch-Site": {"same-origin"}})
	b.cookies[sessionCookie] = session // a copy of the cookie kept somewhere
	if w := b.get("/admin/"); w.Code == http.StatusOK {
		t.Fatal("a session signed out on one replica still works on the other")
	}
}
