// Package roster plans what a platform's directory (Slack's users.list,
// Feishu's contact tree) changes in jifen's members: people new to jifen,
// platform ids found by email or 工号, departments, department leaders as
// managers, and people deactivated on the platform marked as left. It is
// pure: the adapters read the directory, `jifen members sync` prints and
// applies the plan.
//
// What a plan never does: change a member's id or an id they already have
// on the platform, delete a member, grant or remove admin (admins stay in
// the config), or override what the config says (a config member's
// department and role are the config's; a difference is a Note).
package roster

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"jifen"
)

// Platform is the directory a plan is built from.
type Platform string

const (
	Slack  Platform = "slack"
	Feishu Platform = "feishu"
)

// Person is one user of a platform's directory. Names come cleaned by the
// adapter (one word, no control characters), as registration cleans them.
type Person struct {
	ID         string // Slack user id, Feishu open_id
	EmployeeNo string // 工号, when the platform keeps one (Feishu employee_no)
	Name       string
	Email      string
	Department string // the department's name; "" when the platform has none (Slack)
	Leader     bool   // leads Department (a Feishu department leader)
	Inactive   bool   // deactivated: Slack deleted, Feishu resigned or frozen
	Bot        bool
}

// Kind is what a Change does.
type Kind string

const (
	New        Kind = "new"        // a member created
	Linked     Kind = "linked"     // the platform id filled in, by email or 工号
	Email      Kind = "email"      // the email filled in
	Department Kind = "department" // the department set
	Manager    Kind = "manager"    // made a manager: leads their department
	Left       Kind = "left"       // the leaving date set: deactivated on the platform
)

// Change is one change to one member.
type Change struct {
	Kind   Kind
	Member jifen.Member // as it will be written
	By     string       // Linked: "email" or "id"
	From   string       // Department: the one before
}

// NoteKind is what a Note says.
type NoteKind string

const (
	// ConfigDepartment: the platform's department differs from the config's.
	ConfigDepartment NoteKind = "config_department"
	// ConfigRole: a department leader whose config role is employee.
	ConfigRole NoteKind = "config_role"
	// Taken: the email is a member's who has another id on the platform.
	Taken NoteKind = "taken"
	// Returned: a member who has left is active on the platform.
	Returned NoteKind = "returned"
)

// Note is something the plan leaves as it is but an admin should know.
type Note struct {
	Kind   NoteKind
	Member jifen.Member
	Value  string // the platform's department; the other platform id
}

// Plan is what a sync would change.
type Plan struct {
	Changes []Change
	Notes   []Note
	// Write is every member the changes touch, as they will be written,
	// in id order.
	Write []jifen.Member
	// Bots and Inactive count the people skipped: bots, and deactivated
	// people jifen never knew.
	Bots, Inactive int
}

// Count counts the changes of a kind.
func (p Plan) Count(k Kind) int {
	n := 0
	for _, c := range p.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Input is what a plan is built from.
type Input struct {
	Platform Platform
	// Members are the store's members.
	Members []jifen.Member
	// Config are the config's members by id, as the config says them:
	// their department and role are not changed.
	Config map[string]jifen.Member
	People []Person
	// Today is the leaving date given to people deactivated on the
	// platform: a date at midnight UTC.
	Today time.Time
}

// memberID is what the config accepts as an id.
var memberID = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Build plans the sync. The same input gives the same plan, and a plan
// applied leaves nothing for the next one but its notes.
func Build(in Input) Plan {
	var plan Plan
	byID := map[string]jifen.Member{}
	byPlatform, byEmail, names := map[string]string{}, map[string]string{}, map[string]bool{}
	for _, m := range in.Members {
		byID[m.ID] = m
		if id := platformID(in.Platform, m); id != "" {
			byPlatform[id] = m.ID
		}
		if m.Email != "" {
			byEmail[jifen.EmailKey(m.Email)] = m.ID
		}
		names[strings.ToLower(m.Name)] = true
	}
	touched := map[string]bool{}
	change := func(c Change) {
		byID[c.Member.ID] = c.Member
		touched[c.Member.ID] = true
		plan.Changes = append(plan.Changes, c)
	}

	people := slices.Clone(in.People)
	slices.SortFunc(people, func(a, b Person) int { return strings.Compare(a.ID, b.ID) })
	for _, p := range people {
		if p.ID == "" {
			continue
		}
		if p.Bot {
			plan.Bots++
			continue
		}
		id, found := byPlatform[p.ID]
		by := ""
		if !found && p.Email != "" {
			if mid, ok := byEmail[jifen.EmailKey(p.Email)]; ok {
				m := byID[mid]
				if other := platformID(in.Platform, m); other != "" {
					plan.Notes = append(plan.Notes, Note{Kind: Taken, Member: m, Value: p.ID})
					continue
				}
				id, found, by = mid, true, "email"
			}
		}
		if !found && p.EmployeeNo != "" {
			// The 工号 is the member's id; a member with another email is
			// someone else.
			if m, ok := byID[p.EmployeeNo]; ok && platformID(in.Platform, m) == "" && !m.Bot &&
				(m.Email == "" || p.Email == "" || jifen.EmailKey(m.Email) == jifen.EmailKey(p.Email)) {
				id, found, by = m.ID, true, "id"
			}
		}
		if !found {
			if p.Inactive {
				plan.Inactive++
				continue
			}
			if p.Name == "" {
				continue
			}
			m := newMember(in.Platform, p, byID, names)
			if p.Email != "" {
				if _, used := byEmail[jifen.EmailKey(p.Email)]; !used {
					m.Email = p.Email
					byEmail[jifen.EmailKey(p.Email)] = m.ID
				}
			}
			byPlatform[p.ID] = m.ID
			names[strings.ToLower(m.Name)] = true
			change(Change{Kind: New, Member: m})
			continue
		}

		m := byID[id]
		if m.Bot {
			continue
		}
		if by != "" {
			setPlatformID(in.Platform, &m, p.ID)
			byPlatform[p.ID] = m.ID
			change(Change{Kind: Linked, Member: m, By: by})
		}
		if m.Email == "" && p.Email != "" {
			if _, used := byEmail[jifen.EmailKey(p.Email)]; !used {
				m.Email = p.Email
				byEmail[jifen.EmailKey(p.Email)] = m.ID
				change(Change{Kind: Email, Member: m})
			}
		}
		if p.Inactive {
			if m.Left.IsZero() {
				m.Left, m.LeftFrom = in.Today, string(in.Platform)
				if m.Left.Before(m.Joined) {
					m.Left = m.Joined
				}
				change(Change{Kind: Left, Member: m})
			}
			continue
		}
		if !m.Left.IsZero() && m.Left.Before(in.Today) {
			plan.Notes = append(plan.Notes, Note{Kind: Returned, Member: m})
		}
		cfg, inConfig := in.Config[m.ID]
		if p.Department != "" && p.Department != m.Department {
			if inConfig && cfg.Department != "" {
				plan.Notes = append(plan.Notes, Note{Kind: ConfigDepartment, Member: m, Value: p.Department})
			} else {
				from := m.Department
				m.Department = p.Department
				change(Change{Kind: Department, Member: m, From: from})
			}
		}
		if p.Leader && m.Role == jifen.RoleEmployee {
			if inConfig {
				plan.Notes = append(plan.Notes, Note{Kind: ConfigRole, Member: m, Value: p.Department})
			} else {
				m.Role = jifen.RoleManager
				change(Change{Kind: Manager, Member: m})
			}
		}
	}
	for id := range touched {
		plan.Write = append(plan.Write, byID[id])
	}
	slices.SortFunc(plan.Write, func(a, b jifen.Member) int { return strings.Compare(a.ID, b.ID) })
	return plan
}

// newMember makes the member for a person new to jifen: their 工号 as the
// id when the platform has it and it is free, else an id made from the
// platform id (as registration on first contact makes it, so the two
// agree); the name made unique with the platform id's end.
func newMember(platform Platform, p Person, byID map[string]jifen.Member, names map[string]bool) jifen.Member {
	m := jifen.Member{Name: p.Name, Department: p.Department, Role: jifen.RoleEmployee}
	if p.Leader {
		m.Role = jifen.RoleManager
	}
	setPlatformID(platform, &m, p.ID)
	free := func(id string) bool { _, taken := byID[id]; return id != "" && !taken }
	switch {
	case p.EmployeeNo != "" && memberID.MatchString(p.EmployeeNo) && free(p.EmployeeNo):
		m.ID = p.EmployeeNo
	case platform == Slack:
		m.ID = "slack-" + strings.ToLower(p.ID)
	default:
		m.ID = FeishuID(p.ID, free)
	}
	if names[strings.ToLower(m.Name)] {
		tail := strings.ToLower(strings.TrimPrefix(p.ID, "ou_"))
		m.Name += "-" + tail[max(0, len(tail)-4):]
		if names[strings.ToLower(m.Name)] {
			m.Name = p.Name + "-" + tail
		}
	}
	return m
}

// FeishuID is the member id of a Feishu user first seen by jifen:
// "feishu-" and the open_id's last six characters, or the whole open_id
// when that is taken (free reports whether an id is free).
func FeishuID(openID string, free func(string) bool) string {
	suffix := openID
	if len(suffix) > 6 {
		suffix = suffix[len(suffix)-6:]
	}
	if id := "feishu-" + suffix; free(id) {
		return id
	}
	return "feishu-" + strings.TrimPrefix(openID, "ou_")
}

func platformID(p Platform, m jifen.Member) string {
	if p == Slack {
		return m.SlackID
	}
	return m.FeishuOpenID
}

func setPlatformID(p Platform, m *jifen.Member, id string) {
	if p == Slack {
		m.SlackID = id
	} else {
		m.FeishuOpenID = id
	}
}
