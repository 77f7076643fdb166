package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

func (s *Store) getAgg(kind, period, member, extra string) Agg {
	var a Agg
	_ = s.view(func(btx *bolt.Tx) error {
		a = readAgg(btx.Bucket(bucketAgg), kind, period, member, extra)
		return nil
	})
	return a
}

// Totals is a member's earned points in a period (redemptions excluded).
func (s *Store) Totals(member string, p jifen.Period) Agg {
	return s.getAgg(aggTotal, p.Key, member, "")
}

// Spent is what a member spent on rewards in a period.
func (s *Store) Spent(member string, p jifen.Period) int64 {
	return s.getAgg(aggSpent, p.Key, member, "").Net
}

// Balance is what a member can spend: everything earned minus everything spent.
func (s *Store) Balance(member string) int64 {
	all := jifen.PeriodOf(jifen.AllTime, s.Now(), s.loc)
	return s.Totals(member, all).Net - s.Spent(member, all)
}

// GiverUsed is what a giver has given from an allowance pool ("award" or
// "thanks") in a period.
func (s *Store) GiverUsed(giver, pool string, p jifen.Period) int64 {
	return s.getAgg(aggGiver, p.Key, giver, pool).Net
}

// Categories is a member's earned points by category in a period. Weeks
// have no category figures.
func (s *Store) Categories(member string, p jifen.Period) map[string]Agg {
	out := map[string]Agg{}
	_ = s.view(func(btx *bolt.Tx) error {
		pre := string(prefix(aggCategory, p.Key))
		return scanRecord(btx.Bucket(bucketAgg).Get([]byte(recordKey(member, p.Key))), pre, func(sub []byte, a Agg) bool {
			out[string(sub[len(pre):])] = a
			return true
		})
	})
	return out
}

// Rank is where a member stands in a period, among the members counted in
// it (employed during it, see jifen.Member.EmployedIn; during the part of
// it that has begun, for the running period: jifen.Period.AsOf). Ranks are
// competition ranks (1, 2, 2, 4): one more than the number of counted
// members in scope with strictly more points, so 0 ranks above -5. Of,
// DeptOf and RoleOf are the counted headcounts of the scopes: everyone, the
// member's department, the member's role (their peers). A member not
// counted in the period has no rank: Rank, DeptRank and RoleRank are 0 (to
// be shown as "—", never as a number).
type Rank struct {
	Points           int64
	Rank, Of         int
	DeptRank, DeptOf int
	RoleRank, RoleOf int
}

// Ranked reports whether the member is counted in the period, and so has
// ranks.
func (r Rank) Ranked() bool { return r.Rank > 0 }

// RankOf returns a member's rank in a period, overall, in their department
// and among the members of their role.
func (s *Store) RankOf(member string, p jifen.Period) Rank {
	b := s.board(p)
	s.mu.RLock()
	m := s.dir.byID[member]
	pts, counted := b.pointsOf(member)
	all, dept, role := b.all, b.byDept[m.Department], b.byRole[m.Role]
	r := Unranked(pts, all, dept, role)
	if counted {
		r = RankAmong(pts, all, dept, role)
	}
	s.mu.RUnlock()
	if !counted {
		// Not on the board, yet the ledger may hold points for them (an
		// entry dated outside their employment): show what they have.
		r.Points = s.Totals(member, p).Net
	}
	return r
}

// Headcount is the number of members counted in a period: everyone, or the
// members of one department.
func (s *Store) Headcount(p jifen.Period, dept string) int {
	b := s.board(p)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if dept == "" {
		return len(b.all)
	}
	return len(b.byDept[dept])
}

// Standing is one line of a leaderboard.
type Standing struct {
	Member jifen.Member
	Points int64
	Rank   int
}

// Top returns the first n members of a period's leaderboard, optionally of
// one department: counted members with more than 0 points, highest first,
// ties by member id. A leaderboard praises; it never lists 0 or less. Rank
// is the competition rank among the counted members of the scope.
func (s *Store) Top(p jifen.Period, n int, dept string) []Standing {
	b := s.board(p)
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := b.all
	if dept != "" {
		list = b.byDept[dept]
	}
	return TopScores(list, n, func(id string) jifen.Member { return s.dir.byID[id] })
}

// Departments lists the departments of the directory with their member
// counts.
func (s *Store) Departments() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]int, len(s.dir.deptSize))
	for d, n := range s.dir.deptSize {
		if n > 0 {
			out[d] = n
		}
	}
	return out
}

// DepartmentAverages returns a department's average net points per
// counted member, by category, in a period: the points of the department's
// members counted in the period over their number (members without points
// count as zero; members not counted are in neither).
func (s *Store) DepartmentAverages(p jifen.Period, dept string) map[string]float64 {
	b := s.board(p)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Averages(b.cats[dept], len(b.byDept[dept]))
}

// History returns a member's latest n entries (as receiver), newest first.
func (s *Store) History(member string, n int) []jifen.Entry {
	var out []jifen.Entry
	_ = s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketAgg).Cursor()
		pre := rcvPrefix(member)
		k, _ := c.Seek(append(append([]byte{}, pre...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && len(out) < n && len(k) == len(pre)+8 && bytes.HasPrefix(k, pre); k, _ = c.Prev() {
			if e, ok := getEntry(btx, decodeU64(k[len(pre):])); ok {
				out = append(out, e)
			}
		}
		return nil
	})
	return out
}

// Entry returns one entry and, if it was reversed, the id of the revoke.
func (s *Store) Entry(id uint64) (e jifen.Entry, reversedBy uint64, ok bool) {
	_ = s.view(func(btx *bolt.Tx) error {
		e, ok = getEntry(btx, id)
		reversedBy = decodeU64(btx.Bucket(bucketReversed).Get(encodeU64(id)))
		return nil
	})
	return e, reversedBy, ok
}

// ForEachEntry calls fn for every entry in id order, in one consistent
// snapshot. It streams: memory does not grow with the ledger.
func (s *Store) ForEachEntry(fn func(e *jifen.Entry) error) error {
	return s.view(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 5000)
		defer release(true)
		return btx.Bucket(bucketEntries).ForEach(func(_, v []byte) error {
			release(false)
			var e jifen.Entry
			if err := decodeEntry(v, &e); err != nil {
				return err
			}
			return fn(&e)
		})
	})
}

// EntryCount is the number of entries in the ledger.
func (s *Store) EntryCount() int {
	n := 0
	_ = s.view(func(btx *bolt.Tx) error {
		n = btx.Bucket(bucketEntries).Stats().KeyN
		return nil
	})
	return n
}

// HasEntries reports whether the ledger holds any entry.
func (s *Store) HasEntries() bool {
	has := false
	_ = s.view(func(btx *bolt.Tx) error {
		k, _ := btx.Bucket(bucketEntries).Cursor().First()
		has = k != nil
		return nil
	})
	return has
}

// ScanEntries calls fn for every entry, in one consistent snapshot, from
// the compact receiver index rather than the entries themselves: ID, Kind,
// At, Effective, Giver, Receiver, Points, Quantity, Category, Behavior and
// Reverses are set (a revoke carries the reversed entry's effective time,
// category, behavior and quantity, with the points negated, and its own
// giver: who revoked); Reason, RuleVersion, Approval and Source are not.
// It is many times faster than ForEachEntry, for analyses over the whole
// ledger. The order is by receiver, then id: a caller that needs the
// recording order sorts by ID. Strings repeat (one per distinct value of
// the scan), so fn may keep them cheaply.
func (s *Store) ScanEntries(fn func(e *jifen.Entry) error) error {
	return s.view(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 5000)
		defer release(true)
		in := interned{}
		receiver := ""
		c := btx.Bucket(bucketAgg).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			release(false)
			if !isRcvKey(k) {
				continue
			}
			r, ok := decodeRcvIn(v, in)
			if !ok {
				return fmt.Errorf("corrupt index record %s", printable(k))
			}
			// A member's records are next to one another: their id is
			// made into a string once.
			i := bytes.IndexByte(k, 0)
			if string(k[:i]) != receiver {
				receiver = string(k[:i])
			}
			e := jifen.Entry{ID: decodeU64(k[i+2:]), Kind: r.kind, At: r.at, Effective: r.effective, Giver: r.giver, Receiver: receiver,
				Points: r.points, Quantity: r.quantity, Category: r.category, Behavior: r.behavior, Reverses: r.reverses}
			if err := fn(&e); err != nil {
				return err
			}
		}
		return nil
	})
}

// releaser returns a function for a read over the whole ledger (or every
// member) that releases the pages read (see ReleaseMemory) every so many
// records and at the end (now), so the process does not hold the whole
// file while it goes through it. A sequential scan touches few pages per
// record; a lookup per member touches one page each, and the kernel maps
// up to 16 pages around each page fault, so lookups release more often.
// btx is the read transaction the scan runs in, which keeps the mapping
// in place.
func (s *Store) releaser(btx *bolt.Tx, every int) func(now bool) {
	n := 0
	return func(now bool) {
		if n++; now || n%every == 0 {
			releaseMapping(s.db, btx.Size())
		}
	}
}
