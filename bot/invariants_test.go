package bot

import (
	"errors"
	"strings"
	"testing"

	"jifen"
	"jifen/rules"
	"jifen/survey"
)

// withCatalog gives e a bot over the same store with cat as its rules.
func (e *env) withCatalog(cat *rules.Catalog) {
	e.t.Helper()
	if err := cat.Validate(); err != nil {
		e.t.Fatal(err)
	}
	e.bot = New(Options{Store: e.store, Catalog: cat, CatalogVersion: 1})
}

// An award waiting for approval holds its points against the giver's
// allowance: 80 pending and 60 more exceed an allowance of 100, though
// neither has been applied.
func TestPendingApprovalCountsAgainstTheAllowance(t *testing.T) {
	e := newEnv(t)
	cat := testCatalog() // awards over 50 wait for an admin
	cat.Allowances[jifen.RoleManager] = rules.Allowance{Period: jifen.Month, Points: 100}
	e.withCatalog(cat)

	if resp := e.run("zhang", "/award @王芳 80 大单"); resp.Reply.Kind != "approval" {
		t.Fatalf("80 points did not wait for approval: %+v", resp.Reply)
	}
	_, err := e.try("zhang", "/award @李娜 60 大单", "")
	var je *jifen.Error
	if !errors.As(err, &je) || je.Key != "err.allowance" || je.Args[0] != int64(20) || je.Args[1] != int64(60) {
		t.Fatalf("60 more with 80 pending of 100: %#v, want the allowance refused with 20 left", err)
	}
	open, err := e.store.OpenApprovals()
	if n := e.store.EntryCount(); n != 0 || len(open) != 1 || err != nil {
		t.Fatalf("after the refusal: %d entries, %d open approvals (%v); want 0 and 1", n, len(open), err)
	}
	// One point over what is left is refused; exactly what is left fits.
	if _, err := e.try("zhang", "/award @李娜 21 大单", ""); errKey(err) != "err.allowance" {
		t.Fatalf("21 with 20 left: %v", err)
	}
	e.run("zhang", "/award @李娜 20 大单")
	if e.month("li") != 20 {
		t.Fatalf("李娜 has %d this month", e.month("li"))
	}
	// Rejected, the 80 are free again.
	e.run("hr", "/reject 1 证据不足")
	if resp := e.run("zhang", "/award @李娜 60 大单"); resp.Reply.Kind != "approval" {
		t.Fatalf("60 after the rejection: %+v", resp.Reply)
	}
}

// The thanks allowance is 5 a week: thanks that bring the week's total to
// exactly 5 are accepted, one point more is refused, saying none is left.
func TestThanksAllowanceBoundary(t *testing.T) {
	e := newEnv(t)
	e.run("wang", "/thanks @李娜 3 帮我整理报价单")
	e.run("wang", "/thanks @陈静 2 帮我看了合同") // 3 + 2 = 5: all of it
	if e.month("li") != 3 || e.month("chen") != 2 {
		t.Fatalf("thanks applied: 李娜 %d, 陈静 %d", e.month("li"), e.month("chen"))
	}
	before := e.store.EntryCount()
	_, err := e.try("wang", "/thanks @李娜 1 再次感谢", "")
	var je *jifen.Error
	if !errors.As(err, &je) || je.Key != "err.thanks_allowance" || je.Args[0] != int64(0) || je.Args[1] != int64(1) {
		t.Fatalf("one point over the allowance: %#v", err)
	}
	if e.store.EntryCount() != before {
		t.Fatal("a refused thanks was written")
	}
}

// surveyResults runs an anonymous round of s answered by who (each a
// score and a comment), closes it and returns the results as text.
func surveyResults(t *testing.T, s survey.Survey, who ...string) string {
	t.Helper()
	e := newEnv(t)
	e.bot.surveys = []survey.Survey{s}
	e.run("hr", "/survey start "+s.ID)
	for _, m := range who {
		e.run(m, "/survey answer "+s.ID+"-1 fair 4")
		e.run(m, "/survey answer "+s.ID+"-1 note 意见-"+m)
	}
	e.run("hr", "/survey close "+s.ID)
	msg := e.run("hr", "/survey results "+s.ID).Reply
	text := append([]string{}, msg.Text...)
	for _, b := range msg.Blocks {
		text = append(text, b.Text)
	}
	return strings.Join(text, "\n")
}

// With min_group 3, a department whose answers number exactly 3 is shown,
// with the comments; 2 answers are hidden, and so are their comments.
// (销售部 has three members in the survey's audience.)
func TestSurveyGroupOfExactlyMinGroupIsShown(t *testing.T) {
	s := testSurvey(true)
	if s.MinGroup != 3 {
		t.Fatalf("min_group %d", s.MinGroup)
	}
	all := surveyResults(t, s, "zhang", "wang", "li")
	if !strings.Contains(all, "销售部（3 人）") || strings.Contains(all, "少于 3 人作答") {
		t.Errorf("a group of exactly min_group answers is not shown:\n%s", all)
	}
	if !strings.Contains(all, "意见-wang") || strings.Contains(all, "作答不足") {
		t.Errorf("the comments of exactly min_group answers are not shown:\n%s", all)
	}

	all = surveyResults(t, s, "wang", "li")
	if strings.Contains(all, "销售部（2 人）") || !strings.Contains(all, "销售部：少于 3 人作答") {
		t.Errorf("a group of min_group-1 answers is shown:\n%s", all)
	}
	if strings.Contains(all, "意见-") || !strings.Contains(all, "作答不足 3 人") {
		t.Errorf("the comments of min_group-1 answers are shown:\n%s", all)
	}
}

// A round whose survey sets no min_group hides comments under the
// default of 5 answers.
func TestSurveyWithNoMinGroupHidesCommentsUnderFive(t *testing.T) {
	s := testSurvey(true)
	s.MinGroup = 0
	s.Audience = survey.Audience{} // everyone: six people
	if survey.DefaultMinGroup != 5 {
		t.Fatalf("default min_group %d", survey.DefaultMinGroup)
	}
	all := surveyResults(t, s, "zhang", "wang", "li", "chen")
	if strings.Contains(all, "意见-") || !strings.Contains(all, "作答不足 5 人") {
		t.Errorf("comments of 4 answers shown with no min_group set:\n%s", all)
	}
	all = surveyResults(t, s, "zhang", "wang", "li", "chen", "zhao")
	if !strings.Contains(all, "意见-zhao") || strings.Contains(all, "作答不足") {
		t.Errorf("comments of 5 answers hidden with no min_group set:\n%s", all)
	}
}
