package jifen

import "time"

// EntryKind classifies a ledger entry.
type EntryKind string

const (
	KindAward  EntryKind = "award"  // a manager or admin gives points for a behavior
	KindDeduct EntryKind = "deduct" // a negative behavior (迟到 …); Points < 0
	KindThanks EntryKind = "thanks" // peer thanks from an employee's allowance
	KindRevoke EntryKind = "revoke" // reverses an earlier entry (Reverses)
	KindAdjust EntryKind = "adjust" // an admin correction not tied to one entry
	KindImport EntryKind = "import" // historical points from a spreadsheet
	KindRedeem EntryKind = "redeem" // spending on a reward; lowers the balance, not the earned total
)

// Valid reports whether k is a known entry kind.
func (k EntryKind) Valid() bool {
	switch k {
	case KindAward, KindDeduct, KindThanks, KindRevoke, KindAdjust, KindImport, KindRedeem:
		return true
	}
	return false
}

// Entry is one immutable line of the ledger. Entries are never edited or
// deleted: a correction is a new entry (KindRevoke) whose Reverses names the
// entry it cancels and whose Points are the negation of that entry's.
type Entry struct {
	ID   uint64    `json:"id"`
	Kind EntryKind `json:"kind"`
	// At is when the entry was recorded (UTC).
	At time.Time `json:"at"`
	// Effective decides which periods the entry counts in. It equals At,
	// except for a revoke (the reversed entry's Effective, so last month's
	// totals are corrected in last month) and imports (the historical time).
	Effective   time.Time `json:"effective"`
	Giver       string    `json:"giver,omitempty"` // member id; empty for system entries
	Receiver    string    `json:"receiver"`        // member id
	Points      int64     `json:"points"`          // signed
	Category    string    `json:"category,omitempty"`
	Behavior    string    `json:"behavior,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	RuleVersion int       `json:"rule_version,omitempty"`
	Reverses    uint64    `json:"reverses,omitempty"` // for KindRevoke
	Approval    uint64    `json:"approval,omitempty"` // the pending request it came from
	Source      string    `json:"source,omitempty"`   // console, slack, feishu, import …
	// Quantity is the number of units a redeem entry bought (Behavior is
	// then "reward:" + the item id); 0 elsewhere.
	Quantity int64 `json:"quantity,omitempty"`
}
