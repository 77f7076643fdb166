package bot

import (
	"context"
	"fmt"
	"math"

	"jifen"
	"jifen/store"
)

// score handles /score [@a]: balance, this week/month/quarter/year, the
// month's rank overall and in the department, and the category breakdown
// against the department average with the weakest category named. Whose
// score a caller may see is the configured policy (Options.ScoreVisibility);
// anyone else's is refused before a figure is read.
func (b *Bot) score(ctx context.Context, req Request, cmd Command) (Response, error) {
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
	var msg Message
	err := b.st.Read(ctx, func(r store.Reader) error {
		msg = b.scoreMessage(r, target)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// scoreMessage is /score's reply for target, read from rd.
func (b *Bot) scoreMessage(rd store.Reader, target jifen.Member) Message {
	now, loc := rd.Now(), rd.Location()
	period := func(k jifen.PeriodKind) jifen.Period { return jifen.PeriodOf(k, now, loc) }
	month := period(jifen.Month)
	all := period(jifen.AllTime)
	earned := rd.Totals(target.ID, all)
	msg := Message{
		Kind:  "score",
		Title: b.t("score.title", target.Name),
		Fields: []Field{
			{b.t("score.balance"), fmt.Sprint(earned.Net - rd.Spent(target.ID, all))},
			{b.t("score.earned"), fmt.Sprint(earned.Net)},
			{b.t("period.week"), fmt.Sprint(rd.Totals(target.ID, period(jifen.Week)).Net)},
			{b.t("period.month"), fmt.Sprint(rd.Totals(target.ID, month).Net)},
			{b.t("period.quarter"), fmt.Sprint(rd.Totals(target.ID, period(jifen.Quarter)).Net)},
			{b.t("period.year"), fmt.Sprint(rd.Totals(target.ID, period(jifen.Year)).Net)},
		},
	}
	r := rd.RankOf(target.ID, month)
	dept := target.Department
	if dept == "" {
		dept = b.t("score.no_department")
	}
	msg.Text = append(msg.Text, b.t("score.rank", month.Key, rankText(r.Rank), r.Of, dept, rankText(r.DeptRank), r.DeptOf))
	mine := rd.Categories(target.ID, month)
	avg := rd.DepartmentAverages(month, target.Department)
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
	return msg
}

// rankText shows a rank, or "—" for a member with none: one not counted in
// the period (not yet hired, or gone) is never given a number.
func rankText(rank int) string {
	if rank <= 0 {
		return "—"
	}
	return fmt.Sprint(rank)
}
