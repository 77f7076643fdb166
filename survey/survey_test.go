package survey

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"jifen"
)

func TestApply(t *testing.T) {
	qs := map[string]*Question{
		"l": {ID: "l", Kind: Likert}, "n": {ID: "n", Kind: NPS},
		"s": {ID: "s", Kind: Single, Choices: []string{"甲", "乙"}},
		"m": {ID: "m", Kind: Multiple, Choices: []string{"甲", "乙", "丙"}},
		"t": {ID: "t", Kind: Text},
	}
	var a Answer
	steps := []struct {
		q, v string
		ok   bool
		want []string
	}{
		{"l", "0", false, nil}, {"l", "1", true, []string{"1"}}, {"l", "5", true, []string{"5"}}, {"l", "6", false, []string{"5"}},
		{"n", "0", true, []string{"0"}}, {"n", "10", true, []string{"10"}}, {"n", "11", false, []string{"10"}}, {"n", "x", false, []string{"10"}},
		{"s", "2", true, []string{"乙"}}, {"s", "甲", true, []string{"甲"}}, {"s", "3", false, []string{"甲"}},
		{"m", "+3", true, []string{"丙"}}, {"m", "+1", true, []string{"甲", "丙"}}, {"m", "+1", true, []string{"甲", "丙"}},
		{"m", "-3", true, []string{"甲"}}, {"m", "-3", true, []string{"甲"}}, {"m", "2", true, []string{"甲", "乙"}}, {"m", "2", true, []string{"甲"}},
		{"m", "+9", false, []string{"甲"}},
		{"t", "  ", false, nil}, {"t", "好", true, []string{"好"}},
	}
	for _, s := range steps {
		err := a.Apply(qs[s.q], s.v)
		if (err == nil) != s.ok {
			t.Errorf("%s %q: err %v", s.q, s.v, err)
		}
		if err != nil && jifen.ErrorCode(err) != jifen.EINVALID {
			t.Errorf("%s %q: code %v", s.q, s.v, jifen.ErrorCode(err))
		}
		if !slices.Equal(a.Values[s.q], s.want) {
			t.Errorf("%s %q: %v, want %v", s.q, s.v, a.Values[s.q], s.want)
		}
	}
	long := make([]rune, MaxText+10)
	for i := range long {
		long[i] = '字'
	}
	if err := a.Apply(qs["t"], string(long)); err != nil || len([]rune(a.Value("t"))) != MaxText {
		t.Errorf("long text: %v, %d runes", err, len([]rune(a.Value("t"))))
	}
}

func TestTally(t *testing.T) {
	r := &Round{Survey: "s", N: 2, Anonymous: true, MinGroup: 3, Audience: make([]string, 10),
		Questions: []Question{{ID: "l", Kind: Likert}, {ID: "n", Kind: NPS}, {ID: "c", Kind: Multiple, Choices: []string{"甲", "乙"}}, {ID: "t", Kind: Text}},
		Started:   time.Unix(0, 0)}
	ans := func(dep, l, n string, c ...string) Answer {
		a := Answer{Department: dep, Level: "基层", Values: map[string][]string{"l": {l}, "n": {n}}}
		if len(c) > 0 {
			a.Values["c"] = c
		}
		return a
	}
	answers := []Answer{
		ans("A", "5", "10", "甲"), ans("A", "4", "9", "甲", "乙"), ans("A", "3", "8"), ans("A", "2", "6"),
		ans("B", "1", "0", "乙"), ans("B", "5", "10"),
		{Department: "C", Values: map[string][]string{}}, // opened but answered nothing: not a respondent
	}
	prev := &Results{Round: "s-1", Rate: 0.5, Items: []Item{{ID: "l", Kind: Likert, Mean: ptr(2.0)}, {ID: "n", Kind: NPS, NPS: ptr(-10.0)}}}
	res := Tally(r, answers, prev)
	if res.Responses != 6 || res.Rate != 0.6 {
		t.Errorf("responses %d rate %v", res.Responses, res.Rate)
	}
	l, n, c := res.Items[0], res.Items[1], res.Items[2]
	if *l.Mean != 3.33 || !slices.Equal(l.Counts, []int{1, 1, 1, 1, 2}) || *l.PrevMean != 2 {
		t.Errorf("likert %+v", l)
	}
	// Promoters 3 (10, 9, 10), detractors 2 (6, 0) of 6: NPS 16.67.
	if *n.NPS != 16.67 || *n.PrevNPS != -10 || n.Counts[10] != 2 {
		t.Errorf("nps %+v", n)
	}
	if c.Answered != 3 || c.Choices[0].N != 2 || c.Choices[1].N != 2 {
		t.Errorf("choices %+v", c)
	}
	// B has 2 < 3 answers: hidden. A alone would then give B away by
	// difference from the total, so it is hidden too.
	if len(res.ByDepartment) != 2 || !res.ByDepartment[0].Suppressed || !res.ByDepartment[1].Suppressed {
		t.Errorf("by department %+v", res.ByDepartment)
	}
	// One level with 6 answers: shown.
	if len(res.ByLevel) != 1 || res.ByLevel[0].Suppressed || *res.ByLevel[0].Scores["l"] != 3.33 {
		t.Errorf("by level %+v", res.ByLevel)
	}

	// With a third department of 3, B's 2 plus the smallest shown group
	// (C, 3) reach 5 ≥ 3 hidden together; A (4) stays shown.
	answers = append(answers, ans("C", "4", "7"), ans("C", "4", "7"), ans("C", "4", "7"), ans("A", "1", "1"))
	res = Tally(r, answers, nil)
	var shown []string
	for _, g := range res.ByDepartment {
		if !g.Suppressed {
			shown = append(shown, g.Name)
		}
	}
	if !slices.Equal(shown, []string{"A"}) {
		t.Errorf("shown %v, want [A]", shown)
	}

	// A named survey shows every group and every comment.
	r.Anonymous = false
	res = Tally(r, []Answer{{Department: "B", Values: map[string][]string{"t": {"好"}}}}, nil)
	if res.ByDepartment[0].Suppressed || res.CommentsHidden || len(res.Items[3].Comments) != 1 {
		t.Errorf("named: %+v", res)
	}
	r.Anonymous = true
	res = Tally(r, []Answer{{Department: "B", Values: map[string][]string{"t": {"好"}}}}, nil)
	if !res.CommentsHidden || len(res.Items[3].Comments) != 0 {
		t.Errorf("anonymous with one answer shows its comment: %+v", res.Items[3])
	}
}

func ptr(x float64) *float64 { return &x }

func TestParseRoundID(t *testing.T) {
	for in, want := range map[string]bool{"satisfaction-3": true, "a_b-12": true, "x-0": false, "x": false, "-1": false, "x-y": false} {
		if _, _, ok := ParseRoundID(in); ok != want {
			t.Errorf("%q: %v", in, ok)
		}
	}
}

// Whatever the answers, the groups Disclosable lets show leave no cell
// (the respondents sharing a shown department, a shown level, or neither)
// of fewer than minGroup, unless no group is shown at all.
func TestDisclosableLeavesNoSmallCell(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 16))
	depts, levels := []string{"", "A", "B", "C", "D"}, []string{"", "x", "y", "z"}
	for i := range 2000 {
		var as []Answer
		for range rng.IntN(40) {
			as = append(as, Answer{Department: depts[rng.IntN(len(depts))], Level: levels[rng.IntN(len(levels))]})
		}
		k := 3 + rng.IntN(4)
		sh := Disclosable(as, k)
		cells, any := map[[2]string]int{}, false
		for _, a := range as {
			var c [2]string
			if sh.Departments[a.Department] {
				c[0], any = a.Department, true
			}
			if sh.Levels[a.Level] {
				c[1], any = a.Level, true
			}
			cells[c]++
		}
		if !any {
			continue
		}
		for c, n := range cells {
			if n < k {
				t.Fatalf("case %d, min %d: cell %v holds %d (shown %v)", i, k, c, n, sh)
			}
		}
	}
}

// An anonymous answer keeps its department and level only when at least
// the round's threshold of the audience share both, its department alone
// when that many share the department, and neither otherwise; each bound
// is exact (k keeps, k-1 does not).
func TestAttributesAtTheThreshold(t *testing.T) {
	r := Round{Anonymous: true, MinGroup: 3, Groups: []GroupSize{
		{Department: "销售部", Level: "P5", N: 3}, // the pair at the threshold
		{Department: "销售部", Level: "P6", N: 2}, // a pair under it
		{Department: "市场部", Level: "P5", N: 2}, // a department under it
		{Department: "研发部", Level: "P5", N: 1}, // a department at it, no pair at it
		{Department: "研发部", Level: "P6", N: 1},
		{Department: "研发部", Level: "P7", N: 1},
	}}
	for _, c := range []struct {
		dept, level         string
		wantDept, wantLevel string
	}{
		{"销售部", "P5", "销售部", "P5"},
		{"销售部", "P6", "销售部", ""},
		{"市场部", "P5", "", ""},
		{"研发部", "P6", "研发部", ""},
	} {
		d, l := r.Attributes(jifen.Member{Department: c.dept, Level: c.level})
		if d != c.wantDept || l != c.wantLevel {
			t.Errorf("%s %s keeps (%q, %q), want (%q, %q)", c.dept, c.level, d, l, c.wantDept, c.wantLevel)
		}
	}
	// A named answer keeps both, whatever the groups.
	r.Anonymous = false
	if d, l := r.Attributes(jifen.Member{Department: "市场部", Level: "P5"}); d != "市场部" || l != "P5" {
		t.Errorf("a named answer keeps (%q, %q)", d, l)
	}
}
