package slack

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/config"
)

// slackUser is a users.info user as Slack answers for it.
func slackUser(id, team string, restricted, ultra, stranger bool, enterprise string) string {
	ent := ""
	if enterprise != "" {
		ent = fmt.Sprintf(`,"enterprise_user":{"id":%q,"enterprise_id":%q}`, id, enterprise)
	}
	return fmt.Sprintf(`{"id":%q,"team_id":%q,"name":"guest","real_name":"Guest %s","is_restricted":%v,"is_ultra_restricted":%v,"is_stranger":%v,"profile":{"display_name":"guest-%s"}%s}`,
		id, team, id, restricted || ultra, ultra, stranger, strings.ToLower(id), ent)
}

const homeTeam = "T024BE7LD" // slacktest's auth.test team

// Issue 16, item 6: guests and people of other organisations are not
// registered as employees, unless slack.guests allows their kind; a
// refused user is told why and nothing is written.
func TestGuestsAreRefusedUnlessAllowed(t *testing.T) {
	kinds := []struct {
		name  string
		user  string
		allow config.Guests
	}{
		{"multi-channel guest", slackUser("UGUESTMC1", homeTeam, true, false, false, ""), config.Guests{Restricted: true}},
		{"single-channel guest", slackUser("UGUESTSC1", homeTeam, false, true, false, ""), config.Guests{UltraRestricted: true}},
		{"slack connect", slackUser("UOTHERORG", "T0OTHER01", false, false, false, ""), config.Guests{External: true}},
		{"stranger", slackUser("USTRANGER", "T0OTHER01", false, false, true, ""), config.Guests{External: true}},
		{"guest of another organisation", slackUser("UGUESTEXT", "T0OTHER01", true, false, false, ""), config.Guests{Restricted: true, External: true}},
	}
	for _, k := range kinds {
		id := k.user[7:16]
		t.Run(k.name, func(t *testing.T) {
			h := newHarness(t)
			h.slack.users[id] = k.user
			var commits atomic.Int64
			h.st.SetCommitObserver(func(int, time.Duration) { commits.Add(1) })

			// Typing a command.
			code, msg := h.command(id, "/score", "", "t-guest-1")
			if code != 200 || msg.ResponseType != "ephemeral" || !strings.Contains(msg.Text, h.a.bot.T("err.guest_caller")) {
				t.Fatalf("guest's command: %d %+v", code, msg)
			}
			// Named in someone's award.
			_, msg = h.command(zhang, "/award", "<@"+id+"|guest> 10 客户好评", "t-guest-2")
			if want := h.a.bot.T("err.guest_member", "guest-"+strings.ToLower(id)); !strings.Contains(msg.Text, want) {
				t.Fatalf("award to a guest: %q, want %q", msg.Text, want)
			}
			// Thanked with a reaction, or thanking with one.
			for i, pair := range [][2]string{{id, zhang}, {wang, id}} {
				ev := fmt.Sprintf(`{"type":"event_callback","event_id":"EvG%d","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN",
					"event":{"type":"reaction_added","user":%q,"reaction":"clap","item_user":%q,
					"item":{"type":"message","channel":"C0SALES","ts":"1700000000.00020%d"},"event_ts":"1700000001.000100"}}`, i, pair[0], pair[1], i)
				if code, _ := h.post("/slack/events", "application/json", ev, nil); code != 200 {
					t.Fatalf("reaction: %d", code)
				}
			}
			h.wait()
			if _, ok := h.st.MemberBySlackID(id); ok || commits.Load() != 0 || h.st.EntryCount() != 0 {
				t.Fatalf("refused guest: registered %v, %d commits, %d entries", ok, commits.Load(), h.st.EntryCount())
			}

			// Allowed by slack.guests, the same user joins.
			h.a.cfg.Guests = k.allow
			if code, msg := h.command(id, "/score", "", "t-guest-3"); code != 200 || strings.Contains(msg.Text, h.a.bot.T("err.guest_caller")) {
				t.Fatalf("allowed guest: %d %+v", code, msg)
			}
			if _, ok := h.st.MemberBySlackID(id); !ok {
				t.Fatal("allowed guest not registered")
			}
		})
	}
	// Each setting lets in its own kind only.
	t.Run("one kind does not let in another", func(t *testing.T) {
		h := newHarness(t)
		h.a.cfg.Guests = config.Guests{Restricted: true}
		h.slack.users["UGUESTEXT"] = kinds[4].user
		h.slack.users["UGUESTSC1"] = kinds[1].user
		for _, id := range []string{"UGUESTEXT", "UGUESTSC1"} {
			if _, msg := h.command(id, "/score", "", "t-"+id); !strings.Contains(msg.Text, h.a.bot.T("err.guest_caller")) {
				t.Fatalf("%s: %+v", id, msg)
			}
			if _, ok := h.st.MemberBySlackID(id); ok {
				t.Fatalf("%s registered", id)
			}
		}
	})
	// A full member of another workspace of the same Enterprise Grid
	// organisation is a colleague.
	t.Run("same enterprise", func(t *testing.T) {
		h := newHarness(t)
		h.slack.users["UGRIDMATE"] = slackUser("UGRIDMATE", "T0SISTER1", false, false, false, "E0ACME001")
		h.a.home = &slackapi.AuthTestResponse{TeamID: homeTeam, EnterpriseID: "E0ACME001"} // as auth.test answers in a grid
		if _, msg := h.command("UGRIDMATE", "/score", "", "t-grid"); strings.Contains(msg.Text, h.a.bot.T("err.guest_caller")) {
			t.Fatalf("%+v", msg)
		}
		if _, ok := h.st.MemberBySlackID("UGRIDMATE"); !ok {
			t.Fatal("a colleague of the same enterprise was refused")
		}
	})
}

// A profile name is user input: a colleague first seen on Slack is
// registered without the control, bidi and zero-width characters of their
// display name.
func TestRegisteredNamesAreClean(t *testing.T) {
	h := newHarness(t)
	h.slack.users["UNEWCOMER"] = `{"id":"UNEWCOMER","team_id":"` + homeTeam + `","name":"x","profile":{"display_name":"\u202e新\u200b同事\u0007"}}`
	if code, _ := h.command("UNEWCOMER", "/score", "", "t-new-1"); code != 200 {
		t.Fatalf("command: %d", code)
	}
	m, ok := h.st.MemberBySlackID("UNEWCOMER")
	if !ok || m.Name != "新同事" {
		t.Fatalf("registered %v as %q, want 新同事", ok, m.Name)
	}
}

// Issue 18, item 1: a member of the config with an email and no Slack id
// becomes the Slack user with that email (users.info, users:read.email),
// keeping their id (工号), role and department; no duplicate is made.
func TestUnknownUserIsMatchedByEmail(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	zhao := jifen.Member{ID: "E1024", Name: "赵敏", Email: "Zhao.Min@example.com", Department: "销售部", Role: jifen.RoleManager}
	taken := jifen.Member{ID: "E2048", Name: "钱进", Email: "qian@example.com", SlackID: "U0QIANOLD", Role: jifen.RoleEmployee}
	if err := h.st.SyncMembers(ctx, []jifen.Member{zhao, taken}); err != nil {
		t.Fatal(err)
	}
	h.slack.users["U0ZHAOMIN"] = `{"id":"U0ZHAOMIN","team_id":"T024BE7LD","name":"zhaomin","profile":{"display_name":"赵敏","email":"zhao.min@EXAMPLE.com"}}`
	h.slack.users["U0QIANNEW"] = `{"id":"U0QIANNEW","team_id":"T024BE7LD","name":"qian","profile":{"display_name":"钱进","email":"qian@example.com"}}`
	before := len(h.st.Members())

	if code, msg := h.command("U0ZHAOMIN", "/score", "", "t-email-1"); code != 200 || msg.ResponseType != "ephemeral" {
		t.Fatalf("%d %+v", code, msg)
	}
	m, ok := h.st.MemberBySlackID("U0ZHAOMIN")
	if !ok || m.ID != "E1024" || m.Role != jifen.RoleManager || m.Department != "销售部" || m.Name != "赵敏" {
		t.Fatalf("matched member: %+v %v", m, ok)
	}
	if n := len(h.st.Members()); n != before {
		t.Fatalf("members %d → %d: a duplicate was registered", before, n)
	}
	// The link is the store's record: the config's next sync keeps it.
	if err := h.st.SyncMembers(ctx, []jifen.Member{zhao}); err != nil {
		t.Fatal(err)
	}
	if m, _ := h.st.Member("E1024"); m.SlackID != "U0ZHAOMIN" {
		t.Fatalf("after the config's sync: %+v", m)
	}

	// A member who already has another Slack id is not taken over.
	h.command("U0QIANNEW", "/score", "", "t-email-2")
	if m, _ := h.st.Member("E2048"); m.SlackID != "U0QIANOLD" {
		t.Fatalf("member with a Slack id relinked: %+v", m)
	}
	if m, ok := h.st.MemberBySlackID("U0QIANNEW"); !ok || m.ID == "E2048" || m.Name == "钱进" {
		t.Fatalf("second account: %+v %v", m, ok)
	}
}
