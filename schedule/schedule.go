// Package schedule fires the scheduled posts (public leaderboards, digests,
// personal reports, reminders) at their cron times in the configured zone,
// with two guarantees: a run missed while the bot was down is caught up
// once, within a grace window, and no run is ever done twice, however often
// the bot restarts. Runs are claimed in the store before they post.
package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// parser reads standard five-field specs ("0 9 * * MON") and descriptors
// (@daily, @weekly, @monthly).
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse checks a cron spec.
func Parse(spec string) (cron.Schedule, error) {
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return s, nil
}

// Job is one scheduled post.
type Job struct {
	Name  string
	Spec  string
	Sched cron.Schedule
}

// Runs records claimed runs (the store).
type Runs interface {
	ClaimRun(ctx context.Context, name string, fire time.Time) (bool, error)
	LastRun(name string) time.Time
}

// Scheduler decides which jobs are due.
type Scheduler struct {
	Runs     Runs
	Jobs     []Job
	Location *time.Location
	// Grace is how late a missed run may still be caught up; older ones
	// are skipped (a Monday leaderboard is not posted on Thursday).
	Grace time.Duration
}

// Next is a job's next fire time after now, in the configured zone.
func (s *Scheduler) Next(j Job, now time.Time) time.Time {
	return j.Sched.Next(now.In(s.Location))
}

// Due returns, for each job, the latest fire time in (last run, now] that
// is within the grace window, claiming it. A job that missed several fires
// is due once, for the latest. Call it at least once a minute.
func (s *Scheduler) Due(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, j := range s.Jobs {
		// A job that never ran starts now (a new job does not post the
		// past); one that ran catches up from its last run, within Grace.
		from := now.Add(-s.Grace)
		switch last := s.Runs.LastRun(j.Name); {
		case last.IsZero():
			from = now.Add(-time.Minute)
		case last.After(from):
			from = last
		}
		var fire time.Time
		for t := s.Next(j, from); !t.After(now); t = s.Next(j, t) {
			fire = t
		}
		if fire.IsZero() {
			continue
		}
		ok, err := s.Runs.ClaimRun(ctx, j.Name, fire)
		if err != nil {
			return out, err
		}
		if ok {
			out[j.Name] = fire
		}
	}
	return out, nil
}
