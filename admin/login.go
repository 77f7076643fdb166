package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"jifen"
	"jifen/store"
)

// The platforms people sign in with.
const (
	platformSlack  = "slack"
	platformFeishu = "feishu"
)

// loginTTL bounds the time between leaving for the platform's sign-in page
// and coming back to the callback.
const loginTTL = 10 * time.Minute

// loginCookie holds the login state while the user is at the platform:
// the state and nonce to expect back and where to go afterwards. It is
// sent only to the login routes.
const loginCookie = "jifen_admin_login"

type loginState struct {
	Platform string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Next     string `json:"x"`
	Expires  int64  `json:"e"`
}

// identity is who the platform says signed in.
type identity struct {
	Platform string
	UserID   string // Slack user id or Feishu open_id
	Email    string // verified by the platform; empty when it gave none
}

// provider is one platform's sign-in flow.
type provider interface {
	// authURL is the platform's sign-in page for this attempt.
	authURL(ctx context.Context, state, nonce string) (string, error)
	// identify exchanges the code the platform sent back for the user's
	// identity, checking the nonce where the platform signs one.
	identify(ctx context.Context, code, nonce string) (identity, error)
}

// refusal is a sign-in the console turns down: the user sees the message
// of key, the log gets reason.
type refusal struct {
	status int
	key    string
	reason string
}

func (r *refusal) Error() string { return r.reason }

func refuse(status int, key, reason string) error { return &refusal{status, key, reason} }

func (s *Server) provider(platform string) provider {
	switch {
	case platform == platformSlack && s.slack != nil:
		return s.slack
	case platform == platformFeishu && s.feishu != nil:
		return s.feishu
	}
	return nil
}

// loginPage offers the configured platforms.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	q := url.Values{"next": {next}}.Encode()
	d := pageData{Title: s.t("admin.login_title"), Text: s.t("admin.login_intro")}
	if s.slack != nil {
		d.Links = append(d.Links, link{Href: "/admin/login/slack?" + q, Text: s.t("admin.login_slack")})
	}
	if s.feishu != nil {
		d.Links = append(d.Links, link{Href: "/admin/login/feishu?" + q, Text: s.t("admin.login_feishu")})
	}
	s.render(w, http.StatusOK, "message", d)
}

// startLogin sends the browser to the platform's sign-in page, with a
// fresh state and nonce kept in a short-lived cookie.
func (s *Server) startLogin(platform string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.provider(platform)
		if p == nil {
			s.render(w, http.StatusNotFound, "message", pageData{Title: s.t("admin.not_found"), Text: s.t("admin.login_unavailable")})
			return
		}
		ls := loginState{Platform: platform, State: random(), Nonce: random(),
			Next: safeNext(r.URL.Query().Get("next")), Expires: s.now().Add(loginTTL).Unix()}
		to, err := p.authURL(r.Context(), ls.State, ls.Nonce)
		if err != nil {
			s.log.Warn("console sign-in: the platform's sign-in page is unavailable", "platform", platform, "err", err)
			s.render(w, http.StatusBadGateway, "message", pageData{Title: s.t("admin.login_failed_title"), Text: s.t("admin.login_platform_down")})
			return
		}
		raw, _ := json.Marshal(ls)
		http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: s.sign("login", raw), Path: "/admin/login/",
			MaxAge: int(loginTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, to, http.StatusFound)
	}
}

// callback finishes a sign-in: the state must be the one this browser was
// given and not spent yet, the platform must vouch for the code, and the
// user must be a member allowed in. Only then is a session started.
func (s *Server) callback(platform string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.provider(platform)
		if p == nil {
			s.render(w, http.StatusNotFound, "message", pageData{Title: s.t("admin.not_found"), Text: s.t("admin.login_unavailable")})
			return
		}
		// The login cookie serves one attempt, whatever its outcome.
		http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/admin/login/", MaxAge: -1,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		ls, err := s.checkState(r, platform)
		if err == nil {
			var id identity
			if id, err = p.identify(r.Context(), r.URL.Query().Get("code"), ls.Nonce); err == nil {
				// A refusal is kept apart from the read's own error: a
				// read that failed refuses no one, it fails the sign-in.
				var m jifen.Member
				var refused error
				if err := s.st.Read(r.Context(), func(rd store.Reader) error { m, refused = s.match(rd, id); return nil }); err != nil {
					s.log.Error("console sign-in: the members could not be read", "platform", platform, "err", err)
					s.render(w, http.StatusInternalServerError, "message", pageData{Title: s.t("admin.login_failed_title"), Text: s.t("err.internal"),
						Links: []link{{Href: "/admin/login", Text: s.t("admin.login_again")}}})
					return
				}
				if err = refused; err == nil {
					s.startSession(w, m.ID, platform)
					s.log.Info("console sign-in", "platform", platform, "member", m.ID, "role", m.Role)
					s.record(r.Context(), store.AuditRecord{Actor: m.ID, Action: "sign_in", Via: platform})
					http.Redirect(w, r, ls.Next, http.StatusSeeOther)
					return
				}
			}
		}
		var rf *refusal
		if !errors.As(err, &rf) {
			s.log.Warn("console sign-in failed", "platform", platform, "err", err)
			rf = &refusal{status: http.StatusBadGateway, key: "admin.login_platform_down"}
		} else {
			s.log.Info("console sign-in refused", "platform", platform, "reason", rf.reason)
		}
		s.render(w, rf.status, "message", pageData{Title: s.t("admin.login_failed_title"), Text: s.t(rf.key),
			Links: []link{{Href: "/admin/login", Text: s.t("admin.login_again")}}})
	}
}

// checkState compares the callback's state with the login cookie's, in
// constant time, and spends it: a state (and so the code sent with it)
// is accepted once.
func (s *Server) checkState(r *http.Request, platform string) (loginState, error) {
	var ls loginState
	bad := refuse(http.StatusBadRequest, "admin.login_state", "state mismatch")
	if r.URL.Query().Get("error") != "" {
		return ls, refuse(http.StatusForbidden, "admin.login_cancelled", "the platform returned an error")
	}
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return ls, bad
	}
	raw, ok := s.verify("login", c.Value)
	if !ok || json.Unmarshal(raw, &ls) != nil || ls.Platform != platform || ls.State == "" {
		return ls, bad
	}
	if subtle.ConstantTimeCompare([]byte(ls.State), []byte(r.URL.Query().Get("state"))) != 1 {
		return ls, bad
	}
	now := s.now()
	if !now.Before(time.Unix(ls.Expires, 0)) {
		return ls, bad
	}
	if !s.spend(ls.State, time.Unix(ls.Expires, 0)) {
		return ls, refuse(http.StatusBadRequest, "admin.login_state", "state replayed")
	}
	// Another replica of the console may have spent it: the store keeps
	// it spent for all of them, as a request key (remembered longer than a
	// login state lasts).
	_, replayed, err := s.st.Write(context.WithoutCancel(r.Context()), loginStateKey(ls.State), func(store.Txn) ([]byte, error) { return nil, nil })
	if err != nil {
		s.log.Error("console sign-in: the login state could not be stored", "err", err)
		return ls, refuse(http.StatusInternalServerError, "err.internal", "the login state could not be stored")
	}
	if replayed {
		return ls, refuse(http.StatusBadRequest, "admin.login_state", "state replayed on another replica")
	}
	ls.Next = safeNext(ls.Next)
	return ls, nil
}

// loginStateKey is the store's request key of a spent login state: a hash
// of it, which names it without giving it away.
func loginStateKey(state string) string {
	sum := sha256.Sum256([]byte(state))
	return "console-login:" + hex.EncodeToString(sum[:])
}

// match finds the member the platform's user is: by their id on the
// platform, else by the email the platform verified (when the member has
// no other id there). The member must be employed and not a bot.
func (s *Server) match(rd store.Reader, id identity) (jifen.Member, error) {
	byID, platformID := rd.MemberBySlackID, func(m jifen.Member) string { return m.SlackID }
	if id.Platform == platformFeishu {
		byID, platformID = rd.MemberByFeishuOpenID, func(m jifen.Member) string { return m.FeishuOpenID }
	}
	unknown := refuse(http.StatusForbidden, "admin.login_unknown", "no member has this account")
	m, ok := byID(id.UserID)
	if !ok && id.Email != "" {
		if m, ok = rd.MemberByEmail(id.Email); ok && platformID(m) != "" && platformID(m) != id.UserID {
			return jifen.Member{}, refuse(http.StatusForbidden, "admin.login_unknown", "the email's member has another account")
		}
	}
	if !ok {
		return jifen.Member{}, unknown
	}
	if !s.mayEnter(m) {
		return jifen.Member{}, refuse(http.StatusForbidden, "admin.login_unknown", "the member has left or is a bot")
	}
	return m, nil
}

// logout ends the session (the form on every page posts here). The
// session's id is refused from then on, should a copy of the cookie be
// left somewhere: the store keeps it (as a request key, remembered longer
// than a session lasts), so a restart or another replica refuses it too.
// The sign-out's audit record is written with it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	v, ok, err := s.viewer(r)
	if err != nil {
		// Whose session it is is not known: nothing is signed out, and
		// the form can be sent again.
		s.readFailed(w, r, nil, s.t("admin.logout"), "err.internal", err)
		return
	}
	if ok {
		s.spend(signedOutPrefix+v.session, v.Expires)
		ctx := store.WithAudit(context.WithoutCancel(r.Context()), store.AuditRecord{Actor: v.Member.ID, Action: "sign_out", Via: v.Platform})
		if _, _, err := s.st.Write(ctx, signedOutKey(v.session), func(store.Txn) ([]byte, error) { return nil, nil }); err != nil {
			s.log.Error("console sign-out could not be stored; this process refuses the session still", "err", err)
		}
		s.log.Info("console sign-out", "member", v.Member.ID)
	}
	s.clearSession(w)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// safeNext returns next when it is a path under /admin/ of this site, and
// /admin/ otherwise: a sign-in never sends the browser elsewhere.
func safeNext(next string) string {
	const home = "/admin/"
	if !strings.HasPrefix(next, home) || strings.ContainsAny(next, "\\\r\n\t") || strings.Contains(next, "//") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, home) {
		return home
	}
	// A path may not climb out of /admin/ (/admin/../x).
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == ".." || seg == "." {
			return home
		}
	}
	return next
}

// random is 32 bytes from the system's generator, URL-safe.
func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
