// Package rules is the rule catalog (积分规则) and its limits: categories,
// behaviors with aliases and #tags, point ranges (上下限), caps per receiver,
// allowances per giver, peer thanks and the approval threshold. It is pure:
// no I/O, no clock; callers pass the time and the usage figures they read from
// the store, so every limit can be table-tested.
package rules

import (
	"jifen"
)

// Catalog is one version of the rule catalog. It is built by the config
// loader and never changed afterwards; a changed config makes a new catalog
// whose Fingerprint differs, and the store gives it a new version number.
type Catalog struct {
	Categories []Category
	Behaviors  []Behavior // every behavior of every category, in config order

	// ReceiverLimits cap a receiver's net total per period (upper and lower).
	ReceiverLimits []NetLimit
	// Allowances are what a giver of each role may award per period. A role
	// with no entry has no allowance limit (typically admin), except that an
	// admin without one awarding a fellow admin is held to the manager's.
	Allowances map[jifen.Role]Allowance
	// Thanks is the peer-thanks scheme (/thanks); nil when disabled.
	Thanks *Thanks
	// ApprovalThreshold: an award of more than this many points to one
	// receiver, by anyone but an admin (or by an admin to a fellow admin),
	// waits for the approval of an admin who is neither its giver nor a
	// receiver. 0 means no approvals are required.
	ApprovalThreshold int64
	// MaxReason is the longest reason or note, in characters, that a
	// command accepts (config rules.max_reason_length); 0 means
	// DefaultMaxReason. It bounds what a user can add to the ledger, and
	// is no rule of points: it is left out of the fingerprint, so that
	// changing it makes no new catalog version.
	MaxReason int `json:"-"`
	// Rewards is the rewards shop (积分兑换), in config order.
	Rewards []Reward
	// Targets and Policies are what the period summary reviews.
	Targets  []Target
	Policies []Policy
}

// DefaultMaxReason is MaxReason when the config does not set it.
const DefaultMaxReason = 500

// Category groups behaviors (销售业绩, 客户满意度 …).
type Category struct {
	ID          string
	Name        string
	Description string
}

// Behavior is one rule: a behavior worth points. Min and Max are signed; a
// deduction (迟到) has both negative. Min == Max means a fixed value, which an
// award may then omit.
type Behavior struct {
	ID          string
	Name        string
	Category    string // Category.ID
	Description string
	Aliases     []string // exact words that name it in a reason (客户好评, 好评)
	Tags        []string // #tags, without the leading '#'
	Min, Max    int64
	// Roles that may use this behavior as givers. Empty means managers;
	// admins may always use every behavior.
	Roles []jifen.Role
	// Limits per receiver per period, e.g. 全勤 at most once a month.
	Limits []BehaviorLimit
}

// Deduction reports whether the behavior takes points away.
func (b *Behavior) Deduction() bool { return b.Max < 0 }

// Fixed reports whether the behavior has a single point value.
func (b *Behavior) Fixed() bool { return b.Min == b.Max }

// BehaviorLimit caps how often (Times) and/or how many points in absolute
// value (Points) one receiver may get for one behavior in a period. Zero
// fields are not limited.
type BehaviorLimit struct {
	Period jifen.PeriodKind
	Times  int
	Points int64
}

// NetLimit bounds a receiver's net points in a period: Max caps what awards
// can bring it to, Min floors what deductions can bring it to. Nil is no bound.
type NetLimit struct {
	Period jifen.PeriodKind
	Max    *int64
	Min    *int64
}

// Allowance is what one giver may award per period: Points, plus PerMember
// for each member of the giver's department (so a manager of a larger team
// has more to give). MaxPerAward caps a single award to one receiver (0: no cap).
type Allowance struct {
	Period      jifen.PeriodKind
	Points      int64
	PerMember   int64
	MaxPerAward int64
}

// Thanks is the peer-thanks scheme: every member may give up to Allowance
// points per Period to peers, at most MaxPerThanks at a time, recorded under
// Behavior.
type Thanks struct {
	Behavior     string // Behavior.ID the thanks are recorded under
	Period       jifen.PeriodKind
	Allowance    int64
	MaxPerThanks int64
}
