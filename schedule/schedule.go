// Package schedule fires the scheduled posts (public leaderboards, digests,
// personal reports, reminders, survey rounds) at their cron times in the
// configured zone, with two guarantees: a run missed while the bot was
// down is caught up once, within its job's grace window, and no run is
// ever done twice, however often the bot restarts.
//
// Due says which runs are due without claiming them; each run is claimed
// (Claim, or Tx.ClaimRun in the transaction of the job's own writes) just
// before it runs, so a restart during one long job loses that job's run
// at most, never the runs of the jobs after it.
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

// DefaultGrace is a job's grace when its config sets none.
const DefaultGrace = 6 * time.Hour

// DefaultTick is how often the scheduler looks for due jobs when its Tick
// is not set.
const DefaultTick = 30 * time.Second

// Job is one scheduled post.
type Job struct {
	Name  string
	Spec  string
	Sched cron.Schedule
	// Grace is how late a missed run may still be caught up; older ones
	// are skipped (a Monday leaderboard is not posted on Thursday). It is
	// never less than two ticks (see Scheduler.Grace), so a run that falls
	// between two looks is not missed.
	Grace time.Duration
}

// Fire is one due run: a job and the fire time it runs for.
type Fire struct {
	Job Job
	At  time.Time
}

// Runs records claimed runs (the store).
type Runs interface {
	// ClaimRun records that job name ran for fire, and reports whether
	// this call claimed it: false when a run at or after fire is
	// recorded already.
	ClaimRun(ctx context.Context, name string, fire time.Time) (bool, error)
	LastRun(name string) time.Time
	// FirstSeen is when a scheduler first looked for job name's fires:
	// the time recorded at its first call, which records now.
	FirstSeen(name string, now time.Time) time.Time
}

// Scheduler decides which jobs are due.
type Scheduler struct {
	Runs     Runs
	Jobs     []Job
	Location *time.Location
	// Tick is how often Due is called (DefaultTick when zero).
	Tick time.Duration
}

// Next is a job's next fire time after now, in the configured zone.
func (s *Scheduler) Next(j Job, now time.Time) time.Time {
	return j.Sched.Next(now.In(s.Location))
}

func (s *Scheduler) tick() time.Duration {
	if s.Tick > 0 {
		return s.Tick
	}
	return DefaultTick
}

// Grace is how late a run of j may still be caught up: the job's own
// grace, and never less than two ticks. A grace of zero, or one shorter
// than the time between two looks, would let a fire fall between them
// unseen (and, once the job has run, nothing would ever be due again).
func (s *Scheduler) Grace(j Job) time.Duration {
	return max(j.Grace, 2*s.tick())
}

// Due returns, in the order of Jobs, each job's latest fire time in
// (last run, now] that is within the job's grace. A job that missed
// several fires is due once, for the latest. Nothing is claimed: claim
// each fire just before running it, so that a run cut short by a restart
// leaves the fires after it due. Call Due every Tick.
func (s *Scheduler) Due(now time.Time) []Fire {
	var out []Fire
	for _, j := range s.Jobs {
		// A job that never ran starts when it was first seen (a new job
		// does not post the past, but a run cut short by a restart is
		// still due); one that ran catches up from its last run; both
		// within the job's grace.
		from := now.Add(-s.Grace(j))
		last := s.Runs.LastRun(j.Name)
		if last.IsZero() {
			last = s.Runs.FirstSeen(j.Name, now).Add(-2 * s.tick())
		}
		if last.After(from) {
			from = last
		}
		var fire time.Time
		for t := s.Next(j, from); !t.After(now); t = s.Next(j, t) {
			fire = t
		}
		if !fire.IsZero() {
			out = append(out, Fire{Job: j, At: fire})
		}
	}
	return out
}

// Claim records f as run and reports whether this call claimed it: false
// when it, or a later fire of its job, was claimed already (by an earlier
// process, or one racing this one). Only the claimant runs it.
func (s *Scheduler) Claim(ctx context.Context, f Fire) (bool, error) {
	return s.Runs.ClaimRun(ctx, f.Job.Name, f.At)
}
