package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"jifen/bot"
	"jifen/bot/bottest"
)

// The fuzz targets send hostile bodies, correctly signed, through the real
// handlers and check what every delivery must satisfy whatever its body:
// the handler neither panics nor hangs, the answer is below 500 (a 4xx for a
// body that cannot be read), and a refused body has written nothing to the
// store and sent nothing to Slack. Seeds are in f.Add and in
// testdata/fuzz; to look further:
//
//	go test ./bot/slack -run '^$' -fuzz FuzzSlashCommand -fuzztime 60s -fuzzminimizetime 5s
//
// (Minimizing a long new input takes a minute by default, and no inputs are
// tried meanwhile.)

// handlerDeadline bounds one request: a slash command is acknowledged
// after ackBudget at the latest, everything else at once.
const handlerDeadline = ackBudget + 3*time.Second

// fuzzHarness is a harness that counts the store's commits and keeps
// response_url posts from leaving the fake Slack, whatever URL a fuzzed
// payload names.
type fuzzHarness struct {
	*harness
	mux     *http.ServeMux
	commits atomic.Int64
}

func newFuzzHarness(f *testing.F) *fuzzHarness {
	h := &fuzzHarness{harness: newHarness(f), mux: http.NewServeMux()}
	h.st.SetCommitObserver(func(int, time.Duration) { h.commits.Add(1) })
	h.a.Register(h.mux)
	// slacktest names every user spengler: with one registered up front,
	// the next unknown user takes the path that tells names apart.
	if _, err := h.a.member(context.Background(), "W012A3CDE"); err != nil {
		f.Fatal(err)
	}
	fake, err := url.Parse(h.slack.GetAPIURL())
	if err != nil {
		f.Fatal(err)
	}
	h.a.hc = &http.Client{Timeout: 5 * time.Second, Transport: onlyHost{fake.Host}}
	for id, u := range fuzzGuests {
		h.slack.users[id] = u
	}
	return h
}

// fuzzGuests are users.info answers for guests and people of other
// organisations, whom no delivery may register (slack.guests refuses
// every kind by default).
var fuzzGuests = map[string]string{
	"UGUESTMC1": slackUser("UGUESTMC1", homeTeam, true, false, false, ""),
	"UGUESTSC1": slackUser("UGUESTSC1", homeTeam, false, true, false, ""),
	"UOTHERORG": slackUser("UOTHERORG", "T0OTHER01", false, false, false, ""),
	"USTRANGER": slackUser("USTRANGER", "T0OTHER01", false, false, true, ""),
}

// onlyHost is a transport that reaches one host and refuses the rest.
type onlyHost struct{ host string }

func (o onlyHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		return nil, errors.New("fuzz: outbound request to " + r.URL.Host + " refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// deliver sends a signed body to path and checks the properties every
// answer has; it returns the status and the answer's body.
func (h *fuzzHarness) deliver(t *testing.T, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	// Every input is a first delivery: with the memory of recent event ids
	// kept, most mutations of a seed would be dropped as re-deliveries.
	h.a.events = bot.NewRecent(time.Hour)
	commits, posts := h.commits.Load(), len(h.slack.sent())
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	stamp, sig := sign(string(body), time.Now())
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", sig)
	rec := bottest.Serve(t, h.mux, req, handlerDeadline, h.wait)
	code := rec.Code
	for id := range fuzzGuests {
		if _, ok := h.st.MemberBySlackID(id); ok {
			t.Fatalf("%s registered the guest %s", body, id)
		}
	}
	if code >= 500 || code < 200 {
		t.Fatalf("%s answered %d to %q: %s", path, code, body, rec.Body)
	}
	if code >= 300 {
		if n := h.commits.Load() - commits; n != 0 {
			t.Fatalf("%s refused %q with %d but the store committed %d times", path, body, code, n)
		}
		if sent := h.slack.sent(); len(sent) != posts {
			t.Fatalf("%s refused %q with %d but sent %+v", path, body, code, sent[posts:])
		}
	}
	return code, rec.Body.Bytes()
}

func FuzzSlashCommand(f *testing.F) {
	h := newFuzzHarness(f)
	respond := h.slack.GetAPIURL() + "response"
	for _, s := range []string{
		commandForm(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评 华为来信表扬", "1337.42.abc", respond),
		commandForm(zhang, "/award", "<@U0456EFGH|wangfang> 80 签大单 中标", "t-approval", respond),
		commandForm(wang, "/score", "", "t-score", ""),
		commandForm(lina, "/points", "leaderboard quarter 销售部", "t-board", respond),
		commandForm("W012A3CDE", "/jf", "help", "t-new", respond),
		commandForm("U1", "/score", "", "", ""),                                                // a user id shorter than Slack's
		commandForm("UGUESTMC1", "/score", "", "t-guest", respond),                             // a guest
		commandForm(zhang, "/award", "<@UOTHERORG|other> 10 客户好评", "t-connect", respond),       // someone of another organisation
		commandForm("USTRANGER", "/thanks", "<@U0456EFGH|wangfang> 谢谢", "t-stranger", respond), // a stranger
		commandForm(zhang, "/award", "&lt;!channel&gt; <@U0456EFGH> 99999999999999999999", "t-big", "http://evil.example/x"),
		"ssl_check=1&token=legacy",
		"ssl_check=1&%zz",
		"user_id=U0123ABCD",
		"command=%2Faward",
		"%zz=%%",
		"user_id=U0123ABCD&command=%2Faward&text=%E4%BD%A0%ff%fe",
		"user_id=U0123ABCD;command=/award",
		"",
		"&&&===",
		`{"user_id":"U0123ABCD","command":"/award"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		code, out := h.deliver(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(body))
		form, err := url.ParseQuery(body)
		switch {
		case err != nil:
			if code != http.StatusBadRequest {
				t.Fatalf("malformed form %q: %d, want 400", body, code)
			}
		case form.Get("ssl_check") == "1":
			if code != http.StatusOK {
				t.Fatalf("ssl_check %q: %d", body, code)
			}
		case form.Get("user_id") == "" || form.Get("command") == "":
			if code != http.StatusBadRequest {
				t.Fatalf("not a command %q: %d, want 400", body, code)
			}
		default:
			var msg struct {
				ResponseType string `json:"response_type"`
				Text         string `json:"text"`
			}
			if code != http.StatusOK || json.Unmarshal(out, &msg) != nil ||
				(msg.ResponseType != "ephemeral" && msg.ResponseType != "in_channel") || msg.Text == "" {
				t.Fatalf("command %q: %d %s", body, code, out)
			}
		}
	})
}

func FuzzInteraction(f *testing.F) {
	h := newFuzzHarness(f)
	respond := h.slack.GetAPIURL() + "response"
	for _, s := range []string{
		fmt.Sprintf(`{"type":"block_actions","trigger_id":"click-1","response_url":%q,"user":{"id":%q},
			"container":{"type":"message","message_ts":"1700000000.000001","channel_id":"D0LINA"},
			"actions":[{"type":"button","action_id":%q,"block_id":"b1","value":"/approve 1","action_ts":"1700000001.1"}]}`,
			respond, lina, CommandActionID(0)),
		fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-r","response_url":%q,"user":{"id":%q},
			"actions":[{"type":"button","action_id":%q,"block_id":"b1","value":"/redemptions reject R1","action_ts":"1.1"}]}`,
			respond, lina, CommandActionID(1)),
		fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-p","response_url":%q,"user":{"id":%q},
			"actions":[{"type":"button","action_id":"jifen_page:next","block_id":"jifen_pages","value":%q,"action_ts":"1.1"}]}`,
			respond, wang, EncodePage("/rules", 1)),
		fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":"V1","hash":"h1","callback_id":%q,"private_metadata":"/reject 1",
			"state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"预算不足"}}}}}}`, lina, callbackReject),
		fmt.Sprintf(`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V9","callback_id":%q,"private_metadata":"7"}}`, callbackReject),
		fmt.Sprintf(`{"type":"block_actions","trigger_id":"","response_url":%q,"user":{"id":"USTRANGER"},
			"actions":[{"type":"button","action_id":%q,"block_id":"b1","value":"/approve 1","action_ts":"1.2"}]}`, respond, CommandActionID(0)),
		`{"type":"block_actions","user":{"id":"U0456EFGH"},"actions":[{"action_id":"jifen_page:prev","value":"%%%"}]}`,
		`{"type":"block_actions","actions":[null]}`,
		`{"type":"view_closed","user":{"id":"U0456EFGH"}}`,
		`{"type":"shortcut","callback_id":"x"}`,
		`{"type":5}`,
		`{"type":"block_actions","actions":{"a":1}}`,
		`{"type":"view_submission","view":{"state":{"values":{"reason":[]}}}}`,
		`{"type":"block_actions"`,
		`[]`,
		`null`,
		``,
		"\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		body := url.Values{"payload": {payload}}.Encode()
		code, out := h.deliver(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte(body))
		if !json.Valid([]byte(payload)) && code != http.StatusBadRequest {
			t.Fatalf("malformed payload %q: %d, want 400", payload, code)
		}
		if code == http.StatusOK && len(out) > 0 && !json.Valid(out) {
			t.Fatalf("payload %q: answer is not JSON: %s", payload, out)
		}
	})
}

func FuzzEvents(f *testing.F) {
	h := newFuzzHarness(f)
	callback := func(id, event string) string {
		return fmt.Sprintf(`{"token":"x","team_id":"T0001","api_app_id":"A0JIFEN","type":"event_callback","event_id":%q,"event_time":1700000000,"event":%s}`, id, event)
	}
	for _, s := range []string{
		`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
		callback("Ev0MENTION", `{"type":"app_mention","user":"U0123ABCD","text":"<@U0BOT> /award <@U0456EFGH> 10 好评","ts":"1700000000.000100","channel":"C0SALES","event_ts":"1700000000.000100"}`),
		callback("Ev0DM", `{"type":"message","channel_type":"im","user":"U0456EFGH","text":"score","ts":"1700000000.000200","channel":"D0WANG","event_ts":"1700000000.000200"}`),
		callback("Ev0BOTMSG", `{"type":"message","channel_type":"im","bot_id":"B1","subtype":"bot_message","text":"/award <@U0456EFGH> 10 好评","channel":"D0WANG"}`),
		callback("Ev0REACT", `{"type":"reaction_added","user":"U0456EFGH","reaction":"clap","item_user":"U0123ABCD","item":{"type":"message","channel":"C0SALES","ts":"1700000000.000200"},"event_ts":"1700000001.000100"}`),
		callback("Ev0UNREACT", `{"type":"reaction_removed","user":"U0456EFGH","reaction":"clap","item_user":"U0123ABCD","item":{"type":"message","channel":"C0SALES","ts":"1700000000.000200"},"event_ts":"1700000001.000200"}`),
		callback("Ev0SHORT", `{"type":"app_mention","user":"U1","text":"<@U0BOT> score","channel":"C0SALES"}`), // a user id shorter than Slack's
		callback("Ev0GUEST", `{"type":"app_mention","user":"UGUESTSC1","text":"<@U0BOT> /award <@U0456EFGH> 10 好评","channel":"C0SALES"}`),
		callback("Ev0GUESTREACT", `{"type":"reaction_added","user":"UOTHERORG","reaction":"clap","item_user":"U0123ABCD","item":{"type":"message","channel":"C0SALES","ts":"1700000000.000300"}}`),
		callback("Ev0REACTGUEST", `{"type":"reaction_added","user":"U0456EFGH","reaction":"clap","item_user":"UGUESTMC1","item":{"type":"message","channel":"C0SALES","ts":"1700000000.000400"}}`),
		callback("Ev0FILE", `{"type":"reaction_added","user":"U0456EFGH","reaction":"clap","item":{"type":"file","file":"F1"}}`),
		callback("Ev0UNKNOWN", `{"type":"team_join","user":{"id":"U9"}}`),
		callback("Ev0NULL", `null`),
		callback("Ev0WRONG", `{"type":"app_mention","user":5,"text":["x"]}`),
		`{"type":"event_callback","event":{"type":"app_mention"}}`,
		`{"type":"app_rate_limited","team_id":"T0001","minute_rate_limited":1518467820,"api_app_id":"A0JIFEN"}`,
		`{"type":"url_verification"}`,
		`{"type":"url_verification","challenge":5}`,
		`{"type":"bogus"}`,
		`{"type":"event_callback"`,
		`payload={`,
		`[]`,
		`null`,
		``,
		"\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		code, out := h.deliver(t, "/slack/events", "application/json", []byte(body))
		if !json.Valid([]byte(body)) && code != http.StatusBadRequest {
			t.Fatalf("malformed event %q: %d, want 400", body, code)
		}
		var ch struct {
			Type      string `json:"type"`
			Challenge string `json:"challenge"`
		}
		if code == http.StatusOK && json.Unmarshal([]byte(body), &ch) == nil && ch.Type == "url_verification" && string(out) != ch.Challenge {
			t.Fatalf("challenge %q answered %q", ch.Challenge, out)
		}
		if code == http.StatusOK && ch.Type != "url_verification" && len(out) != 0 {
			t.Fatalf("event %q answered with %q", body, out)
		}
	})
}
