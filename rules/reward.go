package rules

import (
	"strings"

	"jifen"
)

// Reward is an item of the rewards shop (积分兑换): what it costs, how many
// there are, how often one member may redeem it, and whether an admin must
// approve a redemption first.
type Reward struct {
	ID          string
	Name        string
	Description string
	Cost        int64 // points per unit
	// Stock is how many units exist in all; 0 means unlimited.
	Stock int64
	// Limit caps the units one member may redeem per period; nil is none.
	Limit *RewardLimit
	// Approval: redemptions wait for an admin, with the points held.
	Approval bool
	// Fulfiller is the member who hands the reward out and marks
	// redemptions fulfilled (admins always may).
	Fulfiller string
}

// RewardLimit caps the units one member redeems per period.
type RewardLimit struct {
	Period jifen.PeriodKind
	Units  int64
}

// Unlimited reports whether the reward has no stock limit.
func (r *Reward) Unlimited() bool { return r.Stock == 0 }

// Reward finds a reward by id or name (ignoring case), or nil.
func (c *Catalog) Reward(idOrName string) *Reward {
	for i := range c.Rewards {
		r := &c.Rewards[i]
		if strings.EqualFold(r.ID, idOrName) || strings.EqualFold(r.Name, idOrName) {
			return r
		}
	}
	return nil
}
