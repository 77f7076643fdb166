package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"jifen/config"
)

// The workspace and chat the load pretends to come from.
const (
	slackTeam    = "T0LOAD0001"
	slackChannel = "C0LOAD0001"
	slackApp     = "A0LOAD0001"
	feishuChat   = "oc_jifen_load_chat_000000000000"
	feishuTenant = "jifen-load-tenant"
)

// Signer builds the HTTP requests as the platforms send them, signed (and
// for Feishu encrypted) with the secrets of the config the server runs with.
type Signer struct {
	BaseURL     string // the server when the generator is given no URLs: http://127.0.0.1:8080
	Slack       config.Slack
	Feishu      config.Feishu
	ResponseURL string // where Slack's response_url points: the generator's listener
}

// loadEpoch is when the generator started; messages are sent from then on.
var loadEpoch = time.Now()

// Request builds delivery d to the server at base (http://127.0.0.1:8080;
// "" is BaseURL). retry numbers the re-delivery (0 is the first
// delivery); reason says why it is re-sent, as Slack's X-Slack-Retry-Reason.
// Feishu re-delivers the same event_id and says nothing more.
func (s *Signer) Request(base string, d Delivery, retry int, reason string, now time.Time) (*http.Request, error) {
	if base == "" {
		base = s.BaseURL
	}
	base = strings.TrimSuffix(base, "/")
	if d.Platform == "slack" {
		return s.slackCommand(base, d, retry, reason, now)
	}
	return s.feishuEvent(base, d, now)
}

// slackCommand is a slash command: a form POST with the fields Slack sends
// (slack.SlashCommandParse reads them), signed v0 HMAC-SHA256 over
// "v0:{timestamp}:{body}".
func (s *Signer) slackCommand(base string, d Delivery, retry int, reason string, now time.Time) (*http.Request, error) {
	respond := ""
	if s.ResponseURL != "" {
		respond = fmt.Sprintf("%s/commands/%s/%d/%s", s.ResponseURL, slackTeam, d.Seq, orDash(d.Token))
	}
	body := url.Values{
		"token":                 {"load-legacy-verification-token"},
		"team_id":               {slackTeam},
		"team_domain":           {"jifen-load"},
		"channel_id":            {slackChannel},
		"channel_name":          {"jifen-load"},
		"user_id":               {d.User},
		"user_name":             {strings.ToLower(d.User)},
		"command":               {d.Slash},
		"text":                  {d.Text},
		"api_app_id":            {slackApp},
		"is_enterprise_install": {"false"},
		"response_url":          {respond},
		"trigger_id":            {d.TriggerID},
	}.Encode()
	req, err := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	stamp := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", SlackSignature(s.Slack.SigningSecret, stamp, []byte(body)))
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", reason)
	}
	return req, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// SlackSignature is X-Slack-Signature: "v0=" + hex HMAC-SHA256 of
// "v0:{timestamp}:{body}" with the signing secret.
func SlackSignature(secret, stamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", stamp)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// feishuEnvelope is an event in the 2.0 schema.
type feishuEnvelope struct {
	Schema string `json:"schema"`
	Header struct {
		EventID    string `json:"event_id"`
		EventType  string `json:"event_type"`
		CreateTime string `json:"create_time"`
		Token      string `json:"token"`
		AppID      string `json:"app_id"`
		TenantKey  string `json:"tenant_key"`
	} `json:"header"`
	Event feishuMessageEvent `json:"event"`
}

type feishuUserID struct {
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id,omitempty"`
	UserID  string `json:"user_id,omitempty"`
}

type feishuMessageEvent struct {
	Sender struct {
		SenderID   feishuUserID `json:"sender_id"`
		SenderType string       `json:"sender_type"`
		TenantKey  string       `json:"tenant_key"`
	} `json:"sender"`
	Message struct {
		MessageID   string `json:"message_id"`
		CreateTime  string `json:"create_time"`
		ChatID      string `json:"chat_id"`
		ChatType    string `json:"chat_type"`
		MessageType string `json:"message_type"`
		Content     string `json:"content"`
		Mentions    []struct {
			Key       string       `json:"key"`
			ID        feishuUserID `json:"id"`
			Name      string       `json:"name"`
			TenantKey string       `json:"tenant_key"`
		} `json:"mentions"`
	} `json:"message"`
}

// feishuEvent is an im.message.receive_v1 event: a text message in a group
// that @mentions the bot. With an encrypt key the body is encrypted and
// signed; the verification token is in the header either way.
func (s *Signer) feishuEvent(base string, d Delivery, now time.Time) (*http.Request, error) {
	var env feishuEnvelope
	env.Schema = "2.0"
	// create_time is when the message was sent: the same on every
	// re-delivery, and recent, since a webhook without an encrypt key
	// refuses events older than its duplicate window.
	created := strconv.FormatInt(loadEpoch.UnixMilli()+d.Seq, 10)
	env.Header.EventID = d.EventID
	env.Header.EventType = "im.message.receive_v1"
	env.Header.CreateTime = created
	env.Header.Token = s.Feishu.VerificationToken
	env.Header.AppID = s.Feishu.AppID
	env.Header.TenantKey = feishuTenant
	ev := &env.Event
	ev.Sender.SenderID = feishuUserID{OpenID: d.User}
	ev.Sender.SenderType = "user"
	ev.Sender.TenantKey = feishuTenant
	m := &ev.Message
	m.MessageID, m.CreateTime, m.ChatID, m.ChatType, m.MessageType = d.MessageID, created, feishuChat, "group", "text"
	content, err := json.Marshal(map[string]string{"text": d.Text})
	if err != nil {
		return nil, err
	}
	m.Content = string(content)
	for _, mt := range d.Mentions {
		m.Mentions = append(m.Mentions, struct {
			Key       string       `json:"key"`
			ID        feishuUserID `json:"id"`
			Name      string       `json:"name"`
			TenantKey string       `json:"tenant_key"`
		}{mt.Key, feishuUserID{OpenID: mt.OpenID}, mt.Name, feishuTenant})
	}
	plain, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	body := plain
	key := s.Feishu.EncryptKey
	if key != "" {
		sealed, err := FeishuEncrypt(key, plain)
		if err != nil {
			return nil, err
		}
		if body, err = json.Marshal(map[string]string{"encrypt": sealed}); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequest("POST", base+"/feishu/events", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Go-http-client/1.1")
	if key != "" {
		stamp := strconv.FormatInt(now.Unix(), 10)
		nonce := randomHex(8)
		req.Header.Set("X-Lark-Request-Timestamp", stamp)
		req.Header.Set("X-Lark-Request-Nonce", nonce)
		req.Header.Set("X-Lark-Signature", FeishuSignature(stamp, nonce, key, body))
	}
	return req, nil
}

// FeishuEncrypt encrypts as Feishu does: AES-256-CBC with SHA-256(key), a
// random IV in front of the ciphertext, PKCS#7 padding, base64.
func FeishuEncrypt(key string, plain []byte) (string, error) {
	k := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	out := make([]byte, aes.BlockSize+len(plain)+pad)
	if _, err := rand.Read(out[:aes.BlockSize]); err != nil {
		return "", err
	}
	data := out[aes.BlockSize:]
	copy(data, plain)
	copy(data[len(plain):], bytes.Repeat([]byte{byte(pad)}, pad))
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(data, data)
	return base64.StdEncoding.EncodeToString(out), nil
}

// FeishuSignature is X-Lark-Signature: hex SHA-256 of timestamp + nonce +
// encrypt key + raw body.
func FeishuSignature(stamp, nonce, key string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(stamp + nonce + key))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
