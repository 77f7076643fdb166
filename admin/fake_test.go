package admin

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
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlack is Slack's OpenID provider as the console uses it: the
// discovery document, the signing keys and the token endpoint, issuing
// RS256 ID tokens for codes the test hands out (as if the user had signed
// in on Slack's page). A code is accepted once.
type fakeSlack struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	client string
	secret string
	now    func() time.Time

	mu    sync.Mutex
	codes map[string]map[string]any // code → the ID token's claims
}

func newFakeSlack(t *testing.T, now func() time.Time) *fakeSlack {
	key, err := slackKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSlack{key: key, client: "111.222", secret: "slack-client-secret", now: now, codes: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{
			"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/openid/connect/authorize",
			"token_endpoint": f.srv.URL + "/api/openid.connect.token", "jwks_uri": f.srv.URL + "/openid/connect/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /openid/connect/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("POST /api/openid.connect.token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
		}
		if id != f.client || secret != f.secret {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_client"})
			return
		}
		f.mu.Lock()
		claims, ok := f.codes[r.FormValue("code")]
		delete(f.codes, r.FormValue("code"))
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_grant"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "access_token": "xoxp-user", "token_type": "Bearer", "id_token": f.sign(claims)})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// slackKey is the fake's signing key, made once for all tests.
var slackKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// issue is the user signing in on Slack's page: it returns the code Slack
// would send back to the callback, for an ID token with nonce.
func (f *fakeSlack) issue(user, team, email, nonce string) string {
	now := f.now()
	code := "code-" + random()[:12]
	f.mu.Lock()
	f.codes[code] = map[string]any{
		"iss": f.srv.URL, "aud": f.client, "sub": user, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": nonce, "email": email, "email_verified": email != "",
		"https://slack.com/user_id": user, "https://slack.com/team_id": team,
	}
	f.mu.Unlock()
	return code
}

// sign is an RS256 JWT of claims.
func (f *fakeSlack) sign(claims map[string]any) string {
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

// fakeFeishu is Feishu's web login as the SDK calls it: the app's and the
// tenant's tokens, the code exchange (each code once), user_info and
// tenant.query.
type fakeFeishu struct {
	srv  *httptest.Server
	home string // the app's tenant_key

	mu    sync.Mutex
	codes map[string]map[string]any // code → user_info data
	users map[string]map[string]any // user access token → user_info data
}

func newFakeFeishu(t *testing.T) *fakeFeishu {
	f := &fakeFeishu{home: "tenant-home", codes: map[string]map[string]any{}, users: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/app_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"code": 0, "msg": "ok", "app_access_token": "a-token", "expire": 7200})
	})
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-token", "expire": 7200})
	})
	mux.HandleFunc("POST /open-apis/authen/v1/access_token", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			GrantType string `json:"grant_type"`
			Code      string `json:"code"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if r.Header.Get("Authorization") != "Bearer a-token" || body.GrantType != "authorization_code" {
			writeJSON(w, map[string]any{"code": 20014, "msg": "bad app token or grant type"})
			return
		}
		f.mu.Lock()
		user, ok := f.codes[body.Code]
		delete(f.codes, body.Code)
		tok := "u-" + random()[:12]
		if ok {
			f.users[tok] = user
		}
		f.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"code": 20003, "msg": "invalid code"})
			return
		}
		writeJSON(w, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 7200}})
	})
	mux.HandleFunc("GET /open-apis/authen/v1/user_info", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		user, ok := f.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"code": 20005, "msg": "invalid access token"})
			return
		}
		writeJSON(w, map[string]any{"code": 0, "msg": "success", "data": user})
	})
	mux.HandleFunc("GET /open-apis/tenant/v2/tenant/query", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t-token" {
			writeJSON(w, map[string]any{"code": 99991663, "msg": "invalid tenant token"})
			return
		}
		writeJSON(w, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"tenant": map[string]any{"tenant_key": f.home, "name": "示例公司"}}})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// issue is the user signing in on Feishu's page.
func (f *fakeFeishu) issue(openID, tenant, email string) string {
	code := "fs-" + random()[:12]
	f.mu.Lock()
	f.codes[code] = map[string]any{"open_id": openID, "tenant_key": tenant, "email": email, "name": openID}
	f.mu.Unlock()
	return code
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
