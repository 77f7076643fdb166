package report

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
)

// A company whose climber rises through two known behaviors and whose
// participation per level and tenure is known: November 2026 against
// October.
//
//	     Oct              Nov                    rank Oct → Nov
//	a 基层 deal 100        deal 60                1 → 2 (falls: deal −40)
//	b 基层 deal 50         deal 50                2 → 3 (falls, no behavior moved)
//	c 中层 deal 20 idea 10 deal 50 idea 30 late −5 3 → 1 (climbs: deal +30, idea +20)
//	d 中层 idea 10         late −5                4 → 6 (falls: idea −10, late −5)
//	e 基层 (new)           —
//	f 中层                 —
//
// Participation in November: 基层 a, b of a, b, e (2/3); 中层 c of c, d, f
// (1/3); new e (0/1); others a, b, c of five (3/5).
func TestClimbersAndParticipation(t *testing.T) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sales", Name: "销售业绩"}, {ID: "att", Name: "考勤"}},
		Behaviors: []rules.Behavior{
			{ID: "deal", Name: "签单", Category: "sales", Min: 10, Max: 100},
			{ID: "idea", Name: "合理化建议", Category: "sales", Min: 5, Max: 30},
			{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5},
		},
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Level: "基层", Joined: old},
		{ID: "b", Name: "乙", Level: "基层", Joined: old},
		{ID: "c", Name: "丙", Level: "中层", Joined: old},
		{ID: "d", Name: "丁", Level: "中层", Joined: old},
		{ID: "e", Name: "戊", Level: "基层", Joined: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "f", Name: "己", Level: "中层", Joined: old},
	}}
	give := func(who, beh string, pts int64, month time.Month) {
		kind, c := jifen.KindAward, "sales"
		if pts < 0 {
			kind, c = jifen.KindDeduct, "att"
		}
		l.add(jifen.Entry{Kind: kind, At: time.Date(2026, month, 10, 9, 0, 0, 0, shanghai), Giver: "boss", Receiver: who, Points: pts, Category: c, Behavior: beh})
	}
	give("a", "deal", 100, time.October)
	give("b", "deal", 50, time.October)
	give("c", "deal", 20, time.October)
	give("c", "idea", 10, time.October)
	give("d", "idea", 10, time.October)
	give("a", "deal", 60, time.November)
	give("b", "deal", 50, time.November)
	give("c", "deal", 50, time.November)
	give("c", "idea", 30, time.November)
	give("c", "late", -5, time.November)
	give("d", "late", -5, time.November)
	// The ledger must cover October entirely to compare.
	l.entries[0].Effective = time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai)

	s, err := Analyze(l, mustPeriod(t, "2026-11"), Options{Location: shanghai, Now: december, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	moves := func(ms []Move) string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%s %d→%d %v", m.ID, m.From, m.To, m.Drivers))
		}
		return strings.Join(out, "; ")
	}
	if got, want := moves(s.Climbers), "c 3→1 [{deal 签单 50 20 30} {idea 合理化建议 30 10 20}]"; got != want {
		t.Errorf("climbers: %s\nwant %s", got, want)
	}
	if got, want := moves(s.Fallers), "d 4→6 [{idea 合理化建议 0 10 -10} {late 迟到 -5 0 -5}]; a 1→2 [{deal 签单 60 100 -40}]; b 2→3 []"; got != want {
		t.Errorf("fallers: %s\nwant %s", got, want)
	}
	levels := func() string {
		var out []string
		for _, lv := range append(s.Distribution.ByLevel, s.Distribution.NewMembers, s.Distribution.Others) {
			out = append(out, fmt.Sprintf("%s %d %v", lv.Name, lv.Members, lv.Participation))
		}
		return strings.Join(out, "; ")
	}()
	if want := "中层 3 0.3333; 基层 3 0.6667; new 1 0; others 5 0.6"; levels != want {
		t.Errorf("participation by group: %s\nwant %s", levels, want)
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- 丙：积分上升主要来自签单（+30）、合理化建议（+20）。\n",
		"- 丁：积分下降主要在合理化建议（-10）、迟到（-5）。\n",
		"| 中层 | 3 | 23.33 | 23.33 | 33.3% |",
		"| 入职半年内 | 1 | 0.00 | 0.00 | 0.0% |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// firstInOrder keeps what a sort would put first, ties included (the order
// breaks them), for groups smaller and larger than what is kept.
func TestFirstInOrderIsTheSortedPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 500 {
		n, k := rng.IntN(12), rng.IntN(5)
		pts := make([]int, n)
		for i := range pts {
			pts[i] = rng.IntN(4)
		}
		order := func(a, b int) int { return cmp.Or(cmp.Compare(pts[b], pts[a]), cmp.Compare(a, b)) }
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		slices.SortFunc(all, order)
		if got, want := firstInOrder(n, k, order), all[:min(k, n)]; !slices.Equal(got, want) {
			t.Fatalf("points %v, first %d: %v, want %v", pts, k, got, want)
		}
	}
}
