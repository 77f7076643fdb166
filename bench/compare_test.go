package bench

import (
	"context"
	"testing"
	"time"

	"jifen"
)

// TestSameAnswers builds the small dataset on both sides and checks that
// they answer every query workload alike, and that the report's figures
// are those of the generator.
func TestSameAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two stores")
	}
	ctx := context.Background()
	files, err := Prepare(t.TempDir(), Quick, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	j, err := OpenJifen(files.Jifen)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s, err := OpenSQLite(files.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := SameAnswers(ctx, j, s); err != nil {
		t.Fatal(err)
	}
	// Both could be wrong alike: check SQLite's figures against the
	// generator itself.
	fig, err := s.Report(ctx, Year())
	if err != nil {
		t.Fatal(err)
	}
	months := map[string]int64{}
	var net int64
	n := 0
	_ = Quick.Each(func(e *jifen.Entry) error {
		months[monthKey(e.At)] += e.Points
		net += e.Points
		n++
		return nil
	})
	if fig.Current.Net != net || fig.Current.Entries != n || len(fig.MonthNet) != 12 {
		t.Errorf("report: net %d entries %d months %d, want %d %d 12", fig.Current.Net, fig.Current.Entries, len(fig.MonthNet), net, n)
	}
	for m, v := range months {
		if fig.MonthNet[m] != v {
			t.Errorf("month %s: %d, want %d", m, fig.MonthNet[m], v)
		}
	}
	if sc := j.Score(ScoreMember, Month()); sc.Month <= 0 || sc.Rank < 2 {
		t.Errorf("score of %s: %+v; pick a member with points, not first", ScoreMember, sc)
	}
}

// TestAwards makes a few awards on each side from several writers and
// checks they are all recorded, with their month aggregate.
func TestAwards(t *testing.T) {
	ctx := context.Background()
	const n = 40
	j, err := NewJifenAwards(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s, err := NewSQLiteAwards(t.TempDir(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, a := range []Awarder{j, s} {
		if made, _, err := RunAwards(ctx, a, 8, n, time.Time{}); err != nil || made != n {
			t.Fatalf("%T: %d awards, %v", a, made, err)
		}
	}
	month := jifen.PeriodOf(jifen.Month, AwardTime, Shanghai)
	var entries int
	var points int64
	if err := s.db.QueryRow(`SELECT (SELECT COUNT(*) FROM entries), (SELECT SUM(points) FROM month_points WHERE month = ?)`,
		month.Key).Scan(&entries, &points); err != nil {
		t.Fatal(err)
	}
	var jpoints int64
	for i := range n {
		jpoints += j.st.Totals(Receiver(i), month).Net
	}
	if entries != n || points != 5*n || j.st.EntryCount() != n || jpoints != 5*n {
		t.Errorf("SQLite: %d entries, %d points; jifen: %d entries, %d points; want %d and %d",
			entries, points, j.st.EntryCount(), jpoints, n, 5*n)
	}
}
