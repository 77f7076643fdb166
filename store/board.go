package store

import (
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// A board is the in-memory ranking of one period: every member's net points
// kept sorted, per department too, and the department × category sums. It is
// loaded once from the period's aggregates and then follows each commit, so
// a rank or a top 10 costs a binary search or a slice, whatever the length of
// the ledger. The store keeps the most recently used boards only.
type board struct {
	period  string
	txid    uint64 // the last transaction the board includes
	lastUse atomic.Int64
	points  map[string]int64
	all     []standing // sorted: points descending, then member id
	byDept  map[string][]standing
	cats    map[string]map[string]int64 // department → category → net points
}

// standing is a member's net points in a period.
type standing struct {
	member string
	points int64
}

func less(a, b standing) int {
	if a.points != b.points {
		if a.points > b.points {
			return -1
		}
		return 1
	}
	return strings.Compare(a.member, b.member)
}

func insertSorted(s []standing, v standing) []standing {
	i, _ := slices.BinarySearchFunc(s, v, less)
	return slices.Insert(s, i, v)
}

func removeSorted(s []standing, v standing) []standing {
	if i, ok := slices.BinarySearchFunc(s, v, less); ok {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// above counts the standings with strictly more points than p.
func above(s []standing, p int64) int {
	return sort.Search(len(s), func(i int) bool { return s[i].points <= p })
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
// include it yet.
func (c *boardCache) apply(txid uint64, deltas []aggDelta) {
	for _, d := range deltas {
		b := c.boards[d.period]
		if b == nil || b.txid >= txid {
			continue
		}
		dept := c.dir().byID[d.member].Department
		switch d.kind {
		case aggTotal:
			b.setPoints(d.member, dept, b.points[d.member]+d.agg.Net)
		case aggCategory:
			m := b.cats[dept]
			if m == nil {
				m = map[string]int64{}
				b.cats[dept] = m
			}
			m[d.cat] += d.agg.Net
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

func (b *board) setPoints(member, dept string, p int64) {
	if old, ok := b.points[member]; ok {
		b.all = removeSorted(b.all, standing{member, old})
		b.byDept[dept] = removeSorted(b.byDept[dept], standing{member, old})
	}
	if p == 0 {
		// Zero ranks like no points at all; keeping it out keeps the
		// top N free of members with nothing to show.
		delete(b.points, member)
		return
	}
	b.points[member] = p
	b.all = insertSorted(b.all, standing{member, p})
	b.byDept[dept] = insertSorted(b.byDept[dept], standing{member, p})
}

// board returns the board of a period, loading it if needed. The caller
// holds s.mu for reading; board may upgrade to load.
func (s *Store) board(period string) *board {
	s.mu.RLock()
	b := s.boards.boards[period]
	s.mu.RUnlock()
	if b == nil {
		s.mu.Lock()
		b = s.boards.boards[period]
		if b == nil {
			b = s.loadBoard(period)
		}
		s.mu.Unlock()
	}
	b.lastUse.Store(s.boards.clock.Add(1))
	return b
}

// loadBoard reads a period's aggregates. s.mu is held, so no commit can
// apply its deltas meanwhile; the snapshot's transaction id makes the deltas
// of commits it already includes skip this board.
func (s *Store) loadBoard(period string) *board {
	b := &board{period: period, points: map[string]int64{}, byDept: map[string][]standing{}, cats: map[string]map[string]int64{}}
	_ = s.db.View(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 250) // a record per member, read once
		defer release(true)
		b.txid = uint64(btx.ID())
		agg := btx.Bucket(bucketAgg)
		cats := string(prefix(aggCategory, period))
		// One lookup per member: the cost depends on the size of the
		// directory, never on the length of the ledger.
		for id, m := range s.dir.byID {
			release(false)
			raw := agg.Get([]byte(recordKey(id, period)))
			if raw == nil {
				continue
			}
			_ = scanRecord(raw, cats, func(sub []byte, a Agg) bool {
				dm := b.cats[m.Department]
				if dm == nil {
					dm = map[string]int64{}
					b.cats[m.Department] = dm
				}
				dm[string(sub[len(cats):])] += a.Net
				return true
			})
			if a := readAgg(agg, aggTotal, period, id, ""); a.Net != 0 {
				b.points[id] = a.Net
				b.all = append(b.all, standing{id, a.Net})
			}
		}
		return nil
	})
	slices.SortFunc(b.all, less)
	for _, st := range b.all {
		d := s.dir.byID[st.member].Department
		b.byDept[d] = append(b.byDept[d], st)
	}
	if len(s.boards.boards) >= maxBoards {
		var oldest *board
		for _, o := range s.boards.boards {
			if oldest == nil || o.lastUse.Load() < oldest.lastUse.Load() {
				oldest = o
			}
		}
		delete(s.boards.boards, oldest.period)
	}
	s.boards.boards[period] = b
	return b
}

// DropBoards forgets the in-memory ranking boards; the next query of each
// period reloads it from the aggregates. For benchmarks and operators.
func (s *Store) DropBoards() {
	s.mu.Lock()
	s.boards.reset()
	s.mu.Unlock()
}
