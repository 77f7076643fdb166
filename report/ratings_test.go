package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
)

// ratedLedger is a fakeLedger with what HR imported, as a Source.
type ratedLedger struct {
	*fakeLedger
	now     time.Time
	ratings []jifen.Rating
}

func (l *ratedLedger) Location() *time.Location { return shanghai }
func (l *ratedLedger) Now() time.Time           { return l.now }
func (l *ratedLedger) KPIs(string) []jifen.KPI  { return nil }
func (l *ratedLedger) Ratings(period string) []jifen.Rating {
	var out []jifen.Rating
	for _, r := range l.ratings {
		if r.Period == period {
			out = append(out, r)
		}
	}
	return out
}

// A quarter and a year have no ratings of their own: each member's monthly
// ratings inside them are averaged, the rule is stated, and the figures are
// the ones worked out by hand.
func TestRatingsCombineInsideQuarterAndYear(t *testing.T) {
	l := &ratedLedger{fakeLedger: &fakeLedger{}, now: time.Date(2027, 1, 10, 9, 0, 0, 0, shanghai)}
	// Ten members with 10, 20 … 100 points in October 2026. Their ratings
	// of October, November and December average to 1, 1, 1, 2, 2, 2, 2, 3,
	// 2.5, 2 (members 8 and 9 rated low in one month each).
	monthly := [][3]float64{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {3, 3, 3}, {3, 3, 1.5}, {3, 1.5, 1.5}}
	for i := range 10 {
		id := fmt.Sprintf("m%d", i)
		l.members = append(l.members, jifen.Member{ID: id, Name: id, Department: "销售部", Role: jifen.RoleEmployee})
		l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 10, 5, 10, 0, 0, 0, shanghai), Receiver: id, Points: int64(10 * (i + 1))})
		for j, key := range []string{"2026-10", "2026-11", "2026-12"} {
			l.ratings = append(l.ratings, jifen.Rating{Member: id, Period: key, Score: monthly[i][j]})
		}
	}
	for _, period := range []string{"2026-Q4", "2026"} {
		p, _ := jifen.ParsePeriod(period, shanghai)
		s, err := AnalyzeSource(l, p, &rules.Catalog{}, zh)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Ratings
		if r == nil {
			t.Fatalf("%s: no ratings figures", period)
		}
		// Ranks of points 1…10; of the mean ratings 2, 2, 2, 6, 6, 6, 6,
		// 10, 9, 6: Spearman 0.8195 (worked out with the tie-averaged
		// ranks, by hand).
		var xs, ys []float64
		for i := range 10 {
			xs = append(xs, float64(10*(i+1)))
			ys = append(ys, (monthly[i][0]+monthly[i][1]+monthly[i][2])/3)
		}
		if want := round(Spearman(xs, ys)); r.Source != "months" || r.Rated != 10 || r.Spearman == nil || *r.Spearman != want || want != 0.8195 {
			t.Errorf("%s: source %q, rated %d, ρ %v, want months, 10, %v (0.8195)", period, r.Source, r.Rated, r.Spearman, want)
		}
		// The top quarter by points (Q3 77.5): m7 (mean 3), m8 (2.5), m9
		// (2); the median rating is 2: only m9 is at or below it.
		if r.TopQuarter != 3 || r.HighPointsShare == nil || *r.HighPointsShare != 0.3333 || len(r.HighPointsAverageRating) != 1 {
			t.Errorf("%s: top quarter %d, share %v, %+v", period, r.TopQuarter, r.HighPointsShare, r.HighPointsAverageRating)
		}
		var md strings.Builder
		if err := Markdown(&md, s, zh); err != nil {
			t.Fatal(err)
		}
		// Month by month: points, participation and the month's mean rating.
		if period == "2026-Q4" && !strings.Contains(md.String(), "### 月度趋势\n\n| 月份 | 人均净积分 | 参与率 | 平均评级分（A=4 … D=1） |\n|---|---|---|---|\n"+
			"| 2026-10 | 55.00 | 100.0% | 2 |\n| 2026-11 | 0.00 | 0.0% | 1.85 |\n| 2026-12 | 0.00 | 0.0% | 1.7 |\n") {
			t.Errorf("%s: no monthly table:\n%s", period, md.String())
		}
		if !strings.Contains(md.String(), "按每人本期各月评级的平均值合并") || !strings.Contains(md.String(), "积分前 25% 的 3 人中，1 人评级在中位数及以下，占 33.3%") {
			t.Errorf("%s: the rule or the share is not stated:\n%s", period, md.String())
		}
	}
	// Q3, a quarter earlier, with more points a head and a lower rating:
	// points fell while ratings rose, the trends disagree.
	l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 8, 5, 10, 0, 0, 0, shanghai), Receiver: "m0", Points: 2000})
	// The ledger covers Q3 whole (an entry in June): a period the ledger
	// covers in part is left out of the comparison.
	l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 6, 30, 10, 0, 0, 0, shanghai), Receiver: "m1", Points: 1})
	l.ratings = append(l.ratings, jifen.Rating{Member: "m0", Period: "2026-Q3", Score: 1})
	q4, _ := jifen.ParsePeriod("2026-Q4", shanghai)
	s, _ := AnalyzeSource(l, q4, &rules.Catalog{}, zh)
	if a := s.Ratings.TrendAgreement; a == nil || *a != "disagree" {
		t.Errorf("Q3 → Q4: points fell from 200 a head a month, ratings rose from 1: agreement %v, want disagree", a)
	}
	// Q2, which the ledger covers only from 30 June, is marked so: its
	// points are not a quarter's, and the page says so instead.
	var covered []string
	for _, tp := range s.Ratings.Trend {
		covered = append(covered, fmt.Sprintf("%s %v", tp.Period, tp.Covered))
	}
	if strings.Join(covered, ", ") != "2026-Q2 false, 2026-Q3 true, 2026-Q4 true" {
		t.Errorf("covered: %s", strings.Join(covered, ", "))
	}
	var md strings.Builder
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| 2026-Q2 | —（账本未覆盖整期） | — |") {
		t.Errorf("Q2 not marked incomplete:\n%s", md.String())
	}
}
