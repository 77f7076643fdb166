package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// Month boards are a derived copy of every month's earned points, kept so
// that the first ranking board of a month after a start (and the first
// /score that ranks) reads one month's figures in a few sequential values
// rather than one record per member.
//
// A month's earned points (t) and their split by category (c) live in the
// member's record of the year (aggregate.go), which is what an award
// rewrites: keeping them there keeps an award to one place of the tree.
// The month boards are not updated by each award. The committer rewrites
// the ones touched after every monthBoardEvery entries or more (see
// there), in the transaction that commits the last of them, and records the id of the last entry they
// cover (metaBoardsUpTo): every month's board is exact as of that entry.
// A cold board reads its month's board and adds the entries recorded
// since: 5,000 to 10,000 of them at most with 10,000 members.
//
//	month_boards:  month \0 be32(chunk)  →  the members of the month with
//	               figures, in id order, monthBoardChunk to a value:
//	               uvarint number of categories, each a str;
//	               uvarint number of members, each: str id, varint t,
//	               uvarint number of categories, each: uvarint index into
//	               the categories, varint net
//	meta boards_upto:  be64(id of the last entry covered), be64(members the
//	               last rewrite wrote), the zone name
//
// A member whose month figures are all zero is left out. Only net points
// are kept: a board ranks by them and sums them by category.
//
// Open builds them from the members' records when the meta key is
// missing or names another zone (a new file, one migrated from schema 3, a
// change of time zone), before the committer starts. Verify compares each month's board,
// with the later entries added, with the members' records.
var (
	bucketMonthBoards = []byte("month_boards")
	metaBoardsUpTo    = []byte("boards_upto")
)

// monthBoardEvery is how many entries the committer lets pass at least
// between two rewrites of the month boards; at least as many as the
// rewrite before wrote members, too, so that the cost of a rewrite, which
// grows with the members of the month, is shared by as many awards (about
// a microsecond of CPU each). A cold board adds as many entries at most
// to the month board it reads, less than a tenth of a millisecond of CPU
// per thousand.
var monthBoardEvery uint64 = 5_000

// monthBoardChunk is how many members one value of a month board holds:
// values of a few pages, so that a rewrite never needs a long run of free
// pages in the file.
const monthBoardChunk = 1_000

// monthFigures is a member's net earned points in a month, in all and by
// category (sorted by category).
type monthFigures struct {
	id   string
	t    int64
	cats []catNet
}

type catNet struct {
	cat string
	net int64
}

// add adds an entry's net points to the figures, and to its category's
// if it has one.
func (m *monthFigures) add(cat string, net int64) {
	m.t += net
	if cat != "" {
		m.addCat(cat, net)
	}
}

// addCat adds net to one category only; a category whose net points
// become zero is dropped.
func (m *monthFigures) addCat(cat string, net int64) {
	i, ok := slices.BinarySearchFunc(m.cats, cat, func(c catNet, s string) int { return strings.Compare(c.cat, s) })
	switch {
	case !ok:
		if net != 0 {
			m.cats = slices.Insert(m.cats, i, catNet{cat, net})
		}
	case m.cats[i].net+net == 0:
		m.cats = slices.Delete(m.cats, i, i+1)
	default:
		m.cats[i].net += net
	}
}

// merge adds o's figures to m's.
func (m *monthFigures) merge(o *monthFigures) {
	m.t += o.t
	for _, c := range o.cats {
		m.addCat(c.cat, c.net)
	}
}

func (m *monthFigures) zero() bool { return m.t == 0 && len(m.cats) == 0 }

// monthEffect is what entry e adds to its receiver's month figures: the
// month, the receiver, the category (or "") and the net points. For a
// revoke, orig is the entry it reverses. ok is false for an entry that
// adds none (a redemption, or a revoke without its entry). It agrees with
// the aggTotal and aggCategory effects of a month (effects), which a test
// checks.
func monthEffect(e, orig *jifen.Entry, loc *time.Location) (month, member, cat string, net int64, ok bool) {
	src, sign := e, int64(1)
	if e.Kind == jifen.KindRevoke {
		if orig == nil {
			return "", "", "", 0, false
		}
		src, sign = orig, -1
	}
	if src.Kind == jifen.KindRedeem {
		return "", "", "", 0, false
	}
	return monthKey(src.Effective, loc), src.Receiver, src.Category, src.Points * sign, true
}

// monthKey is jifen.PeriodOf(jifen.Month, t, loc).Key, without the rest
// of the period.
func monthKey(t time.Time, loc *time.Location) string {
	y, m, _ := t.In(loc).Date()
	if y < 1000 || y > 9999 {
		return jifen.PeriodOf(jifen.Month, t, loc).Key
	}
	b := [7]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-', byte('0' + int(m)/10), byte('0' + int(m)%10)}
	return string(b[:])
}

// boardsUpTo reads the meta key: the last entry the month boards cover,
// and whether they exist for the store's zone.
func (s *Store) boardsUpTo(btx *bolt.Tx) (uint64, bool) {
	upto, _, ok := s.boardsMark(btx)
	return upto, ok
}

// boardsMark reads the meta key whole: the last entry the month boards
// cover, how many members the last rewrite wrote, and whether they exist
// for the store's zone.
func (s *Store) boardsMark(btx *bolt.Tx) (upto, rows uint64, ok bool) {
	v := btx.Bucket(bucketMeta).Get(metaBoardsUpTo)
	if len(v) < 16 || string(v[16:]) != s.loc.String() {
		return 0, 0, false
	}
	return decodeU64(v), decodeU64(v[8:]), true
}

func (s *Store) putBoardsMark(btx *bolt.Tx, upto, rows uint64) error {
	v := append(encodeU64(upto), encodeU64(rows)...)
	return btx.Bucket(bucketMeta).Put(metaBoardsUpTo, append(v, s.loc.String()...))
}

// monthTail calls fn with the month effect of every entry after entry
// after, in id order.
func (s *Store) monthTail(btx *bolt.Tx, after uint64, fn func(month, member, cat string, net int64)) {
	c := btx.Bucket(bucketEntries).Cursor()
	for k, v := c.Seek(encodeU64(after + 1)); k != nil; k, v = c.Next() {
		e, orig, ok := decodeWithOriginal(btx, v)
		if !ok {
			continue // Verify reports it
		}
		if month, member, cat, net, ok := monthEffect(&e, orig, s.loc); ok {
			fn(month, member, cat, net)
		}
	}
}

func monthBoardPrefix(month string) []byte { return append([]byte(month), 0) }

// eachMonthFigures calls fn for every member of a month's board, in id
// order. id aliases the file's memory; cats is reused between calls.
func eachMonthFigures(btx *bolt.Tx, month string, fn func(id []byte, t int64, cats []catNet)) error {
	pre := monthBoardPrefix(month)
	c := btx.Bucket(bucketMonthBoards).Cursor()
	var cats []catNet
	for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
		if err := decodeMonthChunk(v, &cats, fn); err != nil {
			return fmt.Errorf("month board %s: %w", printable(k), err)
		}
	}
	return nil
}

var errCorruptBoard = fmt.Errorf("corrupt month board")

func decodeMonthChunk(b []byte, buf *[]catNet, fn func(id []byte, t int64, cats []catNet)) error {
	str := func() ([]byte, bool) {
		l, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < l {
			return nil, false
		}
		s := b[w : w+int(l)]
		b = b[w+int(l):]
		return s, true
	}
	uv := func() (uint64, bool) {
		v, w := binary.Uvarint(b)
		if w <= 0 {
			return 0, false
		}
		b = b[w:]
		return v, true
	}
	sv := func() (int64, bool) {
		v, w := binary.Varint(b)
		if w <= 0 {
			return 0, false
		}
		b = b[w:]
		return v, true
	}
	nc, ok := uv()
	if !ok || nc > uint64(len(b)) {
		return errCorruptBoard
	}
	dict := make([]string, nc)
	for i := range dict {
		s, ok := str()
		if !ok {
			return errCorruptBoard
		}
		dict[i] = string(s)
	}
	nm, ok := uv()
	if !ok || nm > uint64(len(b)) {
		return errCorruptBoard
	}
	for range nm {
		id, ok := str()
		if !ok {
			return errCorruptBoard
		}
		t, ok := sv()
		if !ok {
			return errCorruptBoard
		}
		k, ok := uv()
		if !ok || k > nc {
			return errCorruptBoard
		}
		cats := (*buf)[:0]
		for range k {
			ci, ok := uv()
			if !ok || ci >= nc {
				return errCorruptBoard
			}
			net, ok := sv()
			if !ok {
				return errCorruptBoard
			}
			cats = append(cats, catNet{dict[ci], net})
		}
		*buf = cats
		fn(id, t, cats)
	}
	if len(b) != 0 {
		return errCorruptBoard
	}
	return nil
}

func encodeMonthChunk(ms []monthFigures) []byte {
	index := map[string]uint64{}
	var dict []string
	for _, m := range ms {
		for _, c := range m.cats {
			if _, ok := index[c.cat]; !ok {
				index[c.cat] = uint64(len(dict))
				dict = append(dict, c.cat)
			}
		}
	}
	b := binary.AppendUvarint(nil, uint64(len(dict)))
	for _, c := range dict {
		b = binary.AppendUvarint(b, uint64(len(c)))
		b = append(b, c...)
	}
	b = binary.AppendUvarint(b, uint64(len(ms)))
	for _, m := range ms {
		b = binary.AppendUvarint(b, uint64(len(m.id)))
		b = append(b, m.id...)
		b = binary.AppendVarint(b, m.t)
		b = binary.AppendUvarint(b, uint64(len(m.cats)))
		for _, c := range m.cats {
			b = binary.AppendUvarint(b, index[c.cat])
			b = binary.AppendVarint(b, c.net)
		}
	}
	return b
}

// monthDeltas gathers month effects: month → member → figures.
type monthDeltas map[string]map[string]*monthFigures

func (d monthDeltas) add(month, member, cat string, net int64) {
	d.figures(month, member).add(cat, net)
}

// figures returns a member's figures of a month, new if need be.
func (d monthDeltas) figures(month, member string) *monthFigures {
	mm := d[month]
	if mm == nil {
		mm = map[string]*monthFigures{}
		d[month] = mm
	}
	f := mm[member]
	if f == nil {
		f = &monthFigures{id: member}
		mm[member] = f
	}
	return f
}

// writeMonthBoard replaces a month's board by the stored one (as of the
// meta key) with delta added.
func writeMonthBoard(btx *bolt.Tx, month string, delta map[string]*monthFigures) (rows int, err error) {
	var ms []monthFigures
	err = eachMonthFigures(btx, month, func(id []byte, t int64, cats []catNet) {
		ms = append(ms, monthFigures{id: string(id), t: t, cats: slices.Clone(cats)})
	})
	if err != nil {
		return 0, err
	}
	var fresh []monthFigures
	for id, f := range delta {
		i, ok := slices.BinarySearchFunc(ms, id, func(m monthFigures, id string) int { return strings.Compare(m.id, id) })
		if !ok {
			fresh = append(fresh, *f)
			continue
		}
		ms[i].merge(f)
	}
	if len(fresh) > 0 {
		ms = append(ms, fresh...)
		slices.SortFunc(ms, func(a, b monthFigures) int { return strings.Compare(a.id, b.id) })
	}
	ms = slices.DeleteFunc(ms, func(m monthFigures) bool { return m.zero() })
	return len(ms), putMonthBoard(btx, month, ms)
}

// putMonthBoard stores ms (in id order, none zero) as month's board.
func putMonthBoard(btx *bolt.Tx, month string, ms []monthFigures) error {
	b := btx.Bucket(bucketMonthBoards)
	pre := monthBoardPrefix(month)
	var stale [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	for i := 0; i*monthBoardChunk < len(ms); i++ {
		chunk := ms[i*monthBoardChunk : min(len(ms), (i+1)*monthBoardChunk)]
		k := binary.BigEndian.AppendUint32(bytes.Clone(pre), uint32(i))
		if err := b.Put(k, encodeMonthChunk(chunk)); err != nil {
			return err
		}
	}
	return nil
}

// refreshMonthBoards brings the month boards up to the last entry when
// at least monthBoardEvery entries, and as many as the last rewrite wrote
// members, were recorded since they were last written. The committer
// calls it in each batch's transaction.
func (s *Store) refreshMonthBoards(btx *bolt.Tx) error {
	upto, rows, ok := s.boardsMark(btx)
	if !ok {
		return nil // Open builds them
	}
	last := btx.Bucket(bucketEntries).Sequence()
	if last < upto+max(monthBoardEvery, rows) {
		return nil
	}
	return s.advanceMonthBoards(btx, upto, last)
}

// advanceMonthBoards adds the month effects of the entries after upto to
// the month boards they touch, and marks them as covering entry last.
func (s *Store) advanceMonthBoards(btx *bolt.Tx, upto, last uint64) error {
	d := monthDeltas{}
	s.monthTail(btx, upto, d.add)
	months := make([]string, 0, len(d))
	for m := range d {
		months = append(months, m)
	}
	slices.Sort(months)
	rows := 0
	for _, m := range months {
		n, err := writeMonthBoard(btx, m, d[m])
		if err != nil {
			return err
		}
		rows += n
	}
	return s.putBoardsMark(btx, last, uint64(rows))
}

// buildMonthBoards writes every month's board from the members' records
// (which hold each month's earned points, see aggregate.go), a year at a
// time, so that its memory is a year of month figures. Open runs it, after
// any rebuild of the aggregates, when the boards are missing or were built
// in another zone; it runs in one transaction, so a crash leaves the file
// without them, and the next Open builds them again.
func (s *Store) buildMonthBoards() error {
	start := time.Now()
	n, rows := 0, 0
	var last uint64
	err := s.db.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket(bucketMonthBoards); err != nil {
			return err
		}
		if _, err := btx.CreateBucket(bucketMonthBoards); err != nil {
			return err
		}
		last = btx.Bucket(bucketEntries).Sequence()
		for _, year := range recordYears(btx) {
			d := s.recordsMonthFigures(btx, year)
			for _, m := range slices.Sorted(maps.Keys(d)) {
				ms := make([]monthFigures, 0, len(d[m]))
				for _, f := range d[m] {
					if !f.zero() {
						ms = append(ms, *f)
					}
				}
				slices.SortFunc(ms, func(a, b monthFigures) int { return strings.Compare(a.id, b.id) })
				if err := putMonthBoard(btx, m, ms); err != nil {
					return err
				}
				n, rows = n+1, len(ms) // the last month's: the one written next
			}
		}
		return s.putBoardsMark(btx, last, uint64(rows))
	})
	if err != nil {
		return fmt.Errorf("building the month boards: %w", err)
	}
	if last == 0 {
		return nil // a new file
	}
	s.log.Info("store: month boards built", "months", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// eachRecord calls fn for each record of the agg bucket (not the index
// records beside them, which it skips a member at a time).
func eachRecord(btx *bolt.Tx, fn func(member, group, v []byte)) {
	c := btx.Bucket(bucketAgg).Cursor()
	for k, v := c.First(); k != nil; {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			k, v = c.Next()
			continue
		}
		if i+1 < len(k) && k[i+1] == 1 { // the member's index: past it
			k, v = c.Seek(append(bytes.Clone(k[:i+1]), 2))
			continue
		}
		fn(k[:i], k[i+1:], v)
		k, v = c.Next()
	}
}

// recordYears lists the years of the members' records, in order.
func recordYears(btx *bolt.Tx) []string {
	years := map[string]bool{}
	eachRecord(btx, func(_, group, _ []byte) {
		if len(group) == 4 {
			years[string(group)] = true
		}
	})
	return slices.Sorted(maps.Keys(years))
}

// recordsMonthFigures reads the month figures of one year from the
// members' records: one pass over the records, a read of the figures
// of months only.
func (s *Store) recordsMonthFigures(btx *bolt.Tx, year string) monthDeltas {
	want := monthDeltas{}
	release := s.releaser(btx, 20_000)
	defer release(true)
	eachRecord(btx, func(member, group, v []byte) {
		release(false)
		if string(group) != year {
			return
		}
		id := string(member)
		for _, kind := range []string{aggCategory, aggTotal} {
			pre := kind + "\x00" + year + "-"
			_ = scanRecord(v, pre, func(sub []byte, a Agg) bool {
				// sub: kind \0 period [\0 category]; months only.
				period := sub[2:min(len(sub), 9)]
				if len(period) != 7 || !isMonth(string(period)) {
					return true
				}
				switch rest := sub[9:]; {
				case kind == aggTotal && len(rest) == 0:
					want.figures(string(period), id).t += a.Net
				case kind == aggCategory && len(rest) > 1 && rest[0] == 0:
					want.figures(string(period), id).addCat(string(rest[1:]), a.Net)
				}
				return true
			})
		}
	})
	return want
}

// verifyMonthBoards checks that every month's board, with the entries
// recorded since the meta key's entry added, holds the month's figures of
// the members' records (whose figures the rest of Verify recomputes from
// the entries). It goes a year at a time, so its memory is a year of
// month figures.
func (s *Store) verifyMonthBoards(btx *bolt.Tx) []string {
	upto, ok := s.boardsUpTo(btx)
	if !ok {
		return []string{"month boards: missing or built in another time zone"}
	}
	var diffs []string
	if last := btx.Bucket(bucketEntries).Sequence(); upto > last {
		diffs = append(diffs, fmt.Sprintf("month boards: cover entries up to %d, past the last entry %d", upto, last))
	}
	tail := monthDeltas{}
	s.monthTail(btx, upto, tail.add)
	years := map[string]bool{}
	_ = btx.Bucket(bucketMonthBoards).ForEach(func(k, _ []byte) error {
		if i := bytes.IndexByte(k, 0); i >= 4 {
			years[string(k[:4])] = true
		}
		return nil
	})
	for _, y := range recordYears(btx) {
		years[y] = true
	}
	for m := range tail {
		years[m[:4]] = true
	}
	for _, year := range slices.Sorted(maps.Keys(years)) {
		// The records' month figures of the year.
		want := s.recordsMonthFigures(btx, year)
		months := map[string]bool{}
		for m := range want {
			months[m] = true
		}
		for m := range tail {
			if m[:4] == year {
				months[m] = true
			}
		}
		c := btx.Bucket(bucketMonthBoards).Cursor()
		for k, _ := c.Seek([]byte(year)); k != nil && bytes.HasPrefix(k, []byte(year)); k, _ = c.Next() {
			if i := bytes.IndexByte(k, 0); i > 0 {
				months[string(k[:i])] = true
			}
		}
		for _, m := range slices.Sorted(maps.Keys(months)) {
			got := monthDeltas{}
			prev := ""
			err := eachMonthFigures(btx, m, func(id []byte, t int64, cats []catNet) {
				if string(id) <= prev {
					diffs = append(diffs, fmt.Sprintf("month board %s: member %s out of order", m, id))
				}
				prev = string(id)
				f := got.figures(m, string(id))
				f.t += t
				for _, c := range cats {
					f.addCat(c.cat, c.net)
				}
			})
			if err != nil {
				diffs = append(diffs, err.Error())
				continue
			}
			for id, f := range tail[m] {
				got.figures(m, id).merge(f)
			}
			diffs = append(diffs, diffMonthFigures(m, got[m], want[m])...)
		}
	}
	return diffs
}

func diffMonthFigures(month string, got, want map[string]*monthFigures) []string {
	var diffs []string
	show := func(f *monthFigures) string {
		if f == nil || f.zero() {
			return "nothing"
		}
		return fmt.Sprintf("%d %v", f.t, f.cats)
	}
	for id, g := range got {
		if w := want[id]; show(g) != show(w) {
			diffs = append(diffs, fmt.Sprintf("month board %s: %s has %s, the records %s", month, id, show(g), show(w)))
		}
	}
	for id, w := range want {
		if _, ok := got[id]; !ok && !w.zero() {
			diffs = append(diffs, fmt.Sprintf("month board %s: %s has nothing, the records %s", month, id, show(w)))
		}
	}
	return diffs
}
