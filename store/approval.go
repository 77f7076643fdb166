package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ApprovalStatus is where an approval request stands.
type ApprovalStatus string

const (
	Pending  ApprovalStatus = "pending"
	Approved ApprovalStatus = "approved"
	Rejected ApprovalStatus = "rejected"
)

// Approval is an award above the approval threshold waiting for an admin.
// While pending it reserves its points against the receivers' caps and the
// giver's allowance (see Tx.Usage), so approving it later cannot exceed them.
type Approval struct {
	ID          uint64         `json:"id"`
	CreatedAt   time.Time      `json:"created_at"`
	Giver       string         `json:"giver"`
	Receivers   []string       `json:"receivers"`
	Points      int64          `json:"points"` // per receiver
	Category    string         `json:"category,omitempty"`
	Behavior    string         `json:"behavior,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	RuleVersion int            `json:"rule_version,omitempty"`
	Source      string         `json:"source,omitempty"`
	Status      ApprovalStatus `json:"status"`
	DecidedBy   string         `json:"decided_by,omitempty"`
	DecidedAt   time.Time      `json:"decided_at,omitzero"`
	Note        string         `json:"note,omitempty"`    // the rejection reason
	Entries     []uint64       `json:"entries,omitempty"` // ledger entries made on approval
}

func (a *Approval) has(member string) bool { return slices.Contains(a.Receivers, member) }

// AddApproval stores a new pending approval and returns its id.
func (tx *Tx) AddApproval(a *Approval) (uint64, error) {
	b := tx.tx.Bucket(bucketApprovals)
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	a.ID, a.Status = id, Pending
	if a.CreatedAt.IsZero() {
		a.CreatedAt = tx.now
	}
	if err := tx.saveApproval(a); err != nil {
		return 0, err
	}
	return id, nil
}

// Approval returns the approval with the given id.
func (tx *Tx) Approval(id uint64) (Approval, bool) { return getApproval(tx.tx, id) }

// DecideApproval records the decision on a pending approval. It fails if the
// approval was decided already: the caller checks Status first to give the
// user a specific message.
func (tx *Tx) DecideApproval(a *Approval) error {
	cur, ok := getApproval(tx.tx, a.ID)
	if !ok || cur.Status != Pending {
		return fmt.Errorf("approval %d is not pending", a.ID)
	}
	if a.Status == Pending {
		return fmt.Errorf("approval %d: a decision is required", a.ID)
	}
	return tx.saveApproval(a)
}

func (tx *Tx) saveApproval(a *Approval) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	k := encodeU64(a.ID)
	if err := tx.put(bucketApprovals, k, raw); err != nil {
		return err
	}
	tx.writes++
	if a.Status == Pending {
		err = tx.tx.Bucket(bucketOpen).Put(k, nil)
	} else {
		err = tx.tx.Bucket(bucketOpen).Delete(k)
	}
	return err
}

// openApprovals lists pending approvals. There are few (admins decide them
// daily), so a scan per limit check is cheap.
func (tx *Tx) openApprovals() []Approval { return openApprovals(tx.tx) }

func openApprovals(btx *bolt.Tx) []Approval {
	var out []Approval
	c := btx.Bucket(bucketOpen).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if a, ok := getApproval(btx, decodeU64(k)); ok {
			out = append(out, a)
		}
	}
	return out
}

func getApproval(btx *bolt.Tx, id uint64) (Approval, bool) {
	raw := btx.Bucket(bucketApprovals).Get(encodeU64(id))
	if raw == nil {
		return Approval{}, false
	}
	var a Approval
	if err := json.Unmarshal(raw, &a); err != nil {
		return Approval{}, false
	}
	return a, true
}

// OpenApprovals lists the pending approvals, oldest first.
func (s *Store) OpenApprovals() ([]Approval, error) {
	var out []Approval
	err := s.view(func(btx *bolt.Tx) error {
		out = openApprovals(btx)
		return nil
	})
	return out, err
}

// Approval returns one approval by id.
func (s *Store) Approval(id uint64) (Approval, bool) {
	var a Approval
	var ok bool
	_ = s.view(func(btx *bolt.Tx) error {
		a, ok = getApproval(btx, id)
		return nil
	})
	return a, ok
}
