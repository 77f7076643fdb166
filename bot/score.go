package bot

import (
	"fmt"
	"math"

	"jifen"
)

// score handles /score [@a]: balance, this week/month/quarter/year, the
// month's rank overall and in the department, and the category breakdown
// against the department average with the weakest category named. Whose
// score a caller may see is the configured policy (Options.ScoreVisibility);
// anyone else's is refused before a figure is read.
func (b *Bot) score(req Request, cmd Command) (Response, error) {
	target := req.Caller
	if len(cmd.Args) > 0 {
		if !isMention(cmd.Args[0]) {
			return Response{}, jifen.Errorf(jifen.EINVALID, "err.usage", b.t("usage.score"))
		}
		m, err := req.Resolve(cmd.Args[0])
		if err != nil {
			return Response{}, err
		}
		target = m
	}
	if !b.scores.MaySee(req.Caller, target) {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.score_private", target.Name, req.Caller.Role,
			b.t("visibility."+string(b.scores.Of(req.Caller.Role))))
	}
	now, loc := b.now(), b.st.Location()
	period := func(k jifen.PeriodKind) jifen.Period { return jifen.PeriodOf(k, now, loc) }
	month := period(jifen.Month)
	all := period(jifen.AllTime)
	earned := b.st.Totals(target.ID, all)
	msg := Message{
		Kind:  "score",
		Title: b.t("score.title", target.Name),
		Fields: []Field{
			{b.t("score.balance"), fmt.Sprint(earned.Net - b.st.Spent(target.ID, all))},
			{b.t("score.earned"), fmt.Sprint(earned.Net)},
			{b.t("period.week"), fmt.Sprint(b.st.Totals(target.ID, period(jifen.Week)).Net)},
			{b.t("period.month"), fmt.Sprint(b.st.Totals(target.ID, month).Net)},
			{b.t("period.quarter"), fmt.Sprint(b.st.Totals(target.ID, period(jifen.Quarter)).Net)},
			{b.t("period.year"), fmt.Sprint(b.st.Totals(target.ID, period(jifen.Year)).Net)},
		},
	}
	r := b.st.RankOf(target.ID, month)
	dept := target.Department
	if dept == "" {
		dept = b.t("score.no_department")
	}
	msg.Text = append(msg.Text, b.t("score.rank", month.Key, rankText(r.Rank), r.Of, dept, rankText(r.DeptRank), r.DeptOf))
	mine := b.st.Categories(target.ID, month)
	avg := b.st.DepartmentAverages(month, target.Department)
	table := &Table{Columns: []string{b.t("col.category"), b.t("col.mine"), b.t("col.dept_avg")}}
	weakest, gap := "", math.Inf(1)
	for _, c := range b.cat.Categories {
		d := float64(mine[c.ID].Net) - avg[c.ID]
		table.Rows = append(table.Rows, []string{c.Name, fmt.Sprint(mine[c.ID].Net), fmt.Sprintf("%.1f", avg[c.ID])})
		if d < gap {
			weakest, gap = c.Name, d
		}
	}
	msg.Table = table
	if weakest != "" {
		if gap < 0 {
			msg.Text = append(msg.Text, b.t("score.weakest", weakest, fmt.Sprintf("%.1f", -gap)))
		} else {
			msg.Text = append(msg.Text, b.t("score.weakest_even", weakest))
		}
	}
	return Response{Reply: msg}, nil
}

// rankText shows a rank, or "—" for a member with none: one not counted in
// the period (not yet hired, or gone) is never given a number.
func rankText(rank int) string {
	if rank <= 0 {
		return "—"
	}
	return fmt.Sprint(rank)
}
