package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/rules"
	"jifen/store"
	"jifen/survey"
)

// demo runs `jifen demo`: it fills an empty store with a synthetic year of
// a company of about 200 people, built on the config's departments, levels,
// rule catalog, shop and surveys. Everything goes through the same command
// core as chat, with the clock moved through the year, so every award
// follows the catalog and its limits (what a limit refuses is simply not
// recorded). The same seed gives the same year.
func (m *Main) demo(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 0 {
		return usageError{"demo takes no arguments"}
	}
	size := 200
	if v := fs.Lookup("members").Value.String(); v != "" {
		if _, err := fmt.Sscan(v, &size); err != nil || size < 20 || size > 5000 {
			return usageError{fmt.Sprintf("--members %q: want 20 to 5000", v)}
		}
	}
	var seed uint64 = 1
	if v := fs.Lookup("seed").Value.String(); v != "" {
		if _, err := fmt.Sscan(v, &seed); err != nil {
			return usageError{fmt.Sprintf("--seed %q: want a number", v)}
		}
	}
	// Refused before the store is opened: opening PostgreSQL would already
	// write the config's members into it.
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	if cfg.Store.Driver == config.DriverPostgres {
		return fmt.Errorf("jifen demo fills a bbolt store file in bulk and cannot fill PostgreSQL (%s); nothing was written: run the demo on a new bbolt file (driver bbolt, store.path), then copy it into the database with jifen store copy --from bbolt:PATH --to postgres://…", cfg.Store.Where())
	}
	real := time.Now()
	if m.Clock != nil {
		real = m.Clock.Now()
	}
	// The clock starts a year ago and is moved forward through the year.
	clock := &demoClock{t: real.AddDate(-1, 0, 0)}
	saved := m.Clock
	m.Clock = clock
	a, err := m.openStore(ctx, fs, true)
	m.Clock = saved
	if err != nil {
		return err
	}
	defer a.Close()
	// The demo fills a bbolt file in bulk (unsynced commits, one sync at
	// the end), and reads it as it goes without a transaction of its own.
	st, ok := a.store.(*store.Store)
	if !ok {
		return errors.New("jifen demo fills a bbolt store file only: set store.path (or JIFEN_STORE) to a new file, then copy it to this store with jifen store copy")
	}
	if n := st.EntryCount(); n > 0 || len(st.Rounds("")) > 0 || len(st.AllRatings()) > 0 {
		return fmt.Errorf("the store %s already holds data (%d ledger entries); jifen demo fills an empty store only: point store.path (or JIFEN_STORE) at a new file", st.Path(), n)
	}
	d := &demoRun{a: a, st: st, clock: clock, rng: rand.New(rand.NewPCG(seed, 0x6a6966656e)), loc: a.store.Location(), end: real}
	a.bot.SetCommandObserver(func(_, _, outcome string) { d.outcome = outcome })
	if err := d.members(ctx, size); err != nil {
		return err
	}
	if err := d.year(ctx); err != nil {
		return err
	}
	if err := st.Sync(); err != nil {
		return err
	}
	rep, err := a.store.Verify()
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("demo data failed verification: %v", rep)
	}
	fmt.Fprintf(m.Stdout, "demo: %d members, %d ledger entries (%d commands refused by the rules' limits, as in real use), %d redemptions, %d survey rounds with %d answers, %d ratings, %d KPI figures\n",
		len(d.people), st.EntryCount(), d.refused, d.redeemed, d.rounds, d.answers, d.ratings, d.kpis)
	// The commands must reach the store just filled: when JIFEN_STORE chose
	// it (as the example config lets it), they carry the same setting.
	env := ""
	if v, ok := os.LookupEnv("JIFEN_STORE"); ok && v != "" {
		env = "JIFEN_STORE=" + shellQuote(v) + " "
	}
	fmt.Fprintf(m.Stdout, "demo: filled %s\n", st.Path())
	fmt.Fprintf(m.Stdout, "try: %sjifen chat --config %s --as 张伟   (then /排行 year, /积分, /小结)\n     %sjifen report --config %s --period %s --format html -o report.html\n",
		env, shellQuote(fs.Lookup("config").Value.String()), env, shellQuote(fs.Lookup("config").Value.String()),
		jifen.PeriodOf(jifen.Month, real, a.store.Location()).Previous(a.store.Location()).Key)
	return nil
}

// demoClock is the store's clock during a demo run: it is moved forward
// through the synthetic year.
type demoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *demoClock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

type demoRun struct {
	a     *app
	st    *store.Store
	clock *demoClock
	rng   *rand.Rand
	loc   *time.Location
	end   time.Time

	people   []jifen.Member            // everyone but bots
	depts    []string                  // sorted
	byDept   map[string][]jifen.Member // department → members
	giver    map[string]jifen.Member   // department → who awards there
	admin    jifen.Member
	lateness map[string]float64 // member → chance of being late on a day
	reformed map[string]bool    // stop being late after the policy
	lateIn   map[string]bool    // late this month (no 全勤)

	outcome string // of the last command, from the bot's command observer

	refused, redeemed, rounds, answers, ratings, kpis int
}

var (
	demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	demoGiven    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平",
		"刚", "桂英", "建华", "文", "华", "金凤", "志强", "婷", "晨", "浩然", "子涵", "欣怡", "梓轩", "雨桐", "宇航", "思远", "佳怡", "俊杰", "一鸣", "晓峰"}
	// demoDepartments weighs the config's departments for the synthetic
	// staff (a department not listed gets weight 2).
	demoDepartments = map[string]int{"生产部": 30, "研发部": 22, "销售部": 20, "客服部": 18, "人力资源部": 5, "总经办": 3}
	// demoWork lists the categories a department's work earns in.
	demoWork = map[string][]string{
		"销售部": {"sales", "sales", "satisfaction"}, "客服部": {"satisfaction", "satisfaction", "teamwork"},
		"研发部": {"delivery", "learning", "delivery"}, "生产部": {"delivery", "attendance", "delivery"},
	}
	demoComments = []string{"希望兑换商城多一些实用的东西", "规则有点多，记不住", "加分标准希望更透明", "生产线的加分机会比销售少",
		"感谢额度可以再多一点", "迟到扣分以后大家确实准时了", "希望积分能和年终奖挂钩", "排行榜每周公布很有动力",
		"审批太慢", "新人不太了解怎么赚积分", "跨部门协作的加分很好", "希望能用积分换调休"}
)

// members adds synthetic staff to the config's members, up to size.
func (d *demoRun) members(ctx context.Context, size int) error {
	cfgMembers := d.st.Members()
	names := map[string]bool{}
	var depts []string
	levels := map[string]int{}
	for _, m := range cfgMembers {
		names[m.Name] = true
		if m.Department != "" && !slices.Contains(depts, m.Department) {
			depts = append(depts, m.Department)
		}
		if m.Level != "" {
			levels[m.Level]++
		}
	}
	slices.Sort(depts)
	d.depts = depts
	if len(depts) == 0 {
		return fmt.Errorf("the config's members have no departments to build a company on")
	}
	weights := 0
	for _, dep := range depts {
		weights += weightOf(dep)
	}
	// Levels: the config's most common level is the staff level; the
	// others (managers, executives) are kept rare.
	staffLevel, mid := "", ""
	for l, n := range levels {
		if staffLevel == "" || n > levels[staffLevel] || (n == levels[staffLevel] && l < staffLevel) {
			staffLevel = l
		}
	}
	for l := range levels {
		if l != staffLevel && (mid == "" || levels[l] > levels[mid] || (levels[l] == levels[mid] && l < mid)) {
			mid = l
		}
	}
	people := 0
	for _, m := range cfgMembers {
		if !m.Bot {
			people++
		}
	}
	var add []jifen.Member
	for i := 0; people+len(add) < size; i++ {
		name := ""
		for name == "" || names[name] {
			name = string(demoSurnames[d.rng.IntN(len(demoSurnames))]) + demoGiven[d.rng.IntN(len(demoGiven))]
			if names[name] {
				name += demoGiven[d.rng.IntN(len(demoGiven))]
			}
		}
		names[name] = true
		pick := d.rng.IntN(weights)
		dep := depts[0]
		for _, dd := range depts {
			if pick -= weightOf(dd); pick < 0 {
				dep = dd
				break
			}
		}
		level := staffLevel
		if mid != "" && d.rng.IntN(10) == 0 {
			level = mid
		}
		joined := d.end.AddDate(-1-d.rng.IntN(9), -d.rng.IntN(12), 0)
		if d.rng.IntN(6) == 0 {
			joined = d.end.AddDate(0, -1-d.rng.IntN(8), -d.rng.IntN(28)) // joined this year
		}
		y, mo, day := joined.In(d.loc).Date()
		m := jifen.Member{ID: fmt.Sprintf("e%04d", 1001+i), Name: name, Department: dep, Level: level,
			Role: jifen.RoleEmployee, Joined: time.Date(y, mo, day, 0, 0, 0, 0, time.UTC)}
		// About one in twelve of those who were there at the start of the
		// year leaves during it: their entries stay, their figures stop.
		if start := d.end.AddDate(-1, 0, 0); joined.Before(start) && d.rng.IntN(12) == 0 {
			y, mo, day := d.end.AddDate(0, -1-d.rng.IntN(10), -d.rng.IntN(28)).In(d.loc).Date()
			m.Left = time.Date(y, mo, day, 0, 0, 0, 0, time.UTC)
		}
		add = append(add, m)
	}
	if err := d.st.SyncMembers(ctx, add); err != nil {
		return err
	}
	d.byDept, d.giver = map[string][]jifen.Member{}, map[string]jifen.Member{}
	d.lateness, d.reformed = map[string]float64{}, map[string]bool{}
	for _, m := range d.st.Members() {
		if m.Bot {
			continue
		}
		d.people = append(d.people, m)
		d.byDept[m.Department] = append(d.byDept[m.Department], m)
		switch m.Role {
		case jifen.RoleAdmin:
			if d.admin.ID == "" || m.ID < d.admin.ID {
				d.admin = m
			}
		case jifen.RoleManager:
			if g, ok := d.giver[m.Department]; !ok || m.ID < g.ID {
				d.giver[m.Department] = m
			}
		}
		// One in six is often late; after the lateness policy half of
		// them stop altogether (the report's case stories).
		d.lateness[m.ID] = 0
		if d.rng.IntN(6) == 0 {
			d.lateness[m.ID] = 0.05 + d.rng.Float64()*0.05
			d.reformed[m.ID] = d.rng.IntN(2) == 0
		}
	}
	if d.admin.ID == "" {
		return fmt.Errorf("the config needs an admin (role: admin) to run the demo")
	}
	for _, dep := range depts {
		if _, ok := d.giver[dep]; !ok {
			d.giver[dep] = d.admin
		}
	}
	return nil
}

func weightOf(dep string) int {
	if w, ok := demoDepartments[dep]; ok {
		return w
	}
	return 2
}

// run executes a command at the clock's time as a member and reports
// whether it was applied: a refusal by the rules is counted, an internal
// error (the outcome the command observer reports) ends the demo.
func (d *demoRun) run(ctx context.Context, as jifen.Member, text string) (bool, error) {
	resp := d.a.bot.Handle(ctx, bot.Request{Caller: as, Text: text, Source: "demo"})
	switch d.outcome {
	case "ok":
		return true, nil
	case string(jifen.EINTERNAL):
		return false, fmt.Errorf("demo: %s: %q: %s", as.ID, text, resp.Reply.Text)
	}
	d.refused++
	return false, nil
}

// year simulates the twelve months up to now, working day by working day.
func (d *demoRun) year(ctx context.Context) error {
	cat := d.a.cfg.Rules
	y, mo, day := d.end.In(d.loc).AddDate(-1, 0, 1).Date()
	var policy time.Time
	for _, p := range cat.Policies {
		if p.Behavior == "late" || policy.IsZero() {
			policy = p.Date
		}
	}
	if policy.IsZero() {
		policy = d.end.AddDate(0, -2, 0)
	}
	d.lateIn = map[string]bool{}
	month := time.Month(0)
	for date := time.Date(y, mo, day, 0, 0, 0, 0, d.loc); date.Before(d.end); date = date.AddDate(0, 0, 1) {
		if date.Month() != month {
			if month != 0 {
				if err := d.monthEnd(ctx, date.AddDate(0, 0, -1), policy); err != nil {
					return err
				}
			}
			month = date.Month()
			if err := d.monthStart(ctx, date); err != nil {
				return err
			}
		}
		if date.Day() == 25 {
			if err := d.startSurveys(ctx, date); err != nil {
				return err
			}
		}
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if err := d.workday(ctx, date, !date.Before(policy)); err != nil {
			return err
		}
	}
	return nil
}

// at moves the clock to a time of the day (minutes after 9:00), never
// past the end (now).
func (d *demoRun) at(date time.Time, minute int) bool {
	t := date.Add(9*time.Hour + time.Duration(minute)*time.Minute)
	if !t.Before(d.end) {
		return false
	}
	d.clock.set(t)
	return true
}

func (d *demoRun) behaviors(category string, negative bool) []*rules.Behavior {
	var out []*rules.Behavior
	cat := d.a.cfg.Rules
	for i := range cat.Behaviors {
		b := &cat.Behaviors[i]
		if b.Category != category || (b.Max < 0) != negative || (cat.Thanks != nil && b.ID == cat.Thanks.Behavior) {
			continue
		}
		if len(b.Roles) > 0 && !slices.Contains(b.Roles, jifen.RoleManager) {
			continue
		}
		out = append(out, b)
	}
	return out
}

func (d *demoRun) points(b *rules.Behavior) int64 {
	if b.Min == b.Max {
		return b.Min
	}
	lo, hi := b.Min, b.Max
	if hi > 50 && lo <= 50 && d.rng.IntN(4) != 0 {
		hi = 50 // most big awards stay under the approval threshold
	}
	return lo + d.rng.Int64N(hi-lo+1)
}

// pick chooses one of ms at random; the zero member when the one drawn
// is not employed at the clock's time (not joined yet, or left), so that
// the demo asks nothing of people who are not there.
func (d *demoRun) pick(ms []jifen.Member) jifen.Member {
	m := ms[d.rng.IntN(len(ms))]
	if !d.employed(m) {
		return jifen.Member{}
	}
	return m
}

// employed reports whether m works here at the clock's time.
func (d *demoRun) employed(m jifen.Member) bool { return m.EmployedOn(d.clock.Now(), d.loc) }

// workday: lateness, the managers' awards and deductions, peer thanks,
// redemptions, survey answers, and the admin deciding what waits.
func (d *demoRun) workday(ctx context.Context, date time.Time, afterPolicy bool) error {
	minute := 0
	next := func() bool { minute += 1 + d.rng.IntN(4); return d.at(date, minute) }
	for _, m := range d.people {
		p := d.lateness[m.ID]
		if afterPolicy && d.reformed[m.ID] {
			p = 0
		} else if afterPolicy {
			p /= 2
		}
		if d.rng.Float64() >= p || !next() || !d.employed(m) {
			continue
		}
		d.lateIn[m.ID] = true
		if _, err := d.run(ctx, d.giverOf(m), fmt.Sprintf("/deduct @%s 迟到", m.ID)); err != nil {
			return err
		}
	}
	for _, dep := range d.depts {
		members := d.byDept[dep]
		g := d.giver[dep]
		work := demoWork[dep]
		if len(work) == 0 {
			work = []string{"teamwork", "learning"}
		}
		for range len(members)/8 + d.rng.IntN(3) {
			if !next() {
				return nil
			}
			cat := work[d.rng.IntN(len(work))]
			if d.rng.IntN(4) == 0 {
				cat = []string{"teamwork", "learning", "attendance"}[d.rng.IntN(3)]
			}
			negative := d.rng.IntN(12) == 0
			bs := d.behaviors(cat, negative)
			if len(bs) == 0 {
				continue
			}
			b := bs[d.rng.IntN(len(bs))]
			to := d.pick(members)
			if to.ID == "" || to.ID == g.ID {
				continue
			}
			verb := "/award"
			if negative {
				verb = "/deduct"
			}
			if _, err := d.run(ctx, g, fmt.Sprintf("%s @%s %d %s", verb, to.ID, abs(d.points(b)), b.Name)); err != nil {
				return err
			}
		}
	}
	// Peer thanks.
	for _, m := range d.people {
		if d.rng.IntN(12) != 0 || !next() || !d.employed(m) {
			continue
		}
		peers := d.byDept[m.Department]
		if d.rng.IntN(4) == 0 {
			peers = d.people
		}
		to := d.pick(peers)
		if to.ID == "" || to.ID == m.ID {
			continue
		}
		if _, err := d.run(ctx, m, fmt.Sprintf("/thanks @%s %d 帮我解决了问题", to.ID, 1+d.rng.IntN(5))); err != nil {
			return err
		}
	}
	// Redemptions, by those who have saved up.
	for _, m := range d.people {
		if d.rng.IntN(40) != 0 || !next() || !d.employed(m) {
			continue
		}
		rs := d.a.cfg.Rules.Rewards
		if len(rs) == 0 {
			break
		}
		r := rs[d.rng.IntN(len(rs))]
		if d.st.Balance(m.ID) < r.Cost || (!r.Unlimited() && d.st.StockUsed(r.ID) >= r.Stock) {
			continue
		}
		if ok, err := d.run(ctx, m, "/redeem "+r.ID); err != nil {
			return err
		} else if ok {
			d.redeemed++
		}
	}
	// Survey answers for the open rounds.
	if err := d.answerSurveys(ctx, date, &minute); err != nil {
		return err
	}
	// An occasional correction, then the admin's decisions at the end of
	// the day: approvals, redemptions waiting, fulfilment.
	if d.rng.IntN(8) == 0 && next() {
		if ids := d.recentAwards(); len(ids) > 0 {
			if _, err := d.run(ctx, d.admin, fmt.Sprintf("/revoke %d 录入错误，撤销", ids[d.rng.IntN(len(ids))])); err != nil {
				return err
			}
		}
	}
	if !d.at(date, 8*60) {
		return nil
	}
	aps, err := d.st.OpenApprovals()
	if err != nil {
		return err
	}
	for _, ap := range aps {
		cmd := fmt.Sprintf("/approve %d", ap.ID)
		if d.rng.IntN(6) == 0 {
			cmd = fmt.Sprintf("/reject %d 证明材料不足", ap.ID)
		}
		if _, err := d.run(ctx, d.admin, cmd); err != nil {
			return err
		}
	}
	for _, r := range d.st.Redemptions("", 100) {
		cmd := fmt.Sprintf("/redemptions fulfil R%d", r.ID)
		if r.Status == store.RedemptionPending {
			cmd = fmt.Sprintf("/redemptions approve R%d", r.ID)
			if d.rng.IntN(8) == 0 {
				cmd = fmt.Sprintf("/redemptions reject R%d 本季度名额已满", r.ID)
			}
		}
		if _, err := d.run(ctx, d.admin, cmd); err != nil {
			return err
		}
	}
	// Survey reminders and closings due by now.
	_, err = d.a.bot.SurveyTick(ctx, d.clock.Now())
	return err
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// giverOf is who deducts or awards for m: their department's manager, or
// the admin (for the managers themselves, and departments without one).
func (d *demoRun) giverOf(m jifen.Member) jifen.Member {
	if g := d.giver[m.Department]; g.ID != m.ID {
		return g
	}
	return d.admin
}

// recentAwards lists the ids of the last two hundred entries that are
// awards not reversed yet.
func (d *demoRun) recentAwards() []uint64 {
	var ids []uint64
	last := uint64(d.st.EntryCount())
	for id := last; id > 0 && id+200 > last; id-- {
		if e, rev, ok := d.st.Entry(id); ok && e.Kind == jifen.KindAward && rev == 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// monthStart: the monthly fixed awards of the month just ended (全勤 for
// those never late), and the managers' written feedback.
func (d *demoRun) monthStart(ctx context.Context, date time.Time) error {
	if !d.at(date, 0) {
		return nil
	}
	cat := d.a.cfg.Rules
	full := cat.Behavior("full_attendance")
	ended := jifen.PeriodOf(jifen.Month, date.AddDate(0, 0, -1), d.loc)
	for _, m := range d.people {
		// 全勤 goes to those employed through the whole month just ended
		// and still here.
		whole := m.EmployedOn(ended.Start, d.loc) && d.employed(m)
		if full != nil && whole && !d.lateIn[m.ID] && d.rng.IntN(5) != 0 {
			if _, err := d.run(ctx, d.giverOf(m), fmt.Sprintf("/award @%s %s", m.ID, full.Name)); err != nil {
				return err
			}
		}
	}
	d.lateIn = map[string]bool{}
	for _, dep := range d.depts {
		g := d.giver[dep]
		for range 2 {
			to := d.pick(d.byDept[dep])
			if to.ID == "" || to.ID == g.ID || g.Role != jifen.RoleManager {
				continue
			}
			if _, err := d.run(ctx, g, fmt.Sprintf("/feedback @%s 本月表现稳定，下个月可以在%s方面多投入一些。", to.ID, []string{"客户沟通", "协作", "学习", "质量"}[d.rng.IntN(4)])); err != nil {
				return err
			}
		}
	}
	return nil
}

// monthEnd: HR's ratings for the month (following the points, with the
// noise of real judgement) and the month's business KPIs.
func (d *demoRun) monthEnd(ctx context.Context, last time.Time, policy time.Time) error {
	p := jifen.PeriodOf(jifen.Month, last, d.loc)
	periods := []jifen.Period{p}
	if last.Month()%3 == 0 {
		periods = append(periods, jifen.PeriodOf(jifen.Quarter, last, d.loc)) // quarterly ratings too
	}
	for _, p := range periods {
		rs := d.rate(p)
		if err := d.st.PutRatings(ctx, rs); err != nil {
			return err
		}
		d.ratings += len(rs)
	}
	after := 0.0
	if !last.Before(policy) {
		after = 1
	}
	months := float64(len(d.st.AllKPIs()) / 3)
	ks := []jifen.KPI{
		{Name: "销售额（万元）", Period: p.Key, Value: round1(480 + 6*months + 25*after + d.rng.NormFloat64()*15)},
		{Name: "客户满意度", Period: p.Key, Department: "客服部", Value: round1(4.1 + 0.02*months + 0.2*after + d.rng.NormFloat64()*0.05)},
		{Name: "准时交付率（%）", Period: p.Key, Department: "研发部", Value: round1(86 + 0.5*months + 3*after + d.rng.NormFloat64()*1.5)},
	}
	if err := d.st.PutKPIs(ctx, ks); err != nil {
		return err
	}
	d.kpis += len(ks)
	return nil
}

// rate grades everyone for a period: by points, with the noise of real
// judgement; 20% A, 40% B, 30% C, 10% D.
func (d *demoRun) rate(p jifen.Period) []jifen.Rating {
	type scored struct {
		id  string
		pts float64
	}
	var ss []scored
	for _, m := range d.people {
		if !m.EmployedIn(p, d.loc) {
			continue // HR rates the people who worked in the period
		}
		ss = append(ss, scored{m.ID, float64(d.st.Totals(m.ID, p).Net) + d.rng.NormFloat64()*40})
	}
	slices.SortFunc(ss, func(a, b scored) int {
		switch {
		case a.pts > b.pts:
			return -1
		case a.pts < b.pts:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	var rs []jifen.Rating
	for i, s := range ss {
		g, score := "D", 1.0
		switch share := float64(i) / float64(len(ss)); {
		case share < 0.2:
			g, score = "A", 4
		case share < 0.6:
			g, score = "B", 3
		case share < 0.9:
			g, score = "C", 2
		}
		rs = append(rs, jifen.Rating{Member: s.id, Period: p.Key, Grade: g, Score: score})
	}
	return rs
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

// startSurveys starts a round of every survey on the 25th, at 10:00.
func (d *demoRun) startSurveys(ctx context.Context, date time.Time) error {
	if !d.at(date, 60) {
		return nil
	}
	for _, s := range d.a.cfg.Surveys {
		if _, err := d.a.bot.StartSurvey(ctx, s.ID, ""); err != nil {
			if jifen.ErrorCode(err) == jifen.ECONFLICT {
				continue // the previous round is still open
			}
			return err
		}
		d.rounds++
	}
	return nil
}

// answerSurveys has part of each open round's audience answer on a day:
// most answer in the first two days, some after the reminder, some never.
// Scores improve after the lateness policy, less so in production.
func (d *demoRun) answerSurveys(ctx context.Context, date time.Time, minute *int) error {
	for _, r := range d.st.Rounds("") {
		if !r.Open(d.clock.Now()) {
			continue
		}
		age := int(d.clock.Now().Sub(r.Started).Hours() / 24)
		share := []float64{0.55, 0.4, 0.35, 0.2}[min(age, 3)]
		for _, id := range r.Audience {
			if d.rng.Float64() >= share || d.st.Answered(&r, id) || d.rng.IntN(10) == 0 {
				continue
			}
			m, ok := d.st.Member(id)
			if !ok {
				continue
			}
			*minute++
			if !d.at(date, *minute) {
				return nil
			}
			lift := float64(r.N) * 0.08
			if m.Department == "生产部" {
				lift /= 2
			}
			for _, q := range r.Questions {
				v := ""
				switch q.Kind {
				case survey.Likert:
					v = fmt.Sprint(min(5, max(1, int(2.6+lift+d.rng.NormFloat64()*1.0+0.5))))
				case survey.NPS:
					v = fmt.Sprint(min(10, max(0, int(5.5+2*lift+d.rng.NormFloat64()*2.5+0.5))))
				case survey.Single:
					v = fmt.Sprint(1 + d.rng.IntN(len(q.Choices)))
				case survey.Multiple:
					for range 1 + d.rng.IntN(2) {
						if _, err := d.run(ctx, m, fmt.Sprintf("/survey answer %s %s +%d", r.ID(), q.ID, 1+d.rng.IntN(len(q.Choices)))); err != nil {
							return err
						}
					}
					continue
				case survey.Text:
					if d.rng.IntN(4) != 0 {
						continue
					}
					v = demoComments[d.rng.IntN(len(demoComments))]
				}
				if _, err := d.run(ctx, m, fmt.Sprintf("/survey answer %s %s %s", r.ID(), q.ID, v)); err != nil {
					return err
				}
			}
			d.answers++
		}
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// path characters, so a printed command can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
