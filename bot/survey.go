package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/store"
	"jifen/survey"
)

// Surveys: an admin (or a schedule) starts a round of a configured survey;
// each member of its audience gets a card with a row of buttons per
// question; a click saves the answer at once and shows the card again with
// the answer marked. Answering again replaces the answer. The round closes
// at its time (or by /survey close), after which the buttons say so.
//
//	/survey                  my open surveys, as cards
//	/survey ID               the open round of survey ID, as a card
//	/survey start ID         (admin) start a round
//	/survey close ID         (admin) close the open round now
//	/survey results ID [N]   (admin) results of round N (default: the latest)
//	/survey list             (admin) surveys and their rounds
//	/survey answer ROUND Q V what the buttons run

// survey handles /survey.
func (b *Bot) survey(ctx context.Context, req Request, cmd Command) (Response, error) {
	if len(cmd.Args) == 0 {
		return b.mySurveys(ctx, req)
	}
	sub, rest := strings.ToLower(cmd.Args[0]), cmd.Args[1:]
	admin := map[string]string{"start": "start", "发起": "start", "开始": "start", "close": "close", "结束": "close", "关闭": "close",
		"results": "results", "result": "results", "结果": "results", "list": "list", "列表": "list"}[sub]
	switch {
	case sub == "answer" || sub == "回答":
		return b.answerSurvey(ctx, req, rest)
	case admin == "list":
		if err := b.surveyAdmin(req, "/survey list"); err != nil {
			return Response{}, err
		}
		return b.listSurveys(ctx)
	case admin != "":
		if err := b.surveyAdmin(req, "/survey "+admin); err != nil {
			return Response{}, err
		}
		s, err := b.surveyArg(rest)
		if err != nil {
			return Response{}, err
		}
		switch admin {
		case "start":
			return b.StartSurvey(ctx, s.ID, req.Key)
		case "close":
			return b.closeSurvey(ctx, s)
		}
		n := 0
		if len(rest) > 1 {
			if n, err = strconv.Atoi(strings.TrimLeft(rest[1], "#")); err != nil || n < 1 {
				return Response{}, jifen.Errorf(jifen.EINVALID, "err.survey_no_round", s.ID, rest[1])
			}
		}
		res, err := b.surveyResults(ctx, s.ID, n)
		if err != nil {
			return Response{}, err
		}
		return Response{Reply: b.ResultsMessage(res)}, nil
	}
	s, err := b.surveyArg(cmd.Args)
	if err != nil {
		return Response{}, err
	}
	var card Message
	err = b.st.Read(ctx, func(rd store.Reader) error {
		r, ok := openRound(rd, s.ID)
		if !ok || !r.Asked(req.Caller.ID) {
			return jifen.Errorf(jifen.ENOTFOUND, "err.survey_not_open", s.Title)
		}
		card = b.memberCard(rd, &r, req.Caller.ID)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: card}, nil
}

// memberCard is the card of an open round for member, with their answer
// so far, or, if they answered an anonymous round before the bot
// restarted, the note that it is recorded and can no longer be changed.
func (b *Bot) memberCard(rd store.Reader, r *survey.Round, member string) Message {
	if rd.Locked(r, member) {
		return Message{Kind: "survey", Title: r.Title, Text: []string{b.t("survey.locked")},
			Footer: b.t("survey.footer", b.when(r.Closes), len(r.Questions), len(r.Questions))}
	}
	return b.SurveyCard(r, rd.AnswerOf(r, member), "")
}

func (b *Bot) surveyAdmin(req Request, what string) error {
	if req.Caller.Role != jifen.RoleAdmin {
		return jifen.Errorf(jifen.EFORBIDDEN, "err.admin_only", what)
	}
	return nil
}

// surveyArg finds the survey named by the first argument.
func (b *Bot) surveyArg(args []string) (*survey.Survey, error) {
	if len(args) == 0 {
		return nil, jifen.Errorf(jifen.EINVALID, "err.survey_required", b.surveyIDs())
	}
	if s := b.surveyDef(strings.ToLower(args[0])); s != nil {
		return s, nil
	}
	return nil, jifen.Errorf(jifen.ENOTFOUND, "err.survey_unknown", args[0], b.surveyIDs())
}

func (b *Bot) surveyDef(id string) *survey.Survey {
	for i := range b.surveys {
		if b.surveys[i].ID == id {
			return &b.surveys[i]
		}
	}
	return nil
}

func (b *Bot) surveyIDs() []string {
	ids := make([]string, len(b.surveys))
	for i, s := range b.surveys {
		ids[i] = s.ID
	}
	return ids
}

// openRound is the survey's latest round if it still takes answers.
func openRound(rd store.Reader, id string) (survey.Round, bool) {
	rs := rd.Rounds(id)
	if len(rs) == 0 {
		return survey.Round{}, false
	}
	r := rs[len(rs)-1]
	return r, r.Open(rd.Now())
}

// mySurveys shows the caller the open rounds they were asked, newest
// first; the card of the newest.
func (b *Bot) mySurveys(ctx context.Context, req Request) (Response, error) {
	var msg Message
	err := b.st.Read(ctx, func(rd store.Reader) error {
		var open []survey.Round
		for _, r := range rd.Rounds("") {
			if r.Open(rd.Now()) && r.Asked(req.Caller.ID) {
				open = append(open, r)
			}
		}
		if len(open) == 0 {
			msg = Message{Kind: "survey", Text: []string{b.t("survey.none_open")}}
			return nil
		}
		last := open[len(open)-1]
		msg = b.memberCard(rd, &last, req.Caller.ID)
		for _, r := range open[:len(open)-1] {
			msg.Text = append(msg.Text, b.t("survey.also_open", r.Title, r.Survey))
		}
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// StartSurvey starts a round of survey id and returns the admin's reply
// with the survey card for each member of the audience as notices. key
// makes a retried delivery start nothing more (and send no cards again).
func (b *Bot) StartSurvey(ctx context.Context, id, key string) (Response, error) {
	s := b.surveyDef(id)
	if s == nil {
		return Response{}, jifen.Errorf(jifen.ENOTFOUND, "err.survey_unknown", id, b.surveyIDs())
	}
	// The audience is who works here on the day the round starts: not
	// those who have left, nor those who have not joined yet.
	// The directory is not on the transaction: it is read just before.
	var audience []jifen.Member
	err := b.st.Read(ctx, func(r store.Reader) error {
		now, loc := r.Now(), r.Location()
		for _, m := range r.Members() {
			if s.Audience.Includes(m) && m.EmployedOn(now, loc) {
				audience = append(audience, m)
			}
		}
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	var r survey.Round
	raw, replay, err := b.st.Write(ctx, key, func(tx store.Txn) ([]byte, error) {
		now := tx.Now()
		r = survey.Round{Survey: s.ID, Title: s.Title, Intro: s.Intro, Questions: s.Questions, Anonymous: s.Anonymous,
			MinGroup: s.MinGroup, Started: now, Closes: now.Add(s.OpenFor)}
		r.SetAudience(audience)
		if s.RemindAfter > 0 {
			r.RemindAt = now.Add(s.RemindAfter)
		}
		if len(r.Audience) == 0 {
			return nil, jifen.Errorf(jifen.EINVALID, "err.survey_no_audience", s.ID)
		}
		if err := tx.StartRound(&r); err != nil {
			return nil, err
		}
		// The cards are queued with the round: a round is never started
		// without them, nor a card sent for a round that was not.
		if err := b.queue(tx, key, b.surveyCards(&r)); err != nil {
			return nil, err
		}
		return json.Marshal(Response{Reply: Message{Kind: "survey", Title: s.Title, Text: []string{
			b.t("survey.started", r.ID(), len(r.Audience), b.when(r.Closes))}}})
	})
	if err != nil {
		return Response{}, err
	}
	var resp Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return Response{}, err
	}
	if replay {
		return resp, nil
	}
	// The cards are not kept with the idempotency key (they would be a
	// card per member), only in the outbox; the response lists them for
	// a console, which has no outbox.
	resp.Notices = b.surveyCards(&r)
	return resp, nil
}

// surveyCards is the card of round r for each member of its audience.
func (b *Bot) surveyCards(r *survey.Round) []Notice {
	ns := make([]Notice, 0, len(r.Audience))
	for _, id := range r.Audience {
		ns = append(ns, Notice{To: id, Message: b.SurveyCard(r, survey.Answer{}, "")})
	}
	return ns
}

// answerSurvey handles "/survey answer ROUND QUESTION VALUE…" (what the
// card's buttons run). The answer is saved at once; the reply is the card
// again with the answer marked, which the platforms put in place of the
// card clicked. An answer is an overwrite, so a redelivered click changes
// nothing; it is therefore written without an idempotency record, which
// for an anonymous survey would keep the answer next to the delivery.
func (b *Bot) answerSurvey(ctx context.Context, req Request, args []string) (Response, error) {
	if len(args) < 3 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.survey_answer_usage")
	}
	sid, n, ok := survey.ParseRoundID(args[0])
	if !ok {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.survey_answer_usage")
	}
	var card Message
	_, _, err := b.st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		r, ok := tx.Round(sid, n)
		if !ok || !r.Asked(req.Caller.ID) {
			return nil, jifen.Errorf(jifen.ENOTFOUND, "err.survey_not_asked", args[0])
		}
		if !r.Open(tx.Now()) {
			card = b.closedCard(&r)
			return nil, nil
		}
		q := r.Question(args[1])
		if q == nil {
			return nil, jifen.Errorf(jifen.EINVALID, "err.survey_no_question", args[1], r.ID())
		}
		a := tx.AnswerOf(&r, req.Caller.ID)
		if err := a.Apply(q, strings.Join(args[2:], " ")); err != nil {
			return nil, err
		}
		if err := tx.PutAnswer(&r, req.Caller, a); err != nil {
			return nil, err
		}
		note := b.t("survey.saved")
		if a.Answered() == len(r.Questions) {
			note = b.t("survey.complete")
		}
		card = b.SurveyCard(&r, a, note)
		return nil, nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: card}, nil
}

// closedCard is what a card becomes once its round has closed.
func (b *Bot) closedCard(r *survey.Round) Message {
	return Message{Kind: "survey", Title: r.Title, Text: []string{b.t("survey.closed", b.when(r.ClosedAt()))}}
}

// SurveyCard is the card a member answers: the intro, whether it is
// anonymous, the deadline, then a block per question with its buttons,
// the member's current answer marked (primary) and noted.
func (b *Bot) SurveyCard(r *survey.Round, a survey.Answer, note string) Message {
	msg := Message{Kind: "survey", Title: r.Title}
	if note != "" {
		msg.Text = append(msg.Text, note)
	}
	if r.Intro != "" {
		msg.Text = append(msg.Text, r.Intro)
	}
	privacy := b.t("survey.named")
	if r.Anonymous {
		privacy = b.t("survey.anonymous")
	}
	msg.Text = append(msg.Text, privacy)
	id := r.ID()
	for i, q := range r.Questions {
		blk := Block{Text: fmt.Sprintf("%d. %s", i+1, q.Text)}
		cur := a.Values[q.ID]
		cmd := func(v string) string { return fmt.Sprintf("/survey answer %s %s %s", id, q.ID, v) }
		switch q.Kind {
		case survey.Likert, survey.NPS:
			lo, hi := 1, 5
			if q.Kind == survey.NPS {
				lo, hi = 0, 10
			}
			for v := lo; v <= hi; v++ {
				s := strconv.Itoa(v)
				bt := Button{Label: s, ActionID: ActionCommand, Value: cmd(s)}
				if a.Value(q.ID) == s {
					bt.Style = "primary"
				}
				blk.Buttons = append(blk.Buttons, bt)
			}
		case survey.Single, survey.Multiple:
			for j, c := range q.Choices {
				v, chosen := strconv.Itoa(j+1), false
				for _, x := range cur {
					chosen = chosen || x == c
				}
				if q.Kind == survey.Multiple {
					// The button says what it will do, so a redelivered
					// click cannot undo itself.
					if chosen {
						v = "-" + v
					} else {
						v = "+" + v
					}
				}
				bt := Button{Label: c, ActionID: ActionCommand, Value: cmd(v)}
				if chosen {
					bt.Style = "primary"
				}
				blk.Buttons = append(blk.Buttons, bt)
			}
		case survey.Text:
			label := b.t("survey.write")
			if len(cur) > 0 {
				label = b.t("survey.rewrite")
			}
			blk.Buttons = []Button{{Label: label, ActionID: ActionCommand, Value: fmt.Sprintf("/survey answer %s %s", id, q.ID), Ask: q.Text}}
		}
		if len(cur) > 0 {
			blk.Note = b.t("survey.your_answer", clipRunes(strings.Join(cur, b.t("list.sep")), 200))
		}
		msg.Blocks = append(msg.Blocks, blk)
	}
	msg.Footer = b.t("survey.footer", b.when(r.Closes), a.Answered(), len(r.Questions))
	return msg
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// when formats a time in the configured zone.
func (b *Bot) when(t time.Time) string { return t.In(b.st.Location()).Format("2006-01-02 15:04") }

// closeSurvey closes a survey's open round now and shows its results.
func (b *Bot) closeSurvey(ctx context.Context, s *survey.Survey) (Response, error) {
	var closed survey.Round
	_, _, err := b.st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		r, ok := tx.LastRound(s.ID)
		if !ok || !r.Closed.IsZero() {
			return nil, jifen.Errorf(jifen.ENOTFOUND, "err.survey_not_open", s.Title)
		}
		closed = r
		return nil, tx.CloseRound(&closed)
	})
	if err != nil {
		return Response{}, err
	}
	b.scrubAfterClose(ctx, &closed)
	res, err := b.surveyResults(ctx, s.ID, closed.N)
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: b.ResultsMessage(res)}, nil
}

// SurveyResults tallies round n of a survey (0: the latest), compared with
// the round before it.
func (b *Bot) SurveyResults(id string, n int) (survey.Results, error) {
	return b.surveyResults(context.Background(), id, n)
}

// surveyResults is SurveyResults in a Read of its own.
func (b *Bot) surveyResults(ctx context.Context, id string, n int) (survey.Results, error) {
	var res survey.Results
	err := b.st.Read(ctx, func(r store.Reader) error {
		var err error
		res, err = SurveyResultsIn(r, id, n)
		return err
	})
	return res, err
}

// SurveyResultsIn is SurveyResults read from r.
func SurveyResultsIn(r store.Reader, id string, n int) (survey.Results, error) {
	rs := r.Rounds(id)
	if len(rs) == 0 {
		return survey.Results{}, jifen.Errorf(jifen.ENOTFOUND, "err.survey_no_rounds", id)
	}
	return TallyRound(r, rs, n)
}

// TallyRound tallies round n (0: the last) of rounds, one survey's rounds
// oldest first, with the round before it for comparison, reading the
// answers from st (a store.Reader, say).
func TallyRound(st interface {
	Answers(surveyID string, n int) []survey.Answer
}, rounds []survey.Round, n int) (survey.Results, error) {
	i := len(rounds) - 1
	if n > 0 {
		for i = range rounds {
			if rounds[i].N == n {
				break
			}
		}
		if rounds[i].N != n {
			return survey.Results{}, jifen.Errorf(jifen.EINVALID, "err.survey_no_round", rounds[0].Survey, n)
		}
	}
	return survey.TallyRounds(rounds, i, st.Answers), nil
}

// listSurveys shows each configured survey with its latest round.
func (b *Bot) listSurveys(ctx context.Context) (Response, error) {
	msg := Message{Kind: "survey", Title: b.t("survey.list_title")}
	if len(b.surveys) == 0 {
		msg.Text = []string{b.t("survey.none_configured")}
		return Response{Reply: msg}, nil
	}
	err := b.st.Read(ctx, func(r store.Reader) error {
		b.surveyRows(r, &msg)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// surveyRows is listSurveys' table, read from rd.
func (b *Bot) surveyRows(rd store.Reader, msg *Message) {
	msg.Table = &Table{Columns: []string{b.t("survey.col.id"), b.t("survey.col.title"), b.t("survey.col.schedule"), b.t("survey.col.latest"), b.t("survey.col.responses")}}
	for _, s := range b.surveys {
		sched := b.scheduleInWords(s.Schedule)
		if sched == "" {
			sched = b.t("survey.manual")
		}
		latest, rate := "—", "—"
		if rs := rd.Rounds(s.ID); len(rs) > 0 {
			r := rs[len(rs)-1]
			state := b.t("survey.state_open", b.when(r.Closes))
			if !r.Open(rd.Now()) {
				state = b.t("survey.state_closed")
			}
			latest = fmt.Sprintf("#%d %s", r.N, state)
			if res, err := TallyRound(rd, rs, 0); err == nil {
				rate = b.t("survey.rate_cell", res.Responses, res.Audience, res.Rate*100)
			}
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{s.ID, s.Title, sched, latest, rate})
	}
}

// ResultsMessage shows a round's results: the response rate against the
// previous round, each question's headline figure and distribution, the
// breakdowns (a group of an anonymous survey under its minimum shown as
// hidden) and the comments.
func (b *Bot) ResultsMessage(res survey.Results) Message {
	msg := Message{Kind: "survey", Title: b.t("survey.results_title", res.Title, res.Round)}
	state := b.t("survey.state_open", b.when(res.Closes))
	if res.Closed {
		state = b.t("survey.state_closed")
	}
	rate := b.t("survey.rate", res.Responses, res.Audience, res.Rate*100)
	if res.PreviousRate != nil {
		rate += b.t("survey.rate_change", (res.Rate-*res.PreviousRate)*100)
	}
	msg.Text = []string{rate, state}
	if res.Anonymous {
		msg.Text = append(msg.Text, b.t("survey.results_anonymous", res.MinGroup))
	}
	msg.Table = &Table{Columns: []string{b.t("survey.col.question"), b.t("survey.col.answered"), b.t("survey.col.score"), b.t("survey.col.distribution"), b.t("survey.col.change")}}
	for _, it := range res.Items {
		score, dist, change := "—", "", "—"
		switch it.Kind {
		case survey.Likert:
			if it.Mean != nil {
				score = fmt.Sprintf("%.2f", *it.Mean)
			}
			dist = counts(it.Counts, 1)
		case survey.NPS:
			if it.NPS != nil {
				score = fmt.Sprintf("NPS %+.0f", *it.NPS)
			}
			dist = b.npsSplit(it.Counts)
		case survey.Single, survey.Multiple:
			var parts []string
			for _, c := range it.Choices {
				parts = append(parts, fmt.Sprintf("%s %d", c.Choice, c.N))
			}
			dist = strings.Join(parts, " · ")
		case survey.Text:
			dist = b.t("survey.comments_count", it.Answered)
		}
		if cur, prev := it.Score(), it.PrevScore(); cur != nil && prev != nil {
			change = fmt.Sprintf("%+.2f", *cur-*prev)
			if it.Kind == survey.NPS {
				change = fmt.Sprintf("%+.0f", *cur-*prev)
			}
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{clipRunes(it.Text, 24), strconv.Itoa(it.Answered), score, dist, change})
	}
	for _, g := range []struct {
		label  string
		groups []survey.Group
	}{{b.t("survey.by_department"), res.ByDepartment}, {b.t("survey.by_level"), res.ByLevel}} {
		if len(g.groups) == 0 {
			continue
		}
		var lines []string
		for _, grp := range g.groups {
			if grp.Suppressed {
				lines = append(lines, b.t("survey.group_hidden", grp.Name, res.MinGroup))
				continue
			}
			var parts []string
			for _, it := range res.Items {
				if v := grp.Scores[it.ID]; v != nil {
					parts = append(parts, fmt.Sprintf("%s %.1f", clipRunes(it.Text, 8), *v))
				}
			}
			lines = append(lines, b.t("survey.group_line", grp.Name, grp.Responses, strings.Join(parts, " · ")))
		}
		msg.Blocks = append(msg.Blocks, Block{Text: g.label + "\n" + strings.Join(lines, "\n")})
	}
	for _, it := range res.Items {
		if it.Kind != survey.Text {
			continue
		}
		text := it.Text + "\n"
		switch {
		case res.CommentsAfterClose:
			text += b.t("survey.comments_after_close", it.Answered)
		case res.CommentsHidden:
			text += b.t("survey.comments_hidden", res.MinGroup)
		case len(it.Comments) == 0:
			text += b.t("survey.no_comments")
		default:
			shown := it.Comments[:min(len(it.Comments), 20)]
			text += "• " + strings.Join(shown, "\n• ")
			if len(it.Comments) > len(shown) {
				text += "\n" + b.t("survey.more_comments", len(it.Comments)-len(shown))
			}
		}
		msg.Blocks = append(msg.Blocks, Block{Text: text})
	}
	msg.Footer = b.t("survey.export_hint", res.Survey)
	return msg
}

// counts shows a distribution "1:0 2:3 …" from the score lo.
func counts(cs []int, lo int) string {
	parts := make([]string, len(cs))
	for i, n := range cs {
		parts[i] = fmt.Sprintf("%d:%d", i+lo, n)
	}
	return strings.Join(parts, " ")
}

func (b *Bot) npsSplit(cs []int) string {
	var det, pas, pro int
	for score, n := range cs {
		switch {
		case score >= 9:
			pro += n
		case score >= 7:
			pas += n
		default:
			det += n
		}
	}
	return b.t("survey.nps_split", pro, pas, det)
}

// SurveyTick does what is due at now for the open rounds: a reminder to
// those who have not answered (once per round), and closing the rounds
// whose time is up (the admins get the results). Each is claimed in the
// store, and its messages queued in the outbox in the same transaction,
// so a restart never sends them twice nor loses them. It returns the
// messages queued, for a console, which has no outbox.
func (b *Bot) SurveyTick(ctx context.Context, now time.Time) ([]Notice, error) {
	// The rounds, and who of a round due a reminder has not answered, are
	// read first; each round is claimed in a write of its own.
	var (
		rounds     []survey.Round
		unanswered = map[string][]string{}
	)
	err := b.st.Read(ctx, func(rd store.Reader) error {
		rounds = rd.Rounds("")
		for _, r := range rounds {
			if !r.Closed.IsZero() || !now.Before(r.Closes) || r.Reminded || r.RemindAt.IsZero() || now.Before(r.RemindAt) {
				continue
			}
			ids := []string{}
			for _, id := range r.Audience {
				if !rd.Answered(&r, id) {
					ids = append(ids, id)
				}
			}
			unanswered[r.ID()] = ids
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Notice
	for _, r := range rounds {
		if !r.Closed.IsZero() {
			if r.ResultsDue {
				ns, err := b.announceResults(ctx, r)
				out = append(out, ns...)
				if err != nil {
					return out, err
				}
			}
			continue
		}
		closing := !now.Before(r.Closes)
		if !closing && !r.Reminded && !r.RemindAt.IsZero() && !now.Before(r.RemindAt) {
			var reminders []Notice
			for _, id := range unanswered[r.ID()] {
				msg := b.SurveyCard(&r, survey.Answer{}, b.t("survey.reminder", b.when(r.Closes)))
				reminders = append(reminders, Notice{To: id, Message: msg})
			}
			claimed, err := b.claimRound(ctx, &r, func(tx store.Txn, cur *survey.Round) error {
				if cur.Reminded {
					return errAlready
				}
				cur.Reminded = true
				if err := tx.PutRound(cur); err != nil {
					return err
				}
				return b.queue(tx, "", reminders)
			})
			if err != nil {
				return out, err
			}
			if claimed {
				out = append(out, reminders...)
			}
		}
		if closing {
			// The round closes first, and its results go out in a write
			// of their own once the file holds no trace of who answered
			// (scrubAfterClose); ResultsDue keeps them owed across a
			// restart in between.
			claimed, err := b.claimRound(ctx, &r, func(tx store.Txn, cur *survey.Round) error {
				if !cur.Closed.IsZero() {
					return errAlready
				}
				cur.ResultsDue = true
				return tx.CloseRound(cur)
			})
			if err != nil {
				return out, err
			}
			if claimed {
				ns, err := b.announceResults(ctx, r)
				out = append(out, ns...)
				if err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

// announceResults queues a closed round's results for the admins, once.
func (b *Bot) announceResults(ctx context.Context, r survey.Round) ([]Notice, error) {
	b.scrubAfterClose(ctx, &r)
	var (
		res  survey.Results
		adms []jifen.Member
	)
	err := b.st.Read(ctx, func(rd store.Reader) error {
		var err error
		res, err = SurveyResultsIn(rd, r.Survey, r.N)
		adms = admins(rd)
		return err
	})
	if err != nil {
		return nil, err
	}
	msg := b.ResultsMessage(res)
	var ns []Notice
	for _, m := range adms {
		ns = append(ns, Notice{To: m.ID, Message: msg})
	}
	claimed, err := b.claimRound(ctx, &r, func(tx store.Txn, cur *survey.Round) error {
		if !cur.ResultsDue {
			return errAlready
		}
		cur.ResultsDue = false
		if err := tx.PutRound(cur); err != nil {
			return err
		}
		return b.queue(tx, "", ns)
	})
	if !claimed {
		return nil, err
	}
	return ns, err
}

// scrubAfterClose waits until the store has zeroed its free pages after
// an anonymous round closed, so that once the admins see the results no
// old copy of who answered is left in the file. If that takes too long
// the store still does it, a little later.
func (b *Bot) scrubAfterClose(ctx context.Context, r *survey.Round) {
	if !r.Anonymous {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sc, ok := b.st.(scrubber)
	if !ok {
		return // a store without a file of its own keeps no free pages to zero
	}
	if err := sc.Scrub(ctx); err != nil {
		b.log.Warn("zeroing the store's free pages after a survey closed", "round", r.ID(), "err", err)
	}
}

// scrubber is a store that zeroes its free pages (bbolt's).
type scrubber interface {
	Scrub(ctx context.Context) error
}

var errAlready = jifen.Errorf(jifen.ECONFLICT, "err.survey_closed", "")

// claimRound re-reads r in a write and applies fn; it reports false when
// fn finds the work done already (errAlready).
func (b *Bot) claimRound(ctx context.Context, r *survey.Round, fn func(store.Txn, *survey.Round) error) (bool, error) {
	_, _, err := b.st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		cur, ok := tx.Round(r.Survey, r.N)
		if !ok {
			return nil, errAlready
		}
		if err := fn(tx, &cur); err != nil {
			return nil, err
		}
		*r = cur
		return nil, nil
	})
	if errors.Is(err, errAlready) {
		return false, nil
	}
	return err == nil, err
}
