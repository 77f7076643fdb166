package bot

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/store"
	"jifen/survey"
)

func testSurvey(anonymous bool) survey.Survey {
	return survey.Survey{ID: "pulse", Title: "积分满意度", Anonymous: anonymous, MinGroup: 3,
		OpenFor: 72 * time.Hour, RemindAfter: 48 * time.Hour,
		Audience: survey.Audience{Departments: []string{"销售部", "客服部"}},
		Questions: []survey.Question{
			{ID: "fair", Text: "规则公平吗", Kind: survey.Likert},
			{ID: "nps", Text: "推荐吗", Kind: survey.NPS},
			{ID: "want", Text: "想要什么", Kind: survey.Multiple, Choices: []string{"调休", "培训", "购物卡"}},
			{ID: "note", Text: "其他意见", Kind: survey.Text},
		}}
}

func newSurveyEnv(t *testing.T, anonymous bool) *env {
	e := newEnv(t)
	e.bot.surveys = []survey.Survey{testSurvey(anonymous)}
	return e
}

// click runs a button of a card as the member who got it.
func (e *env) click(as string, msg Message, question int, label string) Message {
	e.t.Helper()
	for _, b := range msg.Blocks[question].Buttons {
		if b.Label == label {
			return e.run(as, b.Value).Reply
		}
	}
	e.t.Fatalf("no button %q in block %d: %+v", label, question, msg.Blocks[question])
	return Message{}
}

func TestSurveyRoundGoesToItsAudienceOnly(t *testing.T) {
	e := newSurveyEnv(t, false)
	if _, err := e.try("wang", "/survey start pulse", ""); errKey(err) != "err.admin_only" {
		t.Fatalf("an employee starting a survey: %v", err)
	}
	resp := e.run("hr", "/survey start pulse")
	var to []string
	for _, n := range resp.Notices {
		to = append(to, n.To)
		if n.Message.Kind != "survey" || len(n.Message.Blocks) != 4 {
			t.Fatalf("card to %s: %+v", n.To, n.Message)
		}
	}
	slices.Sort(to)
	// 销售部 and 客服部, without the admin in 人力资源部 and without the bot.
	if want := []string{"chen", "li", "wang", "zhang", "zhao"}; !slices.Equal(to, want) {
		t.Fatalf("cards went to %v, want %v", to, want)
	}
	card := resp.Notices[0].Message
	if got := len(card.Blocks[1].Buttons); got != 11 {
		t.Errorf("NPS buttons: %d, want 0..10", got)
	}
	if !strings.Contains(strings.Join(card.Text, "\n"), "实名") {
		t.Errorf("a named survey must say so on the card: %q", card.Text)
	}
	// Outside the audience: no answer.
	if _, err := e.try("hr", "/survey answer pulse-1 fair 4", ""); errKey(err) != "err.survey_not_asked" {
		t.Errorf("answer from outside the audience: %v", err)
	}
	// A second start while open is refused; a retried start (same key)
	// answers as the first and sends no cards again.
	if _, err := e.try("hr", "/survey start pulse", ""); errKey(err) != "err.survey_open" {
		t.Errorf("second start: %v", err)
	}
	e2 := newSurveyEnv(t, false)
	first, err := e2.try("hr", "/survey start pulse", "slack:trigger-1")
	if err != nil || len(first.Notices) != 5 {
		t.Fatalf("first: %v, %d notices", err, len(first.Notices))
	}
	again, err := e2.try("hr", "/survey start pulse", "slack:trigger-1")
	if err != nil || len(again.Notices) != 0 || len(e2.store.Rounds("pulse")) != 1 {
		t.Fatalf("retried start: %v, %d notices, %d rounds", err, len(again.Notices), len(e2.store.Rounds("pulse")))
	}
}

// A round's audience, and so its response rate, counts only who works
// here on the day it starts.
func TestSurveyAudienceIsWhoIsEmployed(t *testing.T) {
	e := newSurveyEnv(t, false)
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	left, hired := e.member("chen"), e.member("zhao")
	left.Left = date("2026-10-31")
	hired.Joined = date("2026-11-11") // tomorrow
	if err := e.store.SyncMembers(context.Background(), []jifen.Member{left, hired}); err != nil {
		t.Fatal(err)
	}
	resp := e.run("hr", "/survey start pulse")
	var to []string
	for _, n := range resp.Notices {
		to = append(to, n.To)
	}
	slices.Sort(to)
	if want := []string{"li", "wang", "zhang"}; !slices.Equal(to, want) {
		t.Fatalf("cards went to %v, want %v (not the leaver, not tomorrow's hire)", to, want)
	}
	if r := e.store.Rounds("pulse"); len(r) != 1 || len(r[0].Audience) != 3 {
		t.Fatalf("audience %+v", r)
	}
}

func TestSurveyAnswersChangeNeverAdd(t *testing.T) {
	e := newSurveyEnv(t, false)
	card := e.run("hr", "/survey start pulse").Notices[0].Message
	as := "chen"
	card = e.click(as, card, 0, "2")
	card = e.click(as, card, 0, "4") // a changed answer
	card = e.click(as, card, 1, "9")
	card = e.click(as, card, 2, "培训")
	card = e.click(as, card, 2, "购物卡")
	e.click(as, card, 2, "培训") // unticks it
	// A redelivered click of the button shown before the untick adds
	// 培训 again, whatever the order: the button says what it does.
	card = e.run(as, "/survey answer pulse-1 note 希望 规则 更透明").Reply

	if got := card.Blocks[0].Buttons[3]; got.Label != "4" || got.Style != "primary" {
		t.Errorf("the chosen answer is not marked: %+v", card.Blocks[0].Buttons)
	}
	if !strings.Contains(card.Blocks[2].Note, "购物卡") || strings.Contains(card.Blocks[2].Note, "培训") {
		t.Errorf("multiple choice note = %q", card.Blocks[2].Note)
	}
	answers := e.store.Answers("pulse", 1)
	if len(answers) != 1 {
		t.Fatalf("%d answers after changes, want 1", len(answers))
	}
	a := answers[0]
	want := map[string][]string{"fair": {"4"}, "nps": {"9"}, "want": {"购物卡"}, "note": {"希望 规则 更透明"}}
	for q, v := range want {
		if !slices.Equal(a.Values[q], v) {
			t.Errorf("%s = %v, want %v", q, a.Values[q], v)
		}
	}
	if a.Member != "chen" || a.Department != "客服部" {
		t.Errorf("a named answer keeps its member: %+v", a)
	}
	// Bad values get their own message and change nothing.
	for _, tt := range []struct{ text, key string }{
		{"/survey answer pulse-1 fair 6", "err.survey_bad_value"},
		{"/survey answer pulse-1 nps ten", "err.survey_bad_value"},
		{"/survey answer pulse-1 want 7", "err.survey_bad_value"},
		{"/survey answer pulse-1 nosuch 1", "err.survey_no_question"},
		{"/survey answer pulse-9 fair 1", "err.survey_not_asked"},
		{"/survey answer pulse fair 1", "err.survey_answer_usage"},
	} {
		if _, err := e.try(as, tt.text, ""); errKey(err) != tt.key {
			t.Errorf("%s: %v, want %s", tt.text, err, tt.key)
		}
	}
	if got := e.store.Answers("pulse", 1)[0].Values["fair"]; !slices.Equal(got, []string{"4"}) {
		t.Errorf("a refused answer changed the stored one: %v", got)
	}
}

func TestSurveyReminderOnlyToNonRespondentsAndOnce(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		e := newSurveyEnv(t, anonymous)
		ctx := context.Background()
		card := e.run("hr", "/survey start pulse").Notices[0].Message
		e.click("wang", card, 0, "5")
		e.click("chen", card, 0, "3")

		e.clock.Add(47 * time.Hour)
		if ns, err := e.bot.SurveyTick(ctx, e.clock.Now()); err != nil || len(ns) != 0 {
			t.Fatalf("before the reminder time: %v, %d notices", err, len(ns))
		}
		e.clock.Add(time.Hour)
		ns, err := e.bot.SurveyTick(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, n := range ns {
			to = append(to, n.To)
		}
		slices.Sort(to)
		if want := []string{"li", "zhang", "zhao"}; !slices.Equal(to, want) {
			t.Errorf("anonymous=%v: reminders to %v, want %v", anonymous, to, want)
		}
		if ns, _ := e.bot.SurveyTick(ctx, e.clock.Now().Add(time.Minute)); len(ns) != 0 {
			t.Errorf("a second tick reminded again: %d", len(ns))
		}
	}
}

func TestClosedSurveyTakesNoAnswersAndAdminsGetResults(t *testing.T) {
	e := newSurveyEnv(t, true)
	ctx := context.Background()
	card := e.run("hr", "/survey start pulse").Notices[0].Message
	for _, m := range []string{"wang", "li", "zhang"} {
		e.click(m, card, 0, "4")
	}
	e.clock.Add(72 * time.Hour)
	ns, err := e.bot.SurveyTick(ctx, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].To != "hr" || !strings.Contains(ns[0].Message.Title, "积分满意度") {
		t.Fatalf("on closing: %+v", ns)
	}
	if ns, _ := e.bot.SurveyTick(ctx, e.clock.Now()); len(ns) != 0 {
		t.Errorf("closed twice: %d notices", len(ns))
	}
	r, _ := e.store.Round("pulse", 1)
	if r.Closed.IsZero() {
		t.Errorf("round not closed: %+v", r)
	}
	// A click on the old card: the card says the survey is closed, with
	// no buttons left, and nothing is written.
	got := e.click("chen", card, 0, "2")
	if got.Kind == "error" || len(got.Blocks) != 0 || len(got.Buttons) != 0 || !strings.Contains(got.Text[0], "结束") {
		t.Errorf("click after closing: %+v", got)
	}
	if n := len(e.store.Answers("pulse", 1)); n != 3 {
		t.Errorf("%d answers, want 3", n)
	}
	// A new round can start now, and compares with the first.
	e.run("hr", "/survey start pulse")
	card2 := e.run("wang", "/survey").Reply
	if !strings.Contains(card2.Blocks[0].Buttons[0].Value, "pulse-2") {
		t.Fatalf("second round card: %+v", card2.Blocks[0].Buttons[0])
	}
	for _, m := range []string{"wang", "li", "zhang", "chen"} {
		e.click(m, card2, 0, "5")
	}
	res, err := e.bot.SurveyResults("pulse", 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != "pulse-1" || res.Items[0].PrevMean == nil || *res.Items[0].PrevMean != 4 || *res.Items[0].Mean != 5 {
		t.Errorf("comparison: %+v", res.Items[0])
	}
	if res.Responses != 4 || res.Audience != 5 || res.PreviousRate == nil || *res.PreviousRate != 0.6 {
		t.Errorf("rates: %d/%d prev %v", res.Responses, res.Audience, res.PreviousRate)
	}
}

// TestAnonymousAnswersHoldNoMember reads every key and value of the raw
// store file: no member id, name or platform id may appear next to an
// anonymous answer, before or after the round closes.
func TestAnonymousAnswersHoldNoMember(t *testing.T) {
	e := newSurveyEnv(t, true)
	e.run("hr", "/survey start pulse")
	for _, m := range []string{"wang", "li", "zhang", "chen"} {
		card := e.run(m, "/survey").Reply
		card = e.click(m, card, 0, "3")
		e.run(m, "/survey answer pulse-1 note 我是"+m+"之外的人")
		_ = card
	}
	check := func(when string) {
		path := filepath.Join(t.TempDir(), "copy.db")
		if _, err := e.store.Backup(path); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		n := 0
		err = db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("survey_answers")).ForEach(func(k, v []byte) error {
				n++
				var a map[string]any
				if err := json.Unmarshal(v, &a); err != nil {
					return err
				}
				if _, ok := a["member"]; ok {
					t.Errorf("%s: answer has a member field: %s", when, v)
				}
				if _, ok := a["at"]; ok {
					t.Errorf("%s: answer has a time: %s", when, v)
				}
				for _, m := range testMembers {
					for _, s := range []string{m.ID, m.Name} {
						// The free text names members on purpose ("我是wang之外的人");
						// only the key and the fields outside the text count.
						if strings.Contains(string(k), s) {
							t.Errorf("%s: key %q holds %q", when, k, s)
						}
					}
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("%s: %d answers in the file, want 4", when, n)
		}
		// Nothing about the answers in the idempotency records either.
		_ = db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("idem")).ForEach(func(k, v []byte) error {
				if strings.Contains(string(v), "之外的人") {
					t.Errorf("%s: an idempotency record keeps an answer: %q", when, k)
				}
				return nil
			})
		})
	}
	check("open")
	e.run("hr", "/survey close pulse")
	check("closed")
}

func TestSurveyResultsHideSmallGroupsOfAnonymousSurveys(t *testing.T) {
	e := newSurveyEnv(t, true)
	e.run("hr", "/survey start pulse")
	// 销售部: three answers (shown at min_group 3); 客服部: one (hidden).
	for m, v := range map[string]string{"wang": "5", "li": "4", "zhang": "3", "chen": "1"} {
		e.run(m, "/survey answer pulse-1 fair "+v)
		e.run(m, "/survey answer pulse-1 note 意见"+v)
	}
	msg := e.run("hr", "/survey results pulse").Reply
	var text []string
	for _, b := range msg.Blocks {
		text = append(text, b.Text)
	}
	all := strings.Join(text, "\n")
	// 客服部 has two members in the audience, under min_group 3: its
	// answers do not even keep the department.
	if strings.Contains(all, "客服部") {
		t.Errorf("客服部 shown:\n%s", all)
	}
	// 销售部 is hidden: shown next to the total, it would give the
	// remaining answer (chen's) away by difference.
	if !strings.Contains(all, "销售部：少于 3 人作答") {
		t.Errorf("销售部 would reveal 客服部 by difference:\n%s", all)
	}
	// While the round is open, an admin who watched the comments arrive
	// one by one could tell whose each is: they wait for its close.
	if strings.Contains(all, "意见") && !strings.Contains(all, "已收到 4 条意见") || strings.Contains(all, "意见1") {
		t.Errorf("comments of an open anonymous round shown:\n%s", all)
	}
	e.run("hr", "/survey close pulse")
	closed := e.run("hr", "/survey results pulse").Reply
	text = text[:0]
	for _, b := range closed.Blocks {
		text = append(text, b.Text)
	}
	// Closed, with four answers overall ≥ 3: the comments are shown.
	if all := strings.Join(text, "\n"); !strings.Contains(all, "意见1") {
		t.Errorf("comments missing after closing:\n%s", all)
	}
	if got := msg.Table.Rows[0][2]; got != "3.25" {
		t.Errorf("fair mean = %s, want 3.25", got)
	}
	if _, err := e.try("wang", "/survey results pulse", ""); errKey(err) != "err.admin_only" {
		t.Errorf("an employee reading results: %v", err)
	}
	_ = jifen.RoleAdmin
}

func TestForgetMemberDeletesNamedAnswersOnly(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		e := newSurveyEnv(t, anonymous)
		e.run("hr", "/survey start pulse")
		e.run("wang", "/survey answer pulse-1 note 我的意见")
		e.run("chen", "/survey answer pulse-1 fair 2")
		if err := e.store.ForgetMember(context.Background(), "wang", "成员A"); err != nil {
			t.Fatal(err)
		}
		answers := e.store.Answers("pulse", 1)
		want := 1
		if anonymous {
			want = 2 // nothing links an anonymous answer to wang
		}
		if len(answers) != want {
			t.Errorf("anonymous=%v: %d answers left, want %d", anonymous, len(answers), want)
		}
		for _, a := range answers {
			if a.Member == "wang" {
				t.Errorf("wang's named answer survived: %+v", a)
			}
		}
		// Forgotten means gone: their last day is today, so they drop out
		// of the figures of the periods to come (and keep their past ones).
		m := e.member("wang")
		if got := m.Left.Format(time.DateOnly); got != "2026-11-10" {
			t.Errorf("forgotten member: left %s, want 2026-11-10", got)
		}
		dec := jifen.PeriodOf(jifen.Month, e.clock.Now().AddDate(0, 1, 0), shanghai)
		if m.EmployedIn(dec, shanghai) {
			t.Error("a forgotten member still counts in next month's figures")
		}
	}
}

// After a restart the store no longer knows which anonymous answer is
// whose: a member who answered is told it is recorded and can no longer be
// changed, and is not reminded; one who had not answered still can.
func TestAnonymousAnswerAfterRestart(t *testing.T) {
	e := newSurveyEnv(t, true)
	card := e.run("hr", "/survey start pulse").Notices[0].Message
	e.click("wang", card, 0, "4")
	path := e.store.Path()
	e.store.Close()
	st, err := store.Open(path, store.Options{Location: shanghai, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store, e.bot = st, New(Options{Store: st, Catalog: e.bot.cat, CatalogVersion: 1, Surveys: e.bot.surveys})
	got := e.run("wang", "/survey").Reply
	if len(got.Blocks) != 0 || !strings.Contains(strings.Join(got.Text, "\n"), "不能再修改") {
		t.Errorf("card after the restart: %+v", got)
	}
	if _, err := e.try("wang", "/survey answer pulse-1 fair 1", ""); errKey(err) != "err.survey_answer_locked" {
		t.Errorf("changing after the restart: %v", err)
	}
	e.run("li", "/survey answer pulse-1 fair 2")
	if as := e.store.Answers("pulse", 1); len(as) != 2 {
		t.Errorf("%d answers, want 2", len(as))
	}
	e.clock.Add(48 * time.Hour)
	ns, err := e.bot.SurveyTick(context.Background(), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.To == "wang" || n.To == "li" {
			t.Errorf("reminded %s, who answered", n.To)
		}
	}
}
