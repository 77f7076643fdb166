package config

import (
	"slices"
	"time"

	"jifen"
	"jifen/schedule"
	"jifen/survey"
)

// MaxQuestions is how many questions a survey may have: what one card
// holds on every platform.
const MaxQuestions = 12

// surveys decodes the survey definitions. Audience departments and levels
// must be ones the members use, so a typo does not silently ask nobody.
func (d *decoder) surveys(v value, members []jifen.Member) []survey.Survey {
	var out []survey.Survey
	ids := map[string]bool{}
	departments, levels := map[string]bool{}, map[string]bool{}
	for _, m := range members {
		departments[m.Department] = true
		levels[m.Level] = true
	}
	for _, sv := range d.seq(v) {
		f := d.fields(sv, "id", "title", "intro", "questions", "audience", "anonymous", "schedule", "open_for", "remind_after", "min_group")
		s := survey.Survey{ID: d.str(f.get("id")), Title: d.str(f.get("title")), Intro: d.str(f.get("intro")),
			Anonymous: d.bool(f.get("anonymous")), Schedule: d.str(f.get("schedule")),
			OpenFor: 72 * time.Hour, RemindAfter: 48 * time.Hour, MinGroup: survey.DefaultMinGroup}
		d.uniqueID(f, sv, "id", s.ID, ids)
		if s.Title == "" {
			d.add(lineOf(f, f.get("title")), sv.path+".title", "required: the title members see")
		}
		if s.Schedule != "" {
			if _, err := schedule.Parse(s.Schedule); err != nil {
				d.add(f.get("schedule").node, sv.path+".schedule", "%v", err)
			}
		}
		s.OpenFor = d.duration(f.get("open_for"), s.OpenFor)
		s.RemindAfter = d.duration(f.get("remind_after"), s.RemindAfter)
		if s.OpenFor <= 0 {
			d.add(f.get("open_for").node, sv.path+".open_for", "want a positive duration like 72h")
		} else if s.RemindAfter >= s.OpenFor {
			d.add(lineOf(f, f.get("remind_after")), sv.path+".remind_after", "the reminder (%s) must come before the survey closes (open_for %s); 0 sends none", s.RemindAfter, s.OpenFor)
		}
		if n, ok := d.int(f.get("min_group")); ok {
			if n < survey.MinGroupFloor {
				mv := f.get("min_group")
				d.add(mv.node, mv.path, "want at least %d: smaller groups would identify people", survey.MinGroupFloor)
			}
			s.MinGroup = int(n)
		}
		af := d.fields(f.get("audience"), "departments", "levels")
		s.Audience.Departments = d.strs(af.get("departments"))
		s.Audience.Levels = d.strs(af.get("levels"))
		for _, dep := range s.Audience.Departments {
			if !departments[dep] {
				d.add(af.get("departments").node, af.path+".departments", "no member is in department %q", clip(dep))
			}
		}
		for _, l := range s.Audience.Levels {
			if !levels[l] {
				d.add(af.get("levels").node, af.path+".levels", "no member has level %q", clip(l))
			}
		}
		s.Questions = d.questions(f.get("questions"))
		out = append(out, s)
	}
	return out
}

func (d *decoder) questions(v value) []survey.Question {
	var out []survey.Question
	ids := map[string]bool{}
	qs := d.seq(v)
	switch {
	case len(qs) == 0:
		d.add(v.node, v.path, "a survey needs at least one question")
	case len(qs) > MaxQuestions:
		// Each question takes three of a Slack message's 50 blocks.
		d.add(v.node, v.path, "%d questions: at most %d fit on one survey card", len(qs), MaxQuestions)
	}
	for _, qv := range qs {
		f := d.fields(qv, "id", "text", "type", "choices")
		q := survey.Question{ID: d.str(f.get("id")), Text: d.str(f.get("text")), Kind: survey.Kind(d.str(f.get("type"))),
			Choices: d.strs(f.get("choices"))}
		d.uniqueID(f, qv, "id", q.ID, ids)
		if q.Text == "" {
			d.add(lineOf(f, f.get("text")), qv.path+".text", "required: the question members see")
		}
		if !slices.Contains(survey.Kinds, q.Kind) {
			d.add(lineOf(f, f.get("type")), qv.path+".type", "unknown type %q (want one of %v)", clip(string(q.Kind)), survey.Kinds)
		}
		choice := q.Kind == survey.Single || q.Kind == survey.Multiple
		switch {
		case choice && (len(q.Choices) < 2 || len(q.Choices) > 10):
			d.add(lineOf(f, f.get("choices")), qv.path+".choices", "a %s question needs 2 to 10 choices", q.Kind)
		case !choice && len(q.Choices) > 0:
			d.add(f.get("choices").node, qv.path+".choices", "only single and multiple questions have choices")
		}
		seen := map[string]bool{}
		for _, c := range q.Choices {
			if c == "" || seen[c] {
				d.add(f.get("choices").node, qv.path+".choices", "choices must be distinct and not empty")
				break
			}
			seen[c] = true
		}
		out = append(out, q)
	}
	return out
}

// duration reads a Go duration ("72h"); def when absent.
func (d *decoder) duration(v value, def time.Duration) time.Duration {
	if v.node == nil {
		return def
	}
	s := d.str(v)
	if s == "0" {
		return 0
	}
	t, err := time.ParseDuration(s)
	if err != nil || t < 0 {
		d.add(v.node, v.path, "want a duration like 72h or 30m, got %q", clip(s))
		return def
	}
	return t
}
