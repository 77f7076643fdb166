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
)

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
	Refund      uint64           `json:"refund,omitempty"` // the revoke entry of a rejection
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

// stockDelta is the change an entry makes to an item's redeemed units.
func stockDelta(e *jifen.Entry) (item string, units int64) {
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
	item, units := stockDelta(e)
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
	_ = s.db.View(func(btx *bolt.Tx) error {
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
	_ = s.db.View(func(btx *bolt.Tx) error {
		n = int64(decodeU64(btx.Bucket(bucketStock).Get([]byte(item))))
		return nil
	})
	return n
}
