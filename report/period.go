package report

import (
	"time"

	"jifen"
)

// A summary covers a month, a quarter or a year that has begun. One that
// has not ended is reported "as of now": its averages per month divide by
// the months begun, its trend and policy windows stop at the current month,
// and it is not compared with the previous period (the ledger covers only
// part of it).

// CheckPeriod is the rule the command line and chat share: a summary is of a
// month, a quarter or a year, and of one that has begun at now. The error
// names the period and today's date (in the period's zone).
func CheckPeriod(p jifen.Period, now time.Time) error {
	switch p.Kind {
	case jifen.Month, jifen.Quarter, jifen.Year:
	default:
		return jifen.Errorf(jifen.EINVALID, "err.report_period", p.Key)
	}
	if !p.Begun(now) {
		return jifen.Errorf(jifen.EINVALID, "err.report_not_begun", p.Key, now.In(p.Start.Location()).Format("2006-01-02"))
	}
	return nil
}

// MonthsBegun is how many calendar months of p start at or before now:
// 1, 3 or 12 for a month, quarter or year that is over, fewer for the
// current one. Figures "per month" divide by it.
func MonthsBegun(p jifen.Period, now time.Time) int {
	n := 0
	for m := p.Start; m.Before(p.End) && !m.After(now); m = m.AddDate(0, 1, 0) {
		n++
	}
	return n
}

// Comparison says whether the period's figures may be set against the
// previous period's, and if not why.
type Comparison struct {
	Comparable bool `json:"comparable"`
	// Reason: "" when comparable; "no_data" (the ledger is empty),
	// "current" (the period is not over) or "previous_partial" (the ledger
	// begins after the previous period's start), the first that applies.
	Reason string `json:"reason"`
}

// Reasons a comparison is not made.
const (
	ReasonNoData          = "no_data"
	ReasonCurrent         = "current"
	ReasonPreviousPartial = "previous_partial"
)

// compare decides the comparability of p with prev at now, first being the
// ledger's earliest effective time (zero: no entry).
func compare(p, prev jifen.Period, now, first time.Time) Comparison {
	switch {
	case first.IsZero():
		return Comparison{Reason: ReasonNoData}
	case !p.Over(now):
		return Comparison{Reason: ReasonCurrent}
	case first.After(prev.Start):
		return Comparison{Reason: ReasonPreviousPartial}
	}
	return Comparison{Comparable: true}
}

// roster is the directory with each member's employment (jifen.Member.
// Employment) computed once: a summary counts the members of a dozen
// periods and more (the period, the previous one, each month, the policy
// windows, the trend).
type roster struct {
	members     []jifen.Member
	from, until []time.Time
	employed    []bool // not a bot
	now         time.Time
	loc         *time.Location
}

func newRoster(members []jifen.Member, now time.Time, loc *time.Location) *roster {
	r := &roster{members: members, from: make([]time.Time, len(members)), until: make([]time.Time, len(members)),
		employed: make([]bool, len(members)), now: now, loc: loc}
	for i, m := range members {
		r.from[i], r.until[i], r.employed[i] = m.Employment(loc)
	}
	return r
}

// counted are the members who count in p: employed at some time during it
// (bots never; jifen.Member.EmployedIn), in the directory's order. For the
// running period that is the part of it that has begun (jifen.Period.AsOf):
// a hire of a later day is not in its headcount yet.
func (r *roster) counted(p jifen.Period) []jifen.Member {
	out := []jifen.Member{}
	p = p.AsOf(r.now, r.loc)
	for i, m := range r.members {
		if r.in(i, p) {
			out = append(out, m)
		}
	}
	return out
}

// count is len(r.counted(p)).
func (r *roster) count(p jifen.Period) int {
	n := 0
	p = p.AsOf(r.now, r.loc)
	for i := range r.members {
		if r.in(i, p) {
			n++
		}
	}
	return n
}

// in reports whether member i was employed during p.
func (r *roster) in(i int, p jifen.Period) bool {
	return r.employed[i] && (r.from[i].IsZero() || r.from[i].Before(p.End)) && (r.until[i].IsZero() || r.until[i].After(p.Start))
}

// perHead is v shared over n members, 0 when nobody counts.
func perHead(v float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return v / float64(n)
}
