package postgres

import (
	"slices"
	"strings"
	"sync"
	"time"

	"jifen"
)

// A directory is every member as one snapshot saw them, indexed as the
// bbolt store's directory is: the members a chat command, a board or a
// report looks up, without a statement per member. A replica keeps the
// last one it read (see directoryCache); it is never changed once built.
type directory struct {
	members int64     // member_changes before the snapshot it was read from
	kept    time.Time // when it was read (the store's clock)
	all     []jifen.Member
	byID    map[string]int
	// The platform ids and emails are unique; a name is not. Each holds
	// the member of lowest id, as the statements they replace did.
	bySlack, byFeishu, byEmail map[string]int
	byName                     map[string][]int // strings.ToLower(name)
	byDept                     map[string][]int
}

func newDirectory(all []jifen.Member, members int64, kept time.Time) *directory {
	slices.SortFunc(all, func(a, b jifen.Member) int { return strings.Compare(a.ID, b.ID) })
	d := &directory{members: members, kept: kept, all: all, byID: make(map[string]int, len(all)),
		bySlack: map[string]int{}, byFeishu: map[string]int{}, byEmail: map[string]int{},
		byName: make(map[string][]int, len(all)), byDept: map[string][]int{}}
	first := func(m map[string]int, k string, i int) {
		if _, ok := m[k]; !ok && k != "" {
			m[k] = i
		}
	}
	for i, m := range all {
		d.byID[m.ID] = i
		first(d.bySlack, m.SlackID, i)
		first(d.byFeishu, m.FeishuOpenID, i)
		if m.Email != "" {
			first(d.byEmail, jifen.EmailKey(m.Email), i)
		}
		n := strings.ToLower(m.Name)
		d.byName[n] = append(d.byName[n], i)
		d.byDept[m.Department] = append(d.byDept[m.Department], i)
	}
	return d
}

func (d *directory) one(m map[string]int, k string) (jifen.Member, bool) {
	i, ok := m[k]
	if !ok {
		return jifen.Member{}, false
	}
	return d.all[i], true
}

func (d *directory) list(idx []int) []jifen.Member {
	out := make([]jifen.Member, len(idx))
	for j, i := range idx {
		out[j] = d.all[i]
	}
	return out
}

// directoryCache holds the directory a replica read last. A Read whose
// member_changes (read before its snapshot, like the boards' counter: see
// boardCache) equals the kept one's gets it, as it would have read it; a
// write that changed a member moves the counter before it is
// acknowledged, so a Read begun after sees the change. Kept no longer
// than maxBoardAge, for the same reason as a board.
type directoryCache struct {
	mu sync.Mutex
	d  *directory
}

func (c *directoryCache) get() *directory {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.d
}

func (c *directoryCache) put(d *directory) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.d == nil || c.d.members <= d.members {
		c.d = d
	}
}

func (c *directoryCache) drop() {
	c.mu.Lock()
	c.d = nil
	c.mu.Unlock()
}

// dir returns the directory as the Read's snapshot has it: the kept one
// if no member changed since it was read, else read now (and kept). nil
// outside a Read (a write's statements see its own changes) or after a
// failed read.
func (r *reader) dir() *directory {
	if !r.versioned || r.err != nil {
		return nil
	}
	if r.d != nil {
		return r.d
	}
	now := r.s.Now()
	if d := r.s.dirs.get(); d != nil && d.members == r.members && now.Sub(d.kept) < maxBoardAge {
		r.d = d
		return d
	}
	all := r.membersWhere("true")
	if r.err != nil {
		return nil
	}
	r.d = newDirectory(all, r.members, now)
	r.s.dirs.put(r.d)
	return r.d
}
