package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// The ledger search of the web console: the entries a filter selects, read
// from the compact receiver index (the entries themselves are decoded only
// for the rows shown or exported), and each row with what became of it:
// the revoke that reversed it, the approval it was made on, the
// redemption it belongs to. Read-only.

// LedgerFilter selects entries for a ledger search.
type LedgerFilter struct {
	// Receivers, when not nil, are the only receivers whose entries are
	// read: each one's part of the receiver index is read alone, so a
	// department's search does not go through the whole ledger. An empty
	// non-nil slice selects nothing.
	Receivers []string
	// Keep, when not nil, decides on each entry read, given the fields
	// ScanEntries sets (no Reason, Approval or Source).
	Keep func(e *jifen.Entry) bool
}

// LedgerIDs returns the ids of the entries f selects, newest (highest id)
// first, from one consistent snapshot.
func (s *Store) LedgerIDs(f LedgerFilter) ([]uint64, error) {
	var ids []uint64
	keep := func(e *jifen.Entry) {
		if f.Keep == nil || f.Keep(e) {
			ids = append(ids, e.ID)
		}
	}
	err := s.view(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 5000)
		defer release(true)
		in := interned{}
		c := btx.Bucket(bucketAgg).Cursor()
		if f.Receivers == nil {
			receiver := ""
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if !isRcvKey(k) {
					continue
				}
				release(false)
				i := bytes.IndexByte(k, 0)
				if string(k[:i]) != receiver {
					receiver = string(k[:i])
				}
				e, err := ledgerIndexEntry(k, v, i, receiver, in)
				if err != nil {
					return err
				}
				keep(&e)
			}
			return nil
		}
		for _, receiver := range f.Receivers {
			pre := rcvPrefix(receiver)
			for k, v := c.Seek(pre); k != nil && len(k) == len(pre)+8 && bytes.HasPrefix(k, pre); k, v = c.Next() {
				release(false)
				e, err := ledgerIndexEntry(k, v, len(receiver), receiver, in)
				if err != nil {
					return err
				}
				keep(&e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A receiver named twice would give its entries twice.
	slices.SortFunc(ids, func(a, b uint64) int { return -cmpU64(a, b) })
	return slices.Compact(ids), nil
}

// ledgerIndexEntry is the entry of a receiver index record (key k, value
// v), whose member id ends at k[i].
func ledgerIndexEntry(k, v []byte, i int, receiver string, in interned) (jifen.Entry, error) {
	r, ok := decodeRcvIn(v, in)
	if !ok {
		return jifen.Entry{}, fmt.Errorf("corrupt index record %s", printable(k))
	}
	return jifen.Entry{ID: decodeU64(k[i+2:]), Kind: r.kind, At: r.at, Effective: r.effective, Giver: r.giver, Receiver: receiver,
		Points: r.points, Quantity: r.quantity, Category: r.category, Behavior: r.behavior, Reverses: r.reverses}, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// LedgerRow is an entry with what became of it.
type LedgerRow struct {
	Entry jifen.Entry
	// ReversedBy is the revoke that reversed the entry; 0 if none.
	ReversedBy uint64
	// Approval is the approval request the entry was made on
	// (Entry.Approval), when the store holds it.
	Approval *Approval
	// Redemption is the redemption whose redeem entry, or whose refund,
	// the entry is; nil for any other entry (and for imported redeem
	// entries, which have none).
	Redemption *Redemption
}

// LedgerRows reads the entries ids in the order given, in one consistent
// snapshot, and calls fn with each and what became of it. An id that
// names no entry is skipped.
func (s *Store) LedgerRows(ids []uint64, fn func(r *LedgerRow) error) error {
	return s.view(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 2000)
		defer release(true)
		approvals := map[uint64]*Approval{}
		var redemptions map[uint64]*Redemption // by redeem entry and by refund, read once when needed
		reversed := btx.Bucket(bucketReversed)
		for _, id := range ids {
			release(false)
			e, ok := getEntry(btx, id)
			if !ok {
				continue
			}
			row := LedgerRow{Entry: e, ReversedBy: decodeU64(reversed.Get(encodeU64(id)))}
			if e.Approval != 0 {
				a, seen := approvals[e.Approval]
				if !seen {
					if ap, ok := getApproval(btx, e.Approval); ok {
						a = &ap
					}
					approvals[e.Approval] = a
				}
				row.Approval = a
			}
			if e.Kind == jifen.KindRedeem || e.Kind == jifen.KindRevoke && strings.HasPrefix(e.Behavior, "reward:") {
				if redemptions == nil {
					redemptions = redemptionsByEntry(btx)
				}
				row.Redemption = redemptions[id]
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
		return nil
	})
}

// redemptionsByEntry maps the redeem entry and the refund of every
// redemption to it. Redemptions are few next to the entries.
func redemptionsByEntry(btx *bolt.Tx) map[uint64]*Redemption {
	out := map[uint64]*Redemption{}
	_ = btx.Bucket(bucketRedemptions).ForEach(func(_, v []byte) error {
		var r Redemption
		if json.Unmarshal(v, &r) != nil {
			return nil
		}
		if r.Entry != 0 {
			out[r.Entry] = &r
		}
		if r.Refund != 0 {
			out[r.Refund] = &r
		}
		return nil
	})
	return out
}
