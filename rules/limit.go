package rules

import (
	"time"

	"jifen"
)

// Pool is a giver's allowance pool: what they award as a manager and what
// they thank peers with are counted apart.
type Pool string

const (
	PoolAward  Pool = "award"
	PoolThanks Pool = "thanks"
)

// Usage is what the ledger says so far, as the limits need it. The store
// implements it inside the write transaction, so a check and the write it
// allows see the same figures.
type Usage interface {
	// Net is the member's net points with an effective time in p.
	Net(member string, p jifen.Period) int64
	// BehaviorUse is how many times, and how many points in absolute value,
	// the member received for the behavior in p (net of revokes).
	BehaviorUse(member, behavior string, p jifen.Period) (times int, points int64)
	// GiverUse is how many points the giver has given from pool in p.
	GiverUse(giver string, pool Pool, p jifen.Period) int64
}

// Request is one award, deduction or thanks about to be written: the same
// Points (signed: negative for a deduction) for each receiver.
type Request struct {
	Kind          jifen.EntryKind // award, deduct or thanks
	Giver         jifen.Member
	GiverTeamSize int // members in the giver's department, for PerMember allowances
	Receivers     []jifen.Member
	Behavior      *Behavior
	Points        int64
	At            time.Time
	Loc           *time.Location
}

// Decision is the outcome of a request that passed every limit.
type Decision struct {
	// NeedsApproval: the request must wait as pending until an admin approves.
	NeedsApproval bool
}

// Check applies every rule to r, in the order a person would want to hear
// about them: the kind of command, who may use the behavior, its point
// range, then the caps per receiver and the giver's allowance. The first
// rule broken is returned as a *jifen.Error whose key and arguments say
// precisely what was wrong and how much is left. Check reads usage but never
// changes anything; all receivers are checked before the caller writes any.
func (c *Catalog) Check(r Request, u Usage) (Decision, error) {
	b := r.Behavior
	if b == nil {
		return Decision{}, jifen.Errorf(jifen.EINVALID, "err.reason_required")
	}
	loc := r.Loc
	if loc == nil {
		loc = time.UTC
	}
	period := func(k jifen.PeriodKind) jifen.Period { return jifen.PeriodOf(k, r.At, loc) }
	n := int64(len(r.Receivers))
	admin := r.Giver.Role == jifen.RoleAdmin
	// An admin's privileges (no approval, no allowance unless one is
	// configured for admins) stop at fellow admins: an award from one admin
	// to another is held to the allowance and approval threshold a manager
	// would be, so that two admins cannot award each other unchecked.
	toAdmin := false
	for _, m := range r.Receivers {
		toAdmin = toAdmin || m.Role == jifen.RoleAdmin
	}

	// The kind of command must agree with the behavior.
	switch r.Kind {
	case jifen.KindAward:
		if b.Deduction() {
			return Decision{}, jifen.Errorf(jifen.EINVALID, "err.use_deduct", b.Name)
		}
	case jifen.KindDeduct:
		if !b.Deduction() {
			return Decision{}, jifen.Errorf(jifen.EINVALID, "err.use_award", b.Name)
		}
	case jifen.KindThanks:
		if c.Thanks == nil || c.Thanks.Behavior != b.ID {
			return Decision{}, jifen.Errorf(jifen.EFORBIDDEN, "err.thanks_disabled")
		}
	default:
		return Decision{}, jifen.Errorf(jifen.EINVALID, "err.unknown_kind", string(r.Kind))
	}
	if (r.Points < 0) != b.Deduction() || r.Points == 0 {
		if b.Deduction() {
			return Decision{}, jifen.Errorf(jifen.EINVALID, "err.use_award", b.Name)
		}
		return Decision{}, jifen.Errorf(jifen.EINVALID, "err.use_deduct", b.Name)
	}

	// Who may use the behavior. Thanks are for everyone.
	if r.Kind != jifen.KindThanks && !admin && !b.allows(r.Giver.Role) {
		return Decision{}, jifen.Errorf(jifen.EFORBIDDEN, "err.behavior_role", b.Name, r.Giver.Role)
	}

	// The size of one thanks, then the behavior's range (上下限), in absolute
	// values as people say them.
	if r.Kind == jifen.KindThanks && c.Thanks.MaxPerThanks > 0 && r.Points > c.Thanks.MaxPerThanks {
		return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.thanks_too_big", c.Thanks.MaxPerThanks)
	}
	if r.Points < b.Min || r.Points > b.Max {
		if b.Fixed() {
			return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.points_fixed", b.Name, abs(b.Min), abs(r.Points))
		}
		lo, hi := abs(b.Min), abs(b.Max)
		if lo > hi {
			lo, hi = hi, lo
		}
		return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.points_range", b.Name, lo, hi, abs(r.Points))
	}

	// Peer thanks: the giver's thanks allowance.
	if r.Kind == jifen.KindThanks {
		th := c.Thanks
		if th.Allowance > 0 {
			p := period(th.Period)
			left := th.Allowance - u.GiverUse(r.Giver.ID, PoolThanks, p)
			if need := r.Points * n; need > left {
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.thanks_allowance", max(left, 0), need, th.Period)
			}
		}
	}

	// Per receiver: the behavior's own limits, then the net caps.
	for _, m := range r.Receivers {
		for _, l := range b.Limits {
			p := period(l.Period)
			times, points := u.BehaviorUse(m.ID, b.ID, p)
			if l.Times > 0 && times+1 > l.Times {
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.behavior_times", b.Name, m.Name, l.Times, l.Period)
			}
			if l.Points > 0 && points+abs(r.Points) > l.Points {
				if points >= l.Points {
					return Decision{}, reached("err.behavior_points_reached", p, loc, b.Name, m.Name, l.Points, l.Period)
				}
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.behavior_points", b.Name, m.Name, l.Points-points, l.Period)
			}
		}
		for _, l := range c.ReceiverLimits {
			p := period(l.Period)
			net := u.Net(m.ID, p)
			if r.Points > 0 && l.Max != nil && net+r.Points > *l.Max {
				if net >= *l.Max {
					return Decision{}, reached("err.receiver_max_reached", p, loc, m.Name, *l.Max, l.Period)
				}
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.receiver_max", m.Name, *l.Max-net, l.Period)
			}
			if r.Points < 0 && l.Min != nil && net+r.Points < *l.Min {
				if net <= *l.Min {
					return Decision{}, reached("err.receiver_min_reached", p, loc, m.Name, *l.Min, l.Period)
				}
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.receiver_min", m.Name, net-*l.Min, l.Period)
			}
		}
	}

	// The giver's award allowance, for all receivers together: all or nothing.
	if r.Kind == jifen.KindAward {
		a, ok := c.Allowances[r.Giver.Role]
		if !ok && admin && toAdmin {
			a, ok = c.Allowances[jifen.RoleManager]
		}
		if ok {
			if a.MaxPerAward > 0 && r.Points > a.MaxPerAward {
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.award_too_big", a.MaxPerAward)
			}
			left := a.Budget(r.GiverTeamSize) - u.GiverUse(r.Giver.ID, PoolAward, period(a.Period))
			if need := r.Points * n; need > left {
				return Decision{}, jifen.Errorf(jifen.ELIMIT, "err.allowance", max(left, 0), need, a.Period)
			}
		}
	}

	return Decision{
		NeedsApproval: r.Kind == jifen.KindAward && c.ApprovalThreshold > 0 && r.Points > c.ApprovalThreshold && (!admin || toAdmin),
	}, nil
}

// reached is the error for a limit with nothing left: "at most 0 more"
// reads like a puzzle, so it says the limit is reached and, when the
// period ends, the day it starts again (its last argument; the key's ".all"
// variant, without it, for a limit over all time).
func reached(key string, p jifen.Period, loc *time.Location, args ...any) *jifen.Error {
	if p.Kind == jifen.AllTime {
		return jifen.Errorf(jifen.ELIMIT, key+".all", args...)
	}
	return jifen.Errorf(jifen.ELIMIT, key, append(args, p.End.In(loc).Format("2006-01-02"))...)
}

// Budget is the allowance's total for a giver whose department has
// teamSize members.
func (a Allowance) Budget(teamSize int) int64 {
	return a.Points + a.PerMember*int64(teamSize)
}

// allows reports whether a giver of role may use b. Admins are checked by
// the caller; an empty Roles means managers.
func (b *Behavior) allows(role jifen.Role) bool {
	if len(b.Roles) == 0 {
		return role == jifen.RoleManager
	}
	for _, r := range b.Roles {
		if r == role {
			return true
		}
	}
	return false
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
