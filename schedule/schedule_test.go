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
	return Job{Name: name, Spec: spec, Sched: s, Grace: DefaultGrace}
}

// run is one look of the scheduler that runs every due job: each fire is
// claimed just before it runs, and the claimed ones are returned.
func run(t *testing.T, s *Scheduler, now time.Time) map[string]time.Time {
	t.Helper()
	ran := map[string]time.Time{}
	for _, f := range s.Due(now) {
		ok, err := s.Claim(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			ran[f.Job.Name] = f.At
		}
	}
	return ran
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
	st := open(t, path, sh)
	jobs := []Job{job(t, "daily", "0 9 * * *"), job(t, "monthly", "0 9 1 * *")}
	for i := range jobs {
		jobs[i].Grace = 36 * time.Hour
	}
	s := &Scheduler{Runs: st, Jobs: jobs, Location: sh}

	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, sh) }
	if due := s.Due(at(1, 8)); len(due) != 0 {
		t.Fatalf("before 09:00: %v", due)
	}
	due := run(t, s, at(1, 9))
	if len(due) != 2 || !due["monthly"].Equal(at(1, 9)) {
		t.Fatalf("at 09:00 on the 1st: %v", due)
	}
	if due := run(t, s, at(1, 10)); len(due) != 0 {
		t.Fatalf("again: %v", due)
	}
	// Down from the 1st 10:00 to the 3rd 12:00: the daily post of the 2nd
	// and the 3rd were missed; it is caught up once, for the 3rd.
	st.Close()
	st = open(t, path, sh)
	s.Runs = st
	due = run(t, s, at(3, 12))
	if len(due) != 1 || !due["daily"].Equal(at(3, 9)) {
		t.Fatalf("catch-up: %v", due)
	}
	// Two restarts in a row: nothing twice.
	for range 2 {
		st.Close()
		st = open(t, path, sh)
		s.Runs = st
		if due := run(t, s, at(3, 13)); len(due) != 0 {
			t.Fatalf("after a restart: %v", due)
		}
	}
	// Down for a week: the posts of the 4th to the 8th are older than the
	// 36-hour grace window and skipped; the 9th's, 23 hours ago, is caught
	// up once; the next one fires on time.
	if due := run(t, s, at(10, 8)); len(due) != 1 || !due["daily"].Equal(at(9, 9)) {
		t.Fatalf("after a week down: %v", due)
	}
	if due := run(t, s, at(10, 9)); len(due) != 1 {
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
			s := &Scheduler{Runs: st, Jobs: jobs, Location: sh}
			claimed := 0
			for _, f := range s.Due(now) {
				if ok, err := s.Claim(context.Background(), f); err == nil && ok {
					claimed++
				}
			}
			results <- claimed
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

// looks runs the scheduler every tick from from to to, the way serve does,
// and returns the fire times each job ran for.
func looks(t *testing.T, s *Scheduler, tick time.Duration, from, to time.Time) map[string][]time.Time {
	t.Helper()
	ran := map[string][]time.Time{}
	for now := from; !now.After(to); now = now.Add(tick) {
		for name, at := range run(t, s, now) {
			ran[name] = append(ran[name], at)
		}
	}
	return ran
}

// A job with no grace of its own (a survey round, before every job had
// one) still fires every day, not just the first: its grace is never
// under two ticks.
func TestDailyJobWithNoGraceFiresEveryDay(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	st := open(t, filepath.Join(t.TempDir(), "jifen.db"), sh)
	defer st.Close()
	daily := job(t, "survey:pulse", "0 10 * * *")
	daily.Grace = 0
	s := &Scheduler{Runs: st, Jobs: []Job{daily}, Location: sh, Tick: 30 * time.Second}
	// Looks every 30 s, 7 s past the half minute, around 10:00 on each of
	// four days (a look lands on no exact fire time).
	var fired []time.Time
	for day := 1; day <= 4; day++ {
		from := time.Date(2026, 12, day, 9, 58, 7, 0, sh)
		fired = append(fired, looks(t, s, s.Tick, from, from.Add(5*time.Minute))["survey:pulse"]...)
	}
	if len(fired) != 4 {
		t.Fatalf("fired %d times over four days: %v", len(fired), fired)
	}
	for i, at := range fired {
		if want := time.Date(2026, 12, i+1, 10, 0, 0, 0, sh); !at.Equal(want) {
			t.Errorf("fire %d at %v, want %v", i, at, want)
		}
	}
}

// A grace configured shorter than the time between two looks is raised to
// two ticks: the fire that falls between the looks runs at the next one.
func TestGraceBelowTheTickStillFires(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	st := open(t, filepath.Join(t.TempDir(), "jifen.db"), sh)
	defer st.Close()
	daily := job(t, "daily", "0 9 * * *")
	daily.Grace = 10 * time.Second
	s := &Scheduler{Runs: st, Jobs: []Job{daily}, Location: sh, Tick: 30 * time.Second}
	// It ran yesterday; today's looks are at 08:59:50 and 09:00:20.
	if ok, err := st.ClaimRun(context.Background(), "daily", time.Date(2026, 12, 1, 9, 0, 0, 0, sh)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if due := run(t, s, time.Date(2026, 12, 2, 8, 59, 50, 0, sh)); len(due) != 0 {
		t.Fatalf("before 09:00: %v", due)
	}
	due := run(t, s, time.Date(2026, 12, 2, 9, 0, 20, 0, sh))
	if want := time.Date(2026, 12, 2, 9, 0, 0, 0, sh); !due["daily"].Equal(want) {
		t.Fatalf("20 s after 09:00 with a 10 s grace: %v, want the run of %v", due, want)
	}
	if got := s.Grace(daily); got != time.Minute {
		t.Errorf("grace %v, want two ticks", got)
	}
}

// Due claims nothing: of two jobs due in one look, a restart while the
// first one runs (claimed, its run cut short) leaves the second one due
// for the next process, and the first is not run again.
func TestRestartDuringALongJobLeavesTheOthersDue(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	path := filepath.Join(t.TempDir(), "jifen.db")
	st := open(t, path, sh)
	jobs := []Job{job(t, "personal", "0 10 1 * *"), job(t, "leaderboard", "0 10 1 * *")}
	// Both ran last month.
	for _, j := range jobs {
		if ok, err := st.ClaimRun(context.Background(), j.Name, time.Date(2026, 11, 1, 10, 0, 0, 0, sh)); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	now := time.Date(2026, 12, 1, 10, 0, 10, 0, sh)
	s := &Scheduler{Runs: st, Jobs: jobs, Location: sh}
	due := s.Due(now)
	if len(due) != 2 || due[0].Job.Name != "personal" || due[1].Job.Name != "leaderboard" {
		t.Fatalf("due: %v", due)
	}
	// The first job is claimed and starts; the process stops before it
	// ends (and before the second job's turn).
	ctx, cancel := context.WithCancel(context.Background())
	if ok, err := s.Claim(ctx, due[0]); !ok || err != nil {
		t.Fatal(ok, err)
	}
	cancel()
	st.Close()

	st = open(t, path, sh)
	defer st.Close()
	restarted := &Scheduler{Runs: st, Jobs: jobs, Location: sh}
	ran := run(t, restarted, now.Add(5*time.Minute))
	if len(ran) != 1 || !ran["leaderboard"].Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, sh)) {
		t.Fatalf("after the restart: ran %v, want the leaderboard only", ran)
	}
}

// A new job posts nothing of the past, but its first run, cut short by a
// restart before it was claimed, is still due when the process comes back
// minutes later.
func TestFirstRunCutShortIsStillDue(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	path := filepath.Join(t.TempDir(), "jifen.db")
	st := open(t, path, sh)
	daily := job(t, "daily", "0 9 * * *")
	daily.Grace = 6 * time.Hour
	s := &Scheduler{Runs: st, Jobs: []Job{daily}, Location: sh}
	fire := time.Date(2026, 12, 2, 9, 0, 0, 0, sh)
	if due := s.Due(fire.Add(10 * time.Second)); len(due) != 1 || !due[0].At.Equal(fire) {
		t.Fatalf("at 09:00:10: %v", due)
	}
	// The process dies while the job runs; it is back five minutes later.
	st.Close()
	st = open(t, path, sh)
	defer st.Close()
	s = &Scheduler{Runs: st, Jobs: []Job{daily}, Location: sh}
	if due := s.Due(fire.Add(5 * time.Minute)); len(due) != 1 || !due[0].At.Equal(fire) {
		t.Fatalf("after the restart at 09:05: %v, want the run of 09:00", due)
	}
	// A job added to the config at 15:00 does not post 09:00's.
	later := job(t, "later", "0 9 * * *")
	later.Grace = 24 * time.Hour
	s = &Scheduler{Runs: st, Jobs: []Job{later}, Location: sh}
	if due := s.Due(fire.Add(6 * time.Hour)); len(due) != 0 {
		t.Fatalf("a new job posted the past: %v", due)
	}
}
