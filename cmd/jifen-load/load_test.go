package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/bot/bottest"
	"jifen/bot/feishu"
	slackbot "jifen/bot/slack"
	"jifen/config"
)

// Fixed fake secrets: the config reads them from the environment, as in
// production.
var fakeEnv = map[string]string{
	"SLACK_BOT_TOKEN":           "xoxb-load-fake-token",
	"SLACK_SIGNING_SECRET":      "load-fake-signing-secret-0001",
	"FEISHU_APP_ID":             "cli_loadfake0001",
	"FEISHU_APP_SECRET":         "load-fake-app-secret-0001",
	"FEISHU_VERIFICATION_TOKEN": "load-fake-verification-token",
	"FEISHU_ENCRYPT_KEY":        "load-fake-encrypt-key-0001",
}

// writeConfig writes the example config into dir with Slack (HTTP) and
// Feishu (webhook) enabled against the fake platforms at fakeURL, the
// server listening on listen, and each further (old, new) replacement
// applied; it returns the file's path. The store path comes from
// JIFEN_STORE.
func writeConfig(t testing.TB, dir, fakeURL, listen string, replace ...string) string {
	t.Helper()
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(example)
	replace = append([]string{
		`listen: ":8080"`, `listen: "` + listen + `"`,
		"slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: " + fakeURL + "/api",
		"feishu:\n  enabled: false", "feishu:\n  enabled: true",
		"base_url: https://open.feishu.cn", "base_url: " + fakeURL,
	}, replace...)
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
	return path
}

// noReceiverLimits drops the example's monthly cap per receiver, so that
// every award of a long run is applied.
var noReceiverLimits = []string{"  receiver_limits:\n    - period: month\n      max: 300\n      min: -100\n", ""}

// bigAllowance raises the manager's monthly allowance beyond what a load
// gives: an admin's award to another admin counts against it, with all
// that admin gave in the month, and a refused Feishu award looks like an
// applied one to the generator (Feishu's answer is {} either way).
var bigAllowance = []string{"      points: 200\n      per_member: 20\n", "      points: 1000000\n      per_member: 20\n"}

// server is the Slack and Feishu adapters on the example company, served
// in-process.
type server struct {
	url    string
	slack  *slackbot.Adapter
	feishu *feishu.Adapter
	ex     bottest.Example
	fake   *FakePlatforms
	// handler serves the adapters, for more servers of the same store.
	handler http.Handler
	// drained waits until the outboxes have sent what was queued.
	drained []func()
}

func startServer(t *testing.T, replace ...string) (*server, string) {
	t.Helper()
	for k, v := range fakeEnv {
		t.Setenv(k, v)
	}
	fake := NewFakePlatforms()
	fs := httptest.NewServer(fake)
	t.Cleanup(fs.Close)
	path := writeConfig(t, t.TempDir(), fs.URL, "127.0.0.1:0", replace...)
	ex := bottest.New(t, path)
	sl, err := slackbot.New(slackbot.Options{Bot: ex.Bot, Store: ex.Store, Config: ex.Config.Slack})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := feishu.New(feishu.Options{Bot: ex.Bot, Store: ex.Store, Config: ex.Config.Feishu})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	sl.Register(mux)
	fb.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	drained := []func(){ex.RunOutbox(t, "slack", sl.Deliver), ex.RunOutbox(t, "feishu", fb.Deliver)}
	return &server{url: srv.URL, slack: sl, feishu: fb, ex: ex, fake: fake, drained: drained, handler: mux}, path
}

// ledger waits for the adapters' background work and the outboxes, and
// counts the load
// tokens in the store's entries.
func (s *server) ledger(t *testing.T) map[string]int {
	t.Helper()
	s.slack.Wait()
	for _, d := range s.drained {
		d()
	}
	out := map[string]int{}
	err := s.ex.Store.ForEachEntry(func(e *jifen.Entry) error {
		if w := strings.Fields(e.Reason); len(w) > 0 && tokenWord.MatchString(w[len(w)-1]) {
			out[w[len(w)-1]]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runLoad(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code := m.Run(ctx, args); code != 0 {
		t.Fatalf("jifen-load %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String()
}

func readAcked(t *testing.T, path string) []AckedAward {
	t.Helper()
	a, err := readFile(path, ReadAcked)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestLoadAppliesEveryAcknowledgedAwardOnce sends a mixed load with
// deliberate re-deliveries to the real adapters: every request passes the
// signature and decryption checks, every award is in the ledger exactly
// once, and re-sending every award again changes nothing.
func TestLoadAppliesEveryAcknowledgedAwardOnce(t *testing.T) {
	s, cfg := startServer(t, slices.Concat(noReceiverLimits, bigAllowance)...)
	dir := t.TempDir()
	acked, sent := filepath.Join(dir, "acked.tsv"), filepath.Join(dir, "sent.jsonl")
	out := runLoad(t, "--url", s.url, "--config", cfg, "--count", "120", "--concurrency", "8", "--retry-share", "0.3",
		"--platform", "mixed", "--run", "t1", "--seed", "7", "--acked", acked, "--sent", sent)
	for _, want := range []string{"errors: none", "deliveries: 120 ", "ack latency", "p99"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	first := readAcked(t, acked)
	platforms := map[string]int{}
	for _, a := range first {
		platforms[a.Platform+" "+string(a.Status)]++
		if !strings.HasPrefix(a.Key, "slack:cmd:") && !strings.HasPrefix(a.Key, "feishu:msg:") {
			t.Errorf("key %q", a.Key)
		}
		if _, seen := s.ex.Store.Seen(a.Key); !seen {
			t.Errorf("%s: the store has no idempotency key %s", a.Token, a.Key)
		}
	}
	if platforms["slack applied"] == 0 || platforms["feishu acked"] == 0 || len(platforms) != 2 {
		t.Fatalf("statuses: %v", platforms)
	}
	c := CheckLedger([][]AckedAward{first}, s.ledger(t))
	if !c.OK() || c.Found != len(first) || c.Redelivered == 0 {
		var b bytes.Buffer
		c.Report(&b)
		t.Fatalf("first run:\n%s", b.String())
	}
	for _, a := range first {
		if a.Platform == "feishu" && s.fake.FeishuReplied(a.Token) == 0 {
			t.Errorf("%s: no Feishu reply named the award", a.Token)
		}
	}

	// Every award delivered again, as after a restart: nothing new.
	before := s.ex.Store.EntryCount()
	acked2 := filepath.Join(dir, "acked2.tsv")
	out = runLoad(t, "--url", s.url, "--config", cfg, "--resend", sent, "--concurrency", "8", "--retry-share", "0", "--acked", acked2)
	if !strings.Contains(out, "errors: none") {
		t.Errorf("resend:\n%s", out)
	}
	second := readAcked(t, acked2)
	if len(second) != len(first) {
		t.Errorf("resend answered %d awards, want %d", len(second), len(first))
	}
	ledger := s.ledger(t)
	if n := s.ex.Store.EntryCount(); n != before {
		t.Errorf("re-delivery changed the ledger: %d entries, was %d", n, before)
	}
	if c := CheckLedger([][]AckedAward{first, second}, ledger); !c.OK() || c.Redelivered != len(first) {
		var b bytes.Buffer
		c.Report(&b)
		t.Fatalf("after resend:\n%s", b.String())
	}
}

// TestLoadSpreadsOverReplicas sends a load to three servers of one store
// (--url with three URLs): new deliveries go to each in turn, and no
// re-delivery of a Slack command, deliberate or by --resend, reaches the
// server its first delivery went to; the --sent and --acked files say
// which server took each.
func TestLoadSpreadsOverReplicas(t *testing.T) {
	s, cfg := startServer(t, slices.Concat(noReceiverLimits, bigAllowance)...)
	var mu sync.Mutex
	firstAt := map[string]int{}     // trigger_id → the server of its first delivery
	retriesAt := map[string][]int{} // trigger_id → the servers of its re-deliveries
	var urls []string
	for i := range 3 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slack/commands" {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				form, _ := url.ParseQuery(string(body))
				id := form.Get("trigger_id")
				mu.Lock()
				if r.Header.Get("X-Slack-Retry-Num") == "" {
					firstAt[id] = i
				} else {
					retriesAt[id] = append(retriesAt[id], i)
				}
				mu.Unlock()
			}
			s.handler.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	dir := t.TempDir()
	acked, sent, acked2 := filepath.Join(dir, "acked.tsv"), filepath.Join(dir, "sent.jsonl"), filepath.Join(dir, "acked2.tsv")
	out := runLoad(t, "--url", strings.Join(urls, ",")+",", "--config", cfg, "--count", "90", "--concurrency", "8", "--retry-share", "0.5",
		"--platform", "mixed", "--mix", "award=1", "--run", "t3", "--seed", "11", "--acked", acked, "--sent", sent)
	if !strings.Contains(out, "errors: none") {
		t.Fatalf("load:\n%s", out)
	}
	ds, err := readFile(sent, ReadDeliveries)
	if err != nil {
		t.Fatal(err)
	}
	perReplica := map[int]int{}
	replicaOf := map[string]int{}
	for _, d := range ds {
		perReplica[d.Replica]++
		replicaOf[d.Token] = d.Replica
		if at, ok := firstAt[d.TriggerID]; d.Platform == "slack" && (!ok || at != d.Replica) {
			t.Errorf("%s: first delivery at server %d (seen: %v), the sent file says %d", d.Token, at, ok, d.Replica)
		}
	}
	if len(ds) != 90 || perReplica[0] != 30 || perReplica[1] != 30 || perReplica[2] != 30 {
		t.Errorf("%d deliveries, by server %v: want 30 each", len(ds), perReplica)
	}
	twice := 0
	for _, a := range readAcked(t, acked) {
		if len(a.Replicas) != a.Attempts || slices.Index(a.Replicas, replicaOf[a.Token]) < 0 && a.Attempts == 1 {
			t.Errorf("%s: answered %d times, by servers %v, first sent to %d", a.Token, a.Attempts, a.Replicas, replicaOf[a.Token])
		}
		if a.Attempts > 1 {
			twice++
		}
	}
	if twice == 0 {
		t.Error("no award was answered twice")
	}
	runLoad(t, "--url", strings.Join(urls, ","), "--config", cfg, "--resend", sent, "--concurrency", "8", "--retry-share", "0.5", "--acked", acked2)
	for _, a := range readAcked(t, acked2) {
		if slices.Contains(a.Replicas, replicaOf[a.Token]) {
			t.Errorf("%s: re-delivered to its first server %d (answered by %v)", a.Token, replicaOf[a.Token], a.Replicas)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for id, at := range retriesAt {
		for _, i := range at {
			n++
			if i == firstAt[id] {
				t.Errorf("trigger %s: a re-delivery reached server %d, that of its first delivery", id, i)
			}
		}
	}
	if n < 45 {
		t.Errorf("%d Slack re-deliveries seen, want at least the resent ones", n)
	}
	if c := CheckLedger([][]AckedAward{readAcked(t, acked), readAcked(t, acked2)}, s.ledger(t)); !c.OK() || c.Found != 90 {
		var b bytes.Buffer
		c.Report(&b)
		t.Fatal(b.String())
	}
}

// TestLoadTellsRefusedAwards runs Slack awards into the example's limits
// (客户好评 three times a month per receiver): the refused ones are told
// apart from the applied ones, and none of them is in the ledger.
func TestLoadTellsRefusedAwards(t *testing.T) {
	s, cfg := startServer(t)
	acked := filepath.Join(t.TempDir(), "acked.tsv")
	out := runLoad(t, "--url", s.url, "--config", cfg, "--count", "120", "--concurrency", "4", "--platform", "slack",
		"--mix", "award=1", "--behavior", "客户好评", "--retry-share", "0.1", "--run", "t2", "--acked", acked)
	if !strings.Contains(out, "award: error: ") {
		t.Errorf("no refusals reported:\n%s", out)
	}
	got := readAcked(t, acked)
	n := map[Status]int{}
	for _, a := range got {
		n[a.Status]++
	}
	if n[Applied] == 0 || n[Refused] == 0 || n[Applied]+n[Refused] != 120 {
		t.Fatalf("statuses %v\n%s", n, out)
	}
	// At most three 客户好评 a month for each member.
	if n[Applied] > 3*len(s.ex.Config.Members) {
		t.Errorf("%d applied, more than the limits allow", n[Applied])
	}
	if c := CheckLedger([][]AckedAward{got}, s.ledger(t)); !c.OK() || c.Found != n[Applied] {
		var b bytes.Buffer
		c.Report(&b)
		t.Fatal(b.String())
	}
}

// TestBadSecretIsRefused: a generator with another signing secret than
// the server's gets 401s, reported as errors.
func TestBadSecretIsRefused(t *testing.T) {
	s, cfg := startServer(t)
	t.Setenv("SLACK_SIGNING_SECRET", "not-the-servers-secret")
	t.Setenv("FEISHU_ENCRYPT_KEY", "not-the-servers-key")
	out := runLoad(t, "--url", s.url, "--config", cfg, "--count", "20", "--platform", "mixed", "--retry-share", "0")
	if !strings.Contains(out, "answered 200: 0 ") || !strings.Contains(out, "http 401 invalid signature") || !strings.Contains(out, `http 401 {"error":"refused"}`) {
		t.Errorf("want 401s for the Slack and the Feishu signatures:\n%s", out)
	}
	if n := s.ex.Store.EntryCount(); n != 0 {
		t.Errorf("%d entries", n)
	}
}

func TestParseMix(t *testing.T) {
	tests := []struct {
		in      string
		want    Mix
		wantErr bool
	}{
		{"award=60,score=25,leaderboard=15", Mix{Award: 60, Score: 25, Leaderboard: 15}, false},
		{"redeem=1,award=0", Mix{Redeem: 1}, false},
		{"award=1", Mix{Award: 1}, false},
		{" score = 2 , leaderboard=0.5", Mix{Score: 2, Leaderboard: 0.5}, false},
		{"award=0", Mix{}, true},
		{"award", Mix{}, true},
		{"revoke=5", Mix{}, true},
		{"redeem=0", Mix{}, true},
		{"award=-1", Mix{}, true},
	}
	for _, tt := range tests {
		got, err := ParseMix(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("ParseMix(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 90: 90 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := Percentile(d, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 || Percentile(d[:1], 99) != time.Millisecond {
		t.Error("edge cases")
	}
}

// TestCheckLedger states the checker's rules on a small case.
func TestCheckLedger(t *testing.T) {
	run1 := []AckedAward{
		{Token: "ld-a-0000001", Platform: "slack", Status: Applied, Attempts: 1},
		{Token: "ld-a-0000002", Platform: "feishu", Status: Acked, Attempts: 1},
		{Token: "ld-a-0000003", Platform: "slack", Status: Refused, Attempts: 1},
		{Token: "ld-a-0000004", Platform: "slack", Status: Deferred, Attempts: 1},
		{Token: "ld-a-0000005", Platform: "slack", Status: Refused, Attempts: 1},
	}
	run2 := []AckedAward{
		{Token: "ld-a-0000001", Platform: "slack", Status: Applied, Attempts: 1},
		{Token: "ld-a-0000005", Platform: "slack", Status: Applied, Attempts: 1}, // refused at first (internal error), applied on re-delivery
	}
	ledger := map[string]int{"ld-a-0000001": 1, "ld-a-0000003": 1, "ld-a-0000004": 1, "ld-a-0000005": 2, "ld-a-0000009": 2}
	c := CheckLedger([][]AckedAward{run1, run2}, ledger)
	if c.Acked != 3 || c.Found != 1 || len(c.Lost) != 1 || c.Lost[0] != "ld-a-0000002" || c.Redelivered != 2 {
		t.Errorf("%+v", c)
	}
	if len(c.Doubled) != 2 || len(c.RefusedIn) != 1 || c.RefusedIn[0] != "ld-a-0000003" || c.Uncertain != 1 || c.UncertainIn != 1 {
		t.Errorf("%+v", c)
	}
	if c.OK() {
		t.Error("OK with a lost award")
	}
}

// TestLoopbackURL: the default --url comes from http.listen.
func TestLoopbackURL(t *testing.T) {
	for in, want := range map[string]string{":8080": "http://127.0.0.1:8080", "0.0.0.0:9000": "http://127.0.0.1:9000",
		"127.0.0.1:18080": "http://127.0.0.1:18080", "": "http://127.0.0.1" + config.DefaultListen} {
		if got := loopbackURL(in); got != want {
			t.Errorf("loopbackURL(%q) = %q, want %q", in, got, want)
		}
	}
}
