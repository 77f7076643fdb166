package store

import (
	"context"
	"testing"
	"time"
)

// A job's fire is claimed once: the same fire time again, or an earlier
// one, is not claimed; the next fire is.
func TestClaimRunClaimsEachFireOnce(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	fire := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"the first fire", fire, true},
		{"the same fire again", fire, false},
		{"an earlier fire", fire.Add(-24 * time.Hour), false},
		{"the next fire", fire.Add(24 * time.Hour), true},
		{"the next fire again", fire.Add(24 * time.Hour), false},
	} {
		got, err := s.ClaimRun(ctx, "weekly-board", c.at)
		if err != nil || got != c.want {
			t.Errorf("%s: claimed %v (%v), want %v", c.name, got, err, c.want)
		}
	}
	if got, _ := s.ClaimRun(ctx, "monthly-digest", fire); !got {
		t.Error("another job's fire at the same time is not claimed")
	}
	if last := s.LastRun("weekly-board"); !last.Equal(fire.Add(24 * time.Hour)) {
		t.Errorf("last run %s", last)
	}
}
