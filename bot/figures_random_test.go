package bot_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/locale"
	"jifen/report"
	"jifen/rules"
	"jifen/store"
)

var (
	figuresCases   = flag.Int("figures.cases", 0, "random companies TestFiguresAgainstNaiveModel builds (0: 32, or 8 with -short)")
	figuresFailing = flag.Int("figures.failing", 3, "TestFiguresAgainstNaiveModel stops after this many companies with a mismatch")
)

// ---- The calls whose signature the issue 15 work changes: adapt here. ----

// analyzeJSON is the report JSON (report.Summary) of period p with the
// clock at now (the store's clock is already set to now).
func analyzeJSON(st *store.Store, cat *rules.Catalog, p jifen.Period, now time.Time) ([]byte, error) {
	_ = now
	s, err := report.AnalyzeSource(st, p, cat, nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// newBot builds the command core on st.
func newBot(st *store.Store, cat *rules.Catalog) *bot.Bot {
	return bot.New(bot.Options{Store: st, Catalog: cat, CatalogVersion: 1})
}

// leaderboardPost is the scheduled leaderboard of p.
func leaderboardPost(b *bot.Bot, p jifen.Period, dept string, top int) bot.Message {
	return b.LeaderboardPost(p, dept, top)
}

// rankRE reads "第 N / M" where N is a number or "—" (not counted).
const rankRE = `第 (\S+) / (\S+)`

var (
	scoreRE  = regexp.MustCompile(`全公司` + rankRE + `，.*` + rankRE)
	footerRE = regexp.MustCompile(rankRE + `（(-?\d+) 分）`)
	ofRE     = regexp.MustCompile(rankRE)
)

// scoreRanks reads the month's rank line of a /score reply: overall and in
// the department. ok is false when the line is missing.
func scoreRanks(msg bot.Message) (all, dept [2]string, ok bool) {
	for _, line := range msg.Text {
		if m := scoreRE.FindStringSubmatch(line); m != nil {
			return [2]string{m[1], m[2]}, [2]string{m[3], m[4]}, true
		}
	}
	return all, dept, false
}

// footerRank reads the caller's line under a /leaderboard: rank, of, and
// points. ok is false when there is none.
func footerRank(msg bot.Message) (rank, of, points string, ok bool) {
	m := footerRE.FindStringSubmatch(msg.Footer)
	if m == nil {
		m = ofRE.FindStringSubmatch(msg.Footer)
		if m == nil {
			return "", "", "", false
		}
		return m[1], m[2], "", true
	}
	return m[1], m[2], m[3], true
}

// ---- The test. ----

// TestFiguresAgainstNaiveModel is issue 15's randomized test: random
// companies (hires and leavers at random dates, several departments, roles
// and levels), random ledgers written through the command core (awards,
// deductions that make scores negative, thanks, revokes) and random clocks
// (inside periods, at their first and last second, after them; current
// periods and previous periods the ledger covers only partly). At each
// clock every rank of /score and /leaderboard, every movement of the
// scheduled leaderboard and every figure of the report JSON is checked
// against a second, deliberately naive implementation
// (figures_naive_test.go) that reads only the entries and the members.
func TestFiguresAgainstNaiveModel(t *testing.T) {
	n := *figuresCases
	if n == 0 {
		n = 32
		if testing.Short() {
			n = 8
		}
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	log := &mismatchLog{t: t, byField: map[string]int{}}
	var (
		mu    sync.Mutex
		stats figureStats
	)
	// The companies are independent (a store each) and run in parallel.
	t.Run("companies", func(t *testing.T) {
		for i := range n {
			seed := int64(1500 + i)
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				if log.stopped() {
					t.Skipf("stopped after %d companies with mismatches", *figuresFailing)
				}
				var s figureStats
				runCompany(t, log, &s, seed, loc)
				mu.Lock()
				stats.add(s)
				mu.Unlock()
			})
		}
	})
	log.summary()
	t.Logf("%d companies, %d clocks, %d entries written (%d refused), %d reports, %d /score, %d /leaderboard, %d posts",
		stats.companies, stats.clocks, stats.written, stats.refused, stats.reports, stats.scores, stats.boards, stats.posts)
	if stats.written < 10*stats.companies {
		t.Errorf("only %d entries were written for %d companies: the ledgers are too thin to test anything", stats.written, stats.companies)
	}
}

type figureStats struct {
	companies, clocks, written, refused, reports, scores, boards, posts int
}

func (s *figureStats) add(o figureStats) {
	s.companies += o.companies
	s.clocks += o.clocks
	s.written += o.written
	s.refused += o.refused
	s.reports += o.reports
	s.scores += o.scores
	s.boards += o.boards
	s.posts += o.posts
}

// clock is the store's clock, set by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var (
	personNames = []string{"王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵强", "黄敏", "周杰", "吴刚", "徐丽", "孙涛", "胡军", "朱红", "高峰",
		"林燕", "何平", "郭亮", "马超", "罗琳", "梁宇", "宋佳", "郑毅", "谢楠", "韩雪", "唐浩", "冯蕾", "于洋", "董洁", "萧然"}
	departmentNames = []string{"人力资源部", "销售部", "客服部", "研发部"}
	levelNames      = []string{"基层", "基层", "中层", "高层", ""}
)

func f64(v float64) *float64 { return &v }

// figuresCatalog is the rule catalog of every random company: categories,
// ranges and fixed values, two deductions, a once-a-month and a points-
// per-week limit, peer thanks, manager allowances with an approval
// threshold, a rule rarely used, targets of each computable metric (one
// with a maximum) and two dated policies.
func figuresCatalog(rng *rand.Rand, from, to time.Time, loc *time.Location) *rules.Catalog {
	policyDate := func() time.Time {
		d := from.AddDate(0, rng.IntN(monthsBetween(from, to)+1), 0)
		if rng.IntN(3) == 0 {
			d = d.AddDate(0, 0, rng.IntN(27))
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	}
	lateDate, praiseDate := policyDate(), policyDate()
	return &rules.Catalog{
		Categories: []rules.Category{
			{ID: "sales", Name: "销售业绩"}, {ID: "service", Name: "客户满意度"},
			{ID: "attendance", Name: "考勤"}, {ID: "collab", Name: "内部协作"},
		},
		Behaviors: []rules.Behavior{
			{ID: "praise", Name: "客户好评", Category: "service", Min: 5, Max: 20},
			{ID: "deal", Name: "签约大单", Category: "sales", Min: 10, Max: 40},
			{ID: "full", Name: "全勤", Category: "attendance", Min: 10, Max: 10, Limits: []rules.BehaviorLimit{{Period: jifen.Month, Times: 1}}},
			{ID: "late", Name: "迟到", Category: "attendance", Min: -5, Max: -5},
			{ID: "violation", Name: "违规操作", Category: "service", Min: -20, Max: -5},
			{ID: "help", Name: "协助同事", Category: "collab", Min: 1, Max: 10, Roles: []jifen.Role{jifen.RoleManager, jifen.RoleEmployee},
				Limits: []rules.BehaviorLimit{{Period: jifen.Week, Points: 15}}},
			{ID: "idea", Name: "创新提案", Category: "collab", Min: 5, Max: 30},
			{ID: "thanks", Name: "感谢", Category: "collab", Min: 1, Max: 3, Roles: []jifen.Role{jifen.RoleEmployee, jifen.RoleManager}},
		},
		Allowances:        map[jifen.Role]rules.Allowance{jifen.RoleManager: {Period: jifen.Month, Points: 60, PerMember: 5}},
		Thanks:            &rules.Thanks{Behavior: "thanks", Period: jifen.Week, Allowance: 6, MaxPerThanks: 3},
		ApprovalThreshold: 30,
		Targets: []rules.Target{
			{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: f64(float64(5 + rng.IntN(30)))},
			{ID: "participation", Name: "参与率", Metric: rules.MetricParticipation, Min: f64(0.5)},
			{ID: "service_growth", Name: "客户满意度积分环比增长", Metric: rules.MetricCategoryGrowth, Category: "service", Min: f64(0.1)},
			{ID: "avg_cap", Name: "人均月积分上限", Metric: rules.MetricAvgMonthlyPoints, Max: f64(float64(20 + rng.IntN(40)))},
		},
		Policies: []rules.Policy{
			{ID: "late_deduction", Name: "迟到扣分", Date: lateDate, Behavior: "late"},
			{ID: "praise_double", Name: "好评加倍", Date: praiseDate},
			// Targets by a list and by a category: violations and the
			// whole 考勤 category (迟到 and 全勤).
			{ID: "discipline", Name: "纪律整顿", Date: praiseDate, Behaviors: []string{"violation"}, Categories: []string{"attendance"}},
		},
	}
}

func monthsBetween(from, to time.Time) int {
	return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
}

// company is one random company and its timeline.
type company struct {
	seed        int64
	loc         *time.Location
	members     []jifen.Member // bots included
	depts       []string
	start, end  time.Time // the timeline: months [start, end)
	ledgerStart time.Time // the first entry is on or after it
	cat         *rules.Catalog
}

// date is a calendar date as members hold it: midnight UTC.
func date(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// randomDay is a day in [from, to) in loc, often the first or the last day
// of its month (the edges where a member starts or stops counting).
func randomDay(rng *rand.Rand, from, to time.Time, loc *time.Location) time.Time {
	days := max(1, int(to.Sub(from).Hours()/24))
	d := from.In(loc).AddDate(0, 0, rng.IntN(days))
	switch rng.IntN(6) {
	case 0:
		d = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, loc)
	case 1:
		d = time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, loc)
	}
	return date(d)
}

func newCompany(seed int64, loc *time.Location) *company {
	rng := rand.New(rand.NewPCG(uint64(seed), 15))
	c := &company{seed: seed, loc: loc}
	c.start = time.Date(2025, time.Month(3+rng.IntN(10)), 1, 0, 0, 0, 0, loc)
	c.end = c.start.AddDate(0, 14+rng.IntN(7), 0) // always past 2026-01-01
	c.ledgerStart = c.start.AddDate(0, 0, rng.IntN(45)).Add(time.Duration(rng.IntN(86400)) * time.Second)
	span := c.end.Sub(c.start)
	n := 3 + rng.IntN(23)
	c.depts = slices.Clone(departmentNames[:1+rng.IntN(min(4, n-2))])
	names := slices.Clone(personNames)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for i := range n {
		m := jifen.Member{ID: fmt.Sprintf("m%02d", i), Name: names[i], Role: jifen.RoleEmployee,
			Department: c.depts[rng.IntN(len(c.depts))], Level: levelNames[rng.IntN(len(levelNames))]}
		if rng.IntN(5) == 0 {
			m.Role = jifen.RoleManager
		}
		switch {
		case i == 0: // the admin who runs the scheme, always there
			m.Role, m.Department = jifen.RoleAdmin, c.depts[0]
		case i < len(c.depts): // every department keeps someone throughout
			m.Department = c.depts[i]
			if rng.IntN(2) == 0 {
				m.Joined = date(c.start.AddDate(0, 0, -1-rng.IntN(700)))
			}
		case i == n-1: // hired late
			m.Joined = randomDay(rng, c.start.Add(span*6/10), c.end, loc)
		case i == n-2: // left early
			m.Joined = date(c.start.AddDate(0, 0, -1-rng.IntN(400)))
			m.Left = randomDay(rng, c.start, c.start.Add(span*4/10), loc)
		default:
			switch rng.IntN(4) {
			case 0:
			case 1:
				m.Joined = date(c.start.AddDate(0, 0, -1-rng.IntN(700)))
			default:
				m.Joined = randomDay(rng, c.start, c.end, loc)
			}
			if rng.IntN(3) == 0 {
				from := c.start
				if !m.Joined.IsZero() && m.Joined.After(from) {
					from = time.Date(m.Joined.Year(), m.Joined.Month(), m.Joined.Day(), 0, 0, 0, 0, loc)
				}
				m.Left = randomDay(rng, from, c.end.AddDate(0, 2, 0), loc)
			}
		}
		c.members = append(c.members, m)
	}
	c.members = append(c.members, jifen.Member{ID: "robot", Name: "积分助手", Department: c.depts[rng.IntN(len(c.depts))], Role: jifen.RoleEmployee, Bot: true})
	c.cat = figuresCatalog(rng, c.start, c.end, loc)
	return c
}

// event is an entry to write or a clock to check at, in time order.
type event struct {
	at    time.Time
	check bool
}

// edgeSecond is the first or the last second of the month, quarter or
// year that holds t.
func edgeSecond(rng *rand.Rand, t time.Time, loc *time.Location) time.Time {
	p := jifen.PeriodOf([]jifen.PeriodKind{jifen.Month, jifen.Month, jifen.Quarter, jifen.Year}[rng.IntN(4)], t, loc)
	if rng.IntN(2) == 0 {
		return p.Start
	}
	return p.End.Add(-time.Second)
}

func (c *company) events(rng *rand.Rand) []event {
	var evs []event
	between := func(from, to time.Time) time.Time {
		return from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)/time.Second))) * time.Second)
	}
	entries := 30 + 7*(len(c.members)-1) + rng.IntN(40)
	for range entries {
		at := between(c.ledgerStart, c.end)
		if rng.IntN(8) == 0 {
			at = edgeSecond(rng, at, c.loc)
		}
		if at.Before(c.ledgerStart) {
			at = c.ledgerStart
		}
		evs = append(evs, event{at: at})
	}
	checks := []time.Time{
		between(c.ledgerStart, c.ledgerStart.AddDate(0, 0, 20)), // the first month: previous periods without data
		between(c.start, c.end), between(c.start, c.end), between(c.start, c.end),
		edgeSecond(rng, between(c.start, c.end), c.loc), edgeSecond(rng, between(c.start, c.end), c.loc),
		edgeSecond(rng, between(c.start, c.end), c.loc),
		time.Date(2025, 12, 31, 23, 59, 59, 0, c.loc), time.Date(2026, 1, 1, 0, 0, 0, 0, c.loc), // the edges of a year
		c.end.Add(time.Duration(1+rng.IntN(80*24)) * time.Hour), // after everything: complete periods
	}
	for _, at := range checks {
		evs = append(evs, event{at: at, check: true})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return !evs[i].check && evs[j].check // entries first
	})
	return evs
}

// written is an entry the command core wrote, for /revoke.
type written struct {
	id       uint64
	receiver string
}

func runCompany(t *testing.T, log *mismatchLog, stats *figureStats, seed int64, loc *time.Location) {
	co := newCompany(seed, loc)
	rng := rand.New(rand.NewPCG(uint64(seed), 16))
	clk := &clock{t: co.start}
	st, err := store.Open(filepath.Join(t.TempDir(), fmt.Sprintf("figures-%d.db", seed)), store.Options{Location: loc, Clock: clk, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.SyncMembers(ctx, co.members); err != nil {
		t.Fatal(err)
	}
	if err := co.cat.Validate(); err != nil {
		t.Fatal(err)
	}
	// HR's ratings: for some months and quarters, a grade or a score for
	// a random part of the directory, now and then someone not employed
	// in the period (an import does not know who was).
	if err := st.PutRatings(ctx, co.ratings(rng)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutKPIs(ctx, co.kpis(rng)); err != nil {
		t.Fatal(err)
	}
	b := newBot(st, co.cat)
	stats.companies++
	var ledger []written
	handle := func(caller jifen.Member, text string) bot.Response {
		return b.Handle(ctx, bot.Request{Caller: caller, Text: text, Source: "test"})
	}
	for _, ev := range co.events(rng) {
		clk.Set(ev.at)
		if ev.check {
			stats.clocks++
			checkAt(t, log, stats, co, st, b, rng, ev.at)
			continue
		}
		text, giver, ok := co.randomCommand(rng, ev.at, ledger)
		if !ok {
			continue
		}
		resp := handle(giver, text)
		if resp.Reply.Kind == "error" {
			stats.refused++
			continue
		}
		for _, id := range resp.Entries {
			if e, _, ok := st.Entry(id); ok && e.Kind != jifen.KindRevoke {
				ledger = append(ledger, written{id: id, receiver: e.Receiver})
			}
			stats.written++
		}
		if strings.HasPrefix(text, "/revoke") {
			stats.written++
		}
	}
	if t.Failed() {
		log.mu.Lock()
		log.failing++
		log.mu.Unlock()
	}
}

// kpis makes HR's imported business figures: company-wide and per
// department, for some months and quarters.
func (c *company) kpis(rng *rand.Rand) []jifen.KPI {
	var out []jifen.KPI
	for at := c.start.AddDate(0, -3, 0); at.Before(c.end); at = at.AddDate(0, 1, 0) {
		periods := []jifen.Period{jifen.PeriodOf(jifen.Month, at, c.loc)}
		if at.Month()%3 == 1 {
			periods = append(periods, jifen.PeriodOf(jifen.Quarter, at, c.loc))
		}
		for _, p := range periods {
			if rng.IntN(4) == 0 {
				continue
			}
			out = append(out, jifen.KPI{Name: "销售额", Period: p.Key, Value: float64(400 + rng.IntN(200))})
			d := c.depts[rng.IntN(len(c.depts))]
			out = append(out, jifen.KPI{Name: "满意度", Period: p.Key, Department: d, Value: float64(30+rng.IntN(20)) / 10})
		}
	}
	return out
}

// ratings makes HR's imported ratings over the company's timeline.
func (c *company) ratings(rng *rand.Rand) []jifen.Rating {
	var out []jifen.Rating
	grades := []string{"A", "B", "C", "D"}
	for at := c.start.AddDate(0, -3, 0); at.Before(c.end); at = at.AddDate(0, 1, 0) {
		periods := []jifen.Period{jifen.PeriodOf(jifen.Month, at, c.loc)}
		if at.Month()%3 == 1 {
			periods = append(periods, jifen.PeriodOf(jifen.Quarter, at, c.loc))
		}
		for _, p := range periods {
			if rng.IntN(5) < 2 {
				continue
			}
			for _, m := range c.members {
				if m.Bot || rng.IntN(4) == 0 {
					continue
				}
				r := jifen.Rating{Member: m.ID, Period: p.Key}
				if rng.IntN(2) == 0 {
					r.Grade = grades[rng.IntN(4)]
					r.Score = float64(4 - slices.Index(grades, r.Grade))
				} else {
					r.Score = float64(1 + rng.IntN(9)) // 1 to 5 in halves
					r.Score /= 2
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// employedAt lists the people employed on the day of t.
func (c *company) employedAt(t time.Time) []jifen.Member {
	var out []jifen.Member
	for _, m := range c.members {
		if !m.Bot && m.EmployedOn(t, c.loc) {
			out = append(out, m)
		}
	}
	return out
}

// randomCommand is a command someone employed at t may give: mostly the
// admin's awards and deductions, peer thanks, a manager's awards (some wait
// for approval, some exceed the allowance) and revokes. Receivers are
// employed at t: the bot refuses the others.
func (co *company) randomCommand(rng *rand.Rand, at time.Time, ledger []written) (text string, giver jifen.Member, ok bool) {
	people := co.employedAt(at)
	admin := co.members[0]
	pick := func(not string) (jifen.Member, bool) {
		var ms []jifen.Member
		for _, m := range people {
			if m.ID != not {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 {
			return jifen.Member{}, false
		}
		return ms[rng.IntN(len(ms))], true
	}
	amount := func(lo, hi int) int {
		if lo >= 5 && rng.IntN(3) > 0 { // multiples of 5: ties
			return 5 * (lo/5 + rng.IntN(hi/5-lo/5+1))
		}
		return lo + rng.IntN(hi-lo+1)
	}
	switch r := rng.IntN(100); {
	case r < 48:
		to, ok := pick(admin.ID)
		if !ok {
			return "", admin, false
		}
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			return fmt.Sprintf("/award @%s %d 客户好评", to.ID, amount(5, 20)), admin, true
		case 4, 5:
			return fmt.Sprintf("/award @%s %d 签约大单", to.ID, amount(10, 40)), admin, true
		case 6, 7:
			return fmt.Sprintf("/award @%s 全勤", to.ID), admin, true
		case 8:
			return fmt.Sprintf("/award @%s %d 协助同事", to.ID, amount(1, 10)), admin, true
		default:
			return fmt.Sprintf("/award @%s %d 创新提案", to.ID, amount(5, 30)), admin, true
		}
	case r < 72:
		to, ok := pick(admin.ID)
		if !ok {
			return "", admin, false
		}
		if rng.IntN(2) == 0 {
			return fmt.Sprintf("/deduct @%s 迟到", to.ID), admin, true
		}
		return fmt.Sprintf("/deduct @%s %d 违规操作", to.ID, amount(5, 20)), admin, true
	case r < 82:
		from, ok := pick("")
		if !ok {
			return "", admin, false
		}
		to, ok := pick(from.ID)
		if !ok {
			return "", admin, false
		}
		return fmt.Sprintf("/thanks @%s %d 谢谢你帮我排查问题", to.ID, 1+rng.IntN(3)), from, true
	case r < 90:
		var managers []jifen.Member
		for _, m := range people {
			if m.Role == jifen.RoleManager {
				managers = append(managers, m)
			}
		}
		if len(managers) == 0 {
			return "", admin, false
		}
		from := managers[rng.IntN(len(managers))]
		to, ok := pick(from.ID)
		if !ok {
			return "", admin, false
		}
		if rng.IntN(2) == 0 {
			return fmt.Sprintf("/award @%s %d 签约大单", to.ID, amount(10, 40)), from, true
		}
		return fmt.Sprintf("/award @%s %d 客户好评", to.ID, amount(5, 20)), from, true
	default:
		var open []written
		for _, w := range ledger {
			for _, m := range people {
				if m.ID == w.receiver {
					open = append(open, w)
				}
			}
		}
		if len(open) == 0 {
			return "", admin, false
		}
		return fmt.Sprintf("/revoke %d 录入错误", open[rng.IntN(len(open))].id), admin, true
	}
}

// checkAt checks every surface at the clock now.
func checkAt(t *testing.T, log *mismatchLog, stats *figureStats, co *company, st *store.Store, b *bot.Bot, rng *rand.Rand, now time.Time) {
	nv, err := newNaive(st, now)
	if err != nil {
		t.Fatal(err)
	}
	loc := co.loc
	where := func(surface string) *checker {
		return &checker{t: t, log: log, where: fmt.Sprintf("seed %d, clock %s, %s", co.seed, now.In(loc).Format("2006-01-02 15:04:05"), surface)}
	}
	admin := co.members[0]
	month := jifen.PeriodOf(jifen.Month, now, loc)

	// /score: every member's month points and ranks, asked by the admin.
	for _, m := range co.members {
		if m.Bot {
			continue
		}
		stats.scores++
		c := where(fmt.Sprintf("/score @%s (period %s)", m.ID, month.Key))
		resp := b.Handle(context.Background(), bot.Request{Caller: admin, Text: "/score @" + m.ID, Source: "test"})
		checkScore(c, nv, resp.Reply, m, now)
	}

	// /leaderboard: each period word and the previous periods by key, for
	// everyone, the caller's department and another, asked by someone
	// employed now.
	callers := co.employedAt(now)
	caller := callers[rng.IntN(len(callers))]
	periods := []string{"", "week", "quarter", "year", "all"}
	for _, k := range []jifen.PeriodKind{jifen.Month, jifen.Quarter, jifen.Year} {
		periods = append(periods, jifen.PeriodOf(k, now, loc).Previous(loc).Key)
	}
	depts := []string{"", caller.Department, co.depts[rng.IntN(len(co.depts))]}
	for _, word := range periods {
		p := month
		if word != "" {
			if k, ok := map[string]jifen.PeriodKind{"week": jifen.Week, "quarter": jifen.Quarter, "year": jifen.Year, "all": jifen.AllTime}[word]; ok {
				p = jifen.PeriodOf(k, now, loc)
			} else if p, err = jifen.ParsePeriod(word, loc); err != nil {
				t.Fatal(err)
			}
		}
		for i, d := range depts {
			if i == 2 && d == depts[1] {
				continue
			}
			stats.boards++
			text := strings.TrimSpace("/leaderboard " + word + " " + d)
			c := where(fmt.Sprintf("%q by %s (period %s)", text, caller.ID, p.Key))
			resp := b.Handle(context.Background(), bot.Request{Caller: caller, Text: text, Source: "test"})
			checkBoard(c, nv, resp.Reply, p, d, 10, false)
			checkFooter(c, nv, resp.Reply, p, d, caller)
		}
	}

	// The scheduled leaderboard of each current and previous period.
	for _, k := range jifen.PeriodKinds {
		p := jifen.PeriodOf(k, now, loc)
		for _, q := range []jifen.Period{p, p.Previous(loc)} {
			for _, d := range []string{"", co.depts[rng.IntN(len(co.depts))]} {
				stats.posts++
				top := 3 + rng.IntN(8)
				c := where(fmt.Sprintf("LeaderboardPost(%s, %q, %d)", q.Key, d, top))
				checkBoard(c, nv, leaderboardPost(b, q, d, top), q, d, top, true)
			}
		}
	}

	// The report of the current and the previous month, quarter and year,
	// and of a random month since the timeline began.
	var reports []jifen.Period
	for _, k := range []jifen.PeriodKind{jifen.Month, jifen.Quarter, jifen.Year} {
		p := jifen.PeriodOf(k, now, loc)
		reports = append(reports, p, p.Previous(loc))
	}
	if k := monthsBetween(co.start, now.In(loc)); k > 0 {
		reports = append(reports, jifen.PeriodOf(jifen.Month, co.start.AddDate(0, rng.IntN(k), 0), loc))
	}
	for _, p := range reports {
		stats.reports++
		c := where("report " + p.Key)
		raw, err := analyzeJSON(st, co.cat, p, now)
		if err != nil {
			c.diff("report", "error "+err.Error(), "a report")
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		checkReport(c, got, nv.report(p, co.cat))
	}
}

// rankText is how a rank is shown: the number, or "—" when not counted.
func rankText(r int, ok bool) string {
	if !ok {
		return "—"
	}
	return strconv.Itoa(r)
}

func checkScore(c *checker, nv *naive, msg bot.Message, m jifen.Member, now time.Time) {
	loc := nv.loc
	if msg.Kind == "error" {
		c.diff("score", fmt.Sprint(msg.Text), "a score")
		return
	}
	// The points of each period, from the fields.
	want := map[string]int64{}
	for label, k := range map[string]jifen.PeriodKind{"period.week": jifen.Week, "period.month": jifen.Month, "period.quarter": jifen.Quarter, "period.year": jifen.Year} {
		want[locale.T(locale.ZH, label)] = nv.points(m.ID, jifen.PeriodOf(k, now, loc))
	}
	all := nv.points(m.ID, jifen.PeriodOf(jifen.AllTime, now, loc))
	want[locale.T(locale.ZH, "score.earned")] = all
	want[locale.T(locale.ZH, "score.balance")] = all // nothing is redeemed
	for label, v := range want {
		got := "missing"
		for _, f := range msg.Fields {
			if f.Label == label {
				got = f.Value
			}
		}
		c.eq("score.fields["+label+"]", got, strconv.FormatInt(v, 10))
	}
	month := jifen.PeriodOf(jifen.Month, now, loc)
	r, ok := nv.rank(m.ID, month, nv.counted(month, ""))
	dr, dok := nv.rank(m.ID, month, nv.counted(month, m.Department))
	gotAll, gotDept, found := scoreRanks(msg)
	if !found {
		c.diff("score.rank", fmt.Sprint(msg.Text), "a rank line")
		return
	}
	c.eq("score.rank", gotAll[0], rankText(r, ok))
	c.eq("score.rank.of", gotAll[1], strconv.Itoa(len(nv.counted(month, ""))))
	c.eq("score.dept_rank", gotDept[0], rankText(dr, dok))
	c.eq("score.dept_rank.of", gotDept[1], strconv.Itoa(len(nv.counted(month, m.Department))))
}

// rowRank reads a rank cell: a medal for 1–3, else the number.
func rowRank(cell string) string {
	for medal, r := range map[string]string{"🥇": "1", "🥈": "2", "🥉": "3"} {
		if strings.Contains(cell, medal) {
			return r
		}
	}
	return strings.TrimSpace(cell)
}

func checkBoard(c *checker, nv *naive, msg bot.Message, p jifen.Period, dept string, top int, movement bool) {
	want := nv.board(p, dept, top, movement, locale.T(locale.ZH, "leaderboard.new"))
	if msg.Table == nil {
		c.eq("leaderboard.rows", 0, len(want))
		return
	}
	col := func(key string) int { return slices.Index(msg.Table.Columns, locale.T(locale.ZH, key)) }
	rankCol, nameCol, ptsCol, moveCol := col("col.rank"), col("col.name"), col("col.points"), col("col.movement")
	if rankCol < 0 || nameCol < 0 || ptsCol < 0 || movement && moveCol < 0 {
		c.diff("leaderboard.columns", fmt.Sprint(msg.Table.Columns), "rank, name, points (and movement)")
		return
	}
	if len(msg.Table.Rows) != len(want) {
		var names []string
		for _, r := range msg.Table.Rows {
			names = append(names, r[nameCol]+" "+r[ptsCol])
		}
		var wnames []string
		for _, r := range want {
			wnames = append(wnames, fmt.Sprintf("%s %d", r.Name, r.Points))
		}
		c.diff("leaderboard.rows", fmt.Sprint(names), fmt.Sprint(wnames))
		return
	}
	for i, row := range msg.Table.Rows {
		w := want[i]
		path := fmt.Sprintf("leaderboard.rows[%d]", i)
		c.eq(path+".name", row[nameCol], w.Name)
		c.eq(path+".points", row[ptsCol], strconv.FormatInt(w.Points, 10))
		c.eq(path+".rank", rowRank(row[rankCol]), strconv.Itoa(w.Rank))
		if w.Rank > 3 && rowRank(row[rankCol]) != row[rankCol] {
			c.diff(path+".medal", row[rankCol], "no medal")
		}
		if movement {
			c.eq(path+".movement", row[moveCol], w.Movement)
		}
	}
}

func checkFooter(c *checker, nv *naive, msg bot.Message, p jifen.Period, dept string, caller jifen.Member) {
	if msg.Table == nil || dept != "" && dept != caller.Department {
		return
	}
	scope := nv.counted(p, dept)
	r, ok := nv.rank(caller.ID, p, scope)
	rank, of, pts, found := footerRank(msg)
	if !found {
		if ok {
			c.diff("leaderboard.footer", msg.Footer, "the caller's rank")
		}
		return
	}
	c.eq("leaderboard.footer.rank", rank, rankText(r, ok))
	c.eq("leaderboard.footer.of", of, strconv.Itoa(len(scope)))
	if ok && pts != "" {
		c.eq("leaderboard.footer.points", pts, strconv.FormatInt(nv.points(caller.ID, p), 10))
	}
}

// ---- The report JSON, field by field. ----

func checkReport(c *checker, got map[string]any, w naiveReport) {
	c.str("period", got, "period", w.Period)
	c.str("previous", got, "previous", w.Previous)
	c.time("from", got, "from", w.From)
	c.time("to", got, "to", w.To)
	c.int("members", got, "members", int64(w.Members))
	c.int("previous_members", got, "previous_members", int64(w.PreviousMembers))
	c.bool("complete", got, "complete", w.Complete)
	c.time("as_of", got, "as_of", w.AsOf)
	c.int("months", got, "months", int64(w.Months))
	if cmp, ok := c.obj("comparison", got, "comparison"); ok {
		c.bool("comparison.comparable", cmp, "comparable", w.Comparable)
		reason, _ := cmp["reason"].(string)
		if w.Comparable && reason != "" || !w.Comparable && !slices.Contains(w.Reasons, reason) {
			c.diff("comparison.reason", reason, strings.Join(w.Reasons, " or "))
		}
	}

	if pts, ok := c.obj("points", got, "points"); ok {
		c.int("points.awarded", pts, "awarded", w.Awarded)
		c.int("points.deducted", pts, "deducted", w.Deducted)
		c.int("points.net", pts, "net", w.Net)
		c.int("points.previous_net", pts, "previous_net", w.PreviousNet)
		c.ptr("points.change", pts, "change", w.Change)
		c.int("points.entries", pts, "entries", int64(w.Entries))
		c.shares("points.by_category", pts, "by_category", w.ByCategory)
		c.shares("points.by_behavior", pts, "by_behavior", w.ByBehavior)
		c.int("points.spent", pts, "spent", 0)
		if l, ok := c.list("points.spending", pts, "spending"); ok {
			c.eq("points.spending.len", len(l), 0)
		}
		if l, ok := c.list("points.unused_rules", pts, "unused_rules"); ok {
			c.eq("points.unused_rules", fmt.Sprint(l), fmt.Sprint(w.Unused))
		}
		if l, ok := c.list("points.caps_hit", pts, "caps_hit"); ok && c.eq("points.caps_hit.len", len(l), len(w.CapsHit)) {
			for i, wc := range w.CapsHit {
				path := fmt.Sprintf("points.caps_hit[%s/%s]", wc.Behavior, wc.Period)
				g, _ := l[i].(map[string]any)
				c.str(path+".behavior", g, "behavior", wc.Behavior)
				c.str(path+".period", g, "period", wc.Period)
				c.int(path+".hits", g, "hits", int64(wc.Hits))
				c.int(path+".receivers", g, "receivers", int64(wc.Receivers))
				c.num(path+".share", g, "share", wc.Share)
			}
		}
		if l, ok := c.list("points.concentrated", pts, "concentrated"); ok && c.eq("points.concentrated.len", len(l), len(w.Concentrated)) {
			for i, wc := range w.Concentrated {
				path := fmt.Sprintf("points.concentrated[%s]", wc.Behavior)
				g, _ := l[i].(map[string]any)
				c.str(path+".behavior", g, "behavior", wc.Behavior)
				c.str(path+".department", g, "department", wc.Dept)
				c.num(path+".share", g, "share", wc.Share)
			}
		}
	}

	// Departments: every department with counted members, in name order;
	// one without counted members may be listed only with nobody in it.
	if l, ok := c.list("departments", got, "departments"); ok {
		byName := map[string]map[string]any{}
		var order []string
		for _, x := range l {
			d, _ := x.(map[string]any)
			name, _ := d["name"].(string)
			byName[name] = d
			if num(d["members"]) != 0 {
				order = append(order, name)
			}
		}
		var worder []string
		for _, wd := range w.Departments {
			worder = append(worder, wd.Name)
			path := "departments[" + wd.Name + "]"
			d, ok := byName[wd.Name]
			if !ok {
				c.diff(path, "missing", "present")
				continue
			}
			c.int(path+".members", d, "members", int64(wd.Members))
			c.int(path+".total", d, "total", wd.Total)
			c.num(path+".average", d, "average", wd.Average)
			c.num(path+".previous_average", d, "previous_average", wd.PrevAverage)
			c.ptr(path+".change", d, "change", wd.Change)
		}
		c.eq("departments.names", fmt.Sprint(order), fmt.Sprint(worder))
	}
	if mx, ok := c.obj("matrix", got, "matrix"); ok {
		cats, _ := mx["categories"].([]any)
		c.eq("matrix.categories", fmt.Sprint(cats), fmt.Sprint(w.MatrixCats))
		depts, _ := mx["departments"].([]any)
		rows, _ := mx["points"].([]any)
		seen := 0
		for i, d := range depts {
			name, _ := d.(string)
			var row []any
			if i < len(rows) {
				row, _ = rows[i].([]any)
			}
			want, ok := w.Matrix[name]
			if !ok { // a department without counted members has no points
				want = make([]int64, len(w.MatrixCats))
			} else {
				seen++
			}
			c.eq("matrix.points["+name+"]", fmt.Sprint(row), fmt.Sprint(want))
		}
		c.eq("matrix.departments.count", seen, len(w.Matrix))
	}
	c.groups("by_department", got, "by_department", w.ByDepartment)
	c.groups("by_role", got, "by_role", w.ByRole)

	if dist, ok := c.obj("distribution", got, "distribution"); ok {
		if q, ok := c.obj("distribution.quartiles", dist, "quartiles"); ok {
			for i, k := range []string{"Min", "Q1", "Median", "Q3", "Max"} {
				c.num("distribution.quartiles."+k, q, k, w.Quartiles[i])
			}
		}
		c.num("distribution.participation", dist, "participation", w.Participation)
		c.num("distribution.average", dist, "average", w.Average)
		if l, ok := c.list("distribution.by_level", dist, "by_level"); ok {
			c.levels("distribution.by_level", l, w.ByLevel)
		}
		if !w.NewAmbiguous {
			for key, wl := range map[string]nLevel{"new_members": w.NewMembers, "others": w.Others} {
				if lv, ok := c.obj("distribution."+key, dist, key); ok {
					c.int("distribution."+key+".members", lv, "members", int64(wl.Members))
					c.num("distribution."+key+".average", lv, "average", wl.Average)
					c.num("distribution."+key+".monthly", lv, "monthly", wl.Monthly)
					c.num("distribution."+key+".participation", lv, "participation", wl.Participation)
				}
			}
		}
	}
	c.moves("climbers", got, "climbers", w.Climbers)
	c.moves("fallers", got, "fallers", w.Fallers)
	checkRatings(c, got, w.Ratings)
	if l, ok := c.list("monthly", got, "monthly"); ok && c.eq("monthly.len", len(l), len(w.Monthly)) {
		for i, nm := range w.Monthly {
			o, _ := l[i].(map[string]any)
			path := fmt.Sprintf("monthly[%s]", nm.Month)
			c.str(path+".month", o, "month", nm.Month)
			c.num(path+".points", o, "points", nm.Points)
			c.num(path+".participation", o, "participation", nm.Participation)
			c.ptr(path+".avg_rating", o, "avg_rating", nm.AvgRating)
		}
	}
	c.ptr("previous_average", got, "previous_average", w.PrevAverage)
	c.ptr("previous_participation", got, "previous_participation", w.PrevParticipation)
	if f, ok := c.obj("fairness", got, "fairness"); ok {
		for key, want := range map[string][]nPerHead{"by_department": w.FairDept, "by_role": w.FairRole} {
			l, ok := c.list("fairness."+key, f, key)
			if !ok || !c.eq("fairness."+key+".len", len(l), len(want)) {
				continue
			}
			for i, g := range want {
				o, _ := l[i].(map[string]any)
				path := "fairness." + key + "[" + g.Name + "]"
				c.str(path+".name", o, "name", g.Name)
				c.int(path+".members", o, "members", int64(g.Members))
				c.int(path+".total", o, "total", g.Total)
				c.num(path+".per_head", o, "per_head", g.PerHead)
			}
		}
		for key, want := range map[string]*nSpread{"department_spread": w.DeptSpread, "role_spread": w.RoleSpread} {
			path := "fairness." + key
			if want == nil {
				c.null(path, f, key)
				continue
			}
			o, ok := c.obj(path, f, key)
			if !ok {
				continue
			}
			if hi, ok := c.obj(path+".high", o, "high"); ok {
				c.str(path+".high.name", hi, "name", want.High)
			}
			if lo, ok := c.obj(path+".low", o, "low"); ok {
				c.str(path+".low.name", lo, "name", want.Low)
			}
			c.num(path+".spread", o, "spread", want.Spread)
			c.ptr(path+".ratio", o, "ratio", want.Ratio)
		}
		if l, ok := c.list("fairness.restricted", f, "restricted"); ok && c.eq("fairness.restricted.len", len(l), len(w.Restricted)) {
			for i, rc := range w.Restricted {
				o, _ := l[i].(map[string]any)
				path := "fairness.restricted[" + rc.ID + "]"
				c.str(path+".id", o, "id", rc.ID)
				c.int(path+".points", o, "points", rc.Points)
				c.eq(path+".earning", fmt.Sprint(anyList(o["earning"])), fmt.Sprint(rc.Earning))
				c.eq(path+".without", fmt.Sprint(anyList(o["without"])), fmt.Sprint(rc.Without))
			}
		}
	}
	if co, ok := c.obj("coaching", got, "coaching"); ok {
		c.num("coaching.company_per_head", co, "company_per_head", w.CompanyPerHead)
		if l, ok := c.list("coaching.departments", co, "departments"); ok && c.eq("coaching.departments.len", len(l), len(w.CoachDepts)) {
			for i, d := range w.CoachDepts {
				o, _ := l[i].(map[string]any)
				path := "coaching.departments[" + d.Name + "]"
				c.str(path+".name", o, "name", d.Name)
				c.int(path+".members", o, "members", int64(d.Members))
				c.num(path+".per_head", o, "per_head", d.PerHead)
				c.str(path+".category", o, "category", d.Category)
				c.num(path+".category_per_head", o, "category_per_head", d.CategoryPerHead)
				c.num(path+".company_category_per_head", o, "company_category_per_head", d.CompanyCategory)
			}
		}
		if l, ok := c.list("coaching.members", co, "members"); ok && c.eq("coaching.members.len", len(l), len(w.CoachMembers)) {
			for i, m := range w.CoachMembers {
				o, _ := l[i].(map[string]any)
				path := "coaching.members[" + m.ID + "]"
				c.str(path+".id", o, "id", m.ID)
				c.int(path+".net", o, "net", m.Net)
				c.str(path+".behavior", o, "behavior", m.Behavior)
				c.int(path+".points", o, "points", m.Points)
			}
		}
	}
	if l, ok := c.list("kpis", got, "kpis"); ok && c.eq("kpis.len", len(l), len(w.KPIs)) {
		for i, k := range w.KPIs {
			o, _ := l[i].(map[string]any)
			path := fmt.Sprintf("kpis[%s/%s]", k.Name, k.Department)
			c.str(path+".name", o, "name", k.Name)
			if k.Department != "" {
				c.str(path+".department", o, "department", k.Department)
			}
			c.num(path+".value", o, "value", k.Value)
			c.ptr(path+".previous", o, "previous", k.Previous)
			c.ptr(path+".change", o, "change", k.Change)
			c.int(path+".points", o, "points", k.Points)
		}
	}

	if l, ok := c.list("targets", got, "targets"); ok && !w.EmptyLedger && c.eq("targets.len", len(l), len(w.Targets)) {
		for i, wt := range w.Targets {
			path := "targets[" + wt.ID + "]"
			g, _ := l[i].(map[string]any)
			c.str(path+".id", g, "id", wt.ID)
			c.ptr(path+".actual", g, "actual", wt.Actual)
			c.ptr(path+".gap", g, "gap", wt.Gap)
			if wt.Met == nil {
				c.null(path+".met", g, "met")
			} else {
				c.bool(path+".met", g, "met", *wt.Met)
			}
			c.str(path+".status", g, "status", wt.Status)
		}
	}
	if l, ok := c.list("policies", got, "policies"); ok && !w.EmptyLedger && c.eq("policies.len", len(l), len(w.Policies)) {
		for i, wp := range w.Policies {
			path := "policies[" + wp.ID + "]"
			g, _ := l[i].(map[string]any)
			c.str(path+".id", g, "id", wp.ID)
			c.num(path+".before", g, "before", wp.Before)
			c.num(path+".after", g, "after", wp.After)
			months, _ := g["months"].([]any)
			c.eq(path+".months", fmt.Sprint(months), fmt.Sprint([]int{wp.Months[0], wp.Months[1]}))
			c.ptr(path+".change", g, "change", wp.Change)
			c.ptr(path+".rate_before", g, "rate_before", wp.RateBefore)
			c.ptr(path+".rate_after", g, "rate_after", wp.RateAfter)
			c.ptr(path+".rate_change", g, "rate_change", wp.RateChange)
			occ, _ := g["occurrences"].([]any)
			c.eq(path+".occurrences", fmt.Sprint(occ), fmt.Sprint([]int{wp.Occurrences[0], wp.Occurrences[1]}))
			c.int(path+".stopped_count", g, "stopped_count", int64(wp.StoppedCount))
			var stopped, cases []string
			for _, x := range anyList(g["stopped"]) {
				stopped = append(stopped, fmt.Sprint(x.(map[string]any)["id"]))
			}
			for _, x := range anyList(g["cases"]) {
				o := x.(map[string]any)
				cases = append(cases, fmt.Sprintf("%v %v→%v", o["id"], o["before"], o["after"]))
			}
			c.eq(path+".stopped", fmt.Sprint(stopped), fmt.Sprint(wp.Stopped))
			c.eq(path+".cases", fmt.Sprint(cases), fmt.Sprint(wp.Cases))
		}
	}
}

// ---- Comparing, and reporting mismatches without flooding. ----

// mismatchLog collects the mismatches: the first two of each field are
// shown in full, the rest counted in the summary.
type mismatchLog struct {
	t       *testing.T // the parent test, for the summary
	mu      sync.Mutex
	byField map[string]int
	order   []string
	total   int
	failing int // companies with a mismatch
}

func (l *mismatchLog) stopped() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failing >= *figuresFailing
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

func (l *mismatchLog) add(t *testing.T, where, path, got, want string) {
	field := indexRE.ReplaceAllString(path, "[]")
	l.mu.Lock()
	if l.byField[field] == 0 {
		l.order = append(l.order, field)
	}
	l.byField[field]++
	l.total++
	show := l.byField[field] <= 2
	l.mu.Unlock()
	if show {
		t.Errorf("%s: %s = %s, want %s", where, path, got, want)
	} else {
		t.Fail()
	}
}

func (l *mismatchLog) summary() {
	if l.total == 0 {
		return
	}
	var b strings.Builder
	for _, f := range l.order {
		fmt.Fprintf(&b, "\n  %6d  %s", l.byField[f], f)
	}
	l.t.Errorf("%d mismatches, by field (-figures.failing=%d: stopped after %d companies with mismatches):%s",
		l.total, *figuresFailing, l.failing, b.String())
}

// checker compares the figures of one surface at one clock.
type checker struct {
	t     *testing.T
	log   *mismatchLog
	where string // seed, clock, surface and period
}

func (c *checker) diff(path string, got, want any) {
	c.log.add(c.t, c.where, path, fmt.Sprint(got), fmt.Sprint(want))
}

// eq compares two values by their printed form.
func (c *checker) eq(path string, got, want any) bool {
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		c.diff(path, g, w)
		return false
	}
	return true
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func show(v any, ok bool) string {
	if !ok {
		return "missing"
	}
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *checker) field(path string, obj map[string]any, key string) (any, bool) {
	v, ok := obj[key]
	if !ok {
		c.diff(path, "missing", "present")
	}
	return v, ok
}

func (c *checker) int(path string, obj map[string]any, key string, want int64) {
	v, ok := obj[key]
	if f, isNum := v.(float64); !ok || !isNum || f != float64(want) {
		c.diff(path, show(v, ok), want)
	}
}

// num compares a rounded float; the tolerance only absorbs the binary
// representation, never a rounding step.
func (c *checker) num(path string, obj map[string]any, key string, want float64) {
	v, ok := obj[key]
	if f, isNum := v.(float64); !ok || !isNum || math.Abs(f-want) > 1e-9 {
		c.diff(path, show(v, ok), want)
	}
}

func (c *checker) ptr(path string, obj map[string]any, key string, want *float64) {
	if want == nil {
		c.null(path, obj, key)
		return
	}
	c.num(path, obj, key, *want)
}

func (c *checker) null(path string, obj map[string]any, key string) {
	if v, ok := obj[key]; !ok || v != nil {
		c.diff(path, show(v, ok), "null")
	}
}

func (c *checker) str(path string, obj map[string]any, key, want string) {
	if v, ok := obj[key]; !ok || v != want {
		c.diff(path, show(v, ok), strconv.Quote(want))
	}
}

func (c *checker) bool(path string, obj map[string]any, key string, want bool) {
	if v, ok := obj[key]; !ok || v != want {
		c.diff(path, show(v, ok), want)
	}
}

func (c *checker) time(path string, obj map[string]any, key string, want time.Time) {
	v, ok := obj[key]
	s, _ := v.(string)
	got, err := time.Parse(time.RFC3339Nano, s)
	if !ok || err != nil || !got.Equal(want) {
		c.diff(path, show(v, ok), want.Format(time.RFC3339))
	}
}

func (c *checker) obj(path string, obj map[string]any, key string) (map[string]any, bool) {
	v, ok := c.field(path, obj, key)
	if !ok {
		return nil, false
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		c.diff(path, show(v, true), "an object")
	}
	return m, isObj
}

// list is a JSON array; null is a mismatch (empty lists are []).
func (c *checker) list(path string, obj map[string]any, key string) ([]any, bool) {
	v, ok := c.field(path, obj, key)
	if !ok {
		return nil, false
	}
	l, isList := v.([]any)
	if !isList {
		c.diff(path, show(v, true), "a list")
	}
	return l, isList
}

func (c *checker) shares(path string, obj map[string]any, key string, want []nShare) {
	l, ok := c.list(path, obj, key)
	if !ok || !c.eq(path+".len", len(l), len(want)) {
		return
	}
	for i, w := range want {
		p := path + "[" + w.ID + "]"
		g, _ := l[i].(map[string]any)
		c.str(p+".id", g, "id", w.ID)
		c.int(p+".points", g, "points", w.Points)
		c.num(p+".share", g, "share", w.Share)
		c.int(p+".previous", g, "previous", w.Previous)
		c.int(p+".entries", g, "entries", int64(w.Entries))
	}
}

func (c *checker) people(path string, got any, want []nPerson) {
	l, _ := got.([]any)
	if !c.eq(path+".len", len(l), len(want)) {
		return
	}
	for i, w := range want {
		g, _ := l[i].(map[string]any)
		p := fmt.Sprintf("%s[%d]", path, i)
		c.str(p+".id", g, "id", w.ID)
		c.int(p+".points", g, "points", w.Points)
	}
}

// groups compares by_department or by_role: every group with counted
// members, in name order; a group without counted members may be listed
// only with nobody in it.
func (c *checker) groups(path string, obj map[string]any, key string, want []nGroup) {
	l, ok := c.list(path, obj, key)
	if !ok {
		return
	}
	byName, order := namedGroups(l)
	var worder []string
	for _, w := range want {
		worder = append(worder, w.Name)
		p := path + "[" + w.Name + "]"
		g, ok := byName[w.Name]
		if !ok {
			c.diff(p, "missing", "present")
			continue
		}
		c.int(p+".members", g, "members", int64(w.Members))
		c.num(p+".average", g, "average", w.Average)
		c.people(p+".top", g["top"], w.Top)
		c.people(p+".bottom", g["bottom"], w.Bottom)
	}
	c.eq(path+".names", fmt.Sprint(order), fmt.Sprint(worder))
}

func (c *checker) levels(path string, l []any, want []nLevel) {
	byName, order := namedGroups(l)
	var worder []string
	for _, w := range want {
		worder = append(worder, w.Name)
		p := path + "[" + w.Name + "]"
		if g, ok := byName[w.Name]; ok {
			c.int(p+".members", g, "members", int64(w.Members))
			c.num(p+".average", g, "average", w.Average)
			c.num(p+".monthly", g, "monthly", w.Monthly)
			c.num(p+".participation", g, "participation", w.Participation)
		}
	}
	c.eq(path+".names", fmt.Sprint(order), fmt.Sprint(worder))
}

func (c *checker) moves(path string, obj map[string]any, key string, want []nMove) {
	l, ok := c.list(path, obj, key)
	if !ok {
		return
	}
	if !c.eq(path+".len", len(l), len(want)) {
		var got, ws []string
		for _, x := range l {
			g, _ := x.(map[string]any)
			got = append(got, fmt.Sprintf("%v %v→%v", g["id"], g["from"], g["to"]))
		}
		for _, w := range want {
			ws = append(ws, fmt.Sprintf("%s %d→%d", w.ID, w.From, w.To))
		}
		c.diff(path+".list", got, ws)
		return
	}
	for i, w := range want {
		g, _ := l[i].(map[string]any)
		p := fmt.Sprintf("%s[%d]", path, i)
		c.str(p+".id", g, "id", w.ID)
		c.int(p+".points", g, "points", w.Points)
		c.int(p+".from", g, "from", int64(w.From))
		c.int(p+".to", g, "to", int64(w.To))
		var drivers []string
		for _, x := range anyList(g["drivers"]) {
			o := x.(map[string]any)
			drivers = append(drivers, fmt.Sprintf("%v %v−%v=%v", o["id"], o["points"], o["previous"], o["gained"]))
		}
		c.eq(p+".drivers", fmt.Sprint(drivers), fmt.Sprint(w.Drivers))
	}
}

// checkRatings compares the points-against-ratings figures.
func checkRatings(c *checker, got map[string]any, want *nRatings) {
	if want == nil {
		c.null("ratings", got, "ratings")
		return
	}
	r, ok := c.obj("ratings", got, "ratings")
	if !ok {
		return
	}
	c.int("ratings.rated", r, "rated", int64(want.Rated))
	c.ptr("ratings.spearman", r, "spearman", want.Spearman)
	c.ptr("ratings.previous", r, "previous", want.Previous)
	c.str("ratings.source", r, "source", want.Source)
	c.int("ratings.top_quarter", r, "top_quarter", int64(want.TopQuarter))
	c.ptr("ratings.high_points_share", r, "high_points_share", want.HighPointsShare)
	if want.TrendAgreement == nil {
		c.null("ratings.trend_agreement", r, "trend_agreement")
	} else {
		c.str("ratings.trend_agreement", r, "trend_agreement", *want.TrendAgreement)
	}
	if l, ok := c.list("ratings.high_points_average_rating", r, "high_points_average_rating"); ok {
		c.people("ratings.high_points_average_rating", l, want.HighPoints)
	}
	if l, ok := c.list("ratings.trend", r, "trend"); ok && c.eq("ratings.trend.len", len(l), len(want.Trend)) {
		for i, tp := range want.Trend {
			o, _ := l[i].(map[string]any)
			path := fmt.Sprintf("ratings.trend[%d]", i)
			c.str(path+".period", o, "period", tp.Period)
			c.num(path+".points", o, "points", tp.Points)
			c.ptr(path+".avg_rating", o, "avg_rating", tp.AvgRating)
		}
	}
}

// namedGroups indexes a list of named groups, and lists the names of those with
// members in their order.
func namedGroups(l []any) (map[string]map[string]any, []string) {
	out := map[string]map[string]any{}
	var order []string
	for _, x := range l {
		g, _ := x.(map[string]any)
		name, _ := g["name"].(string)
		out[name] = g
		if num(g["members"]) != 0 {
			order = append(order, name)
		}
	}
	return out, order
}

// anyList is a JSON list, or nothing.
func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}
