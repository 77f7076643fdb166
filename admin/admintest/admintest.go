// Package admintest fakes the platforms' sign-in for tests of the web
// console: Slack's OpenID Connect provider (discovery document, signing
// keys, authorize page, token endpoint issuing RS256 ID tokens) and
// Feishu's web login (authorize page, app and tenant tokens, the code
// exchange, user_info, tenant.query). Each code is accepted once.
//
// A test either plays the user itself (Issue: the code the platform would
// send back for a given nonce) or lets a browser follow the authorize
// page, which signs in whoever SignInAs named and redirects back to the
// console with a code and the state.
package admintest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SlackUser is who signs in on the fake Slack's authorize page.
type SlackUser struct {
	ID    string // Slack user id (U…), the ID token's https://slack.com/user_id
	Team  string // the workspace, https://slack.com/team_id
	Email string // verified when not empty
}

// Slack is a fake Sign in with Slack provider. Its URL is the issuer.
type Slack struct {
	URL          string
	ClientID     string
	ClientSecret string

	srv *httptest.Server
	key *rsa.PrivateKey
	now func() time.Time

	mu    sync.Mutex
	codes map[string]map[string]any // code → the ID token's claims
	user  SlackUser
}

// slackKey is the fakes' signing key, made once per process.
var slackKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// NewSlack starts a fake Slack; ID tokens are issued at now(). Close it
// when done.
func NewSlack(now func() time.Time) *Slack {
	key, err := slackKey()
	if err != nil {
		panic(err)
	}
	if now == nil {
		now = time.Now
	}
	f := &Slack{ClientID: "111.222", ClientSecret: "fake-slack-client-secret", key: key, now: now, codes: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer": f.URL, "authorization_endpoint": f.URL + "/openid/connect/authorize",
			"token_endpoint": f.URL + "/api/openid.connect.token", "jwks_uri": f.URL + "/openid/connect/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /openid/connect/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /openid/connect/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		u := f.user
		f.mu.Unlock()
		if q.Get("client_id") != f.ClientID || u.ID == "" {
			http.Error(w, "unknown client or nobody to sign in", http.StatusBadRequest)
			return
		}
		code := f.Issue(u.ID, u.Team, u.Email, q.Get("nonce"))
		redirectBack(w, r, q.Get("redirect_uri"), code, q.Get("state"))
	})
	mux.HandleFunc("POST /api/openid.connect.token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
		}
		if id != f.ClientID || secret != f.ClientSecret {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error": "invalid_client"})
			return
		}
		f.mu.Lock()
		claims, ok := f.codes[r.FormValue("code")]
		delete(f.codes, r.FormValue("code"))
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_grant"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "access_token": "xoxp-fake", "token_type": "Bearer", "id_token": f.sign(claims)})
	})
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	return f
}

// Close stops the fake.
func (f *Slack) Close() { f.srv.Close() }

// SignInAs names who the authorize page signs in from now on.
func (f *Slack) SignInAs(u SlackUser) {
	f.mu.Lock()
	f.user = u
	f.mu.Unlock()
}

// Issue is a user signing in on Slack's page: it returns the code Slack
// would send back to the callback, for an ID token with nonce.
func (f *Slack) Issue(user, team, email, nonce string) string {
	now := f.now()
	code := "code-" + random()
	f.mu.Lock()
	f.codes[code] = map[string]any{
		"iss": f.URL, "aud": f.ClientID, "sub": user, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": nonce, "email": email, "email_verified": email != "",
		"https://slack.com/user_id": user, "https://slack.com/team_id": team,
	}
	f.mu.Unlock()
	return code
}

// sign is an RS256 JWT of claims.
func (f *Slack) sign(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return in + "." + b64(sig)
}

// FeishuUser is who signs in on the fake Feishu's authorize page.
type FeishuUser struct {
	OpenID string
	Tenant string // tenant_key; the app's own is Feishu.Tenant
	Email  string
}

// Feishu is a fake Feishu Open Platform for the web login. Its URL is the
// feishu.base_url to configure.
type Feishu struct {
	URL       string
	AppID     string
	AppSecret string
	Tenant    string // the app's tenant_key, as tenant.query names it

	srv *httptest.Server

	mu    sync.Mutex
	codes map[string]FeishuUser // code → who signed in
	users map[string]FeishuUser // user access token → who
	user  FeishuUser
}

// NewFeishu starts a fake Feishu. Close it when done.
func NewFeishu() *Feishu {
	f := &Feishu{AppID: "cli_fake", AppSecret: "fake-feishu-app-secret", Tenant: "tenant-home",
		codes: map[string]FeishuUser{}, users: map[string]FeishuUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /open-apis/authen/v1/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		u := f.user
		f.mu.Unlock()
		if q.Get("app_id") != f.AppID || u.OpenID == "" {
			http.Error(w, "unknown app or nobody to sign in", http.StatusBadRequest)
			return
		}
		redirectBack(w, r, q.Get("redirect_uri"), f.Issue(u.OpenID, u.Tenant, u.Email), q.Get("state"))
	})
	mux.HandleFunc("POST /open-apis/auth/v3/app_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "app_access_token": "a-fake", "expire": 7200})
	})
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-fake", "expire": 7200})
	})
	mux.HandleFunc("POST /open-apis/authen/v1/access_token", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			GrantType string `json:"grant_type"`
			Code      string `json:"code"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if r.Header.Get("Authorization") != "Bearer a-fake" || body.GrantType != "authorization_code" {
			writeJSON(w, http.StatusOK, map[string]any{"code": 20014, "msg": "bad app token or grant type"})
			return
		}
		tok := "u-" + random()
		f.mu.Lock()
		u, ok := f.codes[body.Code]
		delete(f.codes, body.Code)
		if ok {
			f.users[tok] = u
		}
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusOK, map[string]any{"code": 20003, "msg": "invalid code"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 7200}})
	})
	mux.HandleFunc("GET /open-apis/authen/v1/user_info", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		u, ok := f.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusOK, map[string]any{"code": 20005, "msg": "invalid access token"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
			"open_id": u.OpenID, "tenant_key": u.Tenant, "email": u.Email, "name": u.OpenID}})
	})
	mux.HandleFunc("GET /open-apis/tenant/v2/tenant/query", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t-fake" {
			writeJSON(w, http.StatusOK, map[string]any{"code": 99991663, "msg": "invalid tenant token"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
			"tenant": map[string]any{"tenant_key": f.Tenant, "name": "示例公司"}}})
	})
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	return f
}

// Close stops the fake.
func (f *Feishu) Close() { f.srv.Close() }

// SignInAs names who the authorize page signs in from now on.
func (f *Feishu) SignInAs(u FeishuUser) {
	f.mu.Lock()
	f.user = u
	f.mu.Unlock()
}

// Issue is a user signing in on Feishu's page: the code Feishu would send
// back to the callback.
func (f *Feishu) Issue(openID, tenant, email string) string {
	code := "fs-" + random()
	f.mu.Lock()
	f.codes[code] = FeishuUser{OpenID: openID, Tenant: tenant, Email: email}
	f.mu.Unlock()
	return code
}

// redirectBack sends the browser to the console's callback with the code
// and the state it came with.
func redirectBack(w http.ResponseWriter, r *http.Request, to, code, state string) {
	u, err := url.Parse(to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	q := u.Query()
	q.Set("code", code)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func random() string {
	b := make([]byte, 9)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
