package admin

import (
	"fmt"
	"html/template"
	"math"
	"slices"

	"jifen"
	"jifen/report"
	"jifen/rules"
	"jifen/store"
	"jifen/survey"
)

// overviewData is what the overview shows a viewer. A part the viewer may
// not see is left empty: admins get the company's figures, managers their
// department's, employees their own.
type overviewData struct {
	Month, Previous string // the current and the previous month
	AsOf            string // the day the current month's figures stand at
	// Why says why the current month is not compared with the previous
	// one yet (the report compares only periods that are over).
	Why         string
	FiguresHead string // the figures' heading (the company or the department)
	Figures     []figureRow
	TrendTitle  string
	TrendCols   []string
	Trend       []trendRow
	Pending     []countRow
	Rounds      []roundRow
	Suggestions []string
	People      []personRow // a manager's department this month
	Personal    *personalView
	Failed      bool // the figures could not be read

	month jifen.Period // the current month
}

// figureRow is a key figure: this month so far, last month, and last
// month's change against the month before it (as the report gives it).
type figureRow struct{ Label, Current, Previous, Change string }

// trendRow is a month of the year: its figure, and a bar scaled to the
// largest month.
type trendRow struct {
	Month, Value, Extra string
	Width               int
}

type countRow struct {
	Label string
	N     int
}

type roundRow struct{ Title, Closes, Responses string }

type personRow struct {
	Rank   int
	Name   string
	Points int64
}

// personalView is an employee's own report of the month, as chat gives it.
type personalView struct {
	Title  string
	Fields [][2]string
	Text   []string
}

// trendWidth is the width of the trend's longest bar, in pixels.
const trendWidth = 160

var _ = template.Must(layout.New("overview").Parse(`{{- with .Overview}}
{{- if .Failed}}<p>{{call $.T "admin.ov.failed"}}</p>{{end}}
{{- with .Personal}}
<h2>{{.Title}}</h2>
<table>{{range .Fields}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
{{range .Text}}<p>{{.}}</p>{{end}}
{{- end}}
{{- if .Figures}}
<h2>{{.FiguresHead}}</h2>
<p class="note">{{call $.T "admin.ov.as_of" .Month .AsOf}}{{with .Why}} {{call $.T "admin.ov.why" $.Overview.Month .}}{{end}}</p>
<div class="scroll"><table>
<tr><th></th><th>{{call $.T "admin.ov.col.current" .Month}}</th><th>{{call $.T "admin.ov.col.previous" .Previous}}</th><th>{{call $.T "admin.ov.col.change" .Previous}}</th></tr>
{{range .Figures}}<tr><th>{{.Label}}</th><td class="n">{{.Current}}</td><td class="n">{{.Previous}}</td><td class="n">{{.Change}}</td></tr>
{{end}}</table></div>
{{- end}}
{{- if .Trend}}
<h2>{{.TrendTitle}}</h2>
<div class="scroll"><table>
<tr>{{range .TrendCols}}<th>{{.}}</th>{{end}}<th></th></tr>
{{range .Trend}}<tr><td>{{.Month}}</td><td class="n">{{.Value}}</td>{{with .Extra}}<td class="n">{{.}}</td>{{end}}<td><svg width="{{.Width}}" height="12" aria-hidden="true"><rect width="{{.Width}}" height="12" fill="#2da44e"/></svg></td></tr>
{{end}}</table></div>
{{- end}}
{{- if .People}}
<h2>{{call $.T "admin.ov.people" $.Viewer.Member.Department .Month}}</h2>
<table><tr><th>{{call $.T "admin.ov.col.rank"}}</th><th>{{call $.T "admin.ov.col.member"}}</th><th>{{call $.T "admin.ov.col.points"}}</th></tr>
{{range .People}}<tr><td class="n">{{.Rank}}</td><td>{{.Name}}</td><td class="n">{{.Points}}</td></tr>
{{end}}</table>
{{- end}}
{{- if .Pending}}
<h2>{{call $.T "admin.ov.pending"}}</h2>
<table>{{range .Pending}}<tr><th>{{.Label}}</th><td class="n">{{.N}}</td></tr>{{end}}</table>
{{- end}}
{{- if .Rounds}}
<h2>{{call $.T "admin.ov.rounds"}}</h2>
<table><tr><th>{{call $.T "admin.ov.col.survey"}}</th><th>{{call $.T "admin.ov.col.closes"}}</th><th>{{call $.T "admin.ov.col.responses"}}</th></tr>
{{range .Rounds}}<tr><td>{{.Title}}</td><td>{{.Closes}}</td><td>{{.Responses}}</td></tr>
{{end}}</table>
{{- end}}
{{- if .Suggestions}}
<h2>{{call $.T "admin.ov.suggestions" .Previous}}</h2>
<ul>{{range .Suggestions}}<li>{{.}}</li>{{end}}</ul>
{{- end}}
{{- end}}
`))

// catalog is the rule catalog the figures are computed under.
func (s *Server) catalog() *rules.Catalog {
	if s.cfg.Rules != nil {
		return s.cfg.Rules
	}
	return &rules.Catalog{}
}

// maySee reports whether the viewer may see m's own figures: the console's
// rule and the score visibility of chat (/score), both.
func (s *Server) maySee(v *Viewer, m jifen.Member) bool {
	return v.CanSee(m) && s.cfg.Privacy.ScoreVisibility.MaySee(v.Member, m)
}

// buildOverview gathers what v may see on the overview, as of the store's
// clock (the clock of the report and of chat), from one read. An
// employee's personal report is chat's, added by the page (personalReport).
func (s *Server) buildOverview(rd store.Reader, v *Viewer) *overviewData {
	loc := rd.Location()
	now := rd.Now()
	month := jifen.PeriodOf(jifen.Month, now, loc)
	prev := month.Previous(loc)
	d := &overviewData{Month: month.Key, Previous: prev.Key, AsOf: now.In(loc).Format("2006-01-02"), month: month}
	m := v.Member
	if m.Role == jifen.RoleEmployee {
		s.personalTrend(rd, d, m, month)
		return d
	}
	cur, err := report.AnalyzeSource(rd, month, s.catalog(), s.t)
	if err != nil {
		s.log.Error("overview: the month's figures failed", "err", err)
		d.Failed = true
		return d
	}
	last, err := report.AnalyzeSource(rd, prev, s.catalog(), s.t)
	if err != nil {
		s.log.Error("overview: the previous month's figures failed", "err", err)
		d.Failed = true
		return d
	}
	if !cur.Comparison.Comparable {
		d.Why = report.NotComparable(cur.Comparison, s.t)
	}
	if m.Role == jifen.RoleAdmin {
		s.companyFigures(d, cur, last)
		year, err := report.AnalyzeSource(rd, jifen.PeriodOf(jifen.Year, now, loc), s.catalog(), s.t)
		if err != nil {
			s.log.Error("overview: the year's figures failed", "err", err)
			d.Failed = true
		} else {
			s.companyTrend(d, year)
		}
		d.Suggestions = make([]string, 0, len(last.Suggestions))
		for _, sg := range last.Suggestions {
			d.Suggestions = append(d.Suggestions, s.t("report.suggestion", sg.Text, sg.Figure))
		}
		s.openRounds(rd, d)
	} else if m.Department != "" { // a manager without a department has none to see
		s.departmentFigures(d, m.Department, cur, last)
		for _, st := range rd.Top(month, 10, m.Department) {
			if s.maySee(v, st.Member) {
				d.People = append(d.People, personRow{Rank: st.Rank, Name: st.Member.Name, Points: st.Points})
			}
		}
	}
	s.pending(rd, d, v)
	return d
}

// change is last month's change against the month before it, as the
// report words it: a signed percentage, or why there is none.
func (s *Server) change(last *report.Summary, c *float64) string {
	if !last.Comparison.Comparable {
		return report.NotComparable(last.Comparison, s.t)
	}
	if c == nil || math.IsNaN(*c) {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", *c*100)
}

// ratio is report.Change as a pointer: nil when undefined.
func ratio(before, after float64) *float64 {
	c := report.Change(before, after)
	if math.IsNaN(c) {
		return nil
	}
	return &c
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }

// companyFigures are the headline figures of the 小结 for the company.
func (s *Server) companyFigures(d *overviewData, cur, last *report.Summary) {
	d.FiguresHead = s.t("admin.ov.company")
	const none = "" // the report gives no change of this figure
	avgChange := s.change(last, nil)
	if last.PreviousAverage != nil {
		avgChange = s.change(last, ratio(*last.PreviousAverage, last.Distribution.Average))
	}
	partChange := s.change(last, nil)
	if last.Comparison.Comparable && last.PreviousParticipation != nil {
		partChange = s.t("admin.ov.pp", (last.Distribution.Participation-*last.PreviousParticipation)*100)
	}
	membersChange := none
	if last.Comparison.Comparable && last.PreviousMembers > 0 {
		membersChange = s.change(last, ratio(float64(last.PreviousMembers), float64(last.Members)))
	}
	d.Figures = []figureRow{
		{s.t("admin.ov.net"), fmt.Sprint(cur.Points.Net), fmt.Sprint(last.Points.Net), s.change(last, last.Points.Change)},
		{s.t("admin.ov.awarded"), fmt.Sprint(cur.Points.Awarded), fmt.Sprint(last.Points.Awarded), none},
		{s.t("admin.ov.deducted"), fmt.Sprint(cur.Points.Deducted), fmt.Sprint(last.Points.Deducted), none},
		{s.t("admin.ov.average"), fmt.Sprintf("%.2f", cur.Distribution.Average), fmt.Sprintf("%.2f", last.Distribution.Average), avgChange},
		{s.t("admin.ov.participation"), pct(cur.Distribution.Participation), pct(last.Distribution.Participation), partChange},
		{s.t("admin.ov.members"), fmt.Sprint(cur.Members), fmt.Sprint(last.Members), membersChange},
		{s.t("admin.ov.entries"), fmt.Sprint(cur.Points.Entries), fmt.Sprint(last.Points.Entries), none},
		{s.t("admin.ov.spent"), fmt.Sprint(cur.Points.Spent), fmt.Sprint(last.Points.Spent), none},
		{s.t("admin.ov.top_category"), topCategory(cur), topCategory(last), none},
	}
}

// topCategory is the category with the most points in the period, with
// its points and share, or "—".
func topCategory(sm *report.Summary) string {
	var top *report.Share
	for i, c := range sm.Points.ByCategory {
		if c.Points > 0 && (top == nil || c.Points > top.Points) {
			top = &sm.Points.ByCategory[i]
		}
	}
	if top == nil {
		return "—"
	}
	return fmt.Sprintf("%s %d (%s)", top.Name, top.Points, pct(top.Share))
}

// departmentFigures are the department's figures of the 小结.
func (s *Server) departmentFigures(d *overviewData, dept string, cur, last *report.Summary) {
	d.FiguresHead = s.t("admin.ov.department", dept)
	find := func(sm *report.Summary) report.Department {
		for _, x := range sm.Departments {
			if x.Name == dept {
				return x
			}
		}
		return report.Department{Name: dept}
	}
	c, l := find(cur), find(last)
	d.Figures = []figureRow{
		{s.t("admin.ov.dept_total"), fmt.Sprint(c.Total), fmt.Sprint(l.Total), ""},
		{s.t("admin.ov.average"), fmt.Sprintf("%.2f", c.Average), fmt.Sprintf("%.2f", l.Average), s.change(last, l.Change)},
		{s.t("admin.ov.members"), fmt.Sprint(c.Members), fmt.Sprint(l.Members), ""},
	}
}

// companyTrend is the year's months, from the year's 小结.
func (s *Server) companyTrend(d *overviewData, year *report.Summary) {
	d.TrendTitle = s.t("admin.ov.trend", year.Period)
	d.TrendCols = []string{s.t("admin.ov.col.month"), s.t("admin.ov.col.net_per_member"), s.t("admin.ov.participation")}
	top := 0.0
	for _, mf := range year.Monthly {
		top = max(top, mf.Points)
	}
	for _, mf := range year.Monthly {
		d.Trend = append(d.Trend, trendRow{Month: mf.Month, Value: fmt.Sprintf("%.2f", mf.Points), Extra: pct(mf.Participation),
			Width: barWidth(mf.Points, top)})
	}
}

func barWidth(v, top float64) int {
	if v <= 0 || top <= 0 {
		return 0
	}
	return max(1, int(math.Round(v/top*trendWidth)))
}

// personalReport is an employee's own month, as their personal report in
// chat says it.
func (s *Server) personalReport(rd store.Reader, m jifen.Member, month jifen.Period) *personalView {
	msg := s.bot.PersonalReportIn(rd, m, month)
	pv := &personalView{Title: msg.Title, Text: msg.Text}
	for _, f := range msg.Fields {
		pv.Fields = append(pv.Fields, [2]string{f.Label, f.Value})
	}
	return pv
}

// personalTrend is an employee's own points month by month this year.
func (s *Server) personalTrend(rd store.Reader, d *overviewData, m jifen.Member, month jifen.Period) {
	loc := rd.Location()
	year := jifen.PeriodOf(jifen.Year, month.Start, loc)
	var pts []int64
	var keys []string
	for t := year.Start; !t.After(month.Start); t = t.AddDate(0, 1, 0) {
		p := jifen.PeriodOf(jifen.Month, t, loc)
		keys = append(keys, p.Key)
		pts = append(pts, rd.Totals(m.ID, p).Net)
	}
	d.TrendTitle = s.t("admin.ov.my_trend", year.Key)
	d.TrendCols = []string{s.t("admin.ov.col.month"), s.t("admin.ov.col.points")}
	top := float64(slices.Max(pts))
	for i, p := range pts {
		d.Trend = append(d.Trend, trendRow{Month: keys[i], Value: fmt.Sprint(p), Width: barWidth(float64(p), top)})
	}
}

// pending counts the awards waiting for an admin's approval and the
// redemptions waiting for a decision: all of them for an admin, those of
// the department's members for a manager.
func (s *Server) pending(rd store.Reader, d *overviewData, v *Viewer) {
	inScope := func(id string) bool {
		if v.Member.Role == jifen.RoleAdmin {
			return true
		}
		m, ok := rd.Member(id)
		return ok && v.Member.Department != "" && m.Department == v.Member.Department
	}
	approvals := 0
	open, err := rd.OpenApprovals()
	if err != nil {
		s.log.Error("overview: open approvals failed", "err", err)
		d.Failed = true
	}
	for _, ap := range open {
		if inScope(ap.Giver) || slices.ContainsFunc(ap.Receivers, inScope) {
			approvals++
		}
	}
	redemptions := 0
	for _, r := range rd.Redemptions("", math.MaxInt) {
		if r.Status == store.RedemptionPending && inScope(r.Member) {
			redemptions++
		}
	}
	d.Pending = []countRow{{s.t("admin.ov.approvals"), approvals}, {s.t("admin.ov.redemptions"), redemptions}}
}

// openRounds lists the survey rounds still open (as /survey list tells
// them: not closed and not past their closing time), with how many of the
// audience answered (counts only, as /survey list shows them).
func (s *Server) openRounds(rd store.Reader, d *overviewData) {
	loc, now := rd.Location(), rd.Now()
	for _, r := range rd.Rounds("") {
		if !r.Open(now) { // closed, or past its closing time
			continue
		}
		rounds := rd.Rounds(r.Survey)
		i := slices.IndexFunc(rounds, func(x survey.Round) bool { return x.N == r.N })
		if i < 0 {
			continue
		}
		res := survey.TallyRounds(rounds, i, rd.Answers)
		d.Rounds = append(d.Rounds, roundRow{Title: fmt.Sprintf("%s #%d", r.Title, r.N), Closes: r.Closes.In(loc).Format("2006-01-02 15:04"),
			Responses: s.t("admin.ov.responses", res.Responses, res.Audience, res.Rate*100)})
	}
}
