package bot

import (
	"context"
	"fmt"
	"strings"

	"jifen"
	"jifen/report"
	"jifen/store"
	"jifen/survey"
)

// report handles /report [period] (/小结): the key figures of the period
// summary as a digest, for admins and managers (it names people at the
// bottom of their groups). The default is the month that just ended, if
// the ledger holds entries in or before it; otherwise (a new install) the
// current month as of now. A period that has not begun is refused.
func (b *Bot) report(ctx context.Context, req Request, cmd Command) (Response, error) {
	if req.Caller.Role != jifen.RoleAdmin && req.Caller.Role != jifen.RoleManager {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.report_role")
	}
	loc, now := b.st.Location(), b.now()
	current := jifen.PeriodOf(jifen.Month, now, loc)
	p := current.Previous(loc)
	if len(cmd.Args) > 0 {
		var err error
		if p, err = jifen.ParsePeriod(cmd.Args[0], loc); err != nil {
			return Response{}, jifen.Errorf(jifen.EINVALID, "err.report_period", cmd.Args[0])
		}
		if err := report.CheckPeriod(p, now); err != nil {
			return Response{}, err
		}
	}
	var s *report.Summary
	err := b.st.Read(ctx, func(r store.Reader) error {
		var err error
		if s, err = report.AnalyzeSource(r, p, b.cat, b.t); err != nil {
			return err
		}
		if len(cmd.Args) == 0 && (s.FirstEntry.IsZero() || !s.FirstEntry.Before(p.End)) {
			s, err = report.AnalyzeSource(r, current, b.cat, b.t)
		}
		return err
	})
	if err != nil {
		return Response{}, err
	}
	msg := Digest(s, b.t)
	if b.reportLink != nil {
		link := b.reportLink(s.Period)
		msg.Footer = b.t("digest.link", link)
		msg.Buttons = []Button{{Label: b.t("digest.open"), URL: link}}
	}
	return Response{Reply: msg}, nil
}

// Digest is the summary's key figures as a message: for /report and for
// the scheduled digest.
func Digest(s *report.Summary, t func(string, ...any) string) Message {
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }
	change := "—"
	if c := s.Points.Change; c != nil {
		change = fmt.Sprintf("%+.1f%%", *c*100)
	} else if !s.Comparison.Comparable {
		change = t("digest.not_comparable")
	}
	msg := Message{Kind: "report", Title: t("digest.title", s.Period)}
	if !s.Complete {
		msg.Title = t("digest.title_current", s.Period, s.AsOf.Format("2006-01-02"))
	}
	msg.Fields = []Field{
		{t("digest.net"), t("digest.net_value", s.Points.Net, change)},
		{t("digest.participation"), pct(s.Distribution.Participation)},
		{t("digest.average"), fmt.Sprintf("%.1f", s.Distribution.Average)},
		{t("digest.spent"), fmt.Sprint(s.Points.Spent)},
	}
	// Every configured target is accounted for: met of those decided,
	// and how many lack the data to decide.
	met, decided, insufficient := 0, 0, 0
	for _, tg := range s.Targets {
		switch tg.Status {
		case report.StatusMet:
			met++
			decided++
		case report.StatusMissed:
			decided++
		default:
			insufficient++
		}
	}
	switch {
	case len(s.Targets) == 0:
	case insufficient == 0:
		msg.Fields = append(msg.Fields, Field{t("digest.targets"), t("digest.targets_value", met, decided)})
	case decided == 0:
		msg.Fields = append(msg.Fields, Field{t("digest.targets"), t("digest.targets_no_data", insufficient)})
	default:
		msg.Fields = append(msg.Fields, Field{t("digest.targets"), t("digest.targets_partial", met, decided, insufficient)})
	}
	var best *report.Department
	for i, d := range s.Departments {
		if best == nil || d.Average > best.Average {
			best = &s.Departments[i]
		}
	}
	if best != nil {
		msg.Fields = append(msg.Fields, Field{t("digest.best_department"), t("digest.best_department_value", best.Name, best.Average)})
	}
	if r := s.Ratings; r != nil && r.Spearman != nil {
		msg.Fields = append(msg.Fields, Field{t("digest.correlation"), fmt.Sprintf("%.2f", *r.Spearman)})
	}
	// Employee feedback: each survey's latest round in the period.
	for i, r := range s.Surveys {
		if i+1 < len(s.Surveys) && s.Surveys[i+1].Survey == r.Survey {
			continue
		}
		parts := []string{t("digest.survey_rate", r.Responses, r.Audience, pct(r.Rate))}
		for _, it := range r.Items {
			if v := it.Score(); v != nil && (it.Kind == survey.Likert || it.Kind == survey.NPS) {
				f := fmt.Sprintf("%s %.1f", clipRunes(it.Text, 6), *v)
				if it.Kind == survey.NPS {
					f = fmt.Sprintf("NPS %+.0f", *v)
				}
				parts = append(parts, f)
			}
		}
		msg.Fields = append(msg.Fields, Field{r.Title, strings.Join(parts, " · ")})
	}
	for i, sg := range s.Suggestions {
		if i == 3 {
			break
		}
		msg.Text = append(msg.Text, fmt.Sprintf("%d. %s", i+1, sg.Text))
	}
	if len(msg.Text) > 0 {
		msg.Text = append([]string{t("digest.suggestions")}, msg.Text...)
	}
	msg.Footer = t("digest.footer", s.Period)
	return msg
}
