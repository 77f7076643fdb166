package survey

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Results is the tally of one round.
type Results struct {
	Survey    string     `json:"survey"`
	Round     string     `json:"round"` // "satisfaction-3"
	Title     string     `json:"title"`
	Anonymous bool       `json:"anonymous"`
	Started   time.Time  `json:"started"`
	Closes    time.Time  `json:"closes"`
	Closed    bool       `json:"closed"`
	Audience  int        `json:"audience"`
	Responses int        `json:"responses"` // respondents who answered anything
	Rate      float64    `json:"rate"`      // Responses / Audience
	MinGroup  int        `json:"min_group"`
	Questions []Question `json:"-"`
	Items     []Item     `json:"questions"`
	// Previous is the round before this one, when there is one, for
	// comparison (its rate; each Item carries its previous figure).
	Previous     string   `json:"previous,omitempty"`
	PreviousRate *float64 `json:"previous_rate,omitempty"`
	// ByDepartment and ByLevel break the scored questions down; a group
	// of an anonymous survey with fewer than MinGroup respondents is
	// listed as suppressed, with no figures.
	ByDepartment []Group `json:"by_department,omitempty"`
	ByLevel      []Group `json:"by_level,omitempty"`
	// CommentsHidden is set when the free-text answers of an anonymous
	// round are not shown: while the round is open (CommentsAfterClose),
	// since whoever watches them arrive one by one could tell whose each
	// is, and when it has too few respondents.
	CommentsHidden     bool `json:"comments_hidden,omitempty"`
	CommentsAfterClose bool `json:"comments_after_close,omitempty"`
}

// Item is one question's results.
type Item struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Kind     Kind   `json:"kind"`
	Answered int    `json:"answered"`
	// Likert and NPS: the mean and the count of each score (index 0 is
	// score 1 for Likert, score 0 for NPS).
	Mean   *float64 `json:"mean,omitempty"`
	Counts []int    `json:"counts,omitempty"`
	// NPS: % promoters (9–10) − % detractors (0–6), from −100 to 100.
	NPS *float64 `json:"nps,omitempty"`
	// Single and multiple: how many chose each choice, in the question's
	// order.
	Choices []ChoiceCount `json:"choices,omitempty"`
	// Text: the comments (none when hidden).
	Comments []string `json:"comments,omitempty"`
	// The previous round's mean or NPS, for comparison.
	PrevMean *float64 `json:"prev_mean,omitempty"`
	PrevNPS  *float64 `json:"prev_nps,omitempty"`
}

// Score is the item's headline figure: the NPS for an NPS question, the
// mean for a Likert one.
func (it *Item) Score() *float64 {
	if it.Kind == NPS {
		return it.NPS
	}
	return it.Mean
}

// PrevScore is the previous round's headline figure.
func (it *Item) PrevScore() *float64 {
	if it.Kind == NPS {
		return it.PrevNPS
	}
	return it.PrevMean
}

// ChoiceCount is how often a choice was picked.
type ChoiceCount struct {
	Choice string `json:"choice"`
	N      int    `json:"n"`
}

// Group is one department's or level's figures for the scored questions.
type Group struct {
	Name       string              `json:"name"`
	Suppressed bool                `json:"suppressed,omitempty"` // too few respondents to show
	Responses  int                 `json:"responses,omitempty"`
	Scores     map[string]*float64 `json:"scores,omitempty"` // question id → mean (Likert) or NPS
}

// Tally computes a round's results; prev, if not nil, is the previous
// round's tally, for comparison.
func Tally(r *Round, answers []Answer, prev *Results) Results {
	res := Results{Survey: r.Survey, Round: r.ID(), Title: r.Title, Anonymous: r.Anonymous,
		Started: r.Started, Closes: r.Closes, Closed: !r.Closed.IsZero(), Audience: len(r.Audience),
		MinGroup: r.MinGroup, Questions: r.Questions}
	if res.MinGroup < MinGroupFloor {
		res.MinGroup = DefaultMinGroup
	}
	var respondents []Answer
	for _, a := range answers {
		if a.Answered() > 0 {
			respondents = append(respondents, a)
		}
	}
	res.Responses = len(respondents)
	if res.Audience > 0 {
		res.Rate = float64(res.Responses) / float64(res.Audience)
	}
	res.CommentsAfterClose = r.Anonymous && r.Closed.IsZero()
	res.CommentsHidden = r.Anonymous && (res.CommentsAfterClose || res.Responses < res.MinGroup)
	for _, q := range r.Questions {
		res.Items = append(res.Items, item(q, respondents, res.CommentsHidden))
	}
	if prev != nil {
		res.Previous = prev.Round
		rate := prev.Rate
		res.PreviousRate = &rate
		for i := range res.Items {
			for _, p := range prev.Items {
				if p.ID == res.Items[i].ID && p.Kind == res.Items[i].Kind {
					res.Items[i].PrevMean, res.Items[i].PrevNPS = p.Mean, p.NPS
				}
			}
		}
	}
	var showDept, showLevel func(string) bool
	if r.Anonymous {
		shown := Disclosable(respondents, res.MinGroup)
		showDept = func(d string) bool { return shown.Departments[d] }
		showLevel = func(l string) bool { return shown.Levels[l] }
	}
	res.ByDepartment = groups(r, respondents, showDept, func(a Answer) string { return a.Department })
	res.ByLevel = groups(r, respondents, showLevel, func(a Answer) string { return a.Level })
	return res
}

// Shown says which departments and levels of an anonymous round's
// answers may be shown.
type Shown struct {
	Departments map[string]bool
	Levels      map[string]bool
}

// Disclosable decides which department and level groups of anonymous
// answers may be shown, by themselves and next to each other and the
// overall figures, without any combination of them giving away fewer than
// minGroup respondents. Shown groups split the respondents into cells: a
// respondent's cell is their department if shown (else none) and their
// level if shown (else none). Every figure that can be worked out from the
// shown groups and the overall figures, by adding and subtracting, is one
// of a union of such cells: so every non-empty cell must hold at least
// minGroup respondents. The cell of neither (those in no shown group)
// counts too, as the overall figures minus the shown groups; it alone is
// allowed to be small when no group is shown at all, for then it is the
// overall figures themselves. Until that holds, the smallest group whose
// hiding grows the smallest offending cell is hidden.
func Disclosable(answers []Answer, minGroup int) Shown {
	sh := Shown{Departments: map[string]bool{}, Levels: map[string]bool{}}
	deptN, levelN := map[string]int{}, map[string]int{}
	for _, a := range answers {
		if a.Department != "" {
			sh.Departments[a.Department] = true
			deptN[a.Department]++
		}
		if a.Level != "" {
			sh.Levels[a.Level] = true
			levelN[a.Level]++
		}
	}
	type group struct {
		level bool
		name  string
	}
	size := func(g group) int {
		if g.level {
			return levelN[g.name]
		}
		return deptN[g.name]
	}
	hide := func(g group) {
		if g.level {
			sh.Levels[g.name] = false
		} else {
			sh.Departments[g.name] = false
		}
	}
	// smaller orders groups by size, then levels first (the finer), then
	// name, so the outcome does not depend on map order.
	smaller := func(a, b group) bool {
		if size(a) != size(b) {
			return size(a) < size(b)
		}
		if a.level != b.level {
			return a.level
		}
		return a.name < b.name
	}
	for {
		cells := map[[2]string]int{}
		for _, a := range answers {
			var c [2]string
			if sh.Departments[a.Department] {
				c[0] = a.Department
			}
			if sh.Levels[a.Level] {
				c[1] = a.Level
			}
			cells[c]++
		}
		var shown []group
		for d, ok := range sh.Departments {
			if ok {
				shown = append(shown, group{name: d})
			}
		}
		for l, ok := range sh.Levels {
			if ok {
				shown = append(shown, group{level: true, name: l})
			}
		}
		if len(shown) == 0 {
			return sh
		}
		// The smallest offending cell.
		var worst [2]string
		n := 0
		for c, k := range cells {
			if k < minGroup && (n == 0 || k < n || k == n && c[0]+"\x00"+c[1] < worst[0]+"\x00"+worst[1]) {
				worst, n = c, k
			}
		}
		if n == 0 {
			return sh
		}
		// The cell grows by hiding a group it is in, or, where it is in
		// none of one kind, any shown group of that kind (whose members
		// then join it).
		var candidates []group
		for _, g := range shown {
			if g.level && (worst[1] == "" || worst[1] == g.name) || !g.level && (worst[0] == "" || worst[0] == g.name) {
				candidates = append(candidates, g)
			}
		}
		pick := candidates[0]
		for _, g := range candidates[1:] {
			if smaller(g, pick) {
				pick = g
			}
		}
		hide(pick)
	}
}

func item(q Question, answers []Answer, hideComments bool) Item {
	it := Item{ID: q.ID, Text: q.Text, Kind: q.Kind}
	switch q.Kind {
	case Likert, NPS:
		lo, hi := 1, 5
		if q.Kind == NPS {
			lo, hi = 0, 10
		}
		it.Counts = make([]int, hi-lo+1)
		sum := 0
		for _, a := range answers {
			n, err := strconv.Atoi(a.Value(q.ID))
			if err != nil || n < lo || n > hi || a.Value(q.ID) == "" {
				continue
			}
			it.Counts[n-lo]++
			it.Answered++
			sum += n
		}
		if it.Answered > 0 {
			m := round2(float64(sum) / float64(it.Answered))
			it.Mean = &m
			if q.Kind == NPS {
				nps := npsOf(it.Counts)
				it.NPS = &nps
			}
		}
	case Single, Multiple:
		for _, c := range q.Choices {
			it.Choices = append(it.Choices, ChoiceCount{Choice: c})
		}
		for _, a := range answers {
			vs := a.Values[q.ID]
			if len(vs) == 0 {
				continue
			}
			it.Answered++
			for _, v := range vs {
				for i := range it.Choices {
					if it.Choices[i].Choice == v {
						it.Choices[i].N++
					}
				}
			}
		}
	case Text:
		for _, a := range answers {
			if v := a.Value(q.ID); v != "" {
				it.Answered++
				if !hideComments {
					it.Comments = append(it.Comments, v)
				}
			}
		}
		// Sorted, so their order says nothing about who answered when.
		sort.Strings(it.Comments)
	}
	return it
}

// npsOf is the net promoter score of NPS counts (index = score).
func npsOf(counts []int) float64 {
	total, promoters, detractors := 0, 0, 0
	for score, n := range counts {
		total += n
		switch {
		case score >= 9:
			promoters += n
		case score <= 6:
			detractors += n
		}
	}
	if total == 0 {
		return 0
	}
	return round2(100 * float64(promoters-detractors) / float64(total))
}

// groups breaks the answers down by key; show, if not nil, says which
// groups may be shown (the others are listed as suppressed).
func groups(r *Round, answers []Answer, show func(string) bool, key func(Answer) string) []Group {
	by := map[string][]Answer{}
	for _, a := range answers {
		k := key(a)
		if k == "" {
			continue
		}
		by[k] = append(by[k], a)
	}
	names := make([]string, 0, len(by))
	for k := range by {
		names = append(names, k)
	}
	slices.Sort(names)
	hidden := map[string]bool{}
	for _, name := range names {
		hidden[name] = show != nil && !show(name)
	}
	var out []Group
	for _, name := range names {
		as := by[name]
		g := Group{Name: name}
		if hidden[name] {
			g.Suppressed = true
			out = append(out, g)
			continue
		}
		g.Responses = len(as)
		g.Scores = map[string]*float64{}
		for _, q := range r.Questions {
			if q.Kind != Likert && q.Kind != NPS {
				continue
			}
			it := item(q, as, true)
			g.Scores[q.ID] = it.Score()
		}
		out = append(out, g)
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// TallyRounds tallies rounds[i] (rounds: one survey's, oldest first) with
// the round before it for comparison; answers reads a round's answers.
func TallyRounds(rounds []Round, i int, answers func(survey string, n int) []Answer) Results {
	var prev *Results
	if i > 0 {
		p := Tally(&rounds[i-1], answers(rounds[i-1].Survey, rounds[i-1].N), nil)
		prev = &p
	}
	return Tally(&rounds[i], answers(rounds[i].Survey, rounds[i].N), prev)
}
