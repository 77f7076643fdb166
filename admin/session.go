package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"jifen"
	"jifen/config"
	"jifen/store"
)

// SessionTTL is how long a sign-in lasts; then the platform is asked again.
const SessionTTL = 12 * time.Hour

// sessionCookie is the console's session: the signed session value
// (HttpOnly, SameSite=Lax, Secure behind https, Path=/admin/).
const sessionCookie = "jifen_admin"

// session is what the session cookie holds, signed with the store's
// session key. It names the member only: their role and department are
// read from the store on every request.
type session struct {
	ID       string `json:"i"` // random: names the session for sign-out
	Member   string `json:"m"`
	Platform string `json:"p"`
	Expires  int64  `json:"e"` // unix seconds
}

// Viewer is the signed-in member a page is served to, as the store has
// them now.
type Viewer struct {
	Member   jifen.Member
	Platform string    // "slack" or "feishu": where they signed in
	Expires  time.Time // when the session ends

	session string // the session's id
}

// Role is the viewer's role.
func (v *Viewer) Role() jifen.Role { return v.Member.Role }

// CanSee reports whether the viewer may see m's figures: admins everyone,
// managers the members of their department, employees themselves.
func (v *Viewer) CanSee(m jifen.Member) bool {
	switch v.Member.Role {
	case jifen.RoleAdmin:
		return true
	case jifen.RoleManager:
		if m.ID == v.Member.ID {
			return true
		}
		return v.Member.Department != "" && m.Department == v.Member.Department
	}
	return m.ID == v.Member.ID
}

// allowed reports whether the viewer may open a page for role min, under
// the admin.employees policy.
func (v *Viewer) allowed(min jifen.Role, employees string) bool {
	if rank(v.Member.Role) < rank(min) {
		return false
	}
	return v.Member.Role != jifen.RoleEmployee || employees == config.EmployeesPage
}

// sign returns value, a dot, and its MAC under the server's key for the
// given purpose (sessions and login states are signed apart, so one can
// never be passed off as the other).
func (s *Server) sign(purpose string, value []byte) string {
	enc := base64.RawURLEncoding.EncodeToString(value)
	return enc + "." + base64.RawURLEncoding.EncodeToString(s.mac(purpose, enc))
}

// verify returns the value signed by sign, or false.
func (s *Server) verify(purpose, signed string) ([]byte, bool) {
	enc, sig, ok := strings.Cut(signed, ".")
	if !ok {
		return nil, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(purpose, enc)) {
		return nil, false
	}
	value, err := base64.RawURLEncoding.DecodeString(enc)
	return value, err == nil
}

func (s *Server) mac(purpose, enc string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(enc))
	return m.Sum(nil)
}

// startSession sets the session cookie for member, signed in on platform.
func (s *Server) startSession(w http.ResponseWriter, member, platform string) {
	exp := s.now().Add(SessionTTL)
	raw, _ := json.Marshal(session{ID: random(), Member: member, Platform: platform, Expires: exp.Unix()})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.sign("session", raw), Path: "/admin/",
		Expires: exp, MaxAge: int(SessionTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// clearSession removes the session cookie, if the request may hold one.
func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/admin/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// viewer reads the request's session and the member it names from the
// store. A session that is missing, forged or expired, or whose member is
// gone, has left or is a bot, gives none. An error is a read of the store
// that failed: whether the session holds is not known.
func (s *Server) viewer(r *http.Request) (*Viewer, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false, nil
	}
	raw, ok := s.verify("session", c.Value)
	if !ok {
		return nil, false, nil
	}
	var se session
	if json.Unmarshal(raw, &se) != nil || se.Member == "" || se.ID == "" {
		return nil, false, nil
	}
	now := s.now()
	if exp := time.Unix(se.Expires, 0); !now.Before(exp) || s.spent(signedOutPrefix+se.ID) {
		return nil, false, nil
	}
	var m jifen.Member
	err = s.st.Read(r.Context(), func(rd store.Reader) error {
		if _, out := rd.Seen(signedOutKey(se.ID)); !out {
			m, ok = rd.Member(se.Member)
		} else {
			ok = false
		}
		return nil
	})
	if err != nil || !ok || !s.mayEnter(m) {
		return nil, false, err
	}
	return &Viewer{Member: m, Platform: se.Platform, Expires: time.Unix(se.Expires, 0), session: se.ID}, true, nil
}

// signedOutKey is the store's request key of a session's sign-out.
func signedOutKey(session string) string { return "console-signout:" + session }

// signedOutPrefix marks a session id among the spent values (login states
// are the others).
const signedOutPrefix = "session:"

// spent reports whether value was spent (a login state used, a session
// signed out) and has not expired since.
func (s *Server) spent(value string) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	exp, ok := s.used[value]
	return ok && s.now().Before(exp)
}

// spend records value as spent until exp. It reports false when it already
// was. Expired values are dropped as it goes, so the set holds no more than
// the states and sign-outs of the last SessionTTL.
func (s *Server) spend(value string, exp time.Time) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	now := s.now()
	for v, e := range s.used {
		if !now.Before(e) {
			delete(s.used, v)
		}
	}
	if _, ok := s.used[value]; ok {
		return false
	}
	s.used[value] = exp
	return true
}

// mayEnter reports whether a member may hold a console session at all:
// employed today and not a bot.
func (s *Server) mayEnter(m jifen.Member) bool {
	return !m.Bot && m.Role.Valid() && !m.HasLeft(s.now(), s.st.Location())
}
