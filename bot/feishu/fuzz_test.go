package feishu

import (
	"bytes"
	"context"
	"crypto/aes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"jifen/bot"
	"jifen/bot/bottest"
)

// The fuzz targets send hostile deliveries through the real webhook —
// plaintext, and encrypted and signed with the fake encrypt key exactly as
// Feishu does — and check what every answer must satisfy whatever the
// body: no panic, no hang, JSON below 500, and a refused delivery has
// written nothing to the store and sent nothing. Seeds are in f.Add and in
// testdata/fuzz; to look further:
//
//	go test ./bot/feishu -run '^$' -fuzz FuzzWebhookEncrypted -fuzztime 60s -fuzzminimizetime 5s

// handlerDeadline bounds one request: events are handed off at once, card
// callbacks run one command.
const handlerDeadline = 5 * time.Second

// fuzzHarness is a harness that counts the store's commits.
type fuzzHarness struct {
	*harness
	mux     *http.ServeMux
	commits atomic.Int64
}

func newFuzzHarness(f *testing.F, encrypt bool) *fuzzHarness {
	h := &fuzzHarness{harness: newHarness(f, encrypt), mux: http.NewServeMux()}
	h.st.SetCommitObserver(func(int, time.Duration) { h.commits.Add(1) })
	h.a.Register(h.mux)
	// The fake contact API names everyone 赵新: with one registered up
	// front, the next unknown sender takes the path that tells names apart.
	if _, err := h.a.member(context.Background(), user{OpenID: "ou_newcomer000000000000000001"}, ""); err != nil {
		f.Fatal(err)
	}
	return h
}

// deliver posts body with header and checks the properties every answer
// has; it returns the status and the decoded answer.
func (h *fuzzHarness) deliver(t *testing.T, body []byte, header http.Header) (int, map[string]any) {
	t.Helper()
	// Every input is a first delivery: with the memory of recent event and
	// message ids kept, most mutations of a seed would be dropped as
	// re-deliveries before they reach anything.
	h.a.seen = bot.NewRecent(time.Hour)
	commits, sends := h.commits.Load(), len(h.api.messages())
	req := httptest.NewRequest("POST", "/feishu/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	rec := bottest.Serve(t, h.mux, req, handlerDeadline, h.wait)
	code := rec.Code
	if code >= 500 || code < 200 {
		t.Fatalf("webhook answered %d to %q: %s", code, body, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("answer to %q has content type %q", body, ct)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer to %q is not a JSON object: %s", body, rec.Body)
	}
	if code >= 300 && h.a.cfg.EncryptKey != "" && code != http.StatusRequestEntityTooLarge &&
		(code != refusedStatus || !bytes.Equal(rec.Body.Bytes(), refusedBody)) {
		// Telling one failure from another would make a padding oracle.
		t.Fatalf("refused %q with %d %s, not the one refusal", body, code, rec.Body)
	}
	if code >= 300 {
		if n := h.commits.Load() - commits; n != 0 {
			t.Fatalf("refused %q with %d but the store committed %d times", body, code, n)
		}
		if sent := h.api.messages(); len(sent) != sends {
			t.Fatalf("refused %q with %d but sent %+v", body, code, sent[sends:])
		}
	}
	return code, out
}

// fuzzSeeds are plaintext deliveries as Feishu sends them, and broken ones.
func fuzzSeeds() []string {
	valid := []string{
		fmt.Sprintf(`{"challenge":"ajls384kdjx98XX","token":%q,"type":"url_verification"}`, testToken),
		event("ev-msg", "im.message.receive_v1", testToken, textMessage("om_award", "group", zhang,
			"@_user_1 /award @_user_2 10 客户好评 华为来信表扬", [2]string{botID, "jifen"}, [2]string{wang, "王芳"})),
		event("ev-p2p", "im.message.receive_v1", testToken, textMessage("om_p2p", "p2p", wang, "积分")),
		event("ev-short", "im.message.receive_v1", testToken, textMessage("om_short", "p2p", "ou1", "/score")), // an open_id shorter than Feishu's
		event("ev-card", "card.action.trigger", testToken, fmt.Sprintf(
			`{"operator":{"open_id":%q},"token":"c-tok-1","action":{"value":{"command":"/reject 1","ask":"1"},"tag":"button","name":"button_1","form_value":{"text":"预算 不足"}},"context":{"open_message_id":"om_card","open_chat_id":"oc_dm"}}`, lina)),
		event("ev-card2", "card.action.trigger", testToken, cardCallback("c-tok-2", wang, "/score")),
		event("ev-menu", "application.bot.menu_v6", testToken, fmt.Sprintf(`{"operator":{"operator_id":{"open_id":%q}},"event_key":"score","timestamp":1700000000}`, wang)),
		event("ev-r1", "im.message.reaction.created_v1", testToken, fmt.Sprintf(`{"message_id":"om_by_zhang","reaction_type":{"emoji_type":"THUMBSUP"},"operator_type":"user","user_id":{"open_id":%q},"action_time":"1700000000000"}`, wang)),
		event("ev-r2", "im.message.reaction.deleted_v1", testToken, fmt.Sprintf(`{"message_id":"om_by_zhang","reaction_type":{"emoji_type":"THUMBSUP"},"operator_type":"user","user_id":{"open_id":%q},"action_time":"1700000000000"}`, wang)),
		// Users of another tenant: refused, whatever they do or however they are named.
		event("ev-out1", "im.message.receive_v1", testToken, fromTenant(textMessage("om_out1", "p2p", outsider, "/score"), "t-other")),
		event("ev-out2", "im.message.receive_v1", testToken, strings.Replace(textMessage("om_out2", "group", zhang, "@_user_1 /award @_user_2 10 客户好评",
			[2]string{botID, "jifen"}, [2]string{outsider, "外人"}), `"name":"外人"}`, `"name":"外人","tenant_key":"t-other"}`, 1)),
		event("ev-out3", "card.action.trigger", testToken, strings.Replace(cardCallback("c-out", outsider, "/score"), `"operator":{`, `"operator":{"tenant_key":"t-other",`, 1)),
		event("ev-out4", "im.message.reaction.created_v1", testToken, fmt.Sprintf(`{"message_id":"om_by_outsider","reaction_type":{"emoji_type":"THUMBSUP"},"operator_type":"user","user_id":{"open_id":%q}}`, wang)),
	}
	broken := []string{
		`{"challenge":"x","token":"wrong","type":"url_verification"}`,
		`{"type":"url_verification","challenge":["x"]}`,
		event("ev-wrongtoken", "im.message.receive_v1", "not-the-token", textMessage("om_x", "p2p", zhang, "/score")),
		event("ev-null", "im.message.receive_v1", testToken, `null`),
		event("ev-types", "im.message.receive_v1", testToken, `{"sender":5,"message":{"content":{"text":"x"},"mentions":{}}}`),
		event("ev-content", "im.message.receive_v1", testToken, `{"sender":{"sender_type":"user","sender_id":{"open_id":"ou_x"}},"message":{"message_id":"om_c","message_type":"text","content":"{\"text\":"}}`),
		event("ev-card-junk", "card.action.trigger", testToken, `{"operator":{"open_id":"x"},"token":"t","action":{"value":"junk"}}`),
		event("ev-card-null", "card.action.trigger", testToken, `{"action":{"value":null,"form_value":{"text":5}}}`),
		event("ev-card-type", "card.action.trigger", testToken, `[]`),
		event("ev-menu-null", "application.bot.menu_v6", testToken, `{"operator":null,"event_key":"nope"}`),
		event("ev-react-bad", "im.message.reaction.created_v1", testToken, `{"reaction_type":"THUMBSUP","operator_type":"user"}`),
		event("ev-unknown", "contact.user.created_v3", testToken, `{}`),
		`{"schema":"2.0","header":{"event_type":"im.message.receive_v1"}}`,
		// Without an encrypt key, events older than the duplicate window
		// (a replay) or with no create_time are refused.
		eventAt("ev-stale", "im.message.receive_v1", testToken, textMessage("om_stale", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"}), testCreated.Add(-9*time.Hour)),
		strings.Replace(event("ev-notime", "im.message.receive_v1", testToken, textMessage("om_notime", "p2p", wang, "/score")), `"create_time":"1700000000000",`, "", 1),
		`{"schema":"1.0","type":"event_callback","token":"` + testToken + `","event":{"type":"message"}}`,
		`{"schema":"2.0","header":`,
		`{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}`,
		`[]`, `null`, `""`, ``, "\xff\x00",
	}
	return append(valid, broken...)
}

// isChallenge reports whether plain is a url_verification, as dispatch
// reads it.
func isChallenge(plain []byte) (challenge string, ok bool) {
	var env envelope
	if json.Unmarshal(plain, &env) != nil || env.Type != "url_verification" {
		return "", false
	}
	return env.Challenge, true
}

// checkOpened checks the answer to a delivery whose plaintext was plain;
// bad is the status of a malformed one (400, or with an encrypt key the
// one refusal).
func checkOpened(t *testing.T, plain []byte, code, bad int, out map[string]any) {
	t.Helper()
	if !json.Valid(plain) && code != bad {
		t.Fatalf("malformed delivery %q: %d, want %d", plain, code, bad)
	}
	if code != http.StatusOK {
		return
	}
	if ch, ok := isChallenge(plain); ok {
		if out["challenge"] != ch {
			t.Fatalf("challenge %q answered %v", ch, out)
		}
		return
	}
	// The token is checked on every event, not only the challenge.
	var env envelope
	if json.Unmarshal(plain, &env) != nil || env.Header.Token != testToken {
		t.Fatalf("event %q accepted without the verification token", plain)
	}
}

// FuzzWebhook posts raw bodies: to a plaintext webhook, or (keyed) to one
// with an encrypt key, signed over the body as it is, so that the outer
// {"encrypt": …} and its decryption meet the input.
func FuzzWebhook(f *testing.F) {
	plain, keyed := newFuzzHarness(f, false), newFuzzHarness(f, true)
	for _, s := range fuzzSeeds() {
		f.Add(s, false)
	}
	iv := []byte("0123456789abcdef")
	sealedBody := func(p string) string {
		raw, _ := json.Marshal(map[string]string{"encrypt": encrypt(testEncryptKey, []byte(p), iv)})
		return string(raw)
	}
	good := encrypt(testEncryptKey, []byte(fuzzSeeds()[1]), iv)
	for _, s := range []string{
		sealedBody(fuzzSeeds()[0]),
		sealedBody(fuzzSeeds()[1]),
		sealedBody(fuzzSeeds()[4]),
		sealedBody(`{"schema":"2.0"`),
		`{"encrypt":"` + good[:len(good)/2] + `"}`,                       // truncated
		`{"encrypt":"` + good[:len(good)-4] + `"}`,                       // a block short
		`{"encrypt":"` + strings.Repeat("A", 64) + `"}`,                  // wrong padding
		`{"encrypt":"` + base64.StdEncoding.EncodeToString(iv) + `"}`,    // IV alone
		`{"encrypt":"` + encrypt("another key", []byte(`{}`), iv) + `"}`, // another key
		`{"encrypt":"!!!not base64!!!"}`,
		`{"encrypt":""}`,
		`{"encrypt":5}`,
		`{"encrypt":"` + good + `","extra":`,
		`{}`, ``,
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, withKey bool) {
		if !withKey {
			code, out := plain.deliver(t, []byte(body), nil)
			checkOpened(t, []byte(body), code, http.StatusBadRequest, out)
			return
		}
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		hdr := http.Header{}
		hdr.Set("X-Lark-Request-Timestamp", ts)
		hdr.Set("X-Lark-Request-Nonce", "nonce-1")
		hdr.Set("X-Lark-Signature", signature(ts, "nonce-1", testEncryptKey, []byte(body)))
		code, out := keyed.deliver(t, []byte(body), hdr)
		var outer struct {
			Encrypt string `json:"encrypt"`
		}
		if json.Unmarshal([]byte(body), &outer) != nil || outer.Encrypt == "" {
			if code != refusedStatus {
				t.Fatalf("unencrypted body %q: %d, want %d", body, code, refusedStatus)
			}
			return
		}
		opened, err := decrypt(testEncryptKey, outer.Encrypt)
		if err != nil {
			if code != refusedStatus {
				t.Fatalf("undecryptable body %q: %d, want %d", body, code, refusedStatus)
			}
			return
		}
		checkOpened(t, opened, code, refusedStatus, out)
	})
}

// FuzzWebhookEncrypted seals plaintext deliveries as Feishu does
// (AES-256-CBC under SHA-256 of the encrypt key, base64 of IV and
// ciphertext in {"encrypt": …}), signed or not.
func FuzzWebhookEncrypted(f *testing.F) {
	h := newFuzzHarness(f, true)
	for _, s := range fuzzSeeds() {
		f.Add(s, true)
	}
	f.Add(fuzzSeeds()[0], false) // a challenge is refused unsigned too, by default
	f.Add(fuzzSeeds()[1], false) // an event always
	f.Fuzz(func(t *testing.T, plain string, signed bool) {
		body, hdr := sealed(plain, time.Now())
		if !signed {
			hdr = nil
		}
		commits := h.commits.Load()
		code, out := h.deliver(t, []byte(body), hdr)
		checkOpened(t, []byte(plain), code, refusedStatus, out)
		if !signed {
			// The request-URL check's window is closed (the default):
			// nothing unsigned is even decrypted.
			if code != refusedStatus {
				t.Fatalf("unsigned delivery %q: %d, want %d", plain, code, refusedStatus)
			}
			if n := h.commits.Load() - commits; n != 0 {
				t.Fatalf("unsigned delivery %q: the store committed %d times", plain, n)
			}
		}
	})
}

// FuzzDecrypt: no input makes decrypt panic; what it opens seals back to
// the same bytes, and what encrypt seals opens to the same plaintext.
func FuzzDecrypt(f *testing.F) {
	iv := []byte("0123456789abcdef")
	f.Add(testEncryptKey, encrypt(testEncryptKey, []byte(fuzzSeeds()[0]), iv), []byte(fuzzSeeds()[0]))
	f.Add("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", []byte("hello world"))
	f.Add("wrong key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", []byte{})
	f.Add("", "", []byte(nil))
	f.Add("k", "AAAAAAAAAAAAAAAAAAAAAA==", []byte(strings.Repeat("x", 16)))
	f.Add("k", strings.Repeat("A", 64), []byte("\x10"))
	f.Add("k", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk", []byte("{"))
	f.Add("k", "P37w+VZImNgPEO1RBhJ6Rt\r\nKl7n6zymIbEG1pReEzghk=", []byte("\x00"))
	f.Fuzz(func(t *testing.T, key, encoded string, plain []byte) {
		if out, err := decrypt(key, encoded); err == nil {
			raw, _ := base64.StdEncoding.DecodeString(encoded)
			if again := encrypt(key, out, raw[:aes.BlockSize]); again != base64.StdEncoding.EncodeToString(raw) {
				t.Fatalf("decrypt(%q, %q) = %q, which seals to %q", key, encoded, out, again)
			}
		}
		sealed := encrypt(key, plain, iv)
		if out, err := decrypt(key, sealed); err != nil || !bytes.Equal(out, plain) {
			t.Fatalf("decrypt(encrypt(%q)) = %q, %v", plain, out, err)
		}
	})
}
