package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// Members validates a members sheet: id, name, department, level, role
// (admin|manager|employee, default employee), joined (a date), left (the
// last day of employment, 离职日期), email (邮箱: how the member is found on
// a platform; unique, compared case-insensitively), and the platform ids.
func Members(t *Table, dir Directory) ([]jifen.Member, error) {
	idx, err := t.columns([]column{
		{[]string{"id", "工号"}, true}, {[]string{"name", "姓名"}, true},
		{[]string{"department", "部门"}, false}, {[]string{"level", "职级", "层级"}, false},
		{[]string{"role", "角色"}, false}, {[]string{"joined", "入职日期"}, false},
		{[]string{"left", "离职日期"}, false},
		{[]string{"email", "邮箱", "电子邮箱"}, false}, {[]string{"birthday", "生日"}, false},
		{[]string{"slack_id"}, false}, {[]string{"feishu_open_id"}, false},
	})
	if err != nil {
		return nil, err
	}
	var out []jifen.Member
	var bad Errors
	ids, names, emails := map[string]int{}, map[string]int{}, map[string]int{}
	byEmail, _ := dir.(interface {
		MemberByEmail(string) (jifen.Member, bool)
	})
	for _, r := range t.Rows {
		m := jifen.Member{ID: get(r, idx, "id"), Name: get(r, idx, "name"), Department: get(r, idx, "department"),
			Level: get(r, idx, "level"), Role: jifen.Role(strings.ToLower(get(r, idx, "role"))),
			Email: get(r, idx, "email"), SlackID: get(r, idx, "slack_id"), FeishuOpenID: get(r, idx, "feishu_open_id")}
		var why []string
		if m.ID == "" || strings.ContainsAny(m.ID, " \t\x00@") {
			why = append(why, fmt.Sprintf("id %q: required, without spaces or @", shown(m.ID)))
		} else if first, dup := ids[m.ID]; dup {
			why = append(why, fmt.Sprintf("id %q repeats row %d", shown(m.ID), first))
		}
		if m.Name == "" || strings.ContainsAny(m.Name, " \t@#") {
			why = append(why, fmt.Sprintf("name %q: required, without spaces, @ or #", shown(m.Name)))
		} else if first, dup := names[strings.ToLower(m.Name)]; dup {
			why = append(why, fmt.Sprintf("name %q repeats row %d", shown(m.Name), first))
		} else {
			for _, o := range dir.MembersByName(m.Name) {
				if o.ID != m.ID {
					why = append(why, fmt.Sprintf("name %q is already %s's", shown(m.Name), o.ID))
				}
			}
		}
		if m.Email != "" {
			key := jifen.EmailKey(m.Email)
			if !jifen.ValidEmail(m.Email) {
				why = append(why, fmt.Sprintf("email %q: want an address like wangfang@example.com", shown(m.Email)))
			} else if first, dup := emails[key]; dup {
				why = append(why, fmt.Sprintf("email %q repeats row %d", shown(m.Email), first))
			} else if byEmail != nil {
				if o, ok := byEmail.MemberByEmail(m.Email); ok && o.ID != m.ID {
					why = append(why, fmt.Sprintf("email %q is already %s's", shown(m.Email), o.ID))
				}
			}
			if _, seen := emails[key]; !seen {
				emails[key] = r.Number
			}
		}
		if m.Role == "" {
			m.Role = jifen.RoleEmployee
		} else if !m.Role.Valid() {
			why = append(why, fmt.Sprintf("role %q: want admin, manager or employee", shown(m.Role)))
		}
		if j := get(r, idx, "joined"); j != "" {
			d, err := parseDate(j)
			if err != nil {
				why = append(why, fmt.Sprintf("joined %q: want a date like 2024-03-01", shown(j)))
			}
			m.Joined = d
		}
		if l := get(r, idx, "left"); l != "" {
			d, err := parseDate(l)
			switch {
			case err != nil:
				why = append(why, fmt.Sprintf("left %q: want a date like 2026-06-30", shown(l)))
			case !m.Joined.IsZero() && d.Before(m.Joined):
				why = append(why, fmt.Sprintf("left %q is before joined %q", shown(l), shown(get(r, idx, "joined"))))
			}
			m.Left = d
		}
		if b := get(r, idx, "birthday"); b != "" {
			v, err := jifen.ParseBirthday(b)
			if err != nil {
				why = append(why, fmt.Sprintf("birthday %q: want a month and day like 03-01 (no year)", shown(b)))
			}
			m.Birthday = v
		}
		// Remember the row's id and name even when it is bad, so a later
		// row repeating them is named too.
		if _, seen := ids[m.ID]; !seen && m.ID != "" {
			ids[m.ID] = r.Number
		}
		if _, seen := names[strings.ToLower(m.Name)]; !seen && m.Name != "" {
			names[strings.ToLower(m.Name)] = r.Number
		}
		if len(why) > 0 {
			bad = append(bad, RowError{r.Number, strings.Join(why, "; ")})
			continue
		}
		out = append(out, m)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// parseDate reads 2024-03-01, 2024/3/1, or a spreadsheet date serial.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "01-02-06"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 20000 && n < 80000 {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)), nil
	}
	return time.Time{}, fmt.Errorf("not a date")
}

// Points validates a sheet of historical points: time, receiver, points,
// and optionally giver, behavior (id, name or alias of the catalog) and
// reason. Each row becomes an import entry counted at its time.
//
// A sheet written by `jifen export ledger` (it has a kind column) is read
// back as the ledger it was: each row keeps its kind, its recording time,
// source and quantity, a redemption its reward, and a revoke the entry it
// reverses (by the file's id column; Reverses and ID of the returned
// entries are the file's ids, which the caller maps to the new ones). An
// export imported into an empty store gives the same figures.
func Points(t *Table, dir Directory, cat *rules.Catalog, loc *time.Location, now time.Time) ([]jifen.Entry, error) {
	idx, err := t.columns([]column{
		{[]string{"time", "时间", "日期"}, true}, {[]string{"receiver", "成员", "姓名", "获得人"}, true},
		{[]string{"points", "积分", "分数"}, true}, {[]string{"giver", "给予人"}, false},
		{[]string{"behavior", "行为"}, false}, {[]string{"reason", "理由", "事由"}, false},
		// The ledger export's columns, English or Chinese (its XLSX header
		// in zh-CN).
		{[]string{"kind", "类型"}, false}, {[]string{"id", "编号"}, false}, {[]string{"recorded", "记录时间"}, false},
		{[]string{"quantity", "数量"}, false}, {[]string{"reverses", "撤销条目"}, false}, {[]string{"source", "来源"}, false},
	})
	if err != nil {
		return nil, err
	}
	_, ledger := idx["kind"]
	var out []jifen.Entry
	var bad Errors
	byID := map[uint64]int{}      // file id → index in out
	reversed := map[uint64]bool{} // file ids reversed by an earlier row
	for _, r := range t.Rows {
		var why []string
		e := jifen.Entry{Kind: jifen.KindImport, Reason: get(r, idx, "reason"), Source: "import"}
		if ledger {
			e.Kind = jifen.EntryKind(get(r, idx, "kind"))
			if !e.Kind.Valid() {
				why = append(why, fmt.Sprintf("kind %q: want award, deduct, thanks, revoke, adjust, import or redeem", shown(get(r, idx, "kind"))))
			}
			if src := get(r, idx, "source"); src != "" {
				e.Source = src
			}
			if v := get(r, idx, "id"); v != "" {
				id, err := strconv.ParseUint(v, 10, 64)
				if _, dup := byID[id]; err != nil || dup {
					why = append(why, fmt.Sprintf("id %q: want a number used once", shown(v)))
				}
				e.ID = id
			}
		}
		when, err := parseTime(get(r, idx, "time"), loc)
		switch {
		case err != nil:
			why = append(why, fmt.Sprintf("time %q: want 2026-03-05 or 2026-03-05 14:30", shown(get(r, idx, "time"))))
		case when.After(now):
			why = append(why, fmt.Sprintf("time %q is in the future", shown(get(r, idx, "time"))))
		}
		e.Effective = when
		if v := get(r, idx, "recorded"); ledger && v != "" {
			at, err := parseTime(v, loc)
			switch {
			case err != nil || at.After(now):
				why = append(why, fmt.Sprintf("recorded %q: want a past time like 2026-03-05 14:30:00", shown(v)))
			case at.Before(when):
				why = append(why, fmt.Sprintf("recorded %q is before the time %q", shown(v), shown(get(r, idx, "time"))))
			}
			e.At = at
		}
		if m, w := findMember(dir, get(r, idx, "receiver")); w != "" {
			why = append(why, "receiver: "+w)
		} else if m.Bot {
			why = append(why, fmt.Sprintf("receiver %s is a bot", m.Name))
		} else if err == nil && !m.EmployedOn(when, loc) {
			// Points count in the periods of their time: a row outside the
			// receiver's employment would count for someone who was not there.
			why = append(why, fmt.Sprintf("receiver %s was not employed on %s (%s)", m.Name, when.In(loc).Format(time.DateOnly), employment(m)))
		} else {
			e.Receiver = m.ID
		}
		if g := get(r, idx, "giver"); g != "" {
			if m, w := findMember(dir, g); w != "" {
				why = append(why, "giver: "+w)
			} else {
				e.Giver = m.ID
			}
		}
		n, err := strconv.ParseInt(get(r, idx, "points"), 10, 64)
		if err != nil || n == 0 || n > 1_000_000 || n < -1_000_000 {
			why = append(why, fmt.Sprintf("points %q: want a whole number, not 0", shown(get(r, idx, "points"))))
		}
		e.Points = n
		b := get(r, idx, "behavior")
		switch {
		case e.Kind == jifen.KindRevoke:
			v := get(r, idx, "reverses")
			orig, err := strconv.ParseUint(v, 10, 64)
			i, ok := byID[orig]
			switch {
			case err != nil || !ok:
				why = append(why, fmt.Sprintf("reverses %q: want the id of an earlier row", shown(v)))
			case out[i].Kind == jifen.KindRevoke || reversed[orig]:
				why = append(why, fmt.Sprintf("reverses %q: that entry cannot be reversed again", shown(v)))
			case out[i].Points != -n || out[i].Receiver != e.Receiver:
				why = append(why, fmt.Sprintf("reverses %q: points and receiver must be the reversed entry's, negated", shown(v)))
			default:
				reversed[orig] = true
				e.Reverses = orig
			}
		case e.Kind == jifen.KindRedeem:
			item := cat.Reward(strings.TrimPrefix(b, "reward:"))
			q, err := strconv.ParseInt(get(r, idx, "quantity"), 10, 64)
			switch {
			case item == nil:
				why = append(why, fmt.Sprintf("behavior %q: want reward: and an item of the shop", shown(b)))
			case err != nil || q < 1 || n >= 0:
				why = append(why, "a redemption needs a quantity of at least 1 and negative points")
			default:
				e.Behavior, e.Quantity = "reward:"+item.ID, q
			}
		case b != "":
			m, err := cat.Match(b)
			if err != nil {
				why = append(why, fmt.Sprintf("behavior %q is not in the rule catalog", shown(b)))
			} else {
				e.Behavior, e.Category = m.Behavior.ID, m.Behavior.Category
			}
		}
		if len(why) > 0 {
			bad = append(bad, RowError{r.Number, strings.Join(why, "; ")})
			continue
		}
		if e.ID != 0 {
			byID[e.ID] = len(out)
		}
		out = append(out, e)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// employment says when m worked here, for an error message.
func employment(m jifen.Member) string {
	from, to := "…", "…"
	if !m.Joined.IsZero() {
		from = m.Joined.Format(time.DateOnly)
	}
	if !m.Left.IsZero() {
		to = m.Left.Format(time.DateOnly)
	}
	return "employed " + from + " – " + to
}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006/1/2 15:04", "2006/1/2"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	if d, err := parseDate(s); err == nil {
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("not a time")
}
