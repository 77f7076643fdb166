package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// VerifyReport is what Verify found: how many records of each kind it
// checked, and each difference from what the entries and the store's
// invariants (docs/store-invariants.md) require, as a line for the
// operator that names the record (entry 12, aggregate m001|2026|t|2026-11,
// redemption R3, approval A5, idempotency key …, survey round pulse#2).
type VerifyReport struct {
	Entries     int
	Aggregates  int
	Redemptions int
	Approvals   int
	Open        int      // approvals pending
	Keys        int      // idempotency keys
	Rounds      int      // survey rounds
	Answers     int      // survey answers
	Outbox      int      // messages waiting to be sent
	Problems    []string // empty when the store is consistent
}

// OK reports whether no problem was found.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

const maxProblems = 100

// verifyFigures is how many figures one pass of Verify holds in memory at
// most (about 120 bytes each), as counted in the stored records: the
// aggregates are recomputed for one range of members at a time, each a
// pass over the entries, so that verifying a large ledger takes the memory
// of a few hundred thousand figures, not of all of them.
var verifyFigures = 400_000

// checkEntries checks every entry on its own and against its index record
// and its reversal, and counts them.
func (s *Store) checkEntries(btx *bolt.Tx, rep *VerifyReport, problem func(format string, args ...any)) error {
	rcv := btx.Bucket(bucketAgg)
	rev := btx.Bucket(bucketReversed)
	// A lookup per entry in the index: the pages it maps are released
	// often (see releaser).
	release := s.releaser(btx, 5_000)
	defer release(true)
	var last uint64
	var lastAt time.Time // the latest recording time so far, of entry lastAtID
	var lastAtID uint64
	err := btx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
		release(false)
		rep.Entries++
		var e jifen.Entry
		if err := decodeEntry(v, &e); err != nil {
			problem("entry %d: cannot decode: %v", decodeU64(k), err)
			return nil
		}
		if e.ID != decodeU64(k) || e.ID <= last {
			problem("entry %d: id out of order (key %d)", e.ID, decodeU64(k))
		}
		// Recording times never decrease with the id, and no entry takes
		// effect after it was recorded: the per-behavior limits stop
		// counting at the first entry recorded before a period.
		if e.Effective.After(e.At) {
			problem("entry %d: effective %s, after it was recorded (%s)", e.ID, e.Effective.Format(time.RFC3339), e.At.Format(time.RFC3339))
		}
		if e.At.Before(lastAt) {
			problem("entry %d: recorded at %s, before entry %d (%s): recording times must not decrease", e.ID,
				e.At.Format(time.RFC3339), lastAtID, lastAt.Format(time.RFC3339))
		} else {
			lastAt, lastAtID = e.At, e.ID
		}
		last = e.ID
		// The index record is what ScanEntries hands out, giver and
		// reversed id included: comparing it with a fresh encoding checks
		// every field (and that it is in the current layout).
		if got := rcv.Get(rcvKey(e.Receiver, e.ID)); got == nil || !bytes.Equal(got, encodeRcv(&e)) {
			problem("entry %d: receiver index missing or different", e.ID)
		}
		if e.Kind == jifen.KindRevoke {
			o, ok := getEntry(btx, e.Reverses)
			if !ok || o.ID >= e.ID {
				problem("entry %d: reverses unknown or later entry %d", e.ID, e.Reverses)
				return nil
			}
			if decodeU64(rev.Get(encodeU64(o.ID))) != e.ID {
				problem("entry %d: reversal of %d not indexed", e.ID, o.ID)
			}
			if o.Points != -e.Points {
				problem("entry %d: reverses %d points with %d", e.ID, o.Points, e.Points)
			}
		}
		return nil
	})
	indexed := 0
	_ = rcv.ForEach(func(k, _ []byte) error {
		if isRcvKey(k) {
			indexed++
		}
		return nil
	})
	if indexed != rep.Entries {
		problem("receiver index has %d records for %d entries", indexed, rep.Entries)
	}
	return err
}

// memberRanges cuts the members' records into ranges of member ids, each
// holding about verifyFigures figures: range i is [cuts[i], cuts[i+1]),
// the first starting at the empty id and the last ending at none.
func (s *Store) memberRanges(btx *bolt.Tx) []string {
	release := s.releaser(btx, 100_000)
	defer release(true)
	cuts := []string{""}
	n := 0
	_ = btx.Bucket(bucketAgg).ForEach(func(k, v []byte) error {
		release(false)
		if isRcvKey(k) {
			return nil
		}
		member := k
		if i := bytes.IndexByte(k, 0); i >= 0 {
			member = k[:i]
		}
		if n >= verifyFigures && string(member) > cuts[len(cuts)-1] {
			cuts = append(cuts, string(member))
			n = 0
		}
		if len(v) > 0 {
			c, _ := binary.Uvarint(v)
			n += int(c)
		}
		return nil
	})
	return cuts
}

// recomputeRange derives from the entries alone the aggregates of the
// members in [lo, hi) (hi "" for no end).
func (s *Store) recomputeRange(btx *bolt.Tx, lo, hi string) map[string]Agg {
	in := func(m string) bool { return m >= lo && (hi == "" || m < hi) }
	want := map[string]Agg{}
	release := s.releaser(btx, 50_000)
	defer release(true)
	_ = btx.Bucket(bucketEntries).ForEach(func(_, v []byte) error {
		release(false)
		var e jifen.Entry
		if decodeEntry(v, &e) != nil {
			return nil // checkEntries reports it
		}
		var orig *jifen.Entry
		if e.Kind == jifen.KindRevoke {
			o, ok := getEntry(btx, e.Reverses)
			if !ok || o.ID >= e.ID {
				return nil
			}
			orig = &o
			if !in(o.Receiver) && !in(o.Giver) {
				return nil
			}
		} else if !in(e.Receiver) && !in(e.Giver) {
			return nil
		}
		for _, d := range effects(&e, orig, s.loc) {
			if in(d.member) {
				k := figureKey(d.rec, d.sub)
				want[k] = want[k].add(d.agg)
			}
		}
		return nil
	})
	for k, a := range want {
		if a.IsZero() {
			delete(want, k)
		}
	}
	return want
}

// verifyAggregates recomputes every aggregate from the entries and
// compares it with the stored one, a range of members at a time (see
// verifyFigures).
func (s *Store) verifyAggregates(btx *bolt.Tx, rep *VerifyReport) []string {
	var diffs []string
	cuts := s.memberRanges(btx)
	agg := btx.Bucket(bucketAgg)
	for i, lo := range cuts {
		hi := ""
		if i+1 < len(cuts) {
			hi = cuts[i+1]
		}
		want := s.recomputeRange(btx, lo, hi)
		c := agg.Cursor()
		for k, v := c.Seek([]byte(lo)); k != nil && (hi == "" || string(k) < hi); k, v = c.Next() {
			if isRcvKey(k) {
				continue
			}
			r, err := decodeRecord(v)
			if err != nil {
				diffs = append(diffs, fmt.Sprintf("aggregate record %s: cannot decode", printable(k)))
				continue
			}
			for _, it := range r {
				rep.Aggregates++
				fk := figureKey(string(k), it.sub)
				w, ok := want[fk]
				switch {
				case !ok:
					diffs = append(diffs, fmt.Sprintf("aggregate %s: stored %+v, entries give nothing", printable([]byte(fk)), it.agg))
				case it.agg != w:
					diffs = append(diffs, fmt.Sprintf("aggregate %s: stored %+v, entries give %+v", printable([]byte(fk)), it.agg, w))
				}
				delete(want, fk)
			}
			if len(diffs) > 10*maxProblems {
				break
			}
		}
		for k, w := range want {
			diffs = append(diffs, fmt.Sprintf("aggregate %s: missing, entries give %+v", printable([]byte(k)), w))
		}
		s.ReleaseMemory()
	}
	return diffs
}

// Verify recomputes every aggregate from the entries and compares it with
// the stored one, and checks the records kept beside the ledger
// (redemptions, stock, approvals, idempotency keys, survey rounds, month
// boards) against the entries and one another, in one consistent snapshot
// (it may run while the bot runs). docs/store-invariants.md lists what it
// checks. Its memory is bounded (see verifyFigures), not its time: it
// reads the entries once for each range of members.
func (s *Store) Verify() (VerifyReport, error) {
	var rep VerifyReport
	err := s.view(func(btx *bolt.Tx) error {
		err := s.checkEntries(btx, &rep, func(format string, args ...any) {
			if len(rep.Problems) < maxProblems {
				rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
			}
		})
		diffs := s.verifyAggregates(btx, &rep)
		diffs = append(diffs, s.verifyMonthBoards(btx)...)
		diffs = append(diffs, verifyStock(btx, s.releaser(btx, 100_000))...)
		diffs = append(diffs, verifyRedemptions(btx, &rep)...)
		diffs = append(diffs, verifyApprovals(btx, &rep)...)
		diffs = append(diffs, verifyIdempotency(btx, &rep)...)
		diffs = append(diffs, verifySurveys(btx, &rep)...)
		diffs = append(diffs, verifyOutbox(btx, &rep)...)
		slices.Sort(diffs)
		for _, d := range diffs {
			if len(rep.Problems) < maxProblems {
				rep.Problems = append(rep.Problems, d)
			}
		}
		return err
	})
	return rep, err
}

// figureKey names one figure of one record, for comparing figures across
// records: record key \x01 sub key.
func figureKey(rec, sub string) string { return rec + "\x01" + sub }

// printable renders a composite key with "|" for the separators.
func printable(k []byte) string {
	return strings.NewReplacer("\x00", "|", "\x01", "|").Replace(string(k))
}

// verifyStock recomputes every reward's redeemed units from the redeem
// entries and their revokes.
func verifyStock(btx *bolt.Tx, release func(now bool)) []string {
	defer release(true)
	want := map[string]int64{}
	_ = btx.Bucket(bucketEntries).ForEach(func(_, v []byte) error {
		release(false)
		var e jifen.Entry
		if decodeEntry(v, &e) == nil {
			if item, units := StockDelta(&e); units != 0 {
				want[item] += units
			}
		}
		return nil
	})
	var diffs []string
	_ = btx.Bucket(bucketStock).ForEach(func(k, v []byte) error {
		if got := int64(decodeU64(v)); got != want[string(k)] {
			diffs = append(diffs, fmt.Sprintf("stock of %s: %d redeemed, entries give %d", k, got, want[string(k)]))
		}
		delete(want, string(k))
		return nil
	})
	for item, n := range want {
		if n != 0 {
			diffs = append(diffs, fmt.Sprintf("stock of %s: missing, entries give %d", item, n))
		}
	}
	return diffs
}

// verifyRedemptions checks that each redemption agrees with its redeem
// entry: the same member, item, units and points, one redemption per
// entry; a refunded one (rejected, cancelled) has its entry reversed by its
// refund, and any other (pending, approved, fulfilled) has it standing, so
// no item is handed out for points that were given back. With verifyStock,
// which derives the stock from the same entries, the units a redemption
// holds are in its item's stock.
func verifyRedemptions(btx *bolt.Tx, rep *VerifyReport) []string {
	var diffs []string
	rev := btx.Bucket(bucketReversed)
	byEntry := map[uint64]uint64{}
	_ = btx.Bucket(bucketRedemptions).ForEach(func(k, v []byte) error {
		rep.Redemptions++
		var r Redemption
		if jsonUnmarshal(v, &r) != nil {
			diffs = append(diffs, fmt.Sprintf("redemption R%d: cannot decode", decodeU64(k)))
			return nil
		}
		if r.ID != decodeU64(k) {
			diffs = append(diffs, fmt.Sprintf("redemption R%d: stored under R%d", r.ID, decodeU64(k)))
		}
		if other, dup := byEntry[r.Entry]; dup {
			diffs = append(diffs, fmt.Sprintf("redemption R%d: entry #%d is the redeem entry of R%d too", r.ID, r.Entry, other))
		}
		byEntry[r.Entry] = r.ID
		e, ok := getEntry(btx, r.Entry)
		if !ok || e.Kind != jifen.KindRedeem || e.Receiver != r.Member {
			diffs = append(diffs, fmt.Sprintf("redemption R%d: entry #%d is not its redeem entry", r.ID, r.Entry))
			return nil
		}
		if e.Behavior != RewardBehavior(r.Item) || e.Points != -r.Points || max(1, e.Quantity) != max(1, r.Quantity) {
			diffs = append(diffs, fmt.Sprintf("redemption R%d: %d × %s for %d points, its entry #%d says %d × %s for %d",
				r.ID, r.Quantity, r.Item, r.Points, e.ID, e.Quantity, strings.TrimPrefix(e.Behavior, "reward:"), -e.Points))
		}
		by := decodeU64(rev.Get(encodeU64(r.Entry)))
		refunded := r.Status == RedemptionRejected || r.Status == RedemptionCancelled
		switch {
		case refunded && (by == 0 || by != r.Refund):
			diffs = append(diffs, fmt.Sprintf("redemption R%d is %s but entry #%d is reversed by #%d, not by its refund #%d", r.ID, r.Status, r.Entry, by, r.Refund))
		case !refunded && by != 0:
			diffs = append(diffs, fmt.Sprintf("redemption R%d is %s but its points were refunded by #%d", r.ID, r.Status, by))
		case !refunded && r.Refund != 0:
			diffs = append(diffs, fmt.Sprintf("redemption R%d is %s but names refund #%d", r.ID, r.Status, r.Refund))
		}
		switch r.Status {
		case RedemptionPending, RedemptionApproved, RedemptionFulfilled, RedemptionRejected, RedemptionCancelled:
		default:
			diffs = append(diffs, fmt.Sprintf("redemption R%d: unknown status %q", r.ID, r.Status))
		}
		return nil
	})
	return diffs
}
