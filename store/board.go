package store

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// A board is the in-memory ranking of one period: the net points of every
// member counted in the period (employed during it, or, for the running
// period, during the part of it that has begun: see jifen.Member.EmployedIn
// and jifen.Period.AsOf), kept sorted, per department and per role too,
// and the department × category sums of those members. It is loaded once
// from the period's aggregates and then follows each commit, so a rank or a
// top 10 costs a binary search or a slice, whatever the length of the
// ledger. The store keeps the most recently used boards only.
//
// Counted members are on the board even at 0 points: a rank is one more
// than the number of counted members with strictly more points, so a member
// at -5 ranks below everyone at 0, and the length of a list is the counted
// headcount of its scope ("第 N / M"). Members not counted in the period are
// not on it at all: they have no rank and are in no headcount, whatever
// points the ledger holds for them.
type board struct {
	period  jifen.Period
	txid    uint64 // the last transaction the board includes
	lastUse atomic.Int64
	// ids are the counted members, sorted, and pts their points (in
	// the same order): a member's points are a binary search away.
	ids    []string
	pts    []int64
	all    []Score // sorted: points descending, then member id
	byDept map[string][]Score
	byRole map[jifen.Role][]Score
	cats   map[string]map[string]int64 // department → category → net points
	// until is when the board must be loaded again: the day the first
	// member hired for a later day of its (running) period starts. Zero:
	// never.
	until time.Time
}

// move replaces old by v in the sorted s, shifting only the standings
// between the two places: an award moves a member a few places, while a
// delete and an insert would each move the whole tail of a list that holds
// every counted member. It reports false if old is not in s (the board is
// out of step with its points and must be reloaded).
func move(s []Score, old, v Score) bool {
	i, ok := slices.BinarySearchFunc(s, old, CompareScores)
	if !ok {
		return false
	}
	j, _ := slices.BinarySearchFunc(s, v, CompareScores) // where v goes, with old still in s
	if j > i {
		copy(s[i:j-1], s[i+1:j])
		s[j-1] = v
	} else {
		copy(s[j+1:i+1], s[j:i])
		s[j] = v
	}
	return true
}

const maxBoards = 12

type boardCache struct {
	boards map[string]*board
	clock  atomic.Int64
	dir    func() *directory
}

func newBoardCache() *boardCache { return &boardCache{boards: map[string]*board{}} }

func (c *boardCache) reset() { clear(c.boards) }

// apply adds the deltas of a transaction to every board that does not
// include it yet. Points of members not counted in a board's period stay
// off it.
func (c *boardCache) apply(txid uint64, deltas []aggDelta) {
	for _, d := range deltas {
		b := c.boards[d.period]
		if b == nil || b.txid >= txid {
			continue
		}
		old, counted := b.pointsOf(d.member)
		if !counted {
			continue
		}
		m := c.dir().byID[d.member]
		switch d.kind {
		case aggTotal:
			if !b.setPoints(m, old, old+d.agg.Net) {
				delete(c.boards, d.period) // reloaded whole at its next use
			}
		case aggCategory:
			dm := b.cats[m.Department]
			if dm == nil {
				dm = map[string]int64{}
				b.cats[m.Department] = dm
			}
			dm[d.cat] += d.agg.Net
		}
	}
}

// committed marks every board as including txid.
func (c *boardCache) committed(txid uint64) {
	for _, b := range c.boards {
		if b.txid < txid {
			b.txid = txid
		}
	}
}

// pointsOf returns a member's points and whether the member is counted.
func (b *board) pointsOf(id string) (int64, bool) {
	i, ok := slices.BinarySearch(b.ids, id)
	if !ok {
		return 0, false
	}
	return b.pts[i], true
}

// setPoints moves a counted member from old to p points on every list of
// the board.
func (b *board) setPoints(m jifen.Member, old, p int64) bool {
	if old == p {
		return true
	}
	i, _ := slices.BinarySearch(b.ids, m.ID)
	b.pts[i] = p
	from, to := Score{m.ID, old}, Score{m.ID, p}
	return move(b.all, from, to) && move(b.byDept[m.Department], from, to) && move(b.byRole[m.Role], from, to)
}

// board returns the board of a period, loading it if needed. The caller
// must not hold s.mu; board takes it to load.
func (s *Store) board(p jifen.Period) *board {
	now := s.Now()
	stale := func(b *board) bool { return b == nil || !b.until.IsZero() && !now.Before(b.until) }
	s.mu.RLock()
	b := s.boards.boards[p.Key]
	s.mu.RUnlock()
	if stale(b) {
		s.mu.Lock()
		b = s.boards.boards[p.Key]
		if stale(b) {
			delete(s.boards.boards, p.Key)
			b = s.loadBoard(p.Key, now)
		}
		s.mu.Unlock()
	}
	b.lastUse.Store(s.boards.clock.Add(1))
	return b
}

// loadBoard reads a period's aggregates. s.mu is held, so no commit can
// apply its deltas meanwhile; the snapshot's transaction id makes the deltas
// of commits it already includes skip this board.
//
// The board's period comes from its key, read in the store's zone, so who
// counts does not depend on how a caller built its Period.
//
// A period still running counts the members employed in it so far (see
// jifen.Period.AsOf): someone hired for a later day of the month is not in
// its headcount yet. The board is loaded again on the day the first of them
// starts (until).
func (s *Store) loadBoard(key string, now time.Time) *board {
	p, err := jifen.ParsePeriod(key, s.loc)
	if err != nil {
		// Keys come from jifen.PeriodOf and always parse; were one not
		// to, the board would count every member, as all time does.
		p = jifen.PeriodOf(jifen.AllTime, time.Time{}, s.loc)
		p.Key = key
	}
	b := &board{period: p, byDept: map[string][]Score{}, byRole: map[jifen.Role][]Score{}, cats: map[string]map[string]int64{}}
	// Who counts: every member employed in the period (so far), with
	// their department and role as small numbers, so that nothing below
	// looks a member or a name up again.
	asOf := p.AsOf(now, s.loc)
	var (
		cands    = make([]candidate, 0, len(s.dir.byID))
		deptIdx  = map[string]uint32{}
		roleIdx  = map[jifen.Role]uint32{}
		depts    []string
		roles    []jifen.Role
		deptSize []int
		roleSize []int
	)
	for id, m := range s.dir.byID {
		if !m.EmployedIn(asOf, s.loc) {
			if m.EmployedIn(p, s.loc) && !m.Joined.IsZero() {
				y, mo, d := m.Joined.Date()
				if start := time.Date(y, mo, d, 0, 0, 0, 0, s.loc); b.until.IsZero() || start.Before(b.until) {
					b.until = start
				}
			}
			continue
		}
		di, ok := deptIdx[m.Department]
		if !ok {
			di = uint32(len(depts))
			deptIdx[m.Department] = di
			depts, deptSize = append(depts, m.Department), append(deptSize, 0)
		}
		ri, ok := roleIdx[m.Role]
		if !ok {
			ri = uint32(len(roles))
			roleIdx[m.Role] = ri
			roles, roleSize = append(roles, m.Role), append(roleSize, 0)
		}
		deptSize[di]++
		roleSize[ri]++
		cands = append(cands, candidate{head: idHead(id), id: id, dept: di, role: ri})
	}
	// In id order, the order of the period's records, so the scan below
	// meets them in step, with no lookup. The ids' first bytes, compared
	// as a number, decide most comparisons.
	slices.SortFunc(cands, func(x, y candidate) int {
		if x.head != y.head {
			if x.head < y.head {
				return -1
			}
			return 1
		}
		return strings.Compare(x.id, y.id)
	})
	b.ids, b.pts = make([]string, len(cands)), make([]int64, len(cands))
	for j := range cands {
		b.ids[j] = cands[j].id
	}
	cats := make([]map[string]*int64, len(depts)) // by department: category → sum
	_ = s.view(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 20_000)
		defer release(true)
		b.txid = uint64(btx.ID())
		agg := btx.Bucket(bucketAgg)
		catPre, total := string(prefix(aggCategory, key)), subKey(aggTotal, key, "")
		read := func(j int, v []byte) {
			dept := cands[j].dept
			_ = scanRecord(v, catPre, func(sub []byte, a Agg) bool {
				if cats[dept] == nil {
					cats[dept] = map[string]*int64{}
				}
				// Looked up without making a string of the category.
				sum := cats[dept][string(sub[len(catPre):])]
				if sum == nil {
					sum = new(int64)
					cats[dept][string(sub[len(catPre):])] = sum
				}
				*sum += a.Net
				return true
			})
			_ = scanRecord(v, total, func(sub []byte, a Agg) bool {
				if len(sub) == len(total) {
					b.pts[j] = a.Net
					return false
				}
				return true // a longer sub shares the prefix
			})
		}
		if isMonth(key) && s.readMonthBoard(btx, key, b, cands, cats) {
			return nil
		}
		// One lookup per member, in key order.
		for j, id := range b.ids {
			release(false)
			read(j, agg.Get([]byte(recordKey(id, key))))
		}
		return nil
	})
	for di, m := range cats {
		if m == nil {
			continue
		}
		dm := map[string]int64{}
		for cat, sum := range m {
			dm[cat] = *sum
		}
		b.cats[depts[di]] = dm
	}
	// Points descending, ties in id order: the members in id order,
	// placed by a counting sort on their points (a period's points take
	// few distinct values).
	count := map[int64]int{}
	for _, pt := range b.pts {
		count[pt]++
	}
	values := make([]int64, 0, len(count))
	for v := range count {
		values = append(values, v)
	}
	slices.Sort(values)
	at := 0
	for i := len(values) - 1; i >= 0; i-- {
		n := count[values[i]]
		count[values[i]] = at
		at += n
	}
	b.all = make([]Score, len(b.ids))
	whose := make([]int32, len(b.ids)) // the candidate at each place of all
	for j, id := range b.ids {
		pt := b.pts[j]
		b.all[count[pt]] = Score{id, pt}
		whose[count[pt]] = int32(j)
		count[pt]++
	}
	deptLists, roleLists := make([][]Score, len(depts)), make([][]Score, len(roles))
	for i, n := range deptSize {
		deptLists[i] = make([]Score, 0, n)
	}
	for i, n := range roleSize {
		roleLists[i] = make([]Score, 0, n)
	}
	for i, st := range b.all {
		cd := &cands[whose[i]]
		deptLists[cd.dept] = append(deptLists[cd.dept], st)
		roleLists[cd.role] = append(roleLists[cd.role], st)
	}
	for i, l := range deptLists {
		b.byDept[depts[i]] = l
	}
	for i, l := range roleLists {
		b.byRole[roles[i]] = l
	}
	if len(s.boards.boards) >= maxBoards {
		var oldest *board
		for _, o := range s.boards.boards {
			if oldest == nil || o.lastUse.Load() < oldest.lastUse.Load() {
				oldest = o
			}
		}
		delete(s.boards.boards, oldest.period.Key)
	}
	s.boards.boards[key] = b
	return b
}

// readMonthBoard reads a month's points and category sums from its month
// board, and adds the entries recorded since (see monthboard.go): one
// sequential read of a few values, whatever the number of members, and a
// few thousand entries at most. It reports false, having set nothing, when
// there is no month board to read (Open had not built them) or it does not
// decode (Verify reports it); the caller then reads the records.
func (s *Store) readMonthBoard(btx *bolt.Tx, month string, b *board, cands []candidate, cats []map[string]*int64) bool {
	upto, ok := s.boardsUpTo(btx)
	if !ok {
		return false
	}
	addCat := func(j int, cat string, net int64) {
		dept := cands[j].dept
		if cats[dept] == nil {
			cats[dept] = map[string]*int64{}
		}
		sum := cats[dept][cat]
		if sum == nil {
			sum = new(int64)
			cats[dept][cat] = sum
		}
		*sum += net
	}
	// The month board is in id order, as the counted members are: they
	// meet in one pass, with no lookup.
	j := 0
	err := eachMonthFigures(btx, month, func(id []byte, t int64, cs []catNet) {
		for j < len(b.ids) && b.ids[j] < string(id) {
			j++
		}
		if j == len(b.ids) || b.ids[j] != string(id) {
			return // not counted
		}
		b.pts[j] = t
		for _, c := range cs {
			addCat(j, c.cat, c.net)
		}
	})
	if err != nil {
		s.log.Error("store: reading a month board; reading the records instead", "month", month, "err", err)
		clear(b.pts)
		clear(cats)
		return false
	}
	s.monthTail(btx, upto, func(m, member, cat string, net int64) {
		if m != month {
			return
		}
		if j, ok := slices.BinarySearch(b.ids, member); ok {
			b.pts[j] += net
			if cat != "" {
				addCat(j, cat, net)
			}
		}
	})
	return true
}

// candidate is a counted member while a board loads: head is the first
// bytes of the id (see idHead), dept and role index the load's lists of
// departments and roles.
type candidate struct {
	head       uint64
	id         string
	dept, role uint32
}

// idHead is the first 8 bytes of id as a big-endian number, zero-padded:
// idHead(a) < idHead(b) implies a < b, and a tie says nothing.
func idHead(id string) uint64 {
	var b [8]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:])
}

// DropBoards forgets the in-memory ranking boards; the next query of each
// period reloads it from the aggregates. For benchmarks and operators.
func (s *Store) DropBoards() {
	s.mu.Lock()
	s.boards.reset()
	s.mu.Unlock()
}
