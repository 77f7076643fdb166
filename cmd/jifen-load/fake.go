package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// FakePlatforms stands in for the Slack Web API and the Feishu Open API
// that `jifen serve` calls while under load (announcements, direct
// messages, replies), so that a load test never reaches the real
// platforms. Point the server at it with slack.api_url: http://ADDR/api
// and feishu.base_url: http://ADDR. It answers every call with success and
// counts the calls, and remembers which load tokens the Feishu replies
// carried (the bot's answer to an award names its reason).
type FakePlatforms struct {
	seq    atomic.Int64
	mu     sync.Mutex
	calls  map[string]int
	tokens map[string]int // load token → Feishu messages that carried it
	// What reached each receiver: Feishu messages by uuid (Feishu takes a
	// uuid once and drops a repeat) and by receive_id, Slack messages by
	// channel (a member's id for a direct message).
	uuids    map[string]int
	feishuTo map[string]int
	slackTo  map[string]int
	// replies are the bodies of the Feishu replies by the message they
	// answer.
	replies map[string][]string
	// ephemeral are the bodies of the cards shown to one member of a
	// group (仅对你可见), by the member's open_id.
	ephemeral map[string][]string
}

// NewFakePlatforms returns an empty fake.
func NewFakePlatforms() *FakePlatforms {
	return &FakePlatforms{calls: map[string]int{}, tokens: map[string]int{}, uuids: map[string]int{},
		feishuTo: map[string]int{}, slackTo: map[string]int{}, replies: map[string][]string{},
		ephemeral: map[string][]string{}}
}

// loadToken finds load tokens in a request body.
var loadToken = regexp.MustCompile(`ld-[a-z0-9]+-[0-9]{7}`)

func (f *FakePlatforms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	path := r.URL.Path
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	n := f.seq.Add(1)
	switch {
	case strings.HasPrefix(path, "/api/"):
		method := strings.TrimPrefix(path, "/api/")
		f.count("slack " + method)
		_ = r.ParseForm()
		if method == "users.info" {
			u := r.FormValue("user")
			fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"load-%s","profile":{"display_name":"load-%s"}}}`, u, strings.ToLower(u), strings.ToLower(u))
			return
		}
		if method == "chat.postMessage" {
			// The body was read above: ParseForm found nothing of it.
			form, _ := url.ParseQuery(string(body))
			f.mu.Lock()
			f.slackTo[form.Get("channel")]++
			f.mu.Unlock()
		}
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d","message_ts":"1700000000.%06d"}`, r.FormValue("channel"), n%1e6, n%1e6)
	case path == "/open-apis/auth/v3/tenant_access_token/internal":
		f.count("feishu tenant_access_token")
		fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-load-fake","expire":7200}`)
	case strings.HasPrefix(path, "/open-apis/im/v1/messages"):
		kind := "feishu send"
		if strings.HasSuffix(path, "/reply") {
			kind = "feishu reply"
			id := strings.TrimSuffix(strings.TrimPrefix(path, "/open-apis/im/v1/messages/"), "/reply")
			f.mu.Lock()
			f.replies[id] = append(f.replies[id], string(body))
			f.mu.Unlock()
		}
		f.count(kind)
		var msg struct {
			UUID      string `json:"uuid"`
			ReceiveID string `json:"receive_id"`
		}
		if json.Unmarshal(body, &msg) == nil && msg.UUID != "" {
			f.mu.Lock()
			f.uuids[msg.UUID]++
			if f.uuids[msg.UUID] == 1 && msg.ReceiveID != "" {
				f.feishuTo[msg.ReceiveID]++ // what Feishu delivers: the first of a uuid
			}
			f.mu.Unlock()
		}
		if toks := loadToken.FindAll(body, -1); len(toks) > 0 {
			f.mu.Lock()
			seen := map[string]bool{}
			for _, t := range toks {
				if !seen[string(t)] {
					seen[string(t)] = true
					f.tokens[string(t)]++
				}
			}
			f.mu.Unlock()
		}
		fmt.Fprintf(w, `{"code":0,"msg":"success","data":{"message_id":"om_load_fake_%d"}}`, n)
	case path == "/open-apis/ephemeral/v1/send":
		f.count("feishu ephemeral")
		var msg struct {
			OpenID string `json:"open_id"`
		}
		if json.Unmarshal(body, &msg) == nil {
			f.mu.Lock()
			f.ephemeral[msg.OpenID] = append(f.ephemeral[msg.OpenID], string(body))
			f.mu.Unlock()
		}
		fmt.Fprintf(w, `{"code":0,"msg":"ok","data":{"message_id":"om_load_fake_%d"}}`, n)
	case strings.HasPrefix(path, "/open-apis/contact/v3/users/"):
		f.count("feishu contact user")
		fmt.Fprint(w, `{"code":0,"data":{"user":{"name":"load user","department_ids":[]}}}`)
	default:
		f.count("unknown " + r.Method + " " + path)
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"ok":false,"code":404,"error":"not_found"}`)
	}
}

func (f *FakePlatforms) count(k string) {
	f.mu.Lock()
	f.calls[k]++
	f.mu.Unlock()
}

// Calls returns the calls counted so far, by API.
func (f *FakePlatforms) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// FeishuReplied reports how many Feishu messages named token.
func (f *FakePlatforms) FeishuReplied(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[token]
}

// FeishuReplies returns the bodies of the replies to Feishu message id.
func (f *FakePlatforms) FeishuReplies(messageID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.replies[messageID]...)
}

// FeishuEphemeral returns the bodies of the cards shown to the member
// with openID alone in a group.
func (f *FakePlatforms) FeishuEphemeral(openID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ephemeral[openID]...)
}

// Delivered returns, for each receiver, how many messages reached them:
// on Feishu one per uuid (a repeat is dropped, as Feishu does), on Slack
// every one; and how many sends repeated a uuid Feishu had already taken.
func (f *FakePlatforms) Delivered() (feishuTo, slackTo map[string]int, feishuRepeats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	feishuTo, slackTo = make(map[string]int, len(f.feishuTo)), make(map[string]int, len(f.slackTo))
	for k, v := range f.feishuTo {
		feishuTo[k] = v
	}
	for k, v := range f.slackTo {
		slackTo[k] = v
	}
	for _, n := range f.uuids {
		feishuRepeats += n - 1
	}
	return feishuTo, slackTo, feishuRepeats
}
