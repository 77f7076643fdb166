// Package survey holds what in-chat surveys are made of: their definitions
// (from the config), rounds (one sending of a survey to its audience),
// answers, and the tally of a round's answers into results. It is pure: the
// store keeps rounds and answers, the bot asks and shows them.
package survey

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"jifen"
)

// Kind is a question's type.
type Kind string

// The kinds of question.
const (
	Likert   Kind = "likert"   // 1 (strongly disagree) to 5 (strongly agree)
	NPS      Kind = "nps"      // 0 to 10: how likely to recommend
	Single   Kind = "single"   // one of Choices
	Multiple Kind = "multiple" // any of Choices
	Text     Kind = "text"     // free text
)

// Kinds lists the kinds, for messages.
var Kinds = []Kind{Likert, NPS, Single, Multiple, Text}

// DefaultMinGroup is the smallest group of an anonymous survey whose
// breakdown and comments are shown; MinGroupFloor is as low as a config
// may set it.
const (
	DefaultMinGroup = 5
	MinGroupFloor   = 3
	MaxText         = 2000 // characters kept of a free-text answer
)

// Question is one question of a survey.
type Question struct {
	ID      string   `json:"id"`
	Text    string   `json:"text"`
	Kind    Kind     `json:"kind"`
	Choices []string `json:"choices,omitempty"` // single, multiple
}

// Audience is who a survey asks: members of any of Departments and any of
// Levels; an empty list does not restrict.
type Audience struct {
	Departments []string `json:"departments,omitempty"`
	Levels      []string `json:"levels,omitempty"`
}

// Includes reports whether m is in the audience. Bots never are.
func (a Audience) Includes(m jifen.Member) bool {
	if m.Bot {
		return false
	}
	if len(a.Departments) > 0 && !slices.Contains(a.Departments, m.Department) {
		return false
	}
	return len(a.Levels) == 0 || slices.Contains(a.Levels, m.Level)
}

// Survey is a survey definition from the config.
type Survey struct {
	ID        string
	Title     string
	Intro     string // a paragraph shown above the questions
	Questions []Question
	Audience  Audience
	Anonymous bool
	// Schedule is a cron spec that starts a round; empty means an admin
	// starts rounds with /survey start.
	Schedule string
	OpenFor  time.Duration // how long a round stays open
	// RemindAfter is when, after the start, those who have not answered
	// are reminded; zero sends no reminder.
	RemindAfter time.Duration
	// MinGroup is the smallest group of an anonymous survey whose
	// breakdown or comments are shown.
	MinGroup int
}

// Question returns the question with the given id, or nil.
func (r *Round) Question(id string) *Question {
	for i := range r.Questions {
		if r.Questions[i].ID == id {
			return &r.Questions[i]
		}
	}
	return nil
}

// Round is one sending of a survey: a snapshot of its questions and
// audience at the start, so later edits of the config do not change what
// was asked.
type Round struct {
	Survey    string     `json:"survey"`
	N         int        `json:"n"` // 1, 2, … per survey
	Title     string     `json:"title"`
	Intro     string     `json:"intro,omitempty"`
	Questions []Question `json:"questions"`
	Anonymous bool       `json:"anonymous"`
	MinGroup  int        `json:"min_group"`
	Audience  []string   `json:"audience"` // member ids asked
	Started   time.Time  `json:"started"`
	Closes    time.Time  `json:"closes"`
	RemindAt  time.Time  `json:"remind_at,omitzero"`
	Reminded  bool       `json:"reminded,omitempty"`
	Closed    time.Time  `json:"closed,omitzero"` // when it closed; zero while open
	// ResultsDue: the round closed and its results are not queued for the
	// admins yet.
	ResultsDue bool `json:"results_due,omitempty"`
	// Groups counts an anonymous round's audience by department and
	// level at the start: they decide which of a respondent's attributes
	// its answer keeps (Attributes).
	Groups []GroupSize `json:"groups,omitempty"`
}

// GroupSize is how many of a round's audience have a department and
// level.
type GroupSize struct {
	Department string `json:"department,omitempty"`
	Level      string `json:"level,omitempty"`
	N          int    `json:"n"`
}

// SetAudience makes ms, the members asked, the round's audience, and
// counts them by department and level.
func (r *Round) SetAudience(ms []jifen.Member) {
	r.Audience, r.Groups = nil, nil
	at := map[[2]string]int{}
	for _, m := range ms {
		r.Audience = append(r.Audience, m.ID)
		k := [2]string{m.Department, m.Level}
		if _, ok := at[k]; !ok {
			at[k] = len(r.Groups)
			r.Groups = append(r.Groups, GroupSize{Department: m.Department, Level: m.Level})
		}
		r.Groups[at[k]].N++
	}
	slices.SortFunc(r.Groups, func(a, b GroupSize) int {
		return strings.Compare(a.Department+"\x00"+a.Level, b.Department+"\x00"+b.Level)
	})
	if !r.Anonymous {
		r.Groups = nil
	}
}

// Threshold is the smallest group of an anonymous round whose figures,
// or whose attributes, are kept or shown.
func (r *Round) Threshold() int {
	if r.MinGroup < MinGroupFloor {
		return DefaultMinGroup
	}
	return r.MinGroup
}

// Attributes are the department and level an answer of m to the round
// keeps. A named answer keeps both. An anonymous one keeps both if as
// many of the audience as the round's threshold share them; otherwise
// the department alone if as many share it; otherwise neither: a
// department or level that few people have would tell whose the answer
// is. The groups are counted at the start of the round.
func (r *Round) Attributes(m jifen.Member) (department, level string) {
	if !r.Anonymous {
		return m.Department, m.Level
	}
	pair, dept := 0, 0
	for _, g := range r.Groups {
		if g.Department == m.Department {
			dept += g.N
			if g.Level == m.Level {
				pair += g.N
			}
		}
	}
	switch k := r.Threshold(); {
	case pair >= k:
		return m.Department, m.Level
	case dept >= k:
		return m.Department, ""
	}
	return "", ""
}

// ID names the round in commands: "satisfaction-3".
func (r *Round) ID() string { return fmt.Sprintf("%s-%d", r.Survey, r.N) }

// Open reports whether answers are taken at t.
func (r *Round) Open(t time.Time) bool { return r.Closed.IsZero() && t.Before(r.Closes) }

// ClosedAt is when the round closed, or closes.
func (r *Round) ClosedAt() time.Time {
	if r.Closed.IsZero() {
		return r.Closes
	}
	return r.Closed
}

// Asked reports whether member was in the round's audience.
func (r *Round) Asked(member string) bool { return slices.Contains(r.Audience, member) }

// ParseRoundID splits "satisfaction-3" into the survey and the number.
func ParseRoundID(s string) (survey string, n int, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 {
		return "", 0, false
	}
	return s[:i], n, true
}

// Answer is one respondent's answers to a round. An anonymous survey's
// answer has no Member and no time: only the department and level that
// Round.Attributes keeps, for breakdowns that are shown for large enough
// groups only.
type Answer struct {
	Member     string              `json:"member,omitempty"`
	Department string              `json:"department,omitempty"`
	Level      string              `json:"level,omitempty"`
	Values     map[string][]string `json:"values"` // question id → answer values
	At         time.Time           `json:"at,omitzero"`
}

// Value is the single value of a question's answer ("" when unanswered).
func (a *Answer) Value(q string) string {
	if v := a.Values[q]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Apply sets the answer to question q from a typed or clicked value, and
// returns a code-carrying error for a value the question does not take:
// likert 1–5, nps 0–10, single a choice number (1-based) or its text,
// multiple "+N" (add), "-N" (remove) or "N" (toggle), text any text.
func (a *Answer) Apply(q *Question, v string) error {
	v = strings.TrimSpace(v)
	if a.Values == nil {
		a.Values = map[string][]string{}
	}
	bad := func() error {
		return jifen.Errorf(jifen.EINVALID, "err.survey_bad_value", q.ID, v, hint(q))
	}
	switch q.Kind {
	case Likert, NPS:
		lo, hi := 1, 5
		if q.Kind == NPS {
			lo, hi = 0, 10
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return bad()
		}
		a.Values[q.ID] = []string{strconv.Itoa(n)}
	case Single:
		c, ok := q.choice(v)
		if !ok {
			return bad()
		}
		a.Values[q.ID] = []string{c}
	case Multiple:
		op := byte(0)
		if v != "" && (v[0] == '+' || v[0] == '-') {
			op, v = v[0], v[1:]
		}
		c, ok := q.choice(v)
		if !ok {
			return bad()
		}
		cur := a.Values[q.ID]
		has := slices.Contains(cur, c)
		switch {
		case op == '+' || (op == 0 && !has):
			if !has {
				cur = append(cur, c)
			}
		default:
			cur = slices.DeleteFunc(slices.Clone(cur), func(s string) bool { return s == c })
		}
		// Keep the choices in the question's order.
		var sorted []string
		for _, ch := range q.Choices {
			if slices.Contains(cur, ch) {
				sorted = append(sorted, ch)
			}
		}
		if len(sorted) == 0 {
			delete(a.Values, q.ID)
		} else {
			a.Values[q.ID] = sorted
		}
	case Text:
		if v == "" {
			return bad()
		}
		if r := []rune(v); len(r) > MaxText {
			v = string(r[:MaxText])
		}
		a.Values[q.ID] = []string{v}
	default:
		return bad()
	}
	return nil
}

// choice finds a choice by its number (1-based) or its text.
func (q *Question) choice(v string) (string, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		if n >= 1 && n <= len(q.Choices) {
			return q.Choices[n-1], true
		}
		return "", false
	}
	for _, c := range q.Choices {
		if strings.EqualFold(c, v) {
			return c, true
		}
	}
	return "", false
}

// hint says what a question takes, for error messages.
func hint(q *Question) string {
	switch q.Kind {
	case Likert:
		return "1-5"
	case NPS:
		return "0-10"
	case Single, Multiple:
		var parts []string
		for i, c := range q.Choices {
			parts = append(parts, fmt.Sprintf("%d=%s", i+1, c))
		}
		return strings.Join(parts, ", ")
	}
	return "text"
}

// Answered counts the questions a respondent answered.
func (a *Answer) Answered() int {
	n := 0
	for _, v := range a.Values {
		if len(v) > 0 {
			n++
		}
	}
	return n
}
