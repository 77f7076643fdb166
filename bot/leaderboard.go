package bot

import (
	"fmt"
	"strings"
	"time"

	"jifen"
	"jifen/store"
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
			if !p.Begun(now) {
				// A board of a period to come would rank everyone at 0:
				// say so rather than show an empty or misleading board.
				return Response{}, jifen.Errorf(jifen.EINVALID, "err.leaderboard_not_begun", p.Key, now.In(loc).Format(time.DateOnly))
			}
			period = p
			continue
		}
		if _, ok := depts[a]; ok {
			dept = a
			continue
		}
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.leaderboard_arg", a, sortedKeys(depts))
	}
	msg := b.board(period, dept, leaderboardSize, nil)
	if msg.Table == nil {
		return Response{Reply: msg}, nil
	}
	if !req.Caller.Bot && req.Caller.ID != "" && (dept == "" || dept == req.Caller.Department) {
		r := b.st.RankOf(req.Caller.ID, period)
		rank, of := r.Rank, r.Of
		if dept != "" {
			rank, of = r.DeptRank, r.DeptOf
		}
		if r.Ranked() {
			msg.Footer = b.t("leaderboard.you", rank, of, r.Points)
		} else {
			msg.Footer = b.t("leaderboard.you_unranked", b.periodLabel(period))
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

// medal is a leaderboard's rank column: a medal for the first three ranks
// with points to show, the number otherwise. A medal never goes to 0 or
// less.
func medal(rank int, points int64) string {
	if points <= 0 {
		return fmt.Sprint(rank)
	}
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
// with their movement against the period before (↑3, ↓1, new). The
// previous rank is the member's rank among the members counted in the
// previous period, in the same scope, those at 0 included; a member not
// counted then (hired since) is new.
func (b *Bot) LeaderboardPost(p jifen.Period, dept string, top int) Message {
	prev := p.Previous(b.st.Location())
	msg := b.board(p, dept, top, func(s store.Standing) string {
		before := b.st.RankOf(s.Member.ID, prev)
		r := before.Rank
		if dept != "" {
			r = before.DeptRank
		}
		switch {
		case r == 0:
			return b.t("leaderboard.new")
		case r > s.Rank:
			return fmt.Sprintf("↑%d", r-s.Rank)
		case r < s.Rank:
			return fmt.Sprintf("↓%d", s.Rank-r)
		}
		return "—"
	})
	msg.Public = true
	if msg.Table != nil {
		msg.Footer = b.t("leaderboard.post_footer", prev.Key)
	}
	return msg
}

// board is a leaderboard message: the top members of a period, of everyone
// or of one department, as a table and a chart; movement, when given, adds
// a column.
func (b *Bot) board(p jifen.Period, dept string, top int, movement func(store.Standing) string) Message {
	title := b.t("leaderboard.title", b.periodLabel(p))
	if dept != "" {
		title = b.t("leaderboard.title_dept", b.periodLabel(p), dept)
	}
	msg := Message{Kind: "leaderboard", Title: title}
	list := b.st.Top(p, top, dept)
	if len(list) == 0 {
		msg.Text = []string{b.t("leaderboard.empty")}
		return msg
	}
	msg.Table = &Table{Columns: []string{b.t("col.rank"), b.t("col.name"), b.t("col.department"), b.t("col.points")}}
	if movement != nil {
		msg.Table.Columns = append(msg.Table.Columns, b.t("col.movement"))
	}
	msg.Chart = &Chart{Title: title}
	for _, s := range list {
		row := []string{medal(s.Rank, s.Points), s.Member.Name, s.Member.Department, fmt.Sprint(s.Points)}
		if movement != nil {
			row = append(row, movement(s))
		}
		msg.Table.Rows = append(msg.Table.Rows, row)
		msg.Chart.Labels = append(msg.Chart.Labels, s.Member.Name)
		msg.Chart.Values = append(msg.Chart.Values, float64(s.Points))
	}
	return msg
}
