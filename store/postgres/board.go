package postgres

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
)

// A board is the ranking of one period, as the bbolt store's boards count
// it: the net points of every member counted in the period (employed
// during it, or during the part of it that has begun: jifen.Member.EmployedIn,
// jifen.Period.AsOf), sorted, per department and per role too, and the
// department × category sums of those members.
//
// Here a board is read from the database and kept by each replica (see
// boardCache) until a write changes what it is computed from, on this
// replica or another.
type board struct {
	members map[string]jifen.Member
	points  map[string]int64 // counted members only
	all     []store.Score
	byDept  map[string][]store.Score
	byRole  map[jifen.Role][]store.Score
}

// loadBoard returns a period's board: the one this replica keeps, if no
// write changed the boards since it was read (see boardCache), else one
// read from the transaction's snapshot (its points only, when no member
// changed since the kept one was read). The period is read from its key,
// in the store's zone, so who counts does not depend on how a caller
// built its Period.
func (r *reader) loadBoard(key string) *board {
	p, err := jifen.ParsePeriod(key, r.s.loc)
	if err != nil {
		p = jifen.PeriodOf(jifen.AllTime, time.Time{}, r.s.loc)
		p.Key = key
	}
	asOf := p.AsOf(r.s.Now(), r.s.loc)
	if !r.versioned || r.err != nil {
		return r.readBoard(key, asOf, nil)
	}
	now := r.s.Now()
	k := r.s.boards.get(key)
	if k != nil && k.version == r.version && k.asOf.Equal(asOf.End) && now.Sub(k.kept) < maxBoardAge {
		return k.b
	}
	var members map[string]jifen.Member
	if k != nil && k.members == r.members {
		members = k.b.members
	}
	b := r.readBoard(key, asOf, members)
	if r.err == nil {
		r.s.boards.put(key, &keptBoard{version: r.version, members: r.members, asOf: asOf.End, b: b, kept: now})
	}
	return b
}

// readBoard reads a period's board, counting the members employed in
// asOf; members, when not nil, are the members as the transaction sees
// them (read earlier, and unchanged since).
func (r *reader) readBoard(key string, asOf jifen.Period, members map[string]jifen.Member) *board {
	b := &board{members: members, points: map[string]int64{}, byDept: map[string][]store.Score{},
		byRole: map[jifen.Role][]store.Score{}}
	ctx := r.ctx
	if b.members == nil {
		all := r.Members()
		b.members = make(map[string]jifen.Member, len(all))
		for _, m := range all {
			b.members[m.ID] = m
		}
	}
	if r.err != nil {
		return b
	}
	rows, err := r.q.Query(ctx, "SELECT member, net FROM aggregates WHERE period = $1 AND kind = 't' AND extra = ''", key)
	if err != nil {
		r.fail("a board", err)
		return b
	}
	var member string
	var pts int64
	_, err = pgx.ForEachRow(rows, []any{&member, &pts}, func() error {
		b.points[member] = pts
		return nil
	})
	if err != nil {
		r.fail("a board", err)
		return b
	}
	b.all = make([]store.Score, 0, len(b.members))
	for id, m := range b.members {
		if !m.EmployedIn(asOf, r.s.loc) {
			delete(b.points, id)
			continue
		}
		b.points[id] += 0 // counted at 0 points without a figure
		b.all = append(b.all, store.Score{Member: id, Points: b.points[id]})
	}
	for id := range b.points {
		if _, ok := b.members[id]; !ok {
			delete(b.points, id) // figures of no member: not counted
		}
	}
	slices.SortFunc(b.all, store.CompareScores)
	for _, st := range b.all {
		m := b.members[st.Member]
		b.byDept[m.Department] = append(b.byDept[m.Department], st)
		b.byRole[m.Role] = append(b.byRole[m.Role], st)
	}
	return b
}

// RankOf returns a member's rank in a period, overall, in their department
// and among the members of their role (see store.Rank).
func (r *reader) RankOf(member string, p jifen.Period) store.Rank {
	b := r.loadBoard(p.Key)
	m := b.members[member]
	pts, counted := b.points[member]
	all, dept, role := b.all, b.byDept[m.Department], b.byRole[m.Role]
	if counted {
		return store.RankAmong(pts, all, dept, role)
	}
	return store.Unranked(r.Totals(member, p).Net, all, dept, role)
}

// Headcount is the number of members counted in a period: everyone, or the
// members of one department.
func (r *reader) Headcount(p jifen.Period, dept string) int {
	b := r.loadBoard(p.Key)
	if dept == "" {
		return len(b.all)
	}
	return len(b.byDept[dept])
}

// Top returns the first n members of a period's leaderboard, optionally of
// one department: counted members with more than 0 points, highest first,
// ties by member id, with their competition rank.
func (r *reader) Top(p jifen.Period, n int, dept string) []store.Standing {
	b := r.loadBoard(p.Key)
	list := b.all
	if dept != "" {
		list = b.byDept[dept]
	}
	return store.TopScores(list, n, func(id string) jifen.Member { return b.members[id] })
}

// DepartmentAverages returns a department's average net points per
// counted member, by category, in a period.
//
// The board says who counts; the database sums their categories: one
// department's rows, a handful of sums sent back, where a board of every
// member's categories would be read again after every write.
func (r *reader) DepartmentAverages(p jifen.Period, dept string) map[string]float64 {
	counted := r.loadBoard(p.Key).byDept[dept]
	cats := map[string]int64{}
	if len(counted) == 0 || r.err != nil {
		return store.Averages(cats, 0)
	}
	ids := make([]string, len(counted))
	for i, st := range counted {
		ids[i] = st.Member
	}
	rows, err := r.q.Query(r.ctx, `SELECT extra, sum(net)::bigint FROM aggregates
		WHERE period = $1 AND kind = 'c' AND member = ANY ($2) GROUP BY extra`, p.Key, ids)
	if err != nil {
		r.fail("a department's categories", err)
		return map[string]float64{}
	}
	var cat string
	var sum int64
	_, err = pgx.ForEachRow(rows, []any{&cat, &sum}, func() error {
		cats[cat] = sum
		return nil
	})
	if err != nil {
		r.fail("a department's categories", err)
		return map[string]float64{}
	}
	return store.Averages(cats, len(counted))
}

// Departments lists the departments with their member counts (bots
// excluded).
func (r *reader) Departments() map[string]int {
	out := map[string]int{}
	for _, m := range r.Members() {
		if !m.Bot {
			out[m.Department]++
		}
	}
	return out
}

// DepartmentSize counts the members of a department who work here today
// (joined, not left, not bots): the headcount a manager's allowance is
// sized by.
func (r *reader) DepartmentSize(dept string) int {
	y, mo, d := r.s.Now().In(r.s.loc).Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, r.s.loc)
	var members []jifen.Member
	if d := r.dir(); d != nil {
		members = d.list(d.byDept[dept])
	} else {
		// In a write: the dates of employment are all it needs.
		rows, err := r.q.Query(r.ctx, "SELECT joined, left_at, bot FROM members WHERE department = $1", dept)
		if err != nil {
			r.fail("a department", err)
			return 0
		}
		var joined, left *time.Time
		var bot bool
		_, err = pgx.ForEachRow(rows, []any{&joined, &left, &bot}, func() error {
			m := jifen.Member{Bot: bot}
			if joined != nil {
				m.Joined = joined.UTC()
			}
			if left != nil {
				m.Left = left.UTC()
			}
			members = append(members, m)
			return nil
		})
		if err != nil {
			r.fail("a department", err)
			return 0
		}
	}
	n := 0
	for _, m := range members {
		if m.EmployedOn(day, r.s.loc) {
			n++
		}
	}
	return n
}

// bumpBoards moves the boards' change counter. A write that changed the
// entries, the aggregates or the members sends it in the round trip of
// its COMMIT, after it: once the write is acknowledged, the counter has
// moved.
const bumpBoards = "SELECT nextval('board_changes')"

// bumpMembers is bumpBoards for a write that changed members.
const bumpMembers = "SELECT nextval('member_changes'), nextval('board_changes')"

// bumpBoards moves the counter on a connection of its own, for a write
// whose commit was confirmed by looking its key up.
func (s *Store) bumpBoards(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, bumpBoards); err != nil {
		s.log.Warn("store: the boards' change counter could not be moved", "err", err)
	}
}

// maxBoards bounds the boards a replica keeps.
const maxBoards = 8

// maxBoardAge bounds how long a kept board is served without reading it
// again. The counter's move is sent with COMMIT, after it, as a statement
// of its own: a server that stops between the two (or a connection lost
// there, on a replica that then dies) leaves the counter where it was,
// and without a bound every replica would serve a board without that
// write until the next write moved the counter.
const maxBoardAge = time.Minute

// A boardCache keeps the boards a replica read, each with the value of
// the boards' change counter (the sequence board_changes) read before the
// snapshot it was read from began. Every write that changes what boards
// are computed from moves the counter after its commit (bumpBoards), so
// a write missing from that snapshot moved it past the board's value: a
// Read whose counter (read before its own snapshot) still equals it gets
// the kept board, as it would have read it. An award acknowledged on any
// replica is seen by every board read after it; a board costs one
// trivial statement, sent with the Read's BEGIN, while no write comes.
// A write that changed members moves member_changes too: while it
// stays, a board is read again from the period's points alone.
type boardCache struct {
	mu     sync.Mutex
	boards map[string]*keptBoard
}

type keptBoard struct {
	version int64     // board_changes
	members int64     // member_changes
	asOf    time.Time // the end of the period as of the day it counts
	b       *board
	kept    time.Time // when it was read (the store's clock)
}

func (c *boardCache) get(key string) *keptBoard {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.boards[key]
}

func (c *boardCache) put(key string, k *keptBoard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.boards == nil {
		c.boards = map[string]*keptBoard{}
	}
	if old := c.boards[key]; old != nil && old.version > k.version {
		return // a newer one is kept
	}
	if _, ok := c.boards[key]; !ok && len(c.boards) >= maxBoards {
		for old, o := range c.boards {
			if o.version < k.version || len(c.boards) >= maxBoards {
				delete(c.boards, old)
			}
		}
	}
	c.boards[key] = k
}

// drop forgets every board (the server may have lost a counter's move).
func (c *boardCache) drop() {
	c.mu.Lock()
	c.boards = nil
	c.mu.Unlock()
}
