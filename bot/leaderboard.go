package bot

import (
	"fmt"
	"strings"

	"jifen"
)

// leaderboardSize is how many members a leaderboard lists.
const leaderboardSize = 10

var periodWords = map[string]jifen.PeriodKind{
	"week": jifen.Week, "周": jifen.Week, "本周": jifen.Week,
	"month": jifen.Month, "月": jifen.Month, "本月": jifen.Month,
	"quarter": jifen.Quarter, "季度": jifen.Quarter, "本季度": jifen.Quarter, "季": jifen.Quarter,
	"year": jifen.Year, "年": jifen.Year, "本年": jifen.Year, "今年": jifen.Year, "年度": jifen.Year,
	"all": jifen.AllTime, "累计": jifen.AllTime, "总": jifen.AllTime, "总榜": jifen.AllTime,
}

// leaderboard handles /leaderboard [week|month|quarter|year|all|2026-10] [department].
func (b *Bot) leaderboard(req Request, cmd Command) (Response, error) {
	now, loc := b.now(), b.st.Location()
	period := jifen.PeriodOf(jifen.Month, now, loc)
	dept := ""
	depts := b.st.Departments()
	for _, a := range cmd.Args {
		if k, ok := periodWords[strings.ToLower(a)]; ok {
			period = jifen.PeriodOf(k, now, loc)
			continue
		}
		if p, err := jifen.ParsePeriod(a, loc); err == nil {
			period = p
			continue
		}
		if _, ok := depts[a]; ok {
			dept = a
			continue
		}
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.leaderboard_arg", a, sortedKeys(depts))
	}
	top := b.st.Top(period, leaderboardSize, dept)
	title := b.t("leaderboard.title", b.periodLabel(period))
	if dept != "" {
		title = b.t("leaderboard.title_dept", b.periodLabel(period), dept)
	}
	msg := Message{Kind: "leaderboard", Title: title}
	if len(top) == 0 {
		msg.Text = []string{b.t("leaderboard.empty")}
		return Response{Reply: msg}, nil
	}
	msg.Table = &Table{Columns: []string{b.t("col.rank"), b.t("col.name"), b.t("col.department"), b.t("col.points")}}
	msg.Chart = &Chart{Title: title}
	for _, s := range top {
		msg.Table.Rows = append(msg.Table.Rows, []string{medal(s.Rank), s.Member.Name, s.Member.Department, fmt.Sprint(s.Points)})
		msg.Chart.Labels = append(msg.Chart.Labels, s.Member.Name)
		msg.Chart.Values = append(msg.Chart.Values, float64(s.Points))
	}
	if !req.Caller.Bot && req.Caller.ID != "" {
		r := b.st.RankOf(req.Caller.ID, period)
		if dept == "" {
			msg.Footer = b.t("leaderboard.you", r.Rank, r.Of, r.Points)
		} else if dept == req.Caller.Department {
			msg.Footer = b.t("leaderboard.you", r.DeptRank, r.DeptOf, r.Points)
		}
	}
	return Response{Reply: msg}, nil
}

// periodLabel names a period for a title: 本月（2026-11）, or the key for
// a past period.
func (b *Bot) periodLabel(p jifen.Period) string {
	if p.Kind == jifen.AllTime {
		return b.t("period.all")
	}
	if p.Contains(b.now()) {
		return b.t("period.current", p.Kind, p.Key)
	}
	return p.Key
}

func medal(rank int) string {
	switch rank {
	case 1:
		return "🥇"
	case 2:
		return "🥈"
	case 3:
		return "🥉"
	}
	return fmt.Sprint(rank)
}

// LeaderboardPost is the public leaderboard (公示) of a period, for the
// scheduled post: the top members of everyone or of one department, each
// with their movement against the period before (↑3, ↓1, new).
func (b *Bot) LeaderboardPost(p jifen.Period, dept string, top int) Message {
	loc := b.st.Location()
	prev := p.Previous(loc)
	title := b.t("leaderboard.title", b.periodLabel(p))
	if dept != "" {
		title = b.t("leaderboard.title_dept", b.periodLabel(p), dept)
	}
	msg := Message{Kind: "leaderboard", Title: title, Public: true}
	list := b.st.Top(p, top, dept)
	if len(list) == 0 {
		msg.Text = []string{b.t("leaderboard.empty")}
		return msg
	}
	// The previous ranks, within the same scope.
	before := map[string]int{}
	for _, s := range b.st.Top(prev, 1<<30, dept) {
		before[s.Member.ID] = s.Rank
	}
	msg.Table = &Table{Columns: []string{b.t("col.rank"), b.t("col.name"), b.t("col.department"), b.t("col.points"), b.t("col.movement")}}
	msg.Chart = &Chart{Title: title}
	for _, s := range list {
		move := b.t("leaderboard.new")
		if r, ok := before[s.Member.ID]; ok {
			switch {
			case r > s.Rank:
				move = fmt.Sprintf("↑%d", r-s.Rank)
			case r < s.Rank:
				move = fmt.Sprintf("↓%d", s.Rank-r)
			default:
				move = "—"
			}
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{medal(s.Rank), s.Member.Name, s.Member.Department, fmt.Sprint(s.Points), move})
		msg.Chart.Labels = append(msg.Chart.Labels, s.Member.Name)
		msg.Chart.Values = append(msg.Chart.Values, float64(s.Points))
	}
	msg.Footer = b.t("leaderboard.post_footer", prev.Key)
	return msg
}
