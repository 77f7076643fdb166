package feishu

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// MaxBody is the largest request body accepted from Feishu.
const MaxBody = 1 << 20

// maxSkew is how old (or early) a signed request may be.
const maxSkew = 5 * time.Minute

// Register adds the event subscription endpoint (feishu.mode: webhook).
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /feishu/events", a.handleEvents)
}

// envelope is what arrives, once decrypted: a 2.0 event or callback, or the
// url_verification challenge.
type envelope struct {
	Schema string `json:"schema"`
	Header struct {
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Token     string `json:"token"`
	} `json:"header"`
	Event json.RawMessage `json:"event"`

	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	Token     string `json:"token"`
}

// handleEvents checks a delivery before anything reads it: the body's size,
// the signature and its freshness when an encrypt key is set, the
// decryption, and the verification token — on every event, not only the
// challenge as the SDK's dispatcher does. Anything that fails gets a 4xx
// and changes nothing. Answers are JSON.
func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "cannot read body"})
		return
	}
	plain, signed, status, reason := a.open(r.Header, body)
	if status != 0 {
		a.log.Warn("rejected request", "reason", reason)
		writeJSON(w, status, map[string]string{"error": reason})
		return
	}
	resp, status, reason := a.dispatch(r.Context(), plain, signed)
	if status != 0 {
		a.log.Warn("rejected request", "reason", reason)
		writeJSON(w, status, map[string]string{"error": reason})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// open verifies and decrypts a body. signed reports whether it carried a
// valid signature.
func (a *Adapter) open(h http.Header, body []byte) (plain []byte, signed bool, status int, reason string) {
	key := a.cfg.EncryptKey
	if key == "" {
		return body, false, 0, ""
	}
	ts, nonce, sig := h.Get("X-Lark-Request-Timestamp"), h.Get("X-Lark-Request-Nonce"), h.Get("X-Lark-Signature")
	if sig != "" {
		if subtle.ConstantTimeCompare([]byte(signature(ts, nonce, key, body)), []byte(sig)) != 1 {
			return nil, false, http.StatusUnauthorized, "bad signature"
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > maxSkew {
			return nil, false, http.StatusUnauthorized, "stale or bad timestamp"
		}
		signed = true
	}
	var outer struct {
		Encrypt string `json:"encrypt"`
	}
	if err := json.Unmarshal(body, &outer); err != nil || outer.Encrypt == "" {
		return nil, false, http.StatusBadRequest, "body is not encrypted"
	}
	plain, err := decrypt(key, outer.Encrypt)
	if err != nil {
		return nil, false, http.StatusBadRequest, "cannot decrypt body"
	}
	return plain, signed, 0, ""
}

// dispatch handles an opened delivery and returns the answer.
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
	return a.event(ctx, env), 0, ""
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
