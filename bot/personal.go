package bot

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"jifen"
	"jifen/store"
)

// feedback handles /feedback @a text (/反馈): a manager's written feedback
// to a member of their department (admins: anyone), stored for the
// member's personal report.
func (b *Bot) feedback(ctx context.Context, req Request, cmd Command) (Response, error) {
	if req.Caller.Role != jifen.RoleManager && req.Caller.Role != jifen.RoleAdmin {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.feedback_role")
	}
	mentions, rest := splitMentions(cmd.Args)
	if len(mentions) != 1 || len(rest) == 0 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.usage", b.t("usage.feedback"))
	}
	m, err := req.Resolve(mentions[0])
	if err != nil {
		return Response{}, err
	}
	switch {
	case m.Bot || m.ID == req.Caller.ID:
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.feedback_target", m.Name)
	case req.Caller.Role == jifen.RoleManager && m.Department != req.Caller.Department:
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.feedback_department", m.Name, req.Caller.Department)
	}
	text := strings.Join(rest, " ")
	if len([]rune(text)) > 1000 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.feedback_long", 1000)
	}
	if err := b.st.AddFeedback(ctx, req.Key, store.Feedback{Member: m.ID, From: req.Caller.ID, Text: text}); err != nil {
		return Response{}, err
	}
	return Response{Reply: Message{Kind: "info", Text: []string{b.t("feedback.saved", m.Name)}}}, nil
}

// PersonalReport is a member's private report of a period (个人月报): their
// points, rank in the department and among peers of the same role, the
// strongest and weakest category against the department's average, their
// manager's feedback, and a suggestion drawn from the weakest category.
// If the store cannot be read, the message is the internal error (logged);
// PersonalReportIn, in the caller's Read, leaves the error to the caller.
func (b *Bot) PersonalReport(m jifen.Member, p jifen.Period) Message {
	var msg Message
	err := b.st.Read(context.Background(), func(r store.Reader) error {
		msg = b.PersonalReportIn(r, m, p)
		return nil
	})
	if err != nil {
		return b.ErrorResponse(err).Reply
	}
	return msg
}

// PersonalReportIn is PersonalReport read from rd.
func (b *Bot) PersonalReportIn(rd store.Reader, m jifen.Member, p jifen.Period) Message {
	msg := Message{Kind: "score", Title: b.t("personal.title", p.Key, m.Name)}
	total := rd.Totals(m.ID, p).Net
	// Ranks come from the in-memory ranking board, among the members
	// counted in the period: a report for each of a thousand members must
	// not read the store a million times. Peers are the counted members of
	// the same role.
	r := rd.RankOf(m.ID, p)
	msg.Fields = []Field{
		{b.t("personal.points"), fmt.Sprint(total)},
		{b.t("personal.dept_rank", m.Department), fmt.Sprintf("%s / %d", rankText(r.DeptRank), r.DeptOf)},
		{b.t("personal.peer_rank", m.Role), fmt.Sprintf("%s / %d", rankText(r.RoleRank), r.RoleOf)},
		{b.t("field.balance"), fmt.Sprint(rd.Balance(m.ID))},
	}
	mine := rd.Categories(m.ID, p)
	avg := rd.DepartmentAverages(p, m.Department)
	strong, weak := "", ""
	best, worst := math.Inf(-1), math.Inf(1)
	for _, c := range b.cat.Categories {
		d := float64(mine[c.ID].Net) - avg[c.ID]
		if d > best {
			best, strong = d, c.Name
		}
		if d < worst {
			worst, weak = d, c.Name
		}
	}
	// Only what stands out: above or below the department's average.
	if strong != "" && best > 0 {
		msg.Text = append(msg.Text, b.t("personal.strongest", strong, fmt.Sprintf("%+.1f", best)))
	}
	if weak != "" && worst < 0 {
		msg.Text = append(msg.Text, b.t("personal.weakest", weak, fmt.Sprintf("%+.1f", worst)), b.t("personal.suggestion", weak))
	}
	for _, f := range rd.FeedbackIn(m.ID, p) {
		msg.Text = append(msg.Text, b.t("personal.feedback", memberName(rd, f.From), f.Text))
	}
	return msg
}

// Reminders are the scheduled nudges: each manager who has used less than
// half of this period's allowance is told what is left, and admins are told
// about approvals waiting for more than a day.
func (b *Bot) Reminders() ([]Notice, error) {
	var out []Notice
	err := b.st.Read(context.Background(), func(r store.Reader) error {
		var err error
		out, err = b.reminders(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reminders are the Reminders, read from r.
func (b *Bot) reminders(r store.Reader) ([]Notice, error) {
	now, loc := r.Now(), r.Location()
	open, err := r.OpenApprovals()
	if err != nil {
		return nil, err
	}
	var out []Notice
	for _, m := range r.Members() {
		a, ok := b.cat.Allowances[m.Role]
		if m.Bot || !ok || m.Role != jifen.RoleManager {
			continue
		}
		p := jifen.PeriodOf(a.Period, now, loc)
		budget := a.Budget(r.DepartmentSize(m.Department))
		used := r.GiverUsed(m.ID, "award", p)
		for _, ap := range open { // points held by pending approvals count as used
			if ap.Giver == m.ID && p.Contains(ap.CreatedAt) {
				used += ap.Points * int64(len(ap.Receivers))
			}
		}
		if budget > 0 && used*2 < budget {
			out = append(out, Notice{To: m.ID, Message: Message{Kind: "info",
				Text: []string{b.t("reminder.allowance", budget-used, budget, b.periodLabel(p, now), p.End.In(loc).AddDate(0, 0, -1).Format("01-02"))}}})
		}
	}
	var stale []string
	for _, ap := range open {
		if now.Sub(ap.CreatedAt) > 24*time.Hour {
			stale = append(stale, fmt.Sprintf("A%d", ap.ID))
		}
	}
	if len(stale) > 0 {
		for _, adm := range admins(r) {
			out = append(out, Notice{To: adm.ID, Message: Message{Kind: "approval",
				Text: []string{b.t("reminder.approvals", len(stale), stale)}}})
		}
	}
	return out, nil
}
