// Package simulate answers "what if": it replays the ledger of a period
// under a proposed rule catalog and sets the figures it would have given
// beside the figures that happened. It is pure: it reads the entries and
// members it is given, writes nothing, and has no clock of its own.
//
// The replay, entry by entry in recording order (entry id order), is the
// contract docs/simulate.md states for users:
//
//   - An award, deduction or thanks whose behavior id is in the proposed
//     catalog is worth the behavior's new value: its fixed value when it has
//     one (Min == Max), otherwise the recorded points clamped into the new
//     range [Min, Max]. Behaviors are matched by id, so a renamed behavior
//     keeps its entries; one whose id is gone has its entries dropped.
//     Thanks are dropped when the proposed catalog has no thanks scheme.
//   - Limits are then applied as the bot would have applied them, in this
//     order, against the usage the replay has built so far: the size of one
//     thanks (max_per_thanks) and of one award (max_per_award), the
//     behavior's own limits per receiver (times, points), the receiver's net
//     cap and floor per period, the giver's award or thanks allowance per
//     period. A limit on the number of times drops the entry; a limit on
//     points cuts the entry to what is left (and drops it when nothing is).
//   - Imports and adjustments are history, not rules: they keep their
//     points and are never cut, but they count in the usage of the caps, as
//     they do in the store.
//   - A revoke follows the entry it reverses: dropped with it, or the
//     negation of its simulated points (so it also gives the usage back).
//   - Redemptions are spending, not points: they are left out.
//   - Who may give a behavior (roles) and the approval threshold are not
//     replayed: they decide who records an entry, not what it is worth.
//
// Every entry effective before the period's end is replayed, so a cap over
// a longer span (a year, all time) starts the period with the usage the
// proposed catalog would have left; the figures are those of the entries
// effective in the period.
package simulate

import (
	"errors"
	"time"

	"jifen"
	"jifen/report"
	"jifen/rules"
)

// Options are the catalogs and the clock.
type Options struct {
	Location *time.Location
	// Now decides whether the period has begun, and for the current
	// period which members count (report's rule). Zero is the system clock.
	Now time.Time
	// Current is the catalog in force, for names and for what changed;
	// Proposed is the catalog to replay under (required).
	Current, Proposed *rules.Catalog
}

// Run simulates period p: a month, a quarter or a year that has begun
// (report.CheckPeriod). It reads the ledger once, keeping 64 bytes an
// entry to sort them into recording order.
func Run(l Ledger, p jifen.Period, opt Options) (*Result, error) {
	if opt.Proposed == nil {
		return nil, errors.New("simulate: no proposed catalog")
	}
	if opt.Current == nil {
		opt.Current = &rules.Catalog{}
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if err := report.CheckPeriod(p, opt.Now); err != nil {
		return nil, err
	}
	members := l.Members()
	entries, err := readLedger(l, p.End)
	if err != nil {
		return nil, err
	}
	r := newReplay(p, opt, members)
	if err := entries.each(r.add); err != nil {
		return nil, err
	}
	return r.result(), nil
}
