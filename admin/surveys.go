package admin

// Surveys: the rounds and their results, under the anonymity thresholds
// used everywhere.
//
// The results are the bot's tally (bot.SurveyResultsIn), shown as
// /survey results shows them in chat: the overall figures of an open
// round too, a department or level of an anonymous survey with too few
// respondents listed as not shown (survey.Disclosable decides), and the
// comments of an anonymous round only once it has closed and enough
// answered. No answer is ever shown with its author, nor one by one
// except the free-text comments, sorted, as chat lists them.

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"jifen"
	"jifen/bot"
	"jifen/store"
	"jifen/survey"
)

// surveyRoutes registers the pages.
func (s *Server) surveyRoutes() {
	s.page("GET /admin/surveys", jifen.RoleAdmin, s.surveysPage)
	s.page("GET /admin/surveys/{id}/{n}", jifen.RoleAdmin, s.surveyResults)
}

type surveyRound struct {
	N                      int
	Href                   string
	Started, Closes, State string
	Responses              string
}

type surveyEntry struct {
	ID, Title, Kind, Schedule string
	Rounds                    []surveyRound // newest first
	None                      string        // no round yet
}

type surveysView struct {
	Surveys []surveyEntry
	T       func(string, ...any) string
}

var _ = template.Must(layout.New("surveys").Parse(`{{range .Surveys}}<h2>{{.Title}} <code>{{.ID}}</code></h2>
<p class="note">{{.Kind}} · {{.Schedule}}</p>
{{if .Rounds}}<div class="scroll"><table>
<tr><th>{{call $.T "admin.surveys.col.round"}}</th><th>{{call $.T "admin.surveys.col.started"}}</th><th>{{call $.T "admin.surveys.col.closes"}}</th><th>{{call $.T "admin.surveys.col.state"}}</th><th>{{call $.T "survey.col.responses"}}</th></tr>
{{range .Rounds}}<tr><td><a href="{{.Href}}">#{{.N}}</a></td><td>{{.Started}}</td><td>{{.Closes}}</td><td>{{.State}}</td><td class="n">{{.Responses}}</td></tr>
{{end}}</table></div>{{else}}<p>{{.None}}</p>{{end}}
{{end}}`))

// surveysPage lists the configured surveys, each with its rounds: when
// it started and closes (or closed), and how many of those asked answered.
func (s *Server) surveysPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	view := surveysView{T: s.t}
	if len(s.cfg.Surveys) == 0 {
		s.content(w, http.StatusOK, v, s.t("admin.surveys_title"), s.t("survey.none_configured"), "surveys", view)
		return
	}
	if !s.read(w, r, v, s.t("admin.surveys_title"), "err.internal", func(rd store.Reader) error {
		view.Surveys = s.surveyEntries(rd)
		return nil
	}) {
		return
	}
	s.content(w, http.StatusOK, v, s.t("admin.surveys_title"), "", "surveys", view)
}

// surveyEntries are the configured surveys, each with its rounds, newest
// first.
func (s *Server) surveyEntries(rd store.Reader) []surveyEntry {
	loc, now := rd.Location(), rd.Now()
	var out []surveyEntry
	for _, sv := range s.cfg.Surveys {
		e := surveyEntry{ID: sv.ID, Title: sv.Title, Kind: s.t("admin.surveys.named"), Schedule: sv.Schedule}
		if sv.Anonymous {
			round := survey.Round{MinGroup: sv.MinGroup}
			e.Kind = s.t("admin.surveys.anonymous", round.Threshold())
		}
		if e.Schedule == "" {
			e.Schedule = s.t("survey.manual")
		}
		rounds := rd.Rounds(sv.ID)
		for i := len(rounds) - 1; i >= 0; i-- {
			round := rounds[i]
			row := surveyRound{N: round.N, Href: fmt.Sprintf("/admin/surveys/%s/%d", sv.ID, round.N),
				Started: round.Started.In(loc).Format("2006-01-02 15:04"), Closes: round.ClosedAt().In(loc).Format("2006-01-02 15:04"),
				State: s.t("survey.state_closed")}
			if round.Open(now) {
				row.State = s.t("admin.surveys.open")
			}
			// Who answered anything, as the tally counts them.
			answered := 0
			for _, a := range rd.Answers(sv.ID, round.N) {
				if a.Answered() > 0 {
					answered++
				}
			}
			rate := 0.0
			if len(round.Audience) > 0 {
				rate = float64(answered) / float64(len(round.Audience)) * 100
			}
			row.Responses = s.t("survey.rate_cell", answered, len(round.Audience), rate)
			e.Rounds = append(e.Rounds, row)
		}
		if len(e.Rounds) == 0 {
			e.None = s.t("err.survey_no_rounds", sv.ID)
		}
		out = append(out, e)
	}
	return out
}

type resultItem struct {
	Text, Answered, Score, Distribution, Change string
}

type resultGroups struct {
	Label string
	Lines []string
}

type resultComments struct {
	Question string
	Note     string   // why no comment is listed, or that there are none
	Comments []string // sorted: their order says nothing of who wrote them
}

type resultsView struct {
	Lines    []string // the response rate, the state, the anonymity rule
	Items    []resultItem
	Groups   []resultGroups
	Comments []resultComments
	T        func(string, ...any) string
}

var _ = template.Must(layout.New("survey_results").Parse(`{{range .Lines}}<p>{{.}}</p>{{end}}
<div class="scroll"><table>
<tr><th>{{call .T "survey.col.question"}}</th><th>{{call .T "survey.col.answered"}}</th><th>{{call .T "survey.col.score"}}</th><th>{{call .T "survey.col.distribution"}}</th><th>{{call .T "survey.col.change"}}</th></tr>
{{range .Items}}<tr><td>{{.Text}}</td><td class="n">{{.Answered}}</td><td class="n">{{.Score}}</td><td>{{.Distribution}}</td><td class="n">{{.Change}}</td></tr>
{{end}}</table></div>
{{range .Groups}}<h2>{{.Label}}</h2>
<ul>{{range .Lines}}<li>{{.}}</li>{{end}}</ul>
{{end}}
{{range .Comments}}<h2>{{.Question}}</h2>
{{with .Note}}<p class="note">{{.}}</p>{{end}}
{{with .Comments}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
<p><a href="/admin/surveys">{{call .T "admin.surveys.back"}}</a></p>
`))

// surveyResults shows round n of a configured survey, tallied by the bot
// under its anonymity thresholds. Nothing in the request changes what is
// shown but the survey and the round.
func (s *Server) surveyResults(w http.ResponseWriter, r *http.Request, v *Viewer) {
	id := r.PathValue("id")
	var def *survey.Survey
	for i := range s.cfg.Surveys {
		if s.cfg.Surveys[i].ID == id {
			def = &s.cfg.Surveys[i]
		}
	}
	notFound := func(text string) {
		s.render(w, http.StatusNotFound, "message", pageData{Title: s.t("admin.surveys_title"), Text: text, Viewer: v,
			Links: []link{{Href: "/admin/surveys", Text: s.t("admin.surveys.back")}}})
	}
	if def == nil {
		notFound(s.t("admin.surveys.unknown", id))
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		notFound(s.t("err.survey_no_round", id, r.PathValue("n")))
		return
	}
	// The tally is chat's (bot.SurveyResultsIn, the same anonymity
	// thresholds), made in the same read as the round is found in.
	var (
		found bool
		res   survey.Results
	)
	if !s.read(w, r, v, s.t("admin.surveys_title"), "admin.surveys.failed", func(rd store.Reader) error {
		if _, found = rd.Round(id, n); found {
			res, err = bot.SurveyResultsIn(rd, id, n)
		}
		return nil
	}) {
		return
	}
	if !found {
		notFound(s.t("err.survey_no_round", id, r.PathValue("n")))
		return
	}
	if err != nil {
		s.log.Error("survey results failed", "survey", id, "round", n, "err", err)
		s.render(w, http.StatusInternalServerError, "message", pageData{Title: s.t("admin.surveys_title"), Text: s.t("admin.surveys.failed"), Viewer: v})
		return
	}
	s.content(w, http.StatusOK, v, s.t("survey.results_title", res.Title, res.Round), "", "survey_results", s.resultsView(res))
}

// resultsView words results as chat's /survey results does.
func (s *Server) resultsView(res survey.Results) resultsView {
	view := resultsView{T: s.t}
	loc := s.st.Location()
	state := s.t("survey.state_open", res.Closes.In(loc).Format("2006-01-02 15:04"))
	if res.Closed {
		state = s.t("survey.state_closed")
	}
	rate := s.t("survey.rate", res.Responses, res.Audience, res.Rate*100)
	if res.PreviousRate != nil {
		rate += s.t("survey.rate_change", (res.Rate-*res.PreviousRate)*100)
	}
	view.Lines = []string{rate, state}
	if res.Anonymous {
		view.Lines = append(view.Lines, s.t("survey.results_anonymous", res.MinGroup))
	}
	for _, it := range res.Items {
		row := resultItem{Text: it.Text, Answered: strconv.Itoa(it.Answered), Score: "—", Change: "—"}
		switch it.Kind {
		case survey.Likert:
			if it.Mean != nil {
				row.Score = fmt.Sprintf("%.2f", *it.Mean)
			}
			row.Distribution = scoreCounts(it.Counts, 1)
		case survey.NPS:
			if it.NPS != nil {
				row.Score = fmt.Sprintf("NPS %+.0f", *it.NPS)
			}
			var det, pas, pro int
			for score, k := range it.Counts {
				switch {
				case score >= 9:
					pro += k
				case score >= 7:
					pas += k
				default:
					det += k
				}
			}
			row.Distribution = s.t("survey.nps_split", pro, pas, det)
		case survey.Single, survey.Multiple:
			for i, c := range it.Choices {
				if i > 0 {
					row.Distribution += " · "
				}
				row.Distribution += fmt.Sprintf("%s %d", c.Choice, c.N)
			}
		case survey.Text:
			row.Distribution = s.t("survey.comments_count", it.Answered)
		}
		if cur, prev := it.Score(), it.PrevScore(); cur != nil && prev != nil {
			row.Change = fmt.Sprintf("%+.2f", *cur-*prev)
			if it.Kind == survey.NPS {
				row.Change = fmt.Sprintf("%+.0f", *cur-*prev)
			}
		}
		view.Items = append(view.Items, row)
	}
	for _, g := range []struct {
		label  string
		groups []survey.Group
	}{{s.t("survey.by_department"), res.ByDepartment}, {s.t("survey.by_level"), res.ByLevel}} {
		if len(g.groups) == 0 {
			continue
		}
		rg := resultGroups{Label: g.label}
		for _, grp := range g.groups {
			if grp.Suppressed {
				rg.Lines = append(rg.Lines, s.t("survey.group_hidden", grp.Name, res.MinGroup))
				continue
			}
			var parts string
			for _, it := range res.Items {
				if v := grp.Scores[it.ID]; v != nil {
					if parts != "" {
						parts += " · "
					}
					parts += fmt.Sprintf("%s %.1f", it.Text, *v)
				}
			}
			rg.Lines = append(rg.Lines, s.t("survey.group_line", grp.Name, grp.Responses, parts))
		}
		view.Groups = append(view.Groups, rg)
	}
	for _, it := range res.Items {
		if it.Kind != survey.Text {
			continue
		}
		c := resultComments{Question: it.Text}
		switch {
		case res.CommentsAfterClose:
			c.Note = s.t("survey.comments_after_close", it.Answered)
		case res.CommentsHidden:
			c.Note = s.t("survey.comments_hidden", res.MinGroup)
		case len(it.Comments) == 0:
			c.Note = s.t("survey.no_comments")
		default:
			c.Comments = it.Comments
		}
		view.Comments = append(view.Comments, c)
	}
	return view
}

// scoreCounts shows a distribution "1:0 2:3 …" from the score lo.
func scoreCounts(cs []int, lo int) string {
	out := ""
	for i, k := range cs {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%d:%d", i+lo, k)
	}
	return out
}
