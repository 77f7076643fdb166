package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/config"
	"jifen/locale"
	"jifen/rules"
	"jifen/store"
	"jifen/survey"
)

// overviewCatalog is the test company's rules: one category, one behavior.
var overviewCatalog = &rules.Catalog{
	Categories: []rules.Category{{ID: "work", Name: "工作业绩"}},
	Behaviors:  []rules.Behavior{{ID: "deal", Name: "签单", Category: "work", Min: 1, Max: 100}},
}

// overviewEnv is the test company with a colleague in each department, a
// month of points in October and some in November (the test clock's
// month), less before (so October compares with September), awards waiting for approval, redemptions waiting for a
// decision and an open survey round with one answer.
func overviewEnv(t *testing.T, employees string) *testEnv {
	t.Helper()
	e := newTestEnv(t, func(c *config.Config) {
		c.Rules = overviewCatalog
		if employees != "" {
			c.Admin.Employees = employees
		}
	})
	ctx := context.Background()
	colleagues := []jifen.Member{
		{ID: "sales", Name: "陈静", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "dev2", Name: "孙丽", Department: "研发部", Role: jifen.RoleEmployee},
	}
	if err := e.st.PutMembers(ctx, colleagues); err != nil {
		t.Fatal(err)
	}
	aug := time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)
	sep := time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC)
	oct := time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	points := []struct {
		who string
		at  time.Time
		n   int64
	}{{"sales", aug, 12}, {"emp", sep, 35}, {"emp", oct, 40}, {"sales", oct, 20}, {"dev2", oct, 10}, {"emp", nov, 73}, {"sales", nov, 17}, {"dev2", nov, 5}}
	write := func(fn func(tx store.Txn) error) {
		t.Helper()
		if _, _, err := e.st.Write(ctx, "", func(tx store.Txn) ([]byte, error) { return nil, fn(tx) }); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx store.Txn) error {
		for _, p := range points {
			if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "hr", Receiver: p.who, Points: p.n,
				Category: "work", Behavior: "deal", Effective: p.at}); err != nil {
				return err
			}
		}
		// Awards waiting for approval: two to 研发部, one to 销售部.
		for _, to := range []string{"emp", "dev2", "sales"} {
			if _, err := tx.AddApproval(&store.Approval{Giver: "hr", Receivers: []string{to}, Points: 80, Category: "work", Behavior: "deal"}); err != nil {
				return err
			}
		}
		// Redemptions: three pending (two of 研发部), one approved.
		for _, r := range []struct {
			who    string
			status store.RedemptionStatus
		}{{"emp", store.RedemptionPending}, {"dev2", store.RedemptionPending}, {"sales", store.RedemptionPending}, {"sales", store.RedemptionApproved}} {
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: r.who, Points: -1, Behavior: store.RewardBehavior("mug"), Quantity: 1})
			if err != nil {
				return err
			}
			if _, err := tx.AddRedemption(&store.Redemption{Member: r.who, Item: "mug", Quantity: 1, Points: 1, Entry: id, Status: r.status}); err != nil {
				return err
			}
		}
		return nil
	})
	round := &survey.Round{Survey: "pulse", Title: "季度脉搏", Questions: []survey.Question{{ID: "q1", Text: "满意吗", Kind: survey.Kind("scale")}},
		Audience: []string{"hr", "mgr", "emp", "sales"}, Started: testNow.Add(-time.Hour), Closes: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	write(func(tx store.Txn) error { return tx.StartRound(round) })
	// A round past its closing time, not closed yet, is not open.
	write(func(tx store.Txn) error {
		return tx.StartRound(&survey.Round{Survey: "old", Title: "过期调查", Questions: round.Questions, Audience: round.Audience,
			Started: testNow.AddDate(0, 0, -9), Closes: testNow.Add(-time.Hour)})
	})
	emp, _ := e.st.Member("emp")
	write(func(tx store.Txn) error {
		return tx.PutAnswer(round, emp, survey.Answer{Values: map[string][]string{"q1": {"4"}}})
	})
	return e
}

func mustLack(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("the page shows %q:\n%s", u, body)
		}
	}
}

// row is a table row of the page: its header cell and its cells.
func row(cells ...string) string {
	s := "<th>" + cells[0] + "</th>"
	for _, c := range cells[1:] {
		s += `<td class="n">` + c + "</td>"
	}
	return s
}

// An admin sees the company's figures of the month so far and of last
// month, the year's trend, what waits for a decision in the whole
// company, the open survey round with its count of answers, and the
// suggestions of last month's summary.
func TestOverviewAdmin(t *testing.T) {
	e := overviewEnv(t, "")
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/")
	if w.Code != 200 {
		t.Fatalf("overview: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w,
		"Key figures: the company", "2026-11 (so far)", "not comparable (the period is not over)",
		// November so far, October, and October against September (35).
		row("Net points", "95", "70", "&#43;100.0%"), row("Points awarded", "95", "70", ""),
		row("Points redeemed", "4", "0", ""),
		row("Awards waiting for approval", "3"), row("Redemptions waiting for a decision", "3"),
		"季度脉搏 #1", "2026-11-20 18:00", "1 of 4 (25%)",
		"Month by month, 2026", "<td>2026-10</td>", "<td>2026-11</td>",
		"Suggestions of the 2026-10 summary",
		"everyone&#39;s figures")
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	mustLack(t, w.Body.String(), "<script", "过期调查")
	// An admin's pages link to the reports.
	mustContain(t, w, `href="/admin/reports"`)
}

// A manager sees their department's figures and members, and what waits
// for a decision in it: no other department's figure, member or count.
func TestOverviewManagerSeesTheirDepartment(t *testing.T) {
	e := overviewEnv(t, "")
	b := e.browser(t)
	b.signIn(e.s, "mgr")
	w := b.get("/admin/")
	if w.Code != 200 {
		t.Fatalf("overview: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, "Key figures: 销售部", row("Net points of the department", "17", "20"),
		"<td>陈静</td>", row("Awards waiting for approval", "1"), row("Redemptions waiting for a decision", "1"))
	// 研发部's members and points, the company's totals, the survey's
	// answers and the company's suggestions are not the manager's.
	mustLack(t, w.Body.String(), "张伟", "孙丽", "研发部", ">73<", ">78<", "Key figures: the company", "季度脉搏", "Suggestions of", `href="/admin/reports"`)
}

// A manager whose chat visibility is their own score sees their
// department's totals but not its members one by one.
func TestOverviewManagerFollowsScoreVisibility(t *testing.T) {
	e := overviewEnv(t, "")
	e.cfg.Privacy.ScoreVisibility = jifen.ScoreVisibility{jifen.RoleManager: jifen.VisibleSelf}
	b := e.browser(t)
	b.signIn(e.s, "mgr")
	w := b.get("/admin/")
	mustContain(t, w, "Key figures: 销售部")
	mustLack(t, w.Body.String(), "陈静")
}

// A manager without a department sees no one's figures but their own
// (Top of no department would be the whole company).
func TestOverviewManagerWithoutDepartment(t *testing.T) {
	e := overviewEnv(t, "")
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "lone", Name: "周游", SlackID: "ULONE", Role: jifen.RoleManager}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.signIn(e.s, "lone")
	w := b.get("/admin/")
	if w.Code != 200 {
		t.Fatalf("overview: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, row("Awards waiting for approval", "0"))
	mustLack(t, w.Body.String(), "张伟", "陈静", "孙丽", ">73<", "Key figures")
}

// An employee, when employees get a page, sees their own month as in
// chat and their own months of the year, nobody else's name or points,
// and no company figure.
func TestOverviewEmployeeSeesOnlyTheirOwn(t *testing.T) {
	e := overviewEnv(t, config.EmployeesPage)
	b := e.browser(t)
	b.signIn(e.s, "dev2")
	w := b.get("/admin/")
	if w.Code != 200 {
		t.Fatalf("overview: %d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, "孙丽", "Your points month by month, 2026", `<td>2026-10</td><td class="n">10</td>`, `<td>2026-11</td><td class="n">5</td>`)
	mustLack(t, w.Body.String(), "张伟", "陈静", ">73<", ">40<", ">17<", "Key figures", "waiting", "季度脉搏")

	// Refused, they still get the refusal.
	e = overviewEnv(t, "")
	b = e.browser(t)
	b.signIn(e.s, "emp")
	if w := b.get("/admin/"); w.Code != 403 || strings.Contains(w.Body.String(), ">73<") {
		t.Errorf("refused employee: %d\n%s", w.Code, w.Body)
	}
}

// The overview speaks the console's language.
func TestOverviewInChinese(t *testing.T) {
	e := overviewEnv(t, "")
	s, err := New(context.Background(), Options{Store: e.st, Config: e.cfg, Language: locale.ZH, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	b := e.browser(t)
	b.signIn(s, "hr")
	w := b.get("/admin/")
	mustContain(t, w, "关键数据：全公司", "2026-11（截至今日）", row("净积分", "95", "70", "&#43;100.0%"), "待审批的兑换", "1 / 4（25%）", "2026-10 小结的改进建议")
}

// An employee's own month is chat's personal report, as the bot words it
// for them: the same title and fields.
func TestOverviewEmployeeGetsChatsReport(t *testing.T) {
	e := overviewEnv(t, config.EmployeesPage)
	b := e.browser(t)
	b.signIn(e.s, "dev2")
	w := b.get("/admin/")
	if w.Code != 200 {
		t.Fatalf("overview: %d\n%s", w.Code, w.Body)
	}
	m, _ := e.st.Member("dev2")
	msg := e.bot.PersonalReport(m, jifen.PeriodOf(jifen.Month, e.st.Now(), e.st.Location()))
	want := []string{"<h2>" + msg.Title + "</h2>"}
	for _, f := range msg.Fields {
		want = append(want, "<tr><th>"+memEscaped(t, f.Label)+"</th><td>"+memEscaped(t, f.Value)+"</td></tr>")
	}
	mustContain(t, w, want...)
}
