package schedule

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"jifen/store"
)

func zone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func open(t *testing.T, path string, loc *time.Location) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func job(t *testing.T, name, spec string) Job {
	s, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return Job{Name: name, Spec: spec, Sched: s}
}

// Fire times are local: the monthly post at 09:00 on the 1st in Shanghai,
// across a month end and a year end.
func TestNextInZone(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	s := &Scheduler{Location: sh}
	monthly := job(t, "monthly", "0 9 1 * *")
	got := s.Next(monthly, time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)) // 04:00 on 1 Dec in Shanghai
	if want := time.Date(2026, 12, 1, 9, 0, 0, 0, sh); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
	got = s.Next(monthly, time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)) // 09:00 Shanghai just passed
	if want := time.Date(2027, 1, 1, 9, 0, 0, 0, sh); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
	// In a DST zone the wall time holds: 09:00 New York is 14:00 UTC in
	// winter and 13:00 UTC in summer.
	ny := zone(t, "America/New_York")
	s.Location = ny
	weekly := job(t, "weekly", "0 9 * * MON")
	if got := s.Next(weekly, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("after the DST change: %v", got.UTC())
	}
	if got := s.Next(weekly, time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("before the DST change: %v", got.UTC())
	}
	if _, err := Parse("61 9 * * *"); err == nil {
		t.Error("a bad spec parsed")
	}
}

func TestCatchUpOnceAndNeverTwice(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	path := filepath.Join(t.TempDir(), "jifen.db")
	ctx := context.Background()
	st := open(t, path, sh)
	jobs := []Job{job(t, "daily", "0 9 * * *"), job(t, "monthly", "0 9 1 * *")}
	s := &Scheduler{Runs: st, Jobs: jobs, Location: sh, Grace: 36 * time.Hour}

	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, sh) }
	due, err := s.Due(ctx, at(1, 8))
	if err != nil || len(due) != 0 {
		t.Fatalf("before 09:00: %v %v", due, err)
	}
	due, _ = s.Due(ctx, at(1, 9))
	if len(due) != 2 || !due["monthly"].Equal(at(1, 9)) {
		t.Fatalf("at 09:00 on the 1st: %v", due)
	}
	if due, _ := s.Due(ctx, at(1, 10)); len(due) != 0 {
		t.Fatalf("again: %v", due)
	}
	// Down from the 1st 10:00 to the 3rd 12:00: the daily post of the 2nd
	// and the 3rd were missed; it is caught up once, for the 3rd.
	st.Close()
	st = open(t, path, sh)
	s.Runs = st
	due, _ = s.Due(ctx, at(3, 12))
	if len(due) != 1 || !due["daily"].Equal(at(3, 9)) {
		t.Fatalf("catch-up: %v", due)
	}
	// Two restarts in a row: nothing twice.
	for range 2 {
		st.Close()
		st = open(t, path, sh)
		s.Runs = st
		if due, _ := s.Due(ctx, at(3, 13)); len(due) != 0 {
			t.Fatalf("after a restart: %v", due)
		}
	}
	// Down for a week: the posts of the 4th to the 8th are older than the
	// 36-hour grace window and skipped; the 9th's, 23 hours ago, is caught
	// up once; the next one fires on time.
	if due, _ := s.Due(ctx, at(10, 8)); len(due) != 1 || !due["daily"].Equal(at(9, 9)) {
		t.Fatalf("after a week down: %v", due)
	}
	if due, _ := s.Due(ctx, at(10, 9)); len(due) != 1 {
		t.Fatalf("the next day's post: %v", due)
	}
	st.Close()
}

// Two schedulers racing over one store claim each run once.
func TestRacingSchedulersClaimOnce(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	st := open(t, filepath.Join(t.TempDir(), "jifen.db"), sh)
	defer st.Close()
	jobs := []Job{job(t, "daily", "0 9 * * *")}
	now := time.Date(2026, 12, 1, 9, 0, 30, 0, sh)
	results := make(chan int, 8)
	for range 8 {
		go func() {
			s := &Scheduler{Runs: st, Jobs: jobs, Location: sh, Grace: time.Hour}
			due, _ := s.Due(context.Background(), now)
			results <- len(due)
		}()
	}
	total := 0
	for range 8 {
		total += <-results
	}
	if total != 1 {
		t.Fatalf("%d claims", total)
	}
}
