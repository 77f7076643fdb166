package feishu

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"jifen/bot/bottest"
	"jifen/config"
)

// countDecrypts replaces decryptBody for the test with one that counts.
func countDecrypts(t *testing.T) *atomic.Int64 {
	var n atomic.Int64
	orig := decryptBody
	decryptBody = func(key, encoded string) ([]byte, error) {
		n.Add(1)
		return orig(key, encoded)
	}
	t.Cleanup(func() { decryptBody = orig })
	return &n
}

// answer is everything a sender learns from a refusal.
type answer struct {
	Status      int
	ContentType string
	Body        string
}

// deliverTo serves one request on mux and returns its answer.
func deliverTo(mux http.Handler, body string, header http.Header) answer {
	req := httptest.NewRequest("POST", "/feishu/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()}
}

func signedHeader(body string, at time.Time, key string) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("X-Lark-Request-Timestamp", ts)
	h.Set("X-Lark-Request-Nonce", "nonce-1")
	h.Set("X-Lark-Signature", signature(ts, "nonce-1", key, []byte(body)))
	return h
}

func encryptedBody(ciphertext []byte) string {
	raw, _ := json.Marshal(map[string]string{"encrypt": base64.StdEncoding.EncodeToString(ciphertext)})
	return string(raw)
}

// Issue 16, item 4: the padding oracle. Two bad ciphertexts — one whose
// padding is wrong, one that decrypts cleanly to something that is not
// JSON — get byte-identical answers however they are sent, and nothing is
// decrypted without a valid signature.
func TestNoPaddingOracle(t *testing.T) {
	h := newHarness(t, true)
	mux := http.NewServeMux()
	h.a.Register(mux)
	decrypts := countDecrypts(t)

	iv := []byte("0123456789abcdef")
	// One block of ciphertext whose plaintext ends in 'X': no valid padding.
	sealed, _ := base64.StdEncoding.DecodeString(encrypt(testEncryptKey, []byte("0123456789abcdeX"), iv))
	badPadding := sealed[:32]
	// Valid padding around text that is not JSON.
	badJSON, _ := base64.StdEncoding.DecodeString(encrypt(testEncryptKey, []byte("not json at all"), iv))
	if _, err := decrypt(testEncryptKey, base64.StdEncoding.EncodeToString(badPadding)); err == nil {
		t.Fatal("precondition: the first ciphertext should have bad padding")
	}
	if p, err := decrypt(testEncryptKey, base64.StdEncoding.EncodeToString(badJSON)); err != nil || json.Valid(p) {
		t.Fatalf("precondition: the second should open to non-JSON: %q %v", p, err)
	}

	var answers []answer
	for _, ct := range [][]byte{badPadding, badJSON} {
		body := encryptedBody(ct)
		badSig := signedHeader(body, time.Now(), testEncryptKey)
		badSig.Set("X-Lark-Signature", strings.Repeat("0", 64))
		for name, hdr := range map[string]http.Header{
			"unsigned":         nil,
			"bad signature":    badSig,
			"another key":      signedHeader(body, time.Now(), "another key"),
			"stale signature":  signedHeader(body, time.Now().Add(-6*time.Minute), testEncryptKey),
			"future signature": signedHeader(body, time.Now().Add(6*time.Minute), testEncryptKey),
			"signed, no nonce": func() http.Header {
				h := signedHeader(body, time.Now(), testEncryptKey)
				h.Del("X-Lark-Request-Nonce")
				return h
			}(),
		} {
			answers = append(answers, deliverTo(mux, body, hdr))
			if n := decrypts.Load(); n != 0 {
				t.Fatalf("%s: decrypted %d times without a valid signature", name, n)
			}
		}
	}
	// The attack itself: the last byte of the IV tried every way, unsigned.
	for b := range 256 {
		ct := bytes.Clone(badPadding)
		ct[15] = byte(b)
		answers = append(answers, deliverTo(mux, encryptedBody(ct), nil))
	}
	if n := decrypts.Load(); n != 0 {
		t.Fatalf("decrypted %d times without a valid signature", n)
	}
	// Validly signed, both are decrypted, and still answered alike.
	for _, ct := range [][]byte{badPadding, badJSON} {
		body := encryptedBody(ct)
		answers = append(answers, deliverTo(mux, body, signedHeader(body, time.Now(), testEncryptKey)))
	}
	if n := decrypts.Load(); n != 2 {
		t.Fatalf("validly signed bodies decrypted %d times, want 2", n)
	}
	want := answer{refusedStatus, "application/json; charset=utf-8", string(refusedBody)}
	for i, a := range answers {
		if a != want {
			t.Fatalf("answer %d differs: %+v, want %+v", i, a, want)
		}
	}
	h.wait()
	if n := h.st.EntryCount(); n != 0 || len(h.api.messages()) != 0 {
		t.Fatalf("refused deliveries wrote %d entries, sent %d messages", n, len(h.api.messages()))
	}
}

// Every refusal of a webhook with an encrypt key is the same, from a
// missing signature to a wrong token inside a valid one.
func TestEveryRefusalAlike(t *testing.T) {
	h := newHarness(t, true)
	plain := event("ev-alike", "im.message.receive_v1", testToken, textMessage("om_alike", "p2p", zhang, "/score"))
	wrongToken := strings.Replace(plain, testToken, "not-the-token", 1)
	var got []answer
	for _, p := range []string{wrongToken, `{"schema":"2.0"}`, `{"challenge":"x","token":"wrong","type":"url_verification"}`, `[]`, `not json`} {
		body, hdr := sealed(p, time.Now())
		got = append(got, deliverTo(h.srv.Config.Handler, body, hdr))
	}
	body, _ := sealed(plain, time.Now())
	got = append(got, deliverTo(h.srv.Config.Handler, body, nil), deliverTo(h.srv.Config.Handler, plain, nil),
		deliverTo(h.srv.Config.Handler, `{"encrypt":"!!"}`, signedHeader(`{"encrypt":"!!"}`, time.Now(), testEncryptKey)))
	for i, a := range got {
		if a != got[0] || a.Status != refusedStatus || a.Body != string(refusedBody) {
			t.Fatalf("refusal %d: %+v, first %+v", i, a, got[0])
		}
	}
}

// Feishu does not sign the request-URL check. By default it is refused
// undecrypted like any unsigned body; with feishu.url_verification_window
// one challenge is answered within the window, after which it closes.
func TestRequestURLCheckWindow(t *testing.T) {
	challenge := fmt.Sprintf(`{"challenge":"ajls384kdjx98XX","token":%q,"type":"url_verification"}`, testToken)
	unsigned := func(plain string) string { body, _ := sealed(plain, time.Now()); return body }
	refused := answer{refusedStatus, "application/json; charset=utf-8", string(refusedBody)}
	answered := answer{200, "application/json; charset=utf-8", `{"challenge":"ajls384kdjx98XX"}`}

	t.Run("closed by default", func(t *testing.T) {
		h := newHarness(t, true)
		decrypts := countDecrypts(t)
		if got := deliverTo(h.srv.Config.Handler, unsigned(challenge), nil); got != refused || decrypts.Load() != 0 {
			t.Fatalf("%+v, %d decrypts", got, decrypts.Load())
		}
		// Signed, as Feishu may yet send it, it is answered.
		body, hdr := sealed(challenge, time.Now())
		if got := deliverTo(h.srv.Config.Handler, body, hdr); got != answered {
			t.Fatalf("signed challenge: %+v", got)
		}
	})

	open := func(t *testing.T) (*harness, *http.ServeMux, *atomic.Int64) {
		h := newHarness(t, true)
		h.a.cfg.URLVerificationWindow = 10 * time.Minute
		mux := http.NewServeMux()
		h.a.Register(mux)
		return h, mux, countDecrypts(t)
	}
	t.Run("one challenge, then closed", func(t *testing.T) {
		h, mux, decrypts := open(t)
		ev := event("ev-unsigned", "im.message.receive_v1", testToken, textMessage("om_unsigned", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"}))
		for _, p := range []string{ev[:200], `{"challenge":"x","token":"wrong","type":"url_verification"}`, "not json"} {
			if got := deliverTo(mux, unsigned(p), nil); got != refused {
				t.Fatalf("%q: %+v", p, got)
			}
		}
		if got := deliverTo(mux, unsigned(challenge), nil); got != answered {
			t.Fatalf("challenge in the window: %+v", got)
		}
		n := decrypts.Load()
		if got := deliverTo(mux, unsigned(challenge), nil); got != refused || decrypts.Load() != n {
			t.Fatalf("after the challenge the window stays open: %+v", got)
		}
		if h.st.EntryCount() != 0 {
			t.Fatal("an unsigned event was applied")
		}
	})
	t.Run("events are too big to be decrypted", func(t *testing.T) {
		_, mux, decrypts := open(t)
		ev := event("ev-unsigned", "im.message.receive_v1", testToken, textMessage("om_unsigned", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"}))
		if got := deliverTo(mux, unsigned(ev), nil); got != refused || decrypts.Load() != 0 {
			t.Fatalf("%+v, %d decrypts", got, decrypts.Load())
		}
	})
	t.Run("a few tries only", func(t *testing.T) {
		_, mux, decrypts := open(t)
		for range maxUnsignedTries {
			deliverTo(mux, unsigned("{}"), nil)
		}
		if got := deliverTo(mux, unsigned(challenge), nil); got != refused || decrypts.Load() != maxUnsignedTries {
			t.Fatalf("%+v, %d decrypts", got, decrypts.Load())
		}
	})
	t.Run("for a while only", func(t *testing.T) {
		h, mux, decrypts := open(t)
		h.a.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
		if got := deliverTo(mux, unsigned(challenge), nil); got != refused || decrypts.Load() != 0 {
			t.Fatalf("%+v, %d decrypts", got, decrypts.Load())
		}
	})
}

// Issue 16, item 12: a token-only webhook (no encrypt key) warns at
// start-up and refuses events older than the duplicate window, which a
// replay of a captured delivery would be.
func TestTokenOnlyWebhook(t *testing.T) {
	var logs bytes.Buffer
	ex := bottest.New(t, "../../config.example.yaml")
	a, err := New(Options{Bot: ex.Bot, Store: ex.Store, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Config: config.Feishu{Enabled: true, AppID: "cli_fake", AppSecret: "s", VerificationToken: testToken, BaseURL: "http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	a.Register(http.NewServeMux())
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "encrypt_key") {
		t.Fatalf("no warning at start-up: %s", logs.String())
	}

	h := newHarness(t, false)
	now := h.a.now()
	award := func(id string) string {
		return textMessage("om_"+id, "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"})
	}
	for name, body := range map[string]string{
		"older than the window": eventAt("ev-old", "im.message.receive_v1", testToken, award("old"), now.Add(-dedupWindow-time.Minute)),
		"from the future":       eventAt("ev-future", "im.message.receive_v1", testToken, award("future"), now.Add(10*time.Minute)),
		"no create_time":        strings.Replace(event("ev-none", "im.message.receive_v1", testToken, award("none")), `"create_time":"1700000000000",`, "", 1),
		"bad create_time":       strings.Replace(event("ev-bad", "im.message.receive_v1", testToken, award("bad")), `"create_time":"1700000000000"`, `"create_time":"yesterday"`, 1),
		"an old card click":     eventAt("ev-card-old", "card.action.trigger", testToken, cardCallback("c-old", zhang, "/score"), now.Add(-dedupWindow-time.Minute)),
	} {
		if code, out := h.post(body, nil); code != 401 {
			t.Errorf("%s: %d %v", name, code, out)
		}
	}
	h.wait()
	if n := h.st.EntryCount(); n != 0 || len(h.api.messages()) != 0 {
		t.Fatalf("refused events wrote %d entries, sent %d messages", n, len(h.api.messages()))
	}
	// Feishu's last re-delivery comes six hours after the first: accepted.
	if code, _ := h.post(eventAt("ev-late", "im.message.receive_v1", testToken, award("late"), now.Add(-6*time.Hour)), nil); code != 200 {
		t.Fatalf("a six-hour-old re-delivery: %d", code)
	}
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
}
