package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// directory is the in-memory index of members, rebuilt at Open and changed
// only after a commit that wrote a member.
type directory struct {
	byID     map[string]jifen.Member
	bySlack  map[string]string
	byFeishu map[string]string
	byEmail  map[string]string // jifen.EmailKey → id
	byName   map[string][]string
	deptSize map[string]int // members who can receive points, per department
	people   int            // the same, in all

	// todaySize counts, per department, the members employed on the day
	// today (a local midnight); nil after any change to the directory.
	todayMu   sync.Mutex
	today     time.Time
	todaySize map[string]int
}

func newDirectory() *directory {
	return &directory{byID: map[string]jifen.Member{}, bySlack: map[string]string{},
		byFeishu: map[string]string{}, byEmail: map[string]string{}, byName: map[string][]string{}, deptSize: map[string]int{}}
}

func (d *directory) put(m jifen.Member) {
	d.forgetToday()
	if old, ok := d.byID[m.ID]; ok {
		d.remove(old)
	}
	d.byID[m.ID] = m
	if m.SlackID != "" {
		d.bySlack[m.SlackID] = m.ID
	}
	if m.FeishuOpenID != "" {
		d.byFeishu[m.FeishuOpenID] = m.ID
	}
	if m.Email != "" {
		d.byEmail[jifen.EmailKey(m.Email)] = m.ID
	}
	n := strings.ToLower(m.Name)
	d.byName[n] = append(d.byName[n], m.ID)
	if !m.Bot {
		d.deptSize[m.Department]++
		d.people++
	}
}

func (d *directory) remove(m jifen.Member) {
	d.forgetToday()
	delete(d.byID, m.ID)
	if d.bySlack[m.SlackID] == m.ID {
		delete(d.bySlack, m.SlackID)
	}
	if d.byFeishu[m.FeishuOpenID] == m.ID {
		delete(d.byFeishu, m.FeishuOpenID)
	}
	if k := jifen.EmailKey(m.Email); d.byEmail[k] == m.ID {
		delete(d.byEmail, k)
	}
	n := strings.ToLower(m.Name)
	d.byName[n] = slices.DeleteFunc(d.byName[n], func(id string) bool { return id == m.ID })
	if len(d.byName[n]) == 0 {
		delete(d.byName, n)
	}
	if !m.Bot {
		d.deptSize[m.Department]--
		d.people--
	}
}

func (d *directory) forgetToday() {
	d.todayMu.Lock()
	d.todaySize = nil
	d.todayMu.Unlock()
}

func (s *Store) loadDirectory() error {
	d := newDirectory()
	err := s.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketMembers).ForEach(func(k, v []byte) error {
			var m jifen.Member
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			d.put(m)
			return nil
		})
	})
	s.mu.Lock()
	s.dir = d
	s.mu.Unlock()
	return err
}

// PutMember creates or replaces a member. The directory and the ranking
// boards follow after the commit.
func (tx *Tx) PutMember(m jifen.Member) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tx.put(bucketMembers, []byte(m.ID), raw); err != nil {
		return err
	}
	tx.after = append(tx.after, func(uint64) {
		old, existed := tx.s.dir.byID[m.ID]
		tx.s.dir.put(m)
		// Who a board counts, and in which department and role list, is
		// read from the directory when the board loads: a new member, or a
		// change to any of these, makes every board stale.
		if !existed || old.Department != m.Department || old.Role != m.Role || old.Bot != m.Bot ||
			!old.Joined.Equal(m.Joined) || !old.Left.Equal(m.Left) {
			tx.s.boards.reset()
		}
	})
	return nil
}

// Member reads a member inside the transaction (sees the batch's writes).
func (tx *Tx) Member(id string) (jifen.Member, bool) {
	raw := tx.tx.Bucket(bucketMembers).Get([]byte(id))
	if raw == nil {
		return jifen.Member{}, false
	}
	var m jifen.Member
	if json.Unmarshal(raw, &m) != nil {
		return jifen.Member{}, false
	}
	return m, true
}

// SyncMembers upserts the members of the config (or of an imported
// sheet). Members registered from a platform and absent from the config
// are kept: the ledger refers to them.
//
// The config wins where it says something; where it leaves a field empty,
// what a platform filled in stays (Learned): a Slack id or Feishu open_id
// found by email, a department or a leaving date from `jifen members
// sync`. Otherwise the next start would undo them, and the next sync redo
// them.
func (s *Store) SyncMembers(ctx context.Context, members []jifen.Member) error {
	s.mu.RLock()
	var changed []jifen.Member
	for _, m := range members {
		old, ok := s.dir.byID[m.ID]
		if ok {
			m = Learned(m, old)
		}
		if !ok || !reflect.DeepEqual(old, m) {
			changed = append(changed, m)
		}
	}
	s.mu.RUnlock()
	if len(changed) == 0 {
		return nil
	}
	return s.PutMembers(ctx, changed)
}

// Learned is the config's member m with what the store's record old
// learned from a platform kept where the config leaves it empty: the
// platform ids, the email, the department and a leaving date a platform
// gave (LeftFrom).
func Learned(m, old jifen.Member) jifen.Member {
	if m.SlackID == "" {
		m.SlackID = old.SlackID
	}
	if m.FeishuOpenID == "" {
		m.FeishuOpenID = old.FeishuOpenID
	}
	if m.Email == "" {
		m.Email = old.Email
	}
	if m.Department == "" {
		m.Department = old.Department
	}
	// A leaving date the config once gave and no longer does is gone;
	// one a platform gave stays.
	if m.Left.IsZero() && !old.Left.IsZero() && old.LeftFrom != "" && (m.Joined.IsZero() || !old.Left.Before(m.Joined)) {
		m.Left, m.LeftFrom = old.Left, old.LeftFrom
	}
	return m
}

// PutMembers writes the members as they are, in one transaction.
func (s *Store) PutMembers(ctx context.Context, members []jifen.Member) error {
	if len(members) == 0 {
		return nil
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, m := range members {
			if err := tx.PutMember(m); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// ErrPlatformIDTaken is returned by LinkMember when the member already
// has another id on the platform, or another member has this one.
var ErrPlatformIDTaken = errors.New("the member has another platform id, or another member has this one")

// LinkMember gives the member with the id their Slack id or Feishu
// open_id (whichever is set in link), found on the platform by their
// email. An id the member already has is never replaced, and one that
// another member holds is never shared: both are ErrPlatformIDTaken.
// It returns the member as written.
func (s *Store) LinkMember(ctx context.Context, id string, link jifen.Member) (jifen.Member, error) {
	var out jifen.Member
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		m, ok := tx.Member(id)
		if !ok {
			return nil, fmt.Errorf("link member: no member %q", id)
		}
		s.mu.RLock()
		holderSlack, holderFeishu := s.dir.bySlack[link.SlackID], s.dir.byFeishu[link.FeishuOpenID]
		s.mu.RUnlock()
		if link.SlackID != "" {
			if m.SlackID != "" && m.SlackID != link.SlackID || holderSlack != "" && holderSlack != id {
				return nil, ErrPlatformIDTaken
			}
			m.SlackID = link.SlackID
		}
		if link.FeishuOpenID != "" {
			if m.FeishuOpenID != "" && m.FeishuOpenID != link.FeishuOpenID || holderFeishu != "" && holderFeishu != id {
				return nil, ErrPlatformIDTaken
			}
			m.FeishuOpenID = link.FeishuOpenID
		}
		out = m
		return nil, tx.PutMember(m)
	})
	return out, err
}

// TryLinkMember is LinkMember for a look-up that goes on past a refusal:
// an id the member already has, or another member holds, links nothing
// and is no error (linked false).
func (s *Store) TryLinkMember(ctx context.Context, id string, link jifen.Member) (linked bool, err error) {
	switch _, err := s.LinkMember(ctx, id, link); {
	case errors.Is(err, ErrPlatformIDTaken):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// RegisterMember adds a member first seen on a platform (a Slack or
// Feishu user not in the config). A member with the same id, registered
// meanwhile by a concurrent request, is kept as it is.
func (s *Store) RegisterMember(ctx context.Context, m jifen.Member) error {
	if m.ID == "" || m.Name == "" || !m.Role.Valid() {
		return fmt.Errorf("register member: id, name and a valid role are required")
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if _, ok := tx.Member(m.ID); ok {
			return nil, nil
		}
		return nil, tx.PutMember(m)
	})
	return err
}

// RegisterNewMember registers a platform user seen for the first time, with
// every uniqueness check inside the one write, so that two users first seen
// at the same moment become two members: if a member already has m's
// Feishu open_id or Slack id (registered by another delivery meanwhile),
// that member is returned and nothing is written; otherwise m gets the
// first of ids that no member has, and its name, when another member has
// it (case-insensitively), becomes name-nameSuffix, or name-id if that is
// taken too. It returns the member as stored.
func (s *Store) RegisterNewMember(ctx context.Context, m jifen.Member, ids []string, nameSuffix string) (jifen.Member, error) {
	if m.Name == "" || !m.Role.Valid() || len(ids) == 0 || m.FeishuOpenID == "" && m.SlackID == "" {
		return jifen.Member{}, fmt.Errorf("register member: ids, a name, a valid role and a platform id are required")
	}
	raw, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		names := map[string]bool{}
		var same *jifen.Member
		err := tx.tx.Bucket(bucketMembers).ForEach(func(_, v []byte) error {
			var o jifen.Member
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if m.FeishuOpenID != "" && o.FeishuOpenID == m.FeishuOpenID || m.SlackID != "" && o.SlackID == m.SlackID {
				same = &o
			}
			names[strings.ToLower(o.Name)] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
		if same != nil {
			return json.Marshal(same)
		}
		m, err := NewMemberIDAndName(m, ids, nameSuffix,
			func(id string) bool { _, taken := tx.Member(id); return taken },
			func(name string) bool { return names[strings.ToLower(name)] })
		if err != nil {
			return nil, err
		}
		if err := tx.PutMember(m); err != nil {
			return nil, err
		}
		return json.Marshal(m)
	})
	if err != nil {
		return jifen.Member{}, err
	}
	var out jifen.Member
	if err := json.Unmarshal(raw, &out); err != nil {
		return jifen.Member{}, err
	}
	return out, nil
}

// NewMemberIDAndName gives a platform user registered for the first time
// (RegisterNewMember) their id and name, the same in every store: the
// first of ids that is not taken, and m's name, or name-nameSuffix, or
// name-id, whichever is free first (names compared case-insensitively by
// nameTaken).
func NewMemberIDAndName(m jifen.Member, ids []string, nameSuffix string, idTaken, nameTaken func(string) bool) (jifen.Member, error) {
	m.ID = ""
	for _, id := range ids {
		if id != "" && !idTaken(id) {
			m.ID = id
			break
		}
	}
	if m.ID == "" {
		return m, fmt.Errorf("register member: ids %v are all taken", ids)
	}
	for _, name := range []string{m.Name, m.Name + "-" + nameSuffix, m.Name + "-" + m.ID} {
		if !nameTaken(name) {
			m.Name = name
			break
		}
	}
	return m, nil
}

// Member returns a member by id.
func (s *Store) Member(id string) (jifen.Member, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.dir.byID[id]
	return m, ok
}

// MemberBySlackID returns the member with the given Slack user id.
func (s *Store) MemberBySlackID(id string) (jifen.Member, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.dir.byID[s.dir.bySlack[id]]
	return m, ok
}

// MemberByFeishuOpenID returns the member with the given Feishu open_id.
func (s *Store) MemberByFeishuOpenID(id string) (jifen.Member, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.dir.byID[s.dir.byFeishu[id]]
	return m, ok
}

// MemberByEmail returns the member with the email, compared
// case-insensitively.
func (s *Store) MemberByEmail(email string) (jifen.Member, bool) {
	if email == "" {
		return jifen.Member{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.dir.byID[s.dir.byEmail[jifen.EmailKey(email)]]
	return m, ok
}

// MembersByName returns the members with the given name (case-insensitive);
// more than one means the name is ambiguous.
func (s *Store) MembersByName(name string) []jifen.Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []jifen.Member
	for _, id := range s.dir.byName[strings.ToLower(name)] {
		out = append(out, s.dir.byID[id])
	}
	return out
}

// Members returns every member, ordered by id.
func (s *Store) Members() []jifen.Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]jifen.Member, 0, len(s.dir.byID))
	for _, m := range s.dir.byID {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b jifen.Member) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// DepartmentSize counts the members of a department who work here today
// (joined, not left, not bots): the headcount a manager's allowance is
// sized by. It is counted once a day, and again after a member changes.
func (s *Store) DepartmentSize(dept string) int {
	y, m, d := s.Now().In(s.loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	// The same order as a directory change: s.mu, then todayMu.
	s.mu.RLock()
	defer s.mu.RUnlock()
	dir := s.dir
	dir.todayMu.Lock()
	defer dir.todayMu.Unlock()
	if dir.todaySize == nil || !dir.today.Equal(day) {
		dir.todaySize = map[string]int{}
		for _, mb := range dir.byID {
			if mb.EmployedOn(day, s.loc) {
				dir.todaySize[mb.Department]++
			}
		}
		dir.today = day
	}
	return dir.todaySize[dept]
}
