package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"jifen"
)

// A run is claimed once per fire time: again at the same time or an
// earlier one is refused, a later one is claimed.
func TestClaimRunOncePerFireTime(t *testing.T) {
	s := openTest(t, "", time.UTC, nil)
	ctx := context.Background()
	nine := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"the first claim", nine, true},
		{"the same fire time again", nine, false},
		{"an earlier fire time", nine.Add(-24 * time.Hour), false},
		{"the next fire time", nine.Add(24 * time.Hour), true},
		{"the next fire time again", nine.Add(24 * time.Hour), false},
	} {
		if ok, err := s.ClaimRun(ctx, "daily", c.at); ok != c.want || err != nil {
			t.Errorf("%s: claimed %v (%v), want %v", c.name, ok, err, c.want)
		}
	}
	if got := s.LastRun("daily"); !got.Equal(nine.Add(24 * time.Hour)) {
		t.Errorf("last run %v", got)
	}
	if ok, _ := s.ClaimRun(ctx, "weekly", nine); !ok {
		t.Error("another job's claim at the same time is refused")
	}
}

// A claim made in a job's own transaction commits with the job's writes,
// or not at all.
func TestTxClaimRunCommitsWithTheJobsWrites(t *testing.T) {
	s := openTest(t, "", time.UTC, nil)
	ctx := context.Background()
	if err := s.SyncMembers(ctx, members(1)); err != nil {
		t.Fatal(err)
	}
	fire := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	job := func(fail error) (claimed bool, err error) {
		_, _, err = s.write(ctx, "", func(tx *Tx) ([]byte, error) {
			ok, err := tx.ClaimRun("celebrations", fire)
			if !ok || err != nil {
				return nil, err
			}
			claimed = true
			if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "m000", Points: 20}); err != nil {
				return nil, err
			}
			return nil, fail
		})
		return claimed, err
	}
	boom := errors.New("the job failed")
	if _, err := job(boom); !errors.Is(err, boom) {
		t.Fatalf("failing job: %v", err)
	}
	if last := s.LastRun("celebrations"); !last.IsZero() {
		t.Fatalf("a failed job's claim was kept: %v", last)
	}
	if claimed, err := job(nil); !claimed || err != nil {
		t.Fatalf("retried job: claimed %v, %v", claimed, err)
	}
	if claimed, err := job(nil); claimed || err != nil {
		t.Fatalf("the same fire again: claimed %v, %v", claimed, err)
	}
	if last := s.LastRun("celebrations"); !last.Equal(fire) {
		t.Errorf("last run %v", last)
	}
	if n := len(s.History("m000", 10)); n != 1 {
		t.Errorf("%d entries, want the one of the run that committed", n)
	}
}
