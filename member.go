package jifen

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
)

// Role says what a member may do. Admins run the scheme (revoke, approve,
// surveys); managers award and deduct within their allowance; employees
// thank peers within a small allowance.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleManager  Role = "manager"
	RoleEmployee Role = "employee"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleManager || r == RoleEmployee
}

// Member is a person (or a bot) known to the scheme. ID is the stable key
// used in the ledger; Name is how people mention them in chat (@王芳).
type Member struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Email is how a member is found on a platform before their platform
	// id is known (Slack users.info, Feishu batch_get_id); compared
	// case-insensitively (EmailKey) and unique like the platform ids.
	Email        string    `json:"email,omitempty"`
	SlackID      string    `json:"slack_id,omitempty"`
	FeishuOpenID string    `json:"feishu_open_id,omitempty"`
	Department   string    `json:"department,omitempty"`
	Level        string    `json:"level,omitempty"` // e.g. 基层, 中层, 高层
	Role         Role      `json:"role"`
	Joined       time.Time `json:"joined,omitzero"` // a date, midnight UTC; zero: always employed before
	// Left is the last day of employment (离职日期), a date at midnight
	// UTC; zero while employed. A member who has left keeps their past
	// entries but cannot receive or give points afterwards, and drops out
	// of the figures of later periods.
	Left time.Time `json:"left,omitzero"`
	// Birthday is the month and day of birth, MM-DD (the year is not
	// kept); empty when not given. Only a celebrations schedule uses it.
	Birthday string `json:"birthday,omitempty"`
	// LeftFrom names the platform whose directory marked the member as
	// left (jifen members sync: "slack" or "feishu"); empty when the config
	// or an import said so. Only a leaving date a platform gave outlives a
	// config that does not name one.
	LeftFrom string `json:"left_from,omitempty"`
	Bot      bool   `json:"bot,omitempty"` // bots never receive points
}

// EmailKey is the form emails are compared in: trimmed and lower-cased
// (the local part is case-insensitive at every mail system people use).
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidEmail reports whether s looks like an email: one '@' with text on
// both sides, a dot in the domain, no spaces. Mail systems decide the rest.
func ValidEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// Member dates (Joined, Left) are calendar dates stored as midnight UTC;
// they are compared with periods and times as dates of the configured zone.

// localDate is the midnight that starts date d in loc.
func localDate(d time.Time, loc *time.Location) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

// EmployedIn reports whether m was employed at some time during p: joined
// on or before the period's last day and, if they left, left on or after its
// first day. Only such members count in the period's figures (headcounts,
// averages, participation, ranks). Bots are never employed.
func (m Member) EmployedIn(p Period, loc *time.Location) bool {
	from, until, ok := m.Employment(loc)
	return ok && (from.IsZero() || from.Before(p.End)) && (until.IsZero() || until.After(p.Start))
}

// Employment is when m is employed in loc: from the midnight that starts
// the day they joined until the midnight that ends the day they left, a
// bound zero when the date is (joined before the records, still
// employed); ok is false for a bot, and for dates that leave no day
// between them: never employed. m is employed in a
// period (EmployedIn) when from is before its end and until after its
// start; a figure over many periods computes this once per member.
func (m Member) Employment(loc *time.Location) (from, until time.Time, ok bool) {
	if m.Bot {
		return time.Time{}, time.Time{}, false
	}
	if !m.Joined.IsZero() {
		from = localDate(m.Joined, loc)
	}
	if !m.Left.IsZero() {
		until = localDate(m.Left, loc).AddDate(0, 0, 1)
	}
	// Dates that contradict each other (left before joined, which the
	// config and imports refuse, but a platform's directory can bring
	// about) leave no day employed.
	if !from.IsZero() && !until.IsZero() && !until.After(from) {
		return from, until, false
	}
	return from, until, true
}

// EmployedOn reports whether m is employed on the day (in loc) that holds t:
// on or after the day they joined and not after the day they left.
func (m Member) EmployedOn(t time.Time, loc *time.Location) bool {
	day := localDate(t.In(loc), loc)
	return m.EmployedIn(Period{Start: day, End: day.AddDate(0, 0, 1)}, loc)
}

// HasLeft reports whether m's last day of employment is before the day
// (in loc) that holds t.
func (m Member) HasLeft(t time.Time, loc *time.Location) bool {
	return !m.Left.IsZero() && !localDate(m.Left, loc).AddDate(0, 0, 1).After(t)
}

// DaysEmployed counts the days of p (whole local days) on which m was
// employed.
func (m Member) DaysEmployed(p Period, loc *time.Location) int {
	if m.Bot {
		return 0
	}
	from, to := p.Start, p.End
	if !m.Joined.IsZero() {
		if j := localDate(m.Joined, loc); j.After(from) {
			from = j
		}
	}
	if !m.Left.IsZero() {
		if l := localDate(m.Left, loc).AddDate(0, 0, 1); l.Before(to) {
			to = l
		}
	}
	if !from.Before(to) {
		return 0
	}
	// Local midnights: a day of 23 or 25 hours (daylight saving) rounds.
	return int(math.Round(to.Sub(from).Hours() / 24))
}

// EmployedThroughout reports whether m was employed on every day of p.
func (m Member) EmployedThroughout(p Period, loc *time.Location) bool {
	if m.Bot {
		return false
	}
	if !m.Joined.IsZero() && localDate(m.Joined, loc).After(p.Start) {
		return false
	}
	return m.Left.IsZero() || !localDate(m.Left, loc).AddDate(0, 0, 1).Before(p.End)
}

// ParseBirthday reads a birthday as a month and day, "3-1" or "03-01", and
// gives it as MM-DD; a year is refused, so that none is kept.
func ParseBirthday(s string) (string, error) {
	t, err := time.Parse("1-2", strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("birthday %q: want a month and day, MM-DD (no year)", s)
	}
	return t.Format("01-02"), nil
}
