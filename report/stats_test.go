package report

import (
	"math"
	"net/url"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRanksAverageTies(t *testing.T) {
	got := Ranks([]float64{10, 20, 20, 30, 20, 5})
	want := []float64{2, 4, 4, 6, 4, 1} // the three 20s share ranks 3,4,5
	for i := range want {
		if !near(got[i], want[i]) {
			t.Fatalf("Ranks = %v, want %v", got, want)
		}
	}
}

// Hand-checked values.
func TestSpearman(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		// No ties: d = (0,0,-1,1,0) → 1 - 6·2/(5·24) = 0.9.
		{"no ties", []float64{1, 2, 3, 4, 5}, []float64{5, 6, 8, 7, 10}, 0.9},
		{"perfect", []float64{3, 1, 2}, []float64{30, 10, 20}, 1},
		{"inverse", []float64{1, 2, 3, 4}, []float64{9, 7, 5, 1}, -1},
		// Ties: x ranks (1, 2.5, 2.5, 4), y ranks (1, 2, 3, 4).
		// Pearson of ranks: Σdxdy = 1.5·1.5 + 0·0.5 + 0·(-0.5) … computed:
		// mean 2.5; dx = (-1.5, 0, 0, 1.5), dy = (-1.5, -0.5, 0.5, 1.5);
		// Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5/√22.5 = 0.9486832980505138.
		{"ties", []float64{10, 20, 20, 30}, []float64{1, 2, 3, 4}, 0.9486832980505138},
		// Points vs ratings (A=4 … D=1) with ties on both sides: x ranks
		// (2, 2, 2, 4.5, 4.5), y ranks (1.5, 1.5, 3.5, 3.5, 5);
		// dx = (-1, -1, -1, 1.5, 1.5), dy = (-1.5, -1.5, 0.5, 0.5, 2);
		// Σdxdy = 1.5+1.5-0.5+0.75+3 = 6.25; Σdx² = 7.5; Σdy² = 9 → 6.25/√67.5.
		{"ties on both", []float64{50, 50, 50, 80, 80}, []float64{2, 2, 3, 3, 4}, 6.25 / math.Sqrt(67.5)},
	}
	for _, tt := range tests {
		if got := Spearman(tt.x, tt.y); !near(got, tt.want) {
			t.Errorf("%s: Spearman = %.12f, want %.12f", tt.name, got, tt.want)
		}
	}
	if !math.IsNaN(Spearman([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Error("no variance must be NaN")
	}
	if !math.IsNaN(Spearman([]float64{1}, []float64{1})) {
		t.Error("one value must be NaN")
	}
}

// Checked against spreadsheet QUARTILE.INC.
func TestQuartiles(t *testing.T) {
	tests := []struct {
		xs   []float64
		want Quartiles
	}{
		{[]float64{1, 2, 3, 4, 5}, Quartiles{1, 2, 3, 4, 5}},
		{[]float64{7, 15, 36, 39, 40, 41}, Quartiles{7, 20.25, 37.5, 39.75, 41}},
		{[]float64{0, 0, 0, 10}, Quartiles{0, 0, 0, 2.5, 10}},
		{[]float64{42}, Quartiles{42, 42, 42, 42, 42}},
		{nil, Quartiles{}},
	}
	for _, tt := range tests {
		if got := QuartilesOf(tt.xs); got != tt.want {
			t.Errorf("QuartilesOf(%v) = %+v, want %+v", tt.xs, got, tt.want)
		}
	}
}

func TestChangeAndMean(t *testing.T) {
	if got := Change(100, 120); !near(got, 0.2) {
		t.Errorf("Change = %v", got)
	}
	if got := Change(-50, -25); !near(got, 0.5) {
		t.Errorf("Change from negative = %v", got)
	}
	if !math.IsNaN(Change(0, 5)) {
		t.Error("change from zero must be NaN")
	}
	if Mean(nil) != 0 || Mean([]float64{1, 2, 6}) != 3 {
		t.Error("Mean")
	}
}

func TestReportLinks(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	link := Link("https://jifen.example.com", key, "2026-11", now)
	u, err := url.Parse(link)
	if err != nil || u.Path != "/reports/2026-11" {
		t.Fatalf("%s %v", link, err)
	}
	q := u.Query()
	if !CheckLink(key, "2026-11", q.Get("exp"), q.Get("sig"), now.Add(6*24*time.Hour)) {
		t.Error("a fresh link was refused")
	}
	for name, ok := range map[string]bool{
		"expired":      CheckLink(key, "2026-11", q.Get("exp"), q.Get("sig"), now.Add(8*24*time.Hour)),
		"other period": CheckLink(key, "2026-10", q.Get("exp"), q.Get("sig"), now),
		"other key":    CheckLink([]byte("another key"), "2026-11", q.Get("exp"), q.Get("sig"), now),
		"longer":       CheckLink(key, "2026-11", q.Get("exp")+"0", q.Get("sig"), now),
		"no signature": CheckLink(key, "2026-11", q.Get("exp"), "", now),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
