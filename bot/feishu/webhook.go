package feishu

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// MaxBody is the largest request body accepted from Feishu.
const MaxBody = 1 << 20

// maxSkew is how old (or early) a signed request may be.
const maxSkew = 5 * time.Minute

// Register adds the event subscription endpoint (feishu.mode: webhook).
// Without an encrypt key Feishu neither signs nor encrypts deliveries:
// only the verification token, sent in the clear in every body, stands
// between the endpoint and anyone who has seen one, so Register warns.
// With one, it opens the request-URL check's window when configured.
func (a *Adapter) Register(mux *http.ServeMux) {
	if a.cfg.EncryptKey == "" {
		a.log.Warn("feishu webhook without encrypt_key: deliveries are neither signed nor encrypted, only the verification token "+
			"authenticates them; set an Encrypt Key in the developer console and feishu.encrypt_key",
			"refuses_older_than", dedupWindow)
	} else if w := a.cfg.URLVerificationWindow; w > 0 {
		a.window.open(a.now().Add(w))
		a.log.Warn("feishu request-URL check window open: an unsigned url_verification will be decrypted and answered once",
			"for", w, "attempts", maxUnsignedTries)
	}
	mux.HandleFunc("POST /feishu/events", a.handleEvents)
}

// envelope is what arrives, once decrypted: a 2.0 event or callback, or the
// url_verification challenge.
type envelope struct {
	Schema string `json:"schema"`
	Header struct {
		EventID    string `json:"event_id"`
		EventType  string `json:"event_type"`
		Token      string `json:"token"`
		CreateTime string `json:"create_time"` // milliseconds, as a string
		TenantKey  string `json:"tenant_key"`  // the tenant the app serves
	} `json:"header"`
	Event json.RawMessage `json:"event"`

	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	Token     string `json:"token"`
}

// refusedStatus and refusedBody are the one answer to every delivery
// refused by a webhook with an encrypt key, whatever went wrong: a missing,
// bad or stale signature, a body that is not encrypted, does not decrypt,
// decrypts to something that is not JSON or not an event, a wrong token.
// An answer that told these apart would be a padding oracle: a captured
// body can be decrypted block by block by anyone who can tell "bad
// padding" from "bad JSON" (issue 16). The reason goes to the log only.
const refusedStatus = http.StatusUnauthorized

var refusedBody = []byte(`{"error":"refused"}`)

// decryptBody opens an encrypted body; a variable so that tests can see
// what is decrypted.
var decryptBody = decrypt

// handleEvents checks a delivery before anything reads it: the body's
// size; with an encrypt key, the signature and its freshness, and only
// then the decryption; the verification token on every event, not only
// the challenge as the SDK's dispatcher does; without an encrypt key, the
// event's age. Anything that fails gets a 4xx and changes nothing. Answers
// are JSON.
func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		// The length of a body is no secret: it may be told.
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.refuse(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		a.refuse(w, http.StatusBadRequest, "cannot read body")
		return
	}
	plain, signed, reason := a.open(r.Header, body)
	if reason != "" {
		a.refuse(w, http.StatusBadRequest, reason)
		return
	}
	resp, status, reason := a.dispatch(r.Context(), plain, signed)
	if status >= http.StatusInternalServerError {
		// Authenticated, not refused: its work failed, and the answer
		// asks Feishu to deliver it again.
		a.log.Warn("event not handled; Feishu will deliver it again", "reason", reason)
		writeJSON(w, status, map[string]string{"error": "temporarily unavailable"})
		return
	}
	if status != 0 {
		a.refuse(w, status, reason)
		return
	}
	if !signed && a.cfg.EncryptKey != "" {
		// Only a challenge passes unsigned: the console has what it needs.
		a.window.close()
		a.log.Info("answered the request-URL check; the window is closed")
	}
	writeJSON(w, http.StatusOK, resp)
}

// refuse answers a refused delivery: with an encrypt key always the same
// bytes (see refusedBody), without one the reason, which can reveal
// nothing the sender did not send in the clear.
func (a *Adapter) refuse(w http.ResponseWriter, status int, reason string) {
	a.log.Warn("rejected request", "reason", reason)
	if a.cfg.EncryptKey != "" && status != http.StatusRequestEntityTooLarge {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(refusedStatus)
		_, _ = w.Write(refusedBody)
		return
	}
	writeJSON(w, status, map[string]string{"error": reason})
}

// maxChallengeCiphertext bounds the "encrypt" field of an unsigned body
// decrypted in the request-URL check's window: a challenge is about 100
// bytes of JSON, under 250 characters sealed.
const maxChallengeCiphertext = 512

// open verifies and decrypts a body; reason says why it was refused.
// signed reports a valid, fresh signature. Nothing unsigned is decrypted,
// except in the request-URL check's window (see challengeWindow).
func (a *Adapter) open(h http.Header, body []byte) (plain []byte, signed bool, reason string) {
	key := a.cfg.EncryptKey
	if key == "" {
		return body, false, ""
	}
	var outer struct {
		Encrypt string `json:"encrypt"`
	}
	sig := h.Get("X-Lark-Signature")
	if sig == "" {
		// Feishu does not sign its request-URL check.
		if json.Unmarshal(body, &outer) != nil || outer.Encrypt == "" || len(outer.Encrypt) > maxChallengeCiphertext {
			return nil, false, "unsigned"
		}
		if !a.window.take(a.now()) {
			return nil, false, "unsigned (the request-URL check window is closed: see feishu.url_verification_window)"
		}
	} else {
		ts, nonce := h.Get("X-Lark-Request-Timestamp"), h.Get("X-Lark-Request-Nonce")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || a.now().Sub(time.Unix(sec, 0)).Abs() > maxSkew {
			return nil, false, "stale or bad timestamp"
		}
		if subtle.ConstantTimeCompare([]byte(signature(ts, nonce, key, body)), []byte(sig)) != 1 {
			return nil, false, "bad signature"
		}
		if json.Unmarshal(body, &outer) != nil || outer.Encrypt == "" {
			return nil, false, "body is not encrypted"
		}
		signed = true
	}
	plain, err := decryptBody(key, outer.Encrypt)
	if err != nil {
		return nil, false, "cannot decrypt body"
	}
	return plain, signed, ""
}

// maxUnsignedTries is how many unsigned bodies the request-URL check's
// window decrypts at most: the console's check and a few retries, far
// from the thousands a padding oracle needs, even if the answers could
// be told apart.
const maxUnsignedTries = 10

// challengeWindow is the opt-in setup step of a webhook with an encrypt
// key (feishu.url_verification_window). Feishu does not sign the
// request-URL check it sends when the URL is saved in the developer
// console, yet encrypts it; by default it is refused like any unsigned
// body, undecrypted. While the window is open — from start-up for the
// configured time, for at most maxUnsignedTries unsigned bodies of a
// challenge's size, until one challenge has been answered — an unsigned
// body is decrypted, and answered only if it is a url_verification with
// the right token. Every failure is answered with the same bytes.
type challengeWindow struct {
	mu    sync.Mutex
	until time.Time
	tries int
}

func (w *challengeWindow) open(until time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.until, w.tries = until, maxUnsignedTries
}

// take reports whether an unsigned body may be decrypted now, and counts it.
func (w *challengeWindow) take(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tries <= 0 || !now.Before(w.until) {
		return false
	}
	w.tries--
	return true
}

func (w *challengeWindow) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.until, w.tries = time.Time{}, 0
}

// dispatch handles an opened delivery and returns the answer.
// A status of 500 or above says that an authenticated event was not
// handled (see event): Feishu is to deliver it again.
func (a *Adapter) dispatch(ctx context.Context, plain []byte, signed bool) (resp any, status int, reason string) {
	var env envelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return nil, http.StatusBadRequest, "malformed JSON"
	}
	if env.Type == "url_verification" {
		if !a.tokenOK(env.Token) {
			return nil, http.StatusUnauthorized, "wrong verification token"
		}
		return map[string]string{"challenge": env.Challenge}, 0, ""
	}
	if env.Schema != "2.0" || env.Header.EventType == "" {
		return nil, http.StatusBadRequest, "not a 2.0 event"
	}
	if !a.tokenOK(env.Header.Token) {
		return nil, http.StatusUnauthorized, "wrong verification token"
	}
	if a.cfg.EncryptKey != "" && !signed {
		return nil, http.StatusUnauthorized, "unsigned event"
	}
	if !signed {
		// Token only: a captured delivery would be good for ever. Within
		// dedupWindow a replay is dropped as a re-delivery by its event_id;
		// older ones are refused here (Feishu's last re-delivery comes six
		// hours after the first).
		ms, err := strconv.ParseInt(env.Header.CreateTime, 10, 64)
		if age := a.now().Sub(time.UnixMilli(ms)); err != nil || age > dedupWindow || age < -maxSkew {
			return nil, http.StatusUnauthorized, "stale or missing create_time"
		}
	}
	resp, err := a.event(ctx, env)
	if err != nil {
		return nil, http.StatusServiceUnavailable, "not handled: " + err.Error()
	}
	return resp, 0, ""
}

// tokenOK checks the verification token when one is configured.
func (a *Adapter) tokenOK(token string) bool {
	want := a.cfg.VerificationToken
	return want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		status, raw = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
