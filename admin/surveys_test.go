package admin

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/survey"
)

// The survey tests' company: the test members and enough more that
// 销售部, 研发部 and 人力部 each have three or more people asked.
var surveyExtra = []jifen.Member{
	{ID: "s2", Name: "孙丽", Department: "销售部", Role: jifen.RoleEmployee},
	{ID: "s3", Name: "周杰", Department: "销售部", Role: jifen.RoleEmployee},
	{ID: "s4", Name: "吴昊", Department: "销售部", Role: jifen.RoleEmployee},
	{ID: "r3", Name: "郑爽", Department: "研发部", Role: jifen.RoleEmployee},
	{ID: "h2", Name: "冯刚", Department: "人力部", Role: jifen.RoleEmployee},
	{ID: "h3", Name: "陈晨", Department: "人力部", Role: jifen.RoleEmployee},
}

// surveyQuestions are a 1–5 question and a comment.
var surveyQuestions = []survey.Question{
	{ID: "fair", Text: "Fair rules", Kind: survey.Likert},
	{ID: "note", Text: "Anything else", Kind: survey.Text},
}

func surveyConfig(c *config.Config) {
	c.Surveys = []survey.Survey{
		{ID: "pulse", Title: "Pulse", Questions: surveyQuestions, Anonymous: true, MinGroup: 3, OpenFor: 72 * time.Hour},
		{ID: "named", Title: "Named check", Questions: surveyQuestions, OpenFor: 72 * time.Hour},
		{ID: "tiny", Title: "Tiny", Questions: surveyQuestions, Anonymous: true, MinGroup: 3, OpenFor: 72 * time.Hour},
		{ID: "idle", Title: "Never started", Questions: surveyQuestions, Schedule: "0 10 25 * *", OpenFor: 72 * time.Hour},
	}
}

// surveyRun runs a chat command as member and fails on an error reply.
func surveyRun(t *testing.T, e *memberEnv, member, text string) bot.Response {
	t.Helper()
	m, ok := e.st.Member(member)
	if !ok {
		t.Fatalf("no member %s", member)
	}
	resp := e.bot.Handle(context.Background(), bot.Request{Caller: m, Text: text, Source: "console", Key: fmt.Sprintf("%s %s", member, text)})
	if resp.Reply.Kind == "error" || resp.Failed {
		t.Fatalf("%s: %s: %+v", member, text, resp.Reply)
	}
	return resp
}

// newSurveyEnv starts round 1 of pulse (answered by all 4 of 销售部, 1 of
// 研发部's 3 and 2 of 人力部's 3), of named (answered by emp and mgr) and of
// tiny (answered by 2), all still open.
func newSurveyEnv(t *testing.T) *memberEnv {
	t.Helper()
	e := newMemberEnv(t, surveyConfig, surveyExtra, nil)
	for _, id := range []string{"pulse", "named", "tiny"} {
		if _, err := e.bot.StartSurvey(context.Background(), id, "start "+id); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct{ who, fair, note string }{
		{"mgr", "5", "销售的意见甲"}, {"s2", "5", ""}, {"s3", "5", ""}, {"s4", "5", "销售的意见乙"},
		{"emp", "1", "研发的唯一意见"},
		{"h2", "3", ""}, {"h3", "3", ""},
	} {
		surveyRun(t, e, a.who, "/survey answer pulse-1 fair "+a.fair)
		if a.note != "" {
			surveyRun(t, e, a.who, "/survey answer pulse-1 note "+a.note)
		}
	}
	surveyRun(t, e, "emp", "/survey answer named-1 fair 2")
	surveyRun(t, e, "emp", "/survey answer named-1 note 实名意见")
	surveyRun(t, e, "mgr", "/survey answer named-1 fair 4")
	surveyRun(t, e, "s2", "/survey answer tiny-1 fair 4")
	surveyRun(t, e, "s3", "/survey answer tiny-1 note 小问卷的意见")
	return e
}

// The respondents, by name and id, as a page could give them away.
var surveyRespondents = []string{"李雷", "孙丽", "周杰", "吴昊", "张伟", "冯刚", "陈晨", "UMGR", "UEMP", "ou_emp", ">emp<", ">mgr<", ">s2<", ">h2<"}

func TestSurveysList(t *testing.T) {
	e := newSurveyEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/surveys")
	memWantCode(t, "list", w.Code, http.StatusOK)
	// 10 asked: the members employed today but the bot and who left.
	mustContain(t, w, "Pulse", "<code>pulse</code>", `href="/admin/surveys/pulse/1"`, "7/10 (70%)", ">open<", "2026-11-10 10:00", "2026-11-13 10:00",
		"Anonymous: groups with fewer than 3 answers are not shown", "Named check", "2/10 (20%)", "Named: not anonymous",
		"Never started", "0 10 25 * *", "Survey idle has not been started yet.", "started by an admin")
	memLacks(t, w.Body.String(), surveyRespondents...)

	surveyRun(t, e, "hr", "/survey close pulse")
	w = b.get("/admin/surveys")
	mustContain(t, w, "7/10 (70%)", ">closed<")
}

// An anonymous round: a department under the threshold is listed as not
// shown, with no figure, whatever the request asks; the comments wait for
// the close; no answer is shown with its author.
func TestSurveyResultsAnonymity(t *testing.T) {
	e := newSurveyEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	hidden := []string{"研发部 (", "人力部 (", "研发的唯一意见", "销售的意见甲", "销售的意见乙", "Fair rules 1.0", "Fair rules 3.0"}
	for _, target := range []string{
		"/admin/surveys/pulse/1",
		"/admin/surveys/pulse/1?department=%E7%A0%94%E5%8F%91%E9%83%A8&min_group=1&k=1&anonymous=false&show=all",
		"/admin/surveys/pulse/1?level=&group=%E7%A0%94%E5%8F%91%E9%83%A8&comments=1&closed=1&n=0",
	} {
		w := b.get(target)
		memWantCode(t, target, w.Code, http.StatusOK)
		mustContain(t, w, "Survey results: Pulse (pulse-1)", "Response rate 7/10 (70%)", "open until 2026-11-13 10:00",
			"Anonymous: groups with fewer than 3 answers are not shown.", "<td>Fair rules</td><td class=\"n\">7</td><td class=\"n\">3.86</td>",
			"1:1 2:0 3:2 4:0 5:4", "By department", "销售部 (4): Fair rules 5.0",
			"研发部: fewer than 3 answers, not shown", "人力部: fewer than 3 answers, not shown",
			"3 comments so far; the comments of an anonymous survey are shown once the round has closed")
		memLacks(t, w.Body.String(), hidden...)
		memLacks(t, w.Body.String(), surveyRespondents...)
	}

	// Closed: the comments, sorted; the small groups still not shown.
	surveyRun(t, e, "hr", "/survey close pulse")
	w := b.get("/admin/surveys/pulse/1?department=%E7%A0%94%E5%8F%91%E9%83%A8")
	memWantCode(t, "closed", w.Code, http.StatusOK)
	mustContain(t, w, "closed", "研发部: fewer than 3 answers, not shown", "销售部 (4): Fair rules 5.0",
		"<li>研发的唯一意见</li>", "<li>销售的意见乙</li>", "<li>销售的意见甲</li>")
	memLacks(t, w.Body.String(), "研发部 (", "人力部 (", "Fair rules 1.0", "Fair rules 3.0")
	memLacks(t, w.Body.String(), surveyRespondents...)

	// Too few answered: the comments are not shown, even closed.
	surveyRun(t, e, "hr", "/survey close tiny")
	w = b.get("/admin/surveys/tiny/1")
	memWantCode(t, "tiny", w.Code, http.StatusOK)
	mustContain(t, w, "Response rate 2/10 (20%)", "Fewer than 3 answers: comments are not shown, to keep them anonymous.")
	memLacks(t, w.Body.String(), "小问卷的意见", "销售部 (")
	memLacks(t, w.Body.String(), surveyRespondents...)
}

// A named round shows what chat shows of it: every group and the
// comments, but never who gave an answer.
func TestSurveyResultsNamed(t *testing.T) {
	e := newSurveyEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/surveys/named/1")
	memWantCode(t, "named", w.Code, http.StatusOK)
	mustContain(t, w, "Response rate 2/10 (20%)", "<td class=\"n\">3.00</td>", "研发部 (1): Fair rules 2.0", "销售部 (1): Fair rules 4.0", "<li>实名意见</li>")
	memLacks(t, w.Body.String(), "Anonymous:")
	memLacks(t, w.Body.String(), surveyRespondents...)
}

func TestSurveysAccess(t *testing.T) {
	e := newSurveyEnv(t)
	b := e.browser(t)
	for _, target := range []string{"/admin/surveys", "/admin/surveys/pulse/1"} {
		w := b.get(target)
		memWantCode(t, "signed out "+target, w.Code, http.StatusFound)
	}
	for _, who := range []string{"emp", "mgr", "mail"} {
		b.signIn(e.s, who)
		for _, target := range []string{"/admin/surveys", "/admin/surveys/pulse/1", "/admin/surveys/named/1"} {
			w := b.get(target)
			memWantCode(t, who+" "+target, w.Code, http.StatusForbidden)
			memLacks(t, w.Body.String(), "Fair rules", "实名意见", "Pulse")
		}
	}
	b.signIn(e.s, "hr")
	for _, target := range []string{
		"/admin/surveys/nope/1", "/admin/surveys/pulse/2", "/admin/surveys/pulse/0", "/admin/surveys/pulse/-1",
		"/admin/surveys/pulse/x", "/admin/surveys/idle/1", "/admin/surveys/PULSE/1",
	} {
		w := b.get(target)
		memWantCode(t, target, w.Code, http.StatusNotFound)
		memLacks(t, w.Body.String(), "Fair rules", "Response rate")
	}
	w := b.get("/admin/surveys/nope/1")
	mustContain(t, w, "There is no survey “nope” in the config.")
	w = b.get("/admin/surveys/pulse/2")
	mustContain(t, w, "Survey pulse has no round 2.")
}
