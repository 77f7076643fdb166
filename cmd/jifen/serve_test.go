package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"jifen"
	"jifen/config"
	"jifen/report"
	"jifen/store"
)

// TestServeSlackEndToEnd starts `jifen serve` with Slack enabled against a
// local fake of the Slack API, sends a signed app_mention event carrying an
// award, and checks the announcement the bot posted in the channel.
func TestServeSlackEndToEnd(t *testing.T) {
	const secret = "e2e-fake-signing-secret"
	var mu sync.Mutex
	var posted []map[string]string
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			mu.Lock()
			posted = append(posted, map[string]string{"channel": r.FormValue("channel"), "text": r.FormValue("text"), "blocks": r.FormValue("blocks")})
			mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100"}`, r.FormValue("channel"))
		})
	})
	fake.Start()
	defer fake.Stop()

	dir := t.TempDir()
	path := exampleConfig(t, dir, "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL())
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake-token")
	t.Setenv("SLACK_SIGNING_SECRET", secret)
	t.Setenv("JIFEN_PUBLIC_URL", "https://jifen.example.com")
	base, stop := startServe(t, path, nil)

	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	body := `{"token":"x","team_id":"T0001","api_app_id":"A0JIFEN","type":"event_callback","event_id":"Ev0E2E","event_time":1700000000,
		"event":{"type":"app_mention","user":"U0123ABCD","text":"<@U0BOT> /award <@U0456EFGH> 10 客户好评 华为来信表扬","ts":"1700000000.000100","channel":"C0SALES","event_ts":"1700000000.000100"}}`
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	req, _ := http.NewRequest("POST", base+"/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event: %v %v", resp, err)
	}

	// The announcement goes to the channel, the notice to 王芳.
	deadline := time.Now().Add(10 * time.Second)
	var announcement map[string]string
	for announcement == nil && time.Now().Before(deadline) {
		mu.Lock()
		for _, p := range posted {
			if p["channel"] == "C0SALES" {
				announcement = p
			}
		}
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	if announcement == nil {
		t.Fatalf("no announcement posted: %v", posted)
	}
	if !strings.Contains(announcement["text"], "王芳") || !strings.Contains(announcement["blocks"], "客户好评") || !strings.Contains(announcement["blocks"], "华为来信表扬") {
		t.Fatalf("announcement: %v", announcement)
	}

	// /report answers with a signed link to the HTML summary; the link
	// works, a forged one does not.
	form := url.Values{"team_id": {"T0001"}, "channel_id": {"C0SALES"}, "user_id": {"U0123ABCD"}, "command": {"/report"},
		"text": {"2026-11"}, "trigger_id": {"t-report"}, "response_url": {""}}.Encode()
	stamp = strconv.FormatInt(time.Now().Unix(), 10)
	mac = hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, form)
	req, _ = http.NewRequest("POST", base+"/slack/commands", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	link := regexp.MustCompile(`https://jifen\.example\.com(/reports/2026-11\?exp=\d+\\u0026sig=[0-9a-f]+)`).FindStringSubmatch(string(raw))
	if link == nil {
		t.Fatalf("no report link in %s", raw)
	}
	path2 := strings.ReplaceAll(link[1], `\u0026`, "&")
	page, err := http.Get(base + path2)
	if err != nil || page.StatusCode != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("report page: %v %v", page, err)
	}
	body2, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body2), "积分小结 2026-11") {
		t.Fatalf("report page: %.300s", body2)
	}
	last := "0"
	if strings.HasSuffix(path2, "0") {
		last = "1"
	}
	forged, _ := http.Get(base + path2[:len(path2)-1] + last)
	if forged == nil || forged.StatusCode != 403 {
		t.Fatalf("forged link: %v", forged)
	}
	forged.Body.Close()

	// A request with a bad signature is refused and counted.
	req, _ = http.NewRequest("POST", base+"/slack/commands", strings.NewReader(form))
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0=00")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("bad signature: %v %v", resp, err)
	}
	// The metrics show the work done.
	mresp, err := http.Get(base + "/metrics")
	if err != nil || mresp.StatusCode != 200 {
		t.Fatalf("metrics: %v %v", mresp, err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`jifen_commands_total{command="award",outcome="ok",platform="slack"} 1`,
		`jifen_commands_total{command="report",outcome="ok",platform="slack"} 1`,
		`jifen_http_requests_total{code="200",endpoint="/slack/events"} 1`,
		`jifen_ack_seconds_count{endpoint="/slack/commands"} 2`,
		`jifen_rejected_requests_total{endpoint="/slack/commands",reason="unauthorized"} 1`,
		`jifen_pending_approvals 0`,
		`jifen_store_commit_seconds_count`,
		`jifen_store_batch_size_bucket`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	stop()
	out, _, code := run(t, "", "verify", "--config", path)
	if code != 0 || !strings.Contains(out, "1 entries") {
		t.Fatalf("verify: %d %s", code, out)
	}
}

// syncWriter serializes writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String is what was written so far.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.w)
}

// TestServeFeishuEndToEnd starts `jifen serve` with Feishu enabled against
// a local fake of the Open API (tenant token, message replies), posts an
// encrypted, signed group message carrying an award, and checks the reply
// sent to the message's chat.
func TestServeFeishuEndToEnd(t *testing.T) {
	const (
		encryptKey = "e2e-fake-encrypt-key"
		token      = "e2e-fake-verification-token"
	)
	var mu sync.Mutex
	replies := map[string]string{} // replied message id → content
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal":
			fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-fake","expire":7200}`)
		case strings.HasPrefix(r.URL.Path, "/open-apis/im/v1/messages"):
			var body struct {
				Content string `json:"content"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			mu.Lock()
			replies[r.URL.Path] = body.Content
			mu.Unlock()
			fmt.Fprint(w, `{"code":0,"data":{"message_id":"om_sent"}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer fake.Close()

	dir := t.TempDir()
	path := exampleConfig(t, dir, "feishu:\n  enabled: false", "feishu:\n  enabled: true",
		"base_url: https://open.feishu.cn", "base_url: "+fake.URL)
	t.Setenv("FEISHU_APP_ID", "cli_e2e")
	t.Setenv("FEISHU_APP_SECRET", "e2e-fake-app-secret")
	t.Setenv("FEISHU_VERIFICATION_TOKEN", token)
	t.Setenv("FEISHU_ENCRYPT_KEY", encryptKey)
	base, stop := startServe(t, path, nil)

	content, _ := json.Marshal(map[string]string{"text": "@_user_1 /award @_user_2 10 客户好评 华为来信表扬"})
	plain := fmt.Sprintf(`{"schema":"2.0","header":{"event_id":"ev-e2e","event_type":"im.message.receive_v1","create_time":"1700000000000","token":%q,"app_id":"cli_e2e","tenant_key":"t"},
		"event":{"sender":{"sender_id":{"open_id":"ou_3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"},"sender_type":"user"},
		"message":{"message_id":"om_e2e","chat_id":"oc_sales_group","chat_type":"group","message_type":"text","content":%q,
		"mentions":[{"key":"@_user_1","id":{"open_id":"ou_bot"},"name":"jifen"},{"key":"@_user_2","id":{"open_id":"ou_5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"},"name":"王芳"}]}}}`,
		token, content)
	body := sealFeishu(t, encryptKey, plain)
	stamp, nonce := strconv.FormatInt(time.Now().Unix(), 10), "e2e-nonce"
	sum := sha256.Sum256([]byte(stamp + nonce + encryptKey + body))
	req, _ := http.NewRequest("POST", base+"/feishu/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lark-Request-Timestamp", stamp)
	req.Header.Set("X-Lark-Request-Nonce", nonce)
	req.Header.Set("X-Lark-Signature", hex.EncodeToString(sum[:]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event: %v %v", resp, err)
	}

	deadline := time.Now().Add(10 * time.Second)
	var reply string
	for reply == "" && time.Now().Before(deadline) {
		mu.Lock()
		reply = replies["/open-apis/im/v1/messages/om_e2e/reply"]
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(reply, "王芳") || !strings.Contains(reply, "华为来信表扬") {
		t.Fatalf("reply to om_e2e: %q (all: %v)", reply, replies)
	}
	stop()
}

// sealFeishu encrypts a body as Feishu does: AES-256-CBC with
// SHA-256(key), a random IV in front, PKCS#7 padding, base64.
func sealFeishu(t *testing.T, key, plain string) string {
	k := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	data := append([]byte(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	iv := make([]byte, aes.BlockSize)
	_, _ = rand.Read(iv)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	raw, _ := json.Marshal(map[string]string{"encrypt": base64.StdEncoding.EncodeToString(append(iv, data...))})
	return string(raw)
}

// TestServeFiresScheduledPostsOnce runs `jifen serve` at a clock just past
// the monthly leaderboard's time: the post goes to the configured Slack
// channel, and a restart at the same time does not post it again.
// slackPosts is a fake Slack Web API that records chat.postMessage: the
// blocks posted to each channel.
type slackPosts struct {
	mu    sync.Mutex
	posts map[string][]string
}

func (p *slackPosts) sent() map[string][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.posts)
}

func (p *slackPosts) reset() { p.mu.Lock(); p.posts = map[string][]string{}; p.mu.Unlock() }

// withFakeSlack writes the example config with Slack enabled against a
// fake Web API (fixed fake secrets) and returns its path and the recorder.
func withFakeSlack(t *testing.T) (string, *slackPosts) {
	rec := &slackPosts{posts: map[string][]string{}}
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			rec.mu.Lock()
			rec.posts[r.FormValue("channel")] = append(rec.posts[r.FormValue("channel")], r.FormValue("blocks"))
			rec.mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1.1"}`, r.FormValue("channel"))
		})
	})
	fake.Start()
	t.Cleanup(fake.Stop)
	path := exampleConfig(t, t.TempDir(), "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL())
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_SIGNING_SECRET", "fake-secret")
	return path, rec
}

// serveTwiceAt runs serve twice in a row with the clock stopped at at,
// each time until posted says the post went out (or five seconds), and
// a moment more for a wrong second post.
func serveTwiceAt(t *testing.T, path string, at time.Time, posted func() bool) {
	t.Helper()
	for range 2 {
		_, stop := startServe(t, path, jifen.ClockFunc(func() time.Time { return at }))
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && !posted() {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // room for a wrong second post
		stop()
	}
}

func TestServeFiresScheduledPostsOnce(t *testing.T) {
	path, rec := withFakeSlack(t)
	t.Setenv("SLACK_ANNOUNCE_CHANNEL", "C0ALL")

	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 12, 1, 9, 0, 20, 0, sh) // 20 s after the monthly leaderboard's time
	serveTwiceAt(t, path, at, func() bool { return len(rec.sent()["C0ALL"]) > 0 })
	if n := len(rec.sent()["C0ALL"]); n != 1 {
		t.Fatalf("posts to the channel: %d, want exactly 1", n)
	}
}

// exampleConfig writes the example config into dir with each (old, new)
// replacement applied and the HTTP server on a free loopback port, points
// JIFEN_STORE into dir, and returns the config's path.
func exampleConfig(t *testing.T, dir string, replace ...string) string {
	t.Helper()
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(example), `listen: ":8080"`, `listen: "127.0.0.1:0"`, 1)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(cfg, replace[i]) {
			t.Fatalf("the example config has no %q", replace[i])
		}
		cfg = strings.Replace(cfg, replace[i], replace[i+1], 1)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	return path
}

// startServe runs `jifen serve` in-process (with clock, if not nil) and
// returns its base URL and a stop function that waits for a clean exit.
func startServe(t *testing.T, path string, clock jifen.Clock) (base string, stop func()) {
	t.Helper()
	base, _, stop = startServeLog(t, path, clock)
	return base, stop
}

// startServeLog is startServe that also returns what serve logs.
func startServeLog(t *testing.T, path string, clock jifen.Clock) (base string, stderr *syncWriter, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	base, stderr, done := launchServe(t, ctx, path, clock)
	return base, stderr, func() {
		t.Helper()
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exit %d: %s", code, stderr.w)
		}
	}
}

// launchServe starts `jifen serve --config path` until ctx ends and
// returns its address, what it logs, and its exit code once it exits.
func launchServe(t *testing.T, ctx context.Context, path string, clock jifen.Clock) (base string, stderr *syncWriter, done <-chan int) {
	t.Helper()
	addr := make(chan string, 1)
	stderr = &syncWriter{w: &strings.Builder{}}
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr, Clock: clock, OnListen: func(a string) { addr <- a }}
	exit := make(chan int, 1)
	go func() { exit <- m.Run(ctx, []string{"serve", "--config", path}) }()
	select {
	case a := <-addr:
		return "http://" + a, stderr, exit
	case code := <-exit:
		t.Fatalf("serve exited %d: %s", code, stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not start: %s", stderr)
	}
	return "", stderr, exit
}

// Issue 18, item 1: a member of the config with an email and no Slack id
// is looked up when serve starts, in the background, and linked; a member
// whose id is set is not looked up. The log counts, and names no email.
func TestServeLinksMembersByEmail(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/users.lookupByEmail", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			mu.Lock()
			asked = append(asked, r.FormValue("email"))
			mu.Unlock()
			if r.FormValue("email") != "sun.li@example.com" {
				fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
				return
			}
			fmt.Fprint(w, `{"ok":true,"user":{"id":"U0SUNLI01","team_id":"T024BE7LD","name":"sunli"}}`)
		})
	})
	fake.Start()
	t.Cleanup(fake.Stop)
	dir := t.TempDir()
	path := exampleConfig(t, dir, "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL(),
		"    joined: 2021-09-01\n", "    joined: 2021-09-01\n    email: sun.li@example.com\n")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_SIGNING_SECRET", "fake-secret")

	_, stderr, stop := startServeLog(t, path, nil)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(stderr.String(), "linked members by email") {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	log := stderr.String()
	if !strings.Contains(log, "linked members by email") || !strings.Contains(log, "linked=1") {
		t.Fatalf("no count of the members linked by email:\n%s", log)
	}
	if strings.Contains(log, "sun.li@") || strings.Contains(log, "孙丽") {
		t.Errorf("the log names the member:\n%s", log)
	}
	mu.Lock()
	if !slices.Equal(asked, []string{"sun.li@example.com"}) {
		t.Errorf("looked up %q, want only the member without a Slack id", asked)
	}
	mu.Unlock()

	st, err := store.Open(filepath.Join(dir, "jifen.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if m, _ := st.Member("sunli"); m.SlackID != "U0SUNLI01" {
		t.Fatalf("after serve: %+v", m)
	}
	if m, _ := st.Member("zhangwei"); m.SlackID != "U0123ABCD" {
		t.Fatalf("a member with a Slack id changed: %+v", m)
	}
}

// The same on Feishu: batch_get_id finds the member's open_id.
func TestServeLinksMembersByEmailOnFeishu(t *testing.T) {
	fc := &fakeContact{extra: []fakeUser{{OpenID: "ou_sunli0000000000000000000000001", Email: "sun.li@example.com"}}}
	fake := fc.serve(t)
	dir := t.TempDir()
	path := exampleConfig(t, dir, "feishu:\n  enabled: false", "feishu:\n  enabled: true",
		"base_url: https://open.feishu.cn", "base_url: "+fake.URL,
		"    joined: 2021-09-01\n", "    joined: 2021-09-01\n    email: sun.li@example.com\n")
	t.Setenv("FEISHU_APP_ID", "cli_e2e")
	t.Setenv("FEISHU_APP_SECRET", "e2e-fake-app-secret")
	t.Setenv("FEISHU_VERIFICATION_TOKEN", "e2e-fake-verification-token")
	t.Setenv("FEISHU_ENCRYPT_KEY", "e2e-fake-encrypt-key")

	_, stderr, stop := startServeLog(t, path, nil)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(stderr.String(), "linked members by email") {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if log := stderr.String(); !strings.Contains(log, "linked=1") || strings.Contains(log, "sun.li@") {
		t.Fatalf("want a count of one linked and no email in the log:\n%s", log)
	}
	if n := fc.calls.Load(); n != 1 {
		t.Errorf("%d contact API calls, want one batch_get_id", n)
	}
	st, err := store.Open(filepath.Join(dir, "jifen.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if m, _ := st.Member("sunli"); m.FeishuOpenID != "ou_sunli0000000000000000000000001" {
		t.Fatalf("after serve: %+v", m)
	}
}

// A Slack that does not answer users.lookupByEmail neither delays
// start-up nor holds up shutdown.
func TestServeLinkByEmailNeverBlocks(t *testing.T) {
	release, asked := make(chan struct{}), make(chan struct{}, 1)
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/users.lookupByEmail", func(w http.ResponseWriter, r *http.Request) {
			select {
			case asked <- struct{}{}:
			default:
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	fake.Start()
	t.Cleanup(fake.Stop)
	t.Cleanup(func() { close(release) })
	dir := t.TempDir()
	path := exampleConfig(t, dir, "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL(),
		"    joined: 2021-09-01\n", "    joined: 2021-09-01\n    email: sun.li@example.com\n")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_SIGNING_SECRET", "fake-secret")

	start := time.Now()
	base, stderr, stop := startServeLog(t, path, nil)
	select {
	case <-asked:
	case <-time.After(5 * time.Second):
		stop()
		t.Fatal("serve did not look the member up")
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz while the look-up hangs: %v %v", resp, err)
	}
	resp.Body.Close()
	stop()
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("serve took %v to start and stop while the look-up hung", took)
	}
	if log := stderr.String(); strings.Contains(log, "linking members by email failed") {
		t.Errorf("a look-up cancelled by shutdown is logged as a failure:\n%s", log)
	}
}

// TestServeRunsSurveyRoundsOnce: the example survey starts on the 25th at
// 10:00; two runs of serve send each member on Slack its card once, and a
// run after the round's time closes it and sends the admins the results.
func TestServeRunsSurveyRoundsOnce(t *testing.T) {
	path, rec := withFakeSlack(t)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	onSlack := 0
	for _, m := range cfg.Members {
		if m.SlackID != "" && !m.Bot {
			onSlack++
		}
	}
	count := func(want string) (users, with int) {
		for ch, texts := range rec.sent() {
			if strings.HasPrefix(ch, "U") {
				users++
				for _, s := range texts {
					if strings.Contains(s, want) {
						with++
					}
				}
			}
		}
		return
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	run := func(at time.Time, until func() bool) {
		_, stop := startServe(t, path, jifen.ClockFunc(func() time.Time { return at }))
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && !until() {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // room for a wrong second send
		stop()
	}
	start := time.Date(2026, 11, 25, 10, 0, 20, 0, sh)
	started := func() bool { _, n := count("积分制度满意度调查"); return n >= onSlack }
	run(start, started)
	run(start.Add(time.Minute), started)
	if users, n := count("积分制度满意度调查"); users != onSlack || n != onSlack {
		t.Fatalf("survey cards: %d posts to %d users, want one to each of %d", n, users, onSlack)
	}
	for ch, texts := range rec.sent() {
		if len(texts) != 1 {
			t.Errorf("%s got %d messages", ch, len(texts))
		}
	}
	rec.reset()

	// 72 hours later the round closes; the admins get the results.
	closed := func() bool { _, n := count("回收率"); return n > 0 }
	run(start.Add(72*time.Hour+time.Minute), closed)
	admins := 0
	for _, m := range cfg.Members {
		if m.Role == jifen.RoleAdmin && m.SlackID != "" {
			admins++
		}
	}
	if _, n := count("回收率 0/"); n != admins {
		t.Errorf("results to %d admins, want %d", n, admins)
	}
}

// A report link for a period that has not begun (a hand-made one: /report
// refuses to make it) answers with the reason, not an internal error.
func TestReportPageOfAPeriodNotBegun(t *testing.T) {
	m, a := openExample(t)
	key := []byte("fake-link-key-for-tests-0123456789")
	h := m.reportHandler(a, fixedLinkKey(key), slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	mux.Handle("GET /reports/{period}", h)
	for period, want := range map[string]int{"2026-12": http.StatusNotFound, "2026-10": http.StatusOK} {
		u, _ := url.Parse(report.Link("", key, period, time.Now()))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", u.String(), nil))
		if rec.Code != want {
			t.Errorf("%s: %d %s, want %d", period, rec.Code, rec.Body.String(), want)
		}
		if want == http.StatusNotFound && !strings.Contains(rec.Body.String(), "2026-12") {
			t.Errorf("%s: the answer does not say why: %s", period, rec.Body.String())
		}
	}
}

// signedSlash posts a slash command to serve, signed with secret.
func signedSlash(t *testing.T, base, secret, userID, command, text, trigger string) *http.Response {
	t.Helper()
	resp, err := signedSlashQuiet(base, secret, userID, command, text, trigger)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// signedSlashQuiet is signedSlash that returns the request's error.
func signedSlashQuiet(base, secret, userID, command, text, trigger string) (*http.Response, error) {
	form := url.Values{"team_id": {"T0001"}, "channel_id": {"C0SALES"}, "user_id": {userID}, "command": {command},
		"text": {text}, "trigger_id": {trigger}, "response_url": {""}}.Encode()
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, form)
	req, _ := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return (&http.Client{Timeout: 10 * time.Second}).Do(req)
}

// A shutdown with messages stuck on a platform that does not answer ends
// within http.shutdown_timeout: the store is released (another jifen can
// open it), the awards are on disk, and the messages not sent are still
// in the outbox.
func TestShutdownUnderASendBacklogIsBounded(t *testing.T) {
	release := make(chan struct{})
	var calls sync.WaitGroup
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			defer calls.Done()
			select { // the platform hangs until the test lets it go
			case <-release:
			case <-r.Context().Done():
			}
			fmt.Fprint(w, `{"ok":true,"channel":"C0","ts":"1.1"}`)
		})
	})
	fake.Start()
	defer fake.Stop()
	defer close(release)
	dir := t.TempDir()
	path := exampleConfig(t, dir, "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL(),
		"shutdown_timeout: 15s", "shutdown_timeout: 1s")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_SIGNING_SECRET", "fake-secret")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, stderr, done := launchServe(t, ctx, path, nil)
	for i := range 3 { // 客户好评: at most 3 a month
		resp := signedSlash(t, base, "fake-secret", "U0123ABCD", "/award", fmt.Sprintf("<@U0456EFGH> 10 客户好评 第%d封表扬信", i), fmt.Sprint("t-", i))
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("award %d: %d", i, resp.StatusCode)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, stderr.w)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop while the platform hung (shutdown_timeout 1s): %s", stderr.w)
	}
	// The platform still hangs: the store is free and holds every award,
	// and the three notices to 王芳 wait in the outbox for the next start.
	st, err := store.Open(filepath.Join(dir, "jifen.db"), store.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("the store is still held after serve returned: %v", err)
	}
	defer st.Close()
	if n := st.EntryCount(); n != 3 {
		t.Errorf("%d entries, want the 3 awards", n)
	}
	if n, err := st.OutboxLen("slack"); n != 3 || err != nil {
		t.Errorf("%d messages left in the outbox, want the 3 notices the platform never took", n)
	}
}

// /metrics is served on http.metrics_listen only when that is set, and
// asks for http.metrics_token when that is set.
func TestMetricsListenAndToken(t *testing.T) {
	dir := t.TempDir()
	path := exampleConfig(t, dir, `listen: "127.0.0.1:0"`,
		"listen: \"127.0.0.1:0\"\n  metrics_listen: \"127.0.0.1:0\"\n  metrics_token: ${METRICS_TOKEN}")
	t.Setenv("METRICS_TOKEN", "fake-metrics-token-0123456789")
	ctx, cancel := context.WithCancel(context.Background())
	addr, maddr := make(chan string, 1), make(chan string, 1)
	stderr := &syncWriter{w: &strings.Builder{}}
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr,
		OnListen: func(a string) { addr <- a }, OnMetricsListen: func(a string) { maddr <- a }}
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--config", path}) }()
	var internal, public string
	for internal == "" || public == "" {
		select {
		case a := <-maddr:
			internal = "http://" + a
		case a := <-addr:
			public = "http://" + a
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, stderr)
		case <-time.After(10 * time.Second):
			t.Fatalf("serve did not start: %s", stderr)
		}
	}
	defer func() { cancel(); <-done }()
	get := func(u, token string) int {
		req, _ := http.NewRequest("GET", u+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(public, "fake-metrics-token-0123456789"); code != http.StatusNotFound {
		t.Errorf("public /metrics: %d, want 404 (served on the internal address only)", code)
	}
	if code := get(internal, ""); code != http.StatusUnauthorized {
		t.Errorf("internal /metrics without the token: %d, want 401", code)
	}
	if code := get(internal, "wrong-token-wrong-token"); code != http.StatusUnauthorized {
		t.Errorf("internal /metrics with a wrong token: %d, want 401", code)
	}
	if code := get(internal, "fake-metrics-token-0123456789"); code != http.StatusOK {
		t.Errorf("internal /metrics with the token: %d, want 200", code)
	}
}

// `jifen report revoke-links` makes a link given before refused.
func TestRevokeReportLinks(t *testing.T) {
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "jifen.db"))
	cfg := "../../config.example.yaml"
	key := func() []byte {
		st, err := store.Open(os.Getenv("JIFEN_STORE"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		k, err := st.LinkKey(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := key()
	u, _ := url.Parse(report.Link("", before, "2026-10", time.Now()))
	if !report.CheckLink(key(), "2026-10", u.Query().Get("exp"), u.Query().Get("sig"), time.Now()) {
		t.Fatal("a fresh link is refused")
	}
	out, errOut, code := run(t, "", "report", "revoke-links", "--config", cfg)
	if code != 0 || !strings.Contains(out, "report links revoked") {
		t.Fatalf("revoke-links: %d %s %s", code, out, errOut)
	}
	if report.CheckLink(key(), "2026-10", u.Query().Get("exp"), u.Query().Get("sig"), time.Now()) {
		t.Error("a link given before revoke-links still works")
	}
}

// TestServeCelebratesAnAnniversaryOnce: 王芳 joined on 2020-07-06; on
// 2026-07-06, two runs of serve after the celebrations' time give her the
// anniversary's points once, and post the day's celebrations once.
func TestServeCelebratesAnAnniversaryOnce(t *testing.T) {
	path, rec := withFakeSlack(t)
	t.Setenv("SLACK_ANNOUNCE_CHANNEL", "C0ALL")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	for _, r := range [][2]string{
		{"          limits:\n            - {period: year, points: 200}\n", "          limits:\n            - {period: year, points: 200}\n" +
			"        - id: work_anniversary\n          name: 入职周年\n          points: 20\n"},
		{"    keep: 7\n", "    keep: 7\n  - name: celebrations\n    job: celebrations\n    cron: \"30 9 * * *\"\n    anniversary: work_anniversary\n" +
			"    slack_channel: ${SLACK_ANNOUNCE_CHANNEL:-}\n"},
	} {
		if !strings.Contains(cfg, r[0]) {
			t.Fatalf("the example config has no %q", r[0])
		}
		cfg = strings.Replace(cfg, r[0], r[1], 1)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 7, 6, 9, 30, 20, 0, sh)
	serveTwiceAt(t, path, at, func() bool { return len(rec.sent()["C0ALL"]) > 0 })
	posts := rec.sent()["C0ALL"]
	if len(posts) != 1 || !strings.Contains(posts[0], "王芳") || !strings.Contains(posts[0], "6 周年") {
		t.Fatalf("posts to the channel: %q, want one celebrating 王芳's 6 years", posts)
	}
	st, err := store.Open(filepath.Join(filepath.Dir(path), "jifen.db"), store.Options{Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	_ = st.ForEachEntry(func(e *jifen.Entry) error {
		if e.Behavior == "work_anniversary" {
			n++
			if e.Receiver != "wangfang" || e.Points != 20 {
				t.Errorf("entry %+v", e)
			}
		}
		return nil
	})
	if n != 1 {
		t.Fatalf("anniversary entries: %d, want 1", n)
	}
}

// An upgrade's schema migration at the start of serve is in its log (at
// info, like serve's own lines), so the operator sees why the start took
// a while.
func TestServeLogsTheSchemaMigration(t *testing.T) {
	dir := t.TempDir()
	path := exampleConfig(t, dir)
	raw, err := os.ReadFile("../../store/testdata/schema2-demo.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	db, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jifen.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, stop := startServeLog(t, path, nil)
	stop()
	if log := stderr.String(); !strings.Contains(log, "rewriting the receiver index for schema 3") || !strings.Contains(log, "receiver index rewritten") {
		t.Fatalf("the migration is not in serve's log:\n%s", log)
	}
}

// serve mounts the web console at /admin/ only when admin.enabled is true.
func TestServeMountsTheConsoleWhenEnabled(t *testing.T) {
	fake := httptest.NewServer(http.NotFoundHandler()) // Feishu, unused until someone signs in
	defer fake.Close()
	t.Setenv("FEISHU_APP_ID", "cli_console")
	t.Setenv("FEISHU_APP_SECRET", "console-fake-app-secret")
	t.Setenv("FEISHU_VERIFICATION_TOKEN", "console-fake-token")
	t.Setenv("JIFEN_PUBLIC_URL", "https://jifen.example.com")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, enabled := range []bool{false, true} {
		replace := []string{"feishu:\n  enabled: false", "feishu:\n  enabled: true", "base_url: https://open.feishu.cn", "base_url: " + fake.URL}
		if enabled {
			replace = append(replace, "admin:\n  enabled: false", "admin:\n  enabled: true")
		}
		path := exampleConfig(t, t.TempDir(), replace...)
		base, stop := startServe(t, path, nil)
		resp, err := noRedirect.Get(base + "/admin/login/feishu")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if enabled && (resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, fake.URL+"/open-apis/authen/v1/authorize?")) {
			t.Errorf("enabled: /admin/login/feishu answers %d → %q, want a redirect to Feishu's sign-in page", resp.StatusCode, loc)
		}
		if !enabled && resp.StatusCode != http.StatusNotFound {
			t.Errorf("disabled: /admin/login/feishu answers %d, want 404", resp.StatusCode)
		}
		if resp, err = noRedirect.Get(base + "/admin/"); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: http.StatusNotFound, true: http.StatusFound}[enabled]; resp.StatusCode != want {
			t.Errorf("enabled %v: /admin/ answers %d, want %d", enabled, resp.StatusCode, want)
		}
		stop()
	}
}
