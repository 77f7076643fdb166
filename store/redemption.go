package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// RewardBehavior is the Behavior of a redeem entry for an item.
func RewardBehavior(item string) string { return "reward:" + item }

// RedemptionStatus is where a redemption stands.
type RedemptionStatus string

const (
	// RedemptionPending waits for an admin; its points and stock are held.
	RedemptionPending RedemptionStatus = "pending"
	// RedemptionApproved (or completed without approval) waits to be handed out.
	RedemptionApproved RedemptionStatus = "approved"
	// RedemptionRejected was refunded in full.
	RedemptionRejected RedemptionStatus = "rejected"
	// RedemptionFulfilled was handed out.
	RedemptionFulfilled RedemptionStatus = "fulfilled"
	// RedemptionCancelled was approved, then cancelled by an admin before it
	// was handed out; it was refunded in full.
	RedemptionCancelled RedemptionStatus = "cancelled"
)

// Refundable reports whether r can still be refunded: it is neither handed
// out nor refunded yet. A redemption's points come back only through
// RefundRedemption, which closes it in the same transaction, so no ledger
// path refunds the points of an item that is still handed out.
func (r Redemption) Refundable() bool {
	return r.Status == RedemptionPending || r.Status == RedemptionApproved
}

// CheckRefund says why r cannot be refunded and closed with status: it
// is not refundable, or status is not rejected or cancelled.
func (r Redemption) CheckRefund(status RedemptionStatus) error {
	if !r.Refundable() {
		return fmt.Errorf("redemption R%d is %s and cannot be refunded", r.ID, r.Status)
	}
	if status != RedemptionRejected && status != RedemptionCancelled {
		return fmt.Errorf("redemption R%d: a refund closes it as rejected or cancelled, not %s", r.ID, status)
	}
	return nil
}

// Redemption is one request from the rewards shop. Its redeem entry is
// written at once, so the points and the stock are held while it waits;
// a rejection reverses the entry (a full refund).
type Redemption struct {
	ID          uint64           `json:"id"`
	CreatedAt   time.Time        `json:"created_at"`
	Member      string           `json:"member"`
	Item        string           `json:"item"`
	Quantity    int64            `json:"quantity"`
	Points      int64            `json:"points"` // spent, positive
	Entry       uint64           `json:"entry"`
	Status      RedemptionStatus `json:"status"`
	DecidedBy   string           `json:"decided_by,omitempty"`
	DecidedAt   time.Time        `json:"decided_at,omitzero"`
	Note        string           `json:"note,omitempty"`
	FulfilledBy string           `json:"fulfilled_by,omitempty"`
	FulfilledAt time.Time        `json:"fulfilled_at,omitzero"`
	CancelledBy string           `json:"cancelled_by,omitempty"` // who cancelled it after approval (Note says why)
	CancelledAt time.Time        `json:"cancelled_at,omitzero"`
	Refund      uint64           `json:"refund,omitempty"` // the revoke entry of a rejection or cancellation
}

// RefundRedemption refunds r in full and closes it with status
// (RedemptionRejected or RedemptionCancelled): a revoke entry built from
// revoke (Giver, Reason, RuleVersion, Source) reverses r's redeem entry,
// giving back the points and the stock. It fails unless r is Refundable.
// If the redeem entry was reversed already (a ledger written before revokes
// of redeem entries were refused), that revoke is recorded as the refund and
// no entry is written. It returns the refund's entry id.
func (tx *Tx) RefundRedemption(r *Redemption, status RedemptionStatus, revoke jifen.Entry) (uint64, error) {
	if err := r.CheckRefund(status); err != nil {
		return 0, err
	}
	rid := tx.ReversedBy(r.Entry)
	if rid == 0 {
		revoke.Kind, revoke.Reverses = jifen.KindRevoke, r.Entry
		tx.refunding = r.Entry
		var err error
		rid, err = tx.Append(&revoke)
		tx.refunding = 0
		if err != nil {
			return 0, err
		}
	}
	r.Status, r.Refund = status, rid
	return rid, tx.PutRedemption(r)
}

// RedemptionOf returns the redemption whose redeem entry is entry, if any
// (imported redeem entries have none). It scans the redemptions, which are
// few; only revokes of redeem entries need it.
func (tx *Tx) RedemptionOf(entry uint64) (Redemption, bool) {
	var out Redemption
	found := false
	_ = tx.tx.Bucket(bucketRedemptions).ForEach(func(_, v []byte) error {
		var r Redemption
		if json.Unmarshal(v, &r) == nil && r.Entry == entry {
			out, found = r, true
		}
		return nil
	})
	return out, found
}

// StockUsed is how many units of an item are redeemed (net of refunds),
// as of this point of the batch.
func (tx *Tx) StockUsed(item string) int64 {
	return int64(decodeU64(tx.tx.Bucket(bucketStock).Get([]byte(item))))
}

// Balance is what a member can spend, as of this point of the batch.
func (tx *Tx) Balance(member string) int64 {
	b := tx.tx.Bucket(bucketAgg)
	all := string(jifen.AllTime)
	return readAgg(b, aggTotal, all, member, "").Net - readAgg(b, aggSpent, all, member, "").Net
}

// StockDelta is the change an entry makes to an item's redeemed units:
// a redeem entry takes its quantity, its revoke gives it back.
func StockDelta(e *jifen.Entry) (item string, units int64) {
	item, ok := strings.CutPrefix(e.Behavior, "reward:")
	if !ok {
		return "", 0
	}
	switch e.Kind {
	case jifen.KindRedeem:
		return item, max(1, e.Quantity)
	case jifen.KindRevoke:
		return item, -max(1, e.Quantity)
	}
	return "", 0
}

func (tx *Tx) applyStock(e *jifen.Entry) error {
	item, units := StockDelta(e)
	if units == 0 {
		return nil
	}
	used := tx.StockUsed(item) + units
	if used < 0 {
		return fmt.Errorf("stock of %q would go below zero", item)
	}
	return tx.put(bucketStock, []byte(item), encodeU64(uint64(used)))
}

// AddRedemption stores a new redemption and returns its id.
func (tx *Tx) AddRedemption(r *Redemption) (uint64, error) {
	id, err := tx.tx.Bucket(bucketRedemptions).NextSequence()
	if err != nil {
		return 0, err
	}
	r.ID = id
	if r.CreatedAt.IsZero() {
		r.CreatedAt = tx.now
	}
	return id, tx.PutRedemption(r)
}

// PutRedemption saves a redemption's new state.
func (tx *Tx) PutRedemption(r *Redemption) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.put(bucketRedemptions, encodeU64(r.ID), raw)
}

// Redemption reads a redemption inside the transaction.
func (tx *Tx) Redemption(id uint64) (Redemption, bool) { return getRedemption(tx.tx, id) }

func getRedemption(btx *bolt.Tx, id uint64) (Redemption, bool) {
	raw := btx.Bucket(bucketRedemptions).Get(encodeU64(id))
	if raw == nil {
		return Redemption{}, false
	}
	var r Redemption
	if json.Unmarshal(raw, &r) != nil {
		return Redemption{}, false
	}
	return r, true
}

// Redemptions lists redemptions newest first: a member's (member != ""),
// or, with member empty, those not yet fulfilled or rejected (for admins).
// At most n.
func (s *Store) Redemptions(member string, n int) []Redemption {
	var out []Redemption
	_ = s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketRedemptions).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var r Redemption
			if json.Unmarshal(v, &r) != nil {
				continue
			}
			if member != "" && r.Member == member ||
				member == "" && (r.Status == RedemptionPending || r.Status == RedemptionApproved) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out
}

// StockUsed is how many units of an item are redeemed, net of refunds.
func (s *Store) StockUsed(item string) int64 {
	var n int64
	_ = s.view(func(btx *bolt.Tx) error {
		n = int64(decodeU64(btx.Bucket(bucketStock).Get([]byte(item))))
		return nil
	})
	return n
}
