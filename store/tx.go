package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/rules"
)

// Tx is a write transaction handed to a write's function. Reads through it see
// every earlier write of the same batch.
type Tx struct {
	tx     *bolt.Tx
	s      *Store
	now    time.Time
	writes int   // writes by the current request, to detect partial writes
	err    error // a failure that poisons the batch
	after  []afterCommit
	// refunding is the redeem entry RefundRedemption is reversing: the
	// only redeem entry of a redemption that Append lets a revoke reverse.
	refunding uint64
	// lastAt is the recording time of the ledger's last entry, once read.
	lastAt     time.Time
	lastAtRead bool
}

// Members is the directory as committed (Store.Members).
func (tx *Tx) Members() []jifen.Member { return tx.s.Members() }

// MembersByName finds members by name, as committed
// (Store.MembersByName).
func (tx *Tx) MembersByName(name string) []jifen.Member { return tx.s.MembersByName(name) }

// DepartmentSize counts a department's members today, as committed
// (Store.DepartmentSize).
func (tx *Tx) DepartmentSize(dept string) int { return tx.s.DepartmentSize(dept) }

// Now is the time of the batch (UTC).
func (tx *Tx) Now() time.Time { return tx.now }

// Location is the zone periods are computed in.
func (tx *Tx) Location() *time.Location { return tx.s.loc }

func (tx *Tx) put(bucket []byte, k, v []byte) error {
	tx.writes++
	return tx.tx.Bucket(bucket).Put(k, v)
}

// Append adds e to the ledger with the next id, updating aggregates,
// indexes and in-memory views. Kind, Receiver and Points must be set; At
// defaults to the batch time and Effective to At. A revoke must name an
// entry that exists, is not a revoke and is not reversed yet; its Points,
// Effective, Category and Behavior are taken from that entry. The redeem
// entry of a redemption is reversed only by RefundRedemption, which closes
// the redemption too (imported redeem entries, which have none, may be
// reversed directly).
//
// Recording times never decrease with the id (behaviorUse relies on it):
// an entry whose At is before the last entry's (a ledger export imported
// into a store with later entries, or a clock set back) is recorded at the
// batch time instead, or at the last entry's time if that is later still;
// its Effective time, which decides the periods it counts in, is kept
// (defaulting to the At it was given).
func (tx *Tx) Append(e *jifen.Entry) (uint64, error) {
	if !e.Kind.Valid() {
		return 0, fmt.Errorf("append: invalid kind %q", e.Kind)
	}
	if e.At.IsZero() {
		e.At = tx.now
	}
	e.At = e.At.UTC()
	var orig *jifen.Entry
	if e.Kind == jifen.KindRevoke {
		o, ok := tx.Entry(e.Reverses)
		if !ok {
			return 0, fmt.Errorf("append: revoke of unknown entry %d", e.Reverses)
		}
		if o.Kind == jifen.KindRevoke || tx.ReversedBy(o.ID) != 0 {
			return 0, fmt.Errorf("append: entry %d cannot be reversed again", o.ID)
		}
		if o.Kind == jifen.KindRedeem && tx.refunding != o.ID {
			if r, ok := tx.RedemptionOf(o.ID); ok {
				return 0, fmt.Errorf("append: entry %d is the redeem entry of redemption R%d; refund it with RefundRedemption", o.ID, r.ID)
			}
		}
		orig = &o
		e.Points, e.Effective, e.Category, e.Behavior, e.Receiver = -o.Points, o.Effective, o.Category, o.Behavior, o.Receiver
		e.Quantity = o.Quantity
	}
	if e.Receiver == "" {
		return 0, fmt.Errorf("append: no receiver")
	}
	if e.Effective.IsZero() {
		e.Effective = e.At
	}
	if last := tx.lastRecorded(); e.At.Before(last) {
		e.At = last
		if tx.now.After(last) {
			e.At = tx.now
		}
	}
	if e.Effective.After(e.At) {
		// behaviorUse relies on no entry counting before it was recorded.
		return 0, fmt.Errorf("append: effective time %s is after the recording time", e.Effective)
	}
	e.Effective = e.Effective.UTC()
	entries := tx.tx.Bucket(bucketEntries)
	entries.FillPercent = appendFill
	id, err := entries.NextSequence()
	if err != nil {
		return 0, err
	}
	e.ID = id
	raw := encodeEntry(e)
	idk := encodeU64(id)
	if err := tx.put(bucketEntries, idk, raw); err != nil {
		return 0, err
	}
	if orig != nil {
		if err := tx.put(bucketReversed, encodeU64(orig.ID), idk); err != nil {
			return 0, err
		}
	}
	if err := tx.put(bucketAgg, rcvKey(e.Receiver, id), encodeRcv(e)); err != nil {
		return 0, err
	}
	deltas := effects(e, orig, tx.s.loc)
	if err := tx.applyDeltas(deltas); err != nil {
		return 0, err
	}
	if err := tx.applyStock(e); err != nil {
		return 0, err
	}
	tx.lastAt = e.At
	tx.after = append(tx.after, func(txid uint64) { tx.s.boards.apply(txid, deltas) })
	return id, nil
}

// lastRecorded is the recording time of the ledger's last entry (zero for
// an empty ledger), as of this point of the batch.
func (tx *Tx) lastRecorded() time.Time {
	if !tx.lastAtRead {
		tx.lastAtRead = true
		if _, v := tx.tx.Bucket(bucketEntries).Cursor().Last(); v != nil {
			var e jifen.Entry
			if decodeEntry(v, &e) == nil {
				tx.lastAt = e.At.UTC()
			}
		}
	}
	return tx.lastAt
}

// applyDeltas adds deltas to their records, reading and writing each
// record once.
func (tx *Tx) applyDeltas(deltas []aggDelta) error {
	agg := tx.tx.Bucket(bucketAgg)
	type pending struct {
		key string
		r   record
	}
	var recs []pending
	for _, d := range deltas {
		i := slices.IndexFunc(recs, func(p pending) bool { return p.key == d.rec })
		if i < 0 {
			r, err := decodeRecord(agg.Get([]byte(d.rec)))
			if err != nil {
				return fmt.Errorf("aggregate record %s: %w", printable([]byte(d.rec)), err)
			}
			// Decoded items alias nothing of bbolt's memory (subs are copied
			// into strings), so the record may outlive the Get.
			recs = append(recs, pending{d.rec, r})
			i = len(recs) - 1
		}
		recs[i].r = recs[i].r.add(d.sub, d.agg)
	}
	for _, p := range recs {
		var err error
		if len(p.r) == 0 {
			tx.writes++
			err = agg.Delete([]byte(p.key))
		} else {
			err = tx.put(bucketAgg, []byte(p.key), p.r.encode())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Seen returns the result recorded under an idempotency key, if any.
func (tx *Tx) Seen(key string) ([]byte, bool) {
	res := idemGet(tx.tx, key)
	return res, res != nil
}

// Entry returns the entry with the given id.
func (tx *Tx) Entry(id uint64) (jifen.Entry, bool) {
	return getEntry(tx.tx, id)
}

// ReversedBy returns the id of the revoke that reversed entry id, or 0.
func (tx *Tx) ReversedBy(id uint64) uint64 {
	return decodeU64(tx.tx.Bucket(bucketReversed).Get(encodeU64(id)))
}

func getEntry(btx *bolt.Tx, id uint64) (jifen.Entry, bool) {
	raw := btx.Bucket(bucketEntries).Get(encodeU64(id))
	if raw == nil {
		return jifen.Entry{}, false
	}
	var e jifen.Entry
	if err := decodeEntry(raw, &e); err != nil {
		return jifen.Entry{}, false
	}
	return e, true
}

// Usage returns the usage figures the rule catalog checks limits against,
// as of this point of the batch, including pending approvals.
func (tx *Tx) Usage() rules.Usage { return txUsage{tx} }

type txUsage struct{ tx *Tx }

func (u txUsage) Net(member string, p jifen.Period) int64 {
	return u.tx.Net(member, p) + u.tx.PendingPoints(member, p)
}

// Net is the member's net points effective in p from the entries written,
// as of this point of the batch: what /score shows. Pending approvals are
// not in it (Usage counts them, to reserve them against the caps).
func (tx *Tx) Net(member string, p jifen.Period) int64 {
	return readAgg(tx.tx.Bucket(bucketAgg), aggTotal, p.Key, member, "").Net
}

// PendingPoints is what the member's pending approvals requested in p would
// add if approved.
func (tx *Tx) PendingPoints(member string, p jifen.Period) int64 {
	var n int64
	for _, ap := range tx.openApprovals() {
		if p.Contains(ap.CreatedAt) && ap.has(member) {
			n += ap.Points
		}
	}
	return n
}

func (u txUsage) BehaviorUse(member, behavior string, p jifen.Period) (int, int64) {
	times, points := behaviorUse(u.tx.tx, member, behavior, p)
	for _, ap := range u.tx.openApprovals() {
		if p.Contains(ap.CreatedAt) && ap.Behavior == behavior && ap.has(member) {
			times++
			points += abs(ap.Points)
		}
	}
	return times, points
}

func (u txUsage) GiverUse(giver string, pool rules.Pool, p jifen.Period) int64 {
	n := readAgg(u.tx.tx.Bucket(bucketAgg), aggGiver, p.Key, giver, string(pool)).Net
	if pool == rules.PoolAward {
		for _, ap := range u.tx.openApprovals() {
			if p.Contains(ap.CreatedAt) && ap.Giver == giver {
				n += ap.Points * int64(len(ap.Receivers))
			}
		}
	}
	return n
}

// behaviorUse counts a member's entries for one behavior whose Effective
// time falls in p, net of revokes. It walks the member's index newest first
// and stops at the first entry recorded before p started: an entry is never
// recorded before its effective time, so nothing older can count.
func behaviorUse(btx *bolt.Tx, member, behavior string, p jifen.Period) (times int, points int64) {
	c := btx.Bucket(bucketAgg).Cursor()
	pre := rcvPrefix(member)
	k, _ := c.Seek(append(append([]byte{}, pre...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	var v []byte
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && len(k) == len(pre)+8 && string(k[:len(pre)]) == string(pre); k, v = c.Prev() {
		r, ok := decodeRcv(v)
		if !ok {
			continue
		}
		if r.at.Before(p.Start) {
			break
		}
		if r.behavior != behavior || !p.Contains(r.effective) {
			continue
		}
		// A redemption counts its units; every other entry counts once.
		units := max(1, r.quantity)
		switch r.kind {
		case jifen.KindRevoke:
			times -= int(units)
			points -= abs(r.points)
		case jifen.KindAward, jifen.KindDeduct, jifen.KindThanks, jifen.KindImport, jifen.KindAdjust, jifen.KindRedeem:
			times += int(units)
			points += abs(r.points)
		}
	}
	return times, points
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// The receiver index shares the agg bucket with the member's aggregate
// records and sorts just before them (\x01 < any year), so an award's new
// index key and the records it rewrites usually sit on one page.
//
//	member \0 \x01 be64(id) → rcvRecord
func rcvPrefix(member string) []byte {
	return append(prefix(member), 1)
}

func rcvKey(member string, id uint64) []byte {
	return append(rcvPrefix(member), encodeU64(id)...)
}

// isRcvKey tells an index key from a record key in the agg bucket.
func isRcvKey(k []byte) bool {
	i := bytes.IndexByte(k, 0)
	return i >= 0 && i+1 < len(k) && k[i+1] == 1
}

// rcvRecord is the compact index record of an entry: what the ledger-wide
// analyses and the per-behavior limits read of it without decoding the
// entry.
type rcvRecord struct {
	kind          jifen.EntryKind
	at, effective time.Time
	points        int64
	quantity      int64
	reverses      uint64
	giver         string
	category      string
	behavior      string
}

// rcvLayout2 opens a record of the second layout (schema 3), which adds
// the entry's giver and, for a revoke, the id it reverses. A record of the
// first layout opens with its kind's length, which is never 0: Append
// refuses a kind it does not know. decodeRcv reads both, so a file whose
// migration was interrupted reads while the rest is rewritten.
//
//	first:  uvarint len(kind) kind, varint at, varint effective,
//	        varint points, varint quantity, uvarint len(category) category,
//	        behavior
//	second: 0, uvarint len(kind) kind, varint at, varint effective,
//	        varint points, varint quantity, uvarint reverses,
//	        uvarint len(giver) giver, uvarint len(category) category,
//	        behavior
//
// Times are Unix milliseconds; the behavior runs to the end of the record.
const rcvLayout2 = 0

func encodeRcv(e *jifen.Entry) []byte {
	b := make([]byte, 0, 48)
	b = append(b, rcvLayout2)
	b = binary.AppendUvarint(b, uint64(len(e.Kind)))
	b = append(b, e.Kind...)
	b = binary.AppendVarint(b, e.At.UnixMilli())
	b = binary.AppendVarint(b, e.Effective.UnixMilli())
	b = binary.AppendVarint(b, e.Points)
	b = binary.AppendVarint(b, e.Quantity)
	b = binary.AppendUvarint(b, e.Reverses)
	b = binary.AppendUvarint(b, uint64(len(e.Giver)))
	b = append(b, e.Giver...)
	b = binary.AppendUvarint(b, uint64(len(e.Category)))
	b = append(b, e.Category...)
	b = append(b, e.Behavior...)
	return b
}

// decodeRcv decodes a record of either layout; the strings are new.
func decodeRcv(b []byte) (rcvRecord, bool) { return decodeRcvIn(b, nil) }

// decodeRcvIn decodes a record of either layout, taking its strings from
// in (a scan over many records meets few distinct kinds, givers,
// categories and behaviors).
func decodeRcvIn(b []byte, in interned) (rcvRecord, bool) {
	var r rcvRecord
	d := rcvDecoder{b: b}
	second := len(b) > 0 && b[0] == rcvLayout2
	if second {
		d.b = b[1:]
	}
	r.kind = kindOf(d.bytes(), in)
	at, eff := d.varint(), d.varint()
	r.at, r.effective = time.UnixMilli(at).UTC(), time.UnixMilli(eff).UTC()
	r.points, r.quantity = d.varint(), d.varint()
	if second {
		r.reverses = d.uvarint()
		r.giver = in.get(d.bytes())
	}
	r.category = in.get(d.bytes())
	if d.bad {
		return rcvRecord{}, false
	}
	r.behavior = in.get(d.b)
	return r, true
}

// kindOf is the kind named by b, without a new string for a known one.
func kindOf(b []byte, in interned) jifen.EntryKind {
	switch string(b) {
	case "award":
		return jifen.KindAward
	case "deduct":
		return jifen.KindDeduct
	case "thanks":
		return jifen.KindThanks
	case "revoke":
		return jifen.KindRevoke
	case "adjust":
		return jifen.KindAdjust
	case "import":
		return jifen.KindImport
	case "redeem":
		return jifen.KindRedeem
	}
	return jifen.EntryKind(in.get(b))
}

// rcvDecoder reads the fields of a record in turn; bad records that one
// did not read, and every later read then gives zero.
type rcvDecoder struct {
	b   []byte
	bad bool
}

func (d *rcvDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *rcvDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes reads a length and that many bytes.
func (d *rcvDecoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// interned hands out one string per distinct value read; nil makes a new
// string each time.
type interned map[string]string

func (in interned) get(b []byte) string {
	if in == nil {
		return string(b)
	}
	// The lookup by string(b) does not allocate.
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}
