package bot

import (
	"context"
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
func (b *Bot) leaderboard(ctx context.Context, req Request, cmd Command) (Response, error) {
	var msg Message
	err := b.st.Read(ctx, func(r store.Reader) error {
		var err error
		msg, err = b.leaderboardMessage(r, req, cmd)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// leaderboardMessage is /leaderboard's reply, read from rd.
func (b *Bot) leaderboardMessage(rd store.Reader, req Request, cmd Command) (Message, error) {
	now, loc := rd.Now(), rd.Location()
	period := jifen.PeriodOf(jifen.Month, now, loc)
	dept := ""
	depts := rd.Departments()
	for _, a := range cmd.Args {
		if k, ok := periodWords[strings.ToLower(a)]; ok {
			period = jifen.PeriodOf(k, now, loc)
			continue
		}
		if p, err := jifen.ParsePeriod(a, loc); err == nil {
			if !p.Begun(now) {
				// A board of a period to come would rank everyone at 0:
				// say so rather than show an empty or misleading board.
				return Message{}, jifen.Errorf(jifen.EINVALID, "err.leaderboard_not_begun", p.Key, now.In(loc).Format(time.DateOnly))
			}
			period = p
			continue
		}
		if _, ok := depts[a]; ok {
			dept = a
			continue
		}
		return Message{}, jifen.Errorf(jifen.EINVALID, "err.leaderboard_arg", a, sortedKeys(depts))
	}
	msg := b.board(rd, period, dept, leaderboardSize, nil)
	if msg.Table == nil {
		return msg, nil
	}
	if !req.Caller.Bot && req.Caller.ID != "" && (dept == "" || dept == req.Caller.Department) {
		r := rd.RankOf(req.Caller.ID, period)
		rank, of := r.Rank, r.Of
		if dept != "" {
			rank, of = r.DeptRank, r.DeptOf
		}
		if r.Ranked() {
			msg.Footer = b.t("leaderboard.you", rank, of, r.Points)
		} else {
			msg.Footer = b.t("leaderboard.you_unranked", b.periodLabel(period, now))
		}
	}
	return msg, nil
}

// periodLabel names a period for a title: 本月（2026-11）, or the key for
// a past period.
func (b *Bot) periodLabel(p jifen.Period, now time.Time) string {
	if p.Kind == jifen.AllTime {
		return b.t("period.all")
	}
	if p.Contains(now) {
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
// counted then (hired since) is new. If the store cannot be read, the
// message is the internal error (logged); LeaderboardPostIn, in the
// caller's Read, leaves the error to the caller.
func (b *Bot) LeaderboardPost(p jifen.Period, dept string, top int) Message {
	var msg Message
	err := b.st.Read(context.Background(), func(r store.Reader) error {
		msg = b.LeaderboardPostIn(r, p, dept, top)
		return nil
	})
	if err != nil {
		return b.ErrorResponse(err).Reply
	}
	return msg
}

// LeaderboardPostIn is LeaderboardPost read from r.
func (b *Bot) LeaderboardPostIn(r store.Reader, p jifen.Period, dept string, top int) Message {
	prev := p.Previous(r.Location())
	msg := b.board(r, p, dept, top, func(s store.Standing) string {
		before := r.RankOf(s.Member.ID, prev)
		was := before.Rank
		if dept != "" {
			was = before.DeptRank
		}
		switch {
		case was == 0:
			return b.t("leaderboard.new")
		case was > s.Rank:
			return fmt.Sprintf("↑%d", was-s.Rank)
		case was < s.Rank:
			return fmt.Sprintf("↓%d", s.Rank-was)
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
func (b *Bot) board(r store.Reader, p jifen.Period, dept string, top int, movement func(store.Standing) string) Message {
	label := b.periodLabel(p, r.Now())
	title := b.t("leaderboard.title", label)
	if dept != "" {
		title = b.t("leaderboard.title_dept", label, dept)
	}
	msg := Message{Kind: "leaderboard", Title: title}
	list := r.Top(p, top, dept)
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
