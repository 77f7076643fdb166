package config

import (
	"regexp"
	"strings"
	"time"
	"unicode"

	"jifen"
)

// memberID is the stable ledger key: ASCII, so it survives every platform
// and every export format.
var memberID = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// members decodes and checks the member list. Names are how people mention
// each other in chat (@王芳), so they must be single words, unique, and not
// collide with another member's id (ids are looked up first).
func (d *decoder) members(v value) []jifen.Member {
	var out []jifen.Member
	ids, names, slackIDs, feishuIDs, emails := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	admins := 0
	items := d.seq(v)
	nameNodes := map[int]value{}
	for i, item := range items {
		f := d.fields(item, "id", "name", "email", "slack_id", "feishu_open_id", "department", "level", "role", "joined", "left", "birthday", "bot")
		m := jifen.Member{
			ID:           d.str(f.get("id")),
			Name:         d.str(f.get("name")),
			Email:        strings.TrimSpace(d.str(f.get("email"))),
			SlackID:      d.str(f.get("slack_id")),
			FeishuOpenID: d.str(f.get("feishu_open_id")),
			Department:   d.str(f.get("department")),
			Level:        d.str(f.get("level")),
			Role:         jifen.Role(strings.ToLower(d.str(f.get("role")))),
			Bot:          d.bool(f.get("bot")),
		}
		line := 0
		if item.node != nil {
			line = item.node.Line
		}

		idv := f.get("id")
		switch {
		case m.ID == "":
			d.add(lineOf(f, idv), idv.path, "required")
		case !memberID.MatchString(m.ID):
			d.add(idv.node, idv.path, "%q: an id is letters, digits, '.', '_' and '-'", clip(m.ID))
		default:
			if first, dup := ids[m.ID]; dup {
				d.add(idv.node, idv.path, "id %q repeats the member on line %d", m.ID, first)
			} else {
				ids[m.ID] = line
			}
		}

		nv := f.get("name")
		nameNodes[i] = nv
		switch {
		case m.Name == "":
			d.add(lineOf(f, nv), nv.path, "required")
		case strings.IndexFunc(m.Name, unicode.IsSpace) >= 0 || strings.ContainsAny(m.Name, "@#＠＃"):
			d.add(nv.node, nv.path, "%q: a name is one word without spaces, '@' or '#', since people @mention it", clip(m.Name))
		default:
			key := strings.ToLower(m.Name)
			if first, dup := names[key]; dup {
				d.add(nv.node, nv.path, "name %q repeats the member on line %d", m.Name, first)
			} else {
				names[key] = line
			}
		}

		rv := f.get("role")
		if m.Role == "" {
			m.Role = jifen.RoleEmployee
		} else if !m.Role.Valid() {
			d.add(rv.node, rv.path, "unknown role %q (want admin, manager or employee)", clip(string(m.Role)))
		}
		if m.Role == jifen.RoleAdmin && !m.Bot {
			admins++
		}

		if jv := f.get("joined"); !jv.null() {
			s := d.str(jv)
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				d.add(jv.node, jv.path, "want a date YYYY-MM-DD, got %q", clip(s))
			}
			m.Joined = t // midnight UTC
		}
		if lv := f.get("left"); !lv.null() {
			s := d.str(lv)
			t, err := time.Parse(time.DateOnly, s)
			switch {
			case err != nil:
				d.add(lv.node, lv.path, "want a date YYYY-MM-DD (离职日期, the last day of employment), got %q", clip(s))
			case !m.Joined.IsZero() && t.Before(m.Joined):
				d.add(lv.node, lv.path, "left %s is before joined %s", s, m.Joined.Format(time.DateOnly))
			}
			m.Left = t
		}

		if bv := f.get("birthday"); !bv.null() {
			b, err := jifen.ParseBirthday(d.str(bv))
			if err != nil {
				d.add(bv.node, bv.path, "want a month and day MM-DD (no year), got %q", clip(d.str(bv)))
			}
			m.Birthday = b
		}

		unique := func(key, val string, seen map[string]int) {
			if val == "" {
				return
			}
			kv := f.get(key)
			if first, dup := seen[val]; dup {
				d.add(kv.node, kv.path, "%q repeats the member on line %d", clip(val), first)
				return
			}
			seen[val] = line
		}
		if m.Email != "" && !jifen.ValidEmail(m.Email) {
			ev := f.get("email")
			d.add(ev.node, ev.path, "%q: want an email like wangfang@example.com", clip(m.Email))
		} else if m.Email != "" {
			// Emails are compared case-insensitively: Wang@x.com is wang@x.com.
			ev := f.get("email")
			if first, dup := emails[jifen.EmailKey(m.Email)]; dup {
				d.add(ev.node, ev.path, "email %q repeats the member on line %d", clip(m.Email), first)
			} else {
				emails[jifen.EmailKey(m.Email)] = line
			}
		}
		unique("slack_id", m.SlackID, slackIDs)
		unique("feishu_open_id", m.FeishuOpenID, feishuIDs)
		out = append(out, m)
	}

	// A name equal to another member's id would never be found by name.
	for i, m := range out {
		if line, ok := ids[m.Name]; ok && m.Name != m.ID {
			d.add(nameNodes[i].node, nameNodes[i].path, "name %q is the id of the member on line %d", m.Name, line)
		}
	}
	if admins == 0 {
		node := v.node
		d.add(node, v.path, "at least one member with role admin is required (admins approve large awards and correct mistakes)")
	}
	return out
}
