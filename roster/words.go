package roster

import "time"

// Lines words the plan as people read it, in t's language: a line per
// change, one per note, and the summary — what `jifen members sync`
// prints and the console's preview shows. dry says the plan is only
// previewed (its last line says nothing was written) rather than applied.
func (p Plan) Lines(from Platform, dry bool, t func(string, ...any) string) (changes, notes, summary []string) {
	dept := func(d string) string {
		if d == "" {
			return t("sync.no_department")
		}
		return d
	}
	pid := func(id, open string) string {
		if from == Slack {
			return id
		}
		return open
	}
	for _, c := range p.Changes {
		mb := c.Member
		switch c.Kind {
		case New:
			changes = append(changes, t("sync.new", mb.ID, mb.Name, dept(mb.Department), mb.Role, pid(mb.SlackID, mb.FeishuOpenID)))
		case Linked:
			changes = append(changes, t("sync.linked_"+c.By, mb.ID, mb.Name, pid(mb.SlackID, mb.FeishuOpenID)))
		case Email:
			changes = append(changes, t("sync.email", mb.ID, mb.Name, mb.Email))
		case Department:
			changes = append(changes, t("sync.department", mb.ID, mb.Name, dept(c.From), dept(mb.Department)))
		case Manager:
			changes = append(changes, t("sync.manager", mb.ID, mb.Name, dept(mb.Department)))
		case Left:
			changes = append(changes, t("sync.left", mb.ID, mb.Name, mb.Left.Format(time.DateOnly)))
		}
	}
	for _, n := range p.Notes {
		mb := n.Member
		switch n.Kind {
		case ConfigDepartment:
			notes = append(notes, t("sync.note.department", mb.ID, mb.Name, n.Value, dept(mb.Department)))
		case ConfigRole:
			notes = append(notes, t("sync.note.role", mb.ID, mb.Name, dept(n.Value), mb.Role))
		case Taken:
			notes = append(notes, t("sync.note.taken", mb.ID, mb.Name, n.Value, pid(mb.SlackID, mb.FeishuOpenID)))
		case Returned:
			notes = append(notes, t("sync.note.returned", mb.ID, mb.Name, mb.Left.Format(time.DateOnly)))
		}
	}
	if p.Bots > 0 || p.Inactive > 0 {
		summary = append(summary, t("sync.skipped", p.Bots, p.Inactive))
	}
	if len(p.Write) == 0 {
		return changes, notes, append(summary, t("sync.nothing", t("sync.platform."+string(from))))
	}
	summary = append(summary, t("sync.summary", p.Count(New), p.Count(Linked), p.Count(Email),
		p.Count(Department), p.Count(Manager), p.Count(Left)))
	if dry {
		return changes, notes, append(summary, t("sync.dry_run", len(p.Write)))
	}
	return changes, notes, append(summary, t("sync.applied", len(p.Write)))
}
