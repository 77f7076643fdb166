package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
)

const memberColumns = `id, name, email, coalesce(slack_id, ''), coalesce(feishu_open_id, ''), department,
	level, role, joined, left_at, birthday, left_from, bot`

func scanMember(r scanner) (jifen.Member, error) {
	var m jifen.Member
	var role string
	var joined, left *time.Time
	err := r.Scan(&m.ID, &m.Name, &m.Email, &m.SlackID, &m.FeishuOpenID, &m.Department, &m.Level, &role,
		&joined, &left, &m.Birthday, &m.LeftFrom, &m.Bot)
	m.Role = jifen.Role(role)
	if joined != nil {
		m.Joined = joined.UTC()
	}
	if left != nil {
		m.Left = left.UTC()
	}
	return m, err
}

// nullText is a column's value: NULL for "".
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// PutMember creates or replaces a member. A Slack id or Feishu open_id
// that another member keeps at the end of the transaction is refused by
// the database.
func (tx *Tx) PutMember(m jifen.Member) error {
	_, err := tx.exec(`INSERT INTO members (id, name, email, slack_id, feishu_open_id, department, level, role,
		joined, left_at, birthday, left_from, bot)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
			slack_id = excluded.slack_id, feishu_open_id = excluded.feishu_open_id,
			department = excluded.department, level = excluded.level, role = excluded.role,
			joined = excluded.joined, left_at = excluded.left_at, birthday = excluded.birthday,
			left_from = excluded.left_from, bot = excluded.bot`,
		m.ID, m.Name, m.Email, nullText(m.SlackID), nullText(m.FeishuOpenID), m.Department, m.Level, string(m.Role),
		nullTime(m.Joined), nullTime(m.Left), m.Birthday, m.LeftFrom, m.Bot)
	return err
}

// Member reads a member inside the transaction.
func (tx *Tx) Member(id string) (jifen.Member, bool) {
	m, err := scanMember(tx.tx.QueryRow(tx.ctx, "SELECT "+memberColumns+" FROM members WHERE id = $1", id))
	if err != nil {
		if !isNoRows(err) {
			tx.note(err)
		}
		return jifen.Member{}, false
	}
	return m, true
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

// SyncMembers upserts the members of the config (or of an imported
// sheet), as the bbolt store's SyncMembers does: members absent from the
// config are kept, and what a platform filled in where the config says
// nothing stays (store.Learned). Members that would not change are not
// written.
func (s *Store) SyncMembers(ctx context.Context, members []jifen.Member) error {
	if len(members) == 0 {
		return nil
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = m.ID
		}
		rows, err := tx.tx.Query(tx.ctx, "SELECT "+memberColumns+" FROM members WHERE id = ANY ($1)", ids)
		if err != nil {
			return nil, err
		}
		old, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jifen.Member, error) { return scanMember(r) })
		if err != nil {
			return nil, err
		}
		byID := make(map[string]jifen.Member, len(old))
		for _, m := range old {
			byID[m.ID] = m
		}
		for _, m := range members {
			o, ok := byID[m.ID]
			if ok {
				m = store.Learned(m, o)
			}
			if ok && reflect.DeepEqual(o, m) {
				continue
			}
			if err := tx.PutMember(m); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// memberWhere returns the member a condition selects, if one does.
func (r *reader) memberWhere(cond string, arg any) (jifen.Member, bool) {
	ctx := r.ctx
	m, err := scanMember(r.q.QueryRow(ctx, "SELECT "+memberColumns+" FROM members WHERE "+cond+" ORDER BY id LIMIT 1", arg))
	if err != nil {
		if !isNoRows(err) {
			r.fail("a member", err)
		}
		return jifen.Member{}, false
	}
	return m, true
}

// Member returns a member by id.
func (r *reader) Member(id string) (jifen.Member, bool) {
	if d := r.dir(); d != nil {
		return d.one(d.byID, id)
	}
	return r.memberWhere("id = $1", id)
}

// MemberBySlackID returns the member with the given Slack user id.
func (r *reader) MemberBySlackID(id string) (jifen.Member, bool) {
	if id == "" {
		return jifen.Member{}, false
	}
	if d := r.dir(); d != nil {
		return d.one(d.bySlack, id)
	}
	return r.memberWhere("slack_id = $1", id)
}

// MemberByFeishuOpenID returns the member with the given Feishu open_id.
func (r *reader) MemberByFeishuOpenID(id string) (jifen.Member, bool) {
	if id == "" {
		return jifen.Member{}, false
	}
	if d := r.dir(); d != nil {
		return d.one(d.byFeishu, id)
	}
	return r.memberWhere("feishu_open_id = $1", id)
}

// MemberByEmail returns the member with the email, compared
// case-insensitively.
func (r *reader) MemberByEmail(email string) (jifen.Member, bool) {
	k := jifen.EmailKey(email)
	if k == "" {
		return jifen.Member{}, false
	}
	if d := r.dir(); d != nil {
		return d.one(d.byEmail, k)
	}
	return r.memberWhere("lower(email) = $1 AND email <> ''", k)
}

// membersWhere returns the members a condition selects, ordered by id.
func (r *reader) membersWhere(cond string, args ...any) []jifen.Member {
	ctx := r.ctx
	rows, err := r.q.Query(ctx, "SELECT "+memberColumns+" FROM members WHERE "+cond+" ORDER BY id", args...)
	if err != nil {
		r.fail("members", err)
		return nil
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jifen.Member, error) { return scanMember(r) })
	if err != nil {
		r.fail("members", err)
	}
	return out
}

// MembersByName returns the members with the given name (case-insensitive);
// more than one means the name is ambiguous.
func (r *reader) MembersByName(name string) []jifen.Member {
	if d := r.dir(); d != nil {
		return d.list(d.byName[strings.ToLower(name)])
	}
	return r.membersWhere("lower(name) = lower($1)", name)
}

// Members returns every member, ordered by id.
func (r *reader) Members() []jifen.Member {
	if d := r.dir(); d != nil {
		return slices.Clone(d.all)
	}
	out := r.membersWhere("true")
	if out == nil {
		out = []jifen.Member{}
	}
	return out
}

// registrationLock is the key of the transaction advisory lock that
// member registrations and links take: they read the members to decide
// (who has a platform id, which ids and names are taken), so replicas
// registering at once take turns. They are rare.
const registrationLock int64 = 0x6a6966656e01

func (tx *Tx) lockRegistrations() error {
	_, err := tx.exec("SELECT pg_advisory_xact_lock($1)", registrationLock)
	return err
}

// LinkMember gives the member with the id their Slack id or Feishu
// open_id (whichever is set in link), found on the platform by their
// email. An id the member already has is never replaced, and one that
// another member holds is never shared: both are store.ErrPlatformIDTaken.
// It returns the member as written.
func (s *Store) LinkMember(ctx context.Context, id string, link jifen.Member) (jifen.Member, error) {
	var out jifen.Member
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if err := tx.lockRegistrations(); err != nil {
			return nil, err
		}
		m, ok := tx.Member(id)
		if !ok {
			return nil, fmt.Errorf("link member: no member %q", id)
		}
		holder := func(col, v string) (string, error) {
			var h string
			_, err := tx.row("SELECT id FROM members WHERE "+col+" = $1", []any{v}, &h)
			return h, err
		}
		if link.SlackID != "" {
			h, err := holder("slack_id", link.SlackID)
			if err != nil {
				return nil, err
			}
			if m.SlackID != "" && m.SlackID != link.SlackID || h != "" && h != id {
				return nil, store.ErrPlatformIDTaken
			}
			m.SlackID = link.SlackID
		}
		if link.FeishuOpenID != "" {
			h, err := holder("feishu_open_id", link.FeishuOpenID)
			if err != nil {
				return nil, err
			}
			if m.FeishuOpenID != "" && m.FeishuOpenID != link.FeishuOpenID || h != "" && h != id {
				return nil, store.ErrPlatformIDTaken
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
	case errors.Is(err, store.ErrPlatformIDTaken):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// RegisterMember adds a member first seen on a platform. A member with
// the same id, registered meanwhile (by any replica), is kept as it is.
func (s *Store) RegisterMember(ctx context.Context, m jifen.Member) error {
	if m.ID == "" || m.Name == "" || !m.Role.Valid() {
		return fmt.Errorf("register member: id, name and a valid role are required")
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if err := tx.lockRegistrations(); err != nil {
			return nil, err
		}
		if _, ok := tx.Member(m.ID); ok {
			return nil, nil
		}
		return nil, tx.PutMember(m)
	})
	return err
}

// RegisterNewMember registers a platform user seen for the first time, as
// the bbolt store's RegisterNewMember does: if a member already has m's
// Feishu open_id or Slack id (registered by another delivery, on any
// replica), that member is returned and nothing is written; otherwise m
// gets the first of ids that no member has, and its name, when another
// member has it (case-insensitively), becomes name-nameSuffix, or name-id
// if that is taken too. It returns the member as stored.
func (s *Store) RegisterNewMember(ctx context.Context, m jifen.Member, ids []string, nameSuffix string) (jifen.Member, error) {
	if m.Name == "" || !m.Role.Valid() || len(ids) == 0 || m.FeishuOpenID == "" && m.SlackID == "" {
		return jifen.Member{}, fmt.Errorf("register member: ids, a name, a valid role and a platform id are required")
	}
	var out jifen.Member
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if err := tx.lockRegistrations(); err != nil {
			return nil, err
		}
		same, err := scanMember(tx.tx.QueryRow(tx.ctx, "SELECT "+memberColumns+` FROM members
			WHERE ($1 <> '' AND feishu_open_id = $1) OR ($2 <> '' AND slack_id = $2) ORDER BY id LIMIT 1`,
			m.FeishuOpenID, m.SlackID))
		switch {
		case err == nil:
			out = same
			return nil, nil
		case !isNoRows(err):
			tx.note(err)
			return nil, err
		}
		r, err := store.NewMemberIDAndName(m, ids, nameSuffix,
			func(id string) bool { _, taken := tx.Member(id); return taken },
			func(name string) bool {
				var taken bool
				_, _ = tx.row("SELECT EXISTS (SELECT 1 FROM members WHERE lower(name) = lower($1))", []any{name}, &taken)
				return taken
			})
		if err != nil {
			return nil, err
		}
		if tx.err != nil { // a name could not be looked up
			return nil, tx.err
		}
		out = r
		return nil, tx.PutMember(r)
	})
	if err != nil {
		return jifen.Member{}, err
	}
	return out, nil
}
