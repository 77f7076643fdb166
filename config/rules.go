package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"jifen"
	"jifen/rules"
)

// MaxReasonLimit bounds rules.max_reason_length: a reason is shown in a
// chat post's field, which the platforms cut at 2,000 characters.
const MaxReasonLimit = 2000

// ruleID is the id of a category or behavior: short ASCII, stored in every
// ledger entry and usable in commands (/award @王芳 big_deal).
var ruleID = regexp.MustCompile(`^[a-z0-9_]+$`)

// rules decodes the rule catalog. Every word that can name a behavior in
// chat — its id, name, aliases and #tags — must name only one behavior, so
// they share one case-insensitive namespace.
func (d *decoder) rules(v value) *rules.Catalog {
	c := &rules.Catalog{Allowances: map[jifen.Role]rules.Allowance{}}
	f := d.fields(v, "approval_threshold", "receiver_limits", "allowances", "thanks", "categories", "max_reason_length")

	if t, ok := d.int(f.get("approval_threshold")); ok {
		if t < 0 {
			tv := f.get("approval_threshold")
			d.add(tv.node, tv.path, "must not be negative (0 means no approvals)")
		}
		c.ApprovalThreshold = t
	}
	c.MaxReason = rules.DefaultMaxReason
	if n, ok := d.int(f.get("max_reason_length")); ok {
		if n < 1 || n > MaxReasonLimit {
			mv := f.get("max_reason_length")
			d.add(mv.node, mv.path, "want 1 to %d characters, got %d", MaxReasonLimit, n)
		} else {
			c.MaxReason = int(n)
		}
	}
	c.ReceiverLimits = d.receiverLimits(f.get("receiver_limits"))
	d.allowances(c, f.get("allowances"))

	r := ruleState{
		categories: map[string]int{},
		behaviors:  map[string]behaviorAt{},
		terms:      map[string]termAt{},
	}
	cats := d.seq(f.get("categories"))
	if len(cats) == 0 {
		cv := f.get("categories")
		d.add(lineOf(f, cv), "rules", "at least one category is required")
	}
	for _, cv := range cats {
		d.category(c, &r, cv)
	}
	c.Thanks = d.thanks(c, f.get("thanks"), &r)
	return c
}

type behaviorAt struct {
	index int // in Catalog.Behaviors
	line  int
}

type termAt struct {
	behavior string
	line     int
}

type ruleState struct {
	categories map[string]int        // id → line
	behaviors  map[string]behaviorAt // id → behavior
	terms      map[string]termAt     // lower-cased word → behavior that owns it
}

func (d *decoder) category(c *rules.Catalog, r *ruleState, v value) {
	f := d.fields(v, "id", "name", "description", "behaviors")
	cat := rules.Category{
		ID:          d.str(f.get("id")),
		Name:        d.str(f.get("name")),
		Description: d.str(f.get("description")),
	}
	line := 0
	if v.node != nil {
		line = v.node.Line
	}
	idv := f.get("id")
	switch {
	case cat.ID == "":
		d.add(lineOf(f, idv), idv.path, "required")
	case !ruleID.MatchString(cat.ID):
		d.add(idv.node, idv.path, "%q: an id is lower-case letters, digits and _", clip(cat.ID))
	default:
		if first, dup := r.categories[cat.ID]; dup {
			d.add(idv.node, idv.path, "category id %q repeats the one on line %d", cat.ID, first)
		} else {
			r.categories[cat.ID] = line
		}
	}
	if cat.Name == "" {
		nv := f.get("name")
		d.add(lineOf(f, nv), nv.path, "required")
	}
	c.Categories = append(c.Categories, cat)

	bvs := d.seq(f.get("behaviors"))
	if len(bvs) == 0 {
		bv := f.get("behaviors")
		d.add(lineOf(f, bv), bv.path, "at least one behavior is required")
	}
	for _, bv := range bvs {
		d.behavior(c, r, cat.ID, bv)
	}
}

func (d *decoder) behavior(c *rules.Catalog, r *ruleState, category string, v value) {
	f := d.fields(v, "id", "name", "description", "aliases", "tags", "points", "roles", "limits")
	b := rules.Behavior{
		ID:          d.str(f.get("id")),
		Name:        d.str(f.get("name")),
		Category:    category,
		Description: d.str(f.get("description")),
	}
	line := 0
	if v.node != nil {
		line = v.node.Line
	}
	idv := f.get("id")
	idOK := false
	switch {
	case b.ID == "":
		d.add(lineOf(f, idv), idv.path, "required")
	case !ruleID.MatchString(b.ID):
		d.add(idv.node, idv.path, "%q: an id is lower-case letters, digits and _", clip(b.ID))
	default:
		if first, dup := r.behaviors[b.ID]; dup {
			d.add(idv.node, idv.path, "behavior id %q repeats the one on line %d", b.ID, first.line)
		} else {
			idOK = true
		}
	}

	// term claims a word for this behavior; a repeat within the same
	// behavior (name 迟到, alias 迟到) is harmless.
	term := func(word string, at value, what string) {
		if word == "" {
			d.add(at.node, at.path, "must not be empty")
			return
		}
		if strings.IndexFunc(word, unicode.IsSpace) >= 0 {
			d.add(at.node, at.path, "%q: a %s is one word, without spaces", clip(word), what)
			return
		}
		key := strings.ToLower(word)
		if t, dup := r.terms[key]; dup && t.behavior != b.ID {
			d.add(at.node, at.path, "%q already names behavior %q (line %d); a word may name only one behavior", clip(word), t.behavior, t.line)
			return
		}
		r.terms[key] = termAt{behavior: b.ID, line: at.node.Line}
	}
	if idOK {
		term(b.ID, idv, "id")
	}
	if nv := f.get("name"); b.Name == "" {
		d.add(lineOf(f, nv), nv.path, "required")
	} else {
		term(b.Name, nv, "name")
	}
	av := f.get("aliases")
	for i, a := range d.strs(av) {
		b.Aliases = append(b.Aliases, a)
		term(a, item(av, i), "alias")
	}
	tv := f.get("tags")
	for i, t := range d.strs(tv) {
		t = strings.TrimLeft(t, "#＃")
		b.Tags = append(b.Tags, t)
		term(t, item(tv, i), "tag")
	}

	d.points(&b, f.get("points"), f)

	rv := f.get("roles")
	for i, s := range d.strs(rv) {
		role := jifen.Role(strings.ToLower(s))
		at := item(rv, i)
		if !role.Valid() {
			d.add(at.node, at.path, "unknown role %q (want admin, manager or employee)", clip(s))
			continue
		}
		b.Roles = append(b.Roles, role)
	}

	for _, lv := range d.seq(f.get("limits")) {
		lf := d.fields(lv, "period", "times", "points")
		l := rules.BehaviorLimit{Period: d.period(lf, lf.get("period"))}
		times, _ := d.int(lf.get("times"))
		l.Points, _ = d.int(lf.get("points"))
		l.Times = int(times)
		if times < 0 {
			d.add(lf.get("times").node, lf.get("times").path, "must not be negative")
		}
		if l.Points < 0 {
			d.add(lf.get("points").node, lf.get("points").path, "must not be negative (it caps points in absolute value)")
		}
		if times == 0 && l.Points == 0 {
			d.add(lineOf(lf, value{}), lv.path, "set times, points or both to a positive number")
		}
		b.Limits = append(b.Limits, l)
	}

	c.Behaviors = append(c.Behaviors, b)
	if idOK {
		r.behaviors[b.ID] = behaviorAt{index: len(c.Behaviors) - 1, line: line}
	}
}

// item is the value of the i-th element of a list, or v itself when the
// list was written as a single value.
func item(v value, i int) value {
	if n := deref(v.node); n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return value{node: deref(n.Content[i]), path: fmt.Sprintf("%s[%d]", v.path, i)}
	}
	return v
}

// points reads a fixed value (10, or -5 for a deduction) or a range
// [min, max]. A range never crosses zero: a behavior either awards or
// deducts, which is how the ledger tells awards from deductions.
func (d *decoder) points(b *rules.Behavior, v value, f *fieldSet) {
	if v.null() {
		d.add(lineOf(f, v), v.path, "required: a number such as 10 or -5, or a range such as [10, 50]")
		return
	}
	n := deref(v.node)
	if n.Kind != yaml.SequenceNode {
		p, ok := d.int(v)
		if !ok {
			return
		}
		if p == 0 {
			d.add(n, v.path, "must not be 0")
			return
		}
		b.Min, b.Max = p, p
		return
	}
	items := d.seq(v)
	if len(items) != 2 {
		d.add(n, v.path, "a range has two numbers [min, max], got %d", len(items))
		return
	}
	lo, ok1 := d.int(items[0])
	hi, ok2 := d.int(items[1])
	if !ok1 || !ok2 {
		return
	}
	switch {
	case lo == 0 || hi == 0:
		d.add(n, v.path, "[%d, %d]: neither end may be 0", lo, hi)
	case lo > hi:
		d.add(n, v.path, "[%d, %d]: min is greater than max", lo, hi)
	case (lo < 0) != (hi < 0):
		d.add(n, v.path, "[%d, %d]: both ends must have the same sign (an award or a deduction, not both)", lo, hi)
	default:
		b.Min, b.Max = lo, hi
	}
}

// period reads a required period kind.
func (d *decoder) period(f *fieldSet, v value) jifen.PeriodKind {
	s := d.str(v)
	if s == "" {
		d.add(lineOf(f, v), v.path, "required: week, month, quarter, year or all")
		return ""
	}
	k := jifen.PeriodKind(strings.ToLower(s))
	if !k.Valid() {
		d.add(v.node, v.path, "unknown period %q (want week, month, quarter, year or all)", clip(s))
	}
	return k
}

func (d *decoder) receiverLimits(v value) []rules.NetLimit {
	var out []rules.NetLimit
	seen := map[jifen.PeriodKind]int{}
	for _, lv := range d.seq(v) {
		f := d.fields(lv, "period", "max", "min")
		l := rules.NetLimit{Period: d.period(f, f.get("period"))}
		if first, dup := seen[l.Period]; dup && l.Period != "" {
			pv := f.get("period")
			d.add(pv.node, pv.path, "period %q repeats the limit on line %d", l.Period, first)
		} else if pv := f.get("period"); pv.node != nil {
			seen[l.Period] = pv.node.Line
		}
		if max, ok := d.int(f.get("max")); ok {
			if max <= 0 {
				d.add(f.get("max").node, f.get("max").path, "must be greater than 0")
			}
			l.Max = &max
		}
		if min, ok := d.int(f.get("min")); ok {
			if min > 0 {
				d.add(f.get("min").node, f.get("min").path, "must be 0 or negative (it floors what deductions can bring a total to)")
			}
			l.Min = &min
		}
		if l.Max == nil && l.Min == nil {
			d.add(lineOf(f, value{}), lv.path, "set max, min or both")
		}
		out = append(out, l)
	}
	return out
}

func (d *decoder) allowances(c *rules.Catalog, v value) {
	if v.null() {
		return
	}
	n := deref(v.node)
	if n.Kind != yaml.MappingNode {
		d.add(n, v.path, "want a mapping of role to allowance, got %s", kindName(n))
		return
	}
	roles := []string{string(jifen.RoleAdmin), string(jifen.RoleManager), string(jifen.RoleEmployee)}
	f := d.fields(v, roles...)
	for _, role := range roles {
		if !f.has(role) {
			continue
		}
		af := d.fields(f.get(role), "period", "points", "per_member", "max_per_award")
		a := rules.Allowance{Period: d.period(af, af.get("period"))}
		for key, dst := range map[string]*int64{"points": &a.Points, "per_member": &a.PerMember, "max_per_award": &a.MaxPerAward} {
			if x, ok := d.int(af.get(key)); ok {
				if x < 0 {
					d.add(af.get(key).node, af.get(key).path, "must not be negative")
				}
				*dst = x
			}
		}
		c.Allowances[jifen.Role(role)] = a
	}
}

// thanks reads the peer-thanks scheme; it is checked after the categories
// so that its behavior can be looked up.
func (d *decoder) thanks(c *rules.Catalog, v value, r *ruleState) *rules.Thanks {
	if v.null() {
		return nil
	}
	f := d.fields(v, "behavior", "period", "allowance", "max_per_thanks")
	t := &rules.Thanks{
		Behavior: d.str(f.get("behavior")),
		Period:   d.period(f, f.get("period")),
	}
	bv := f.get("behavior")
	var b *rules.Behavior
	switch at, ok := r.behaviors[t.Behavior]; {
	case t.Behavior == "":
		d.add(lineOf(f, bv), bv.path, "required: the id of the behavior thanks are recorded under")
	case !ok:
		msg := fmt.Sprintf("unknown behavior %q", clip(t.Behavior))
		if s := closest(t.Behavior, keys(r.behaviors)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		d.add(bv.node, bv.path, "%s", msg)
	case c.Behaviors[at.index].Deduction():
		d.add(bv.node, bv.path, "behavior %q is a deduction; thanks must give points", t.Behavior)
	default:
		b = &c.Behaviors[at.index]
	}
	allowance, ok := d.int(f.get("allowance"))
	if av := f.get("allowance"); !ok && av.null() || ok && allowance <= 0 {
		d.add(lineOf(f, av), av.path, "required: a positive number of points per period")
	}
	t.Allowance = allowance
	mv := f.get("max_per_thanks")
	if max, ok := d.int(mv); ok {
		t.MaxPerThanks = max
		switch {
		case max <= 0:
			d.add(mv.node, mv.path, "must be greater than 0")
		case t.Allowance > 0 && max > t.Allowance:
			d.add(mv.node, mv.path, "%d is more than the allowance %d", max, t.Allowance)
		case b != nil && max < b.Min:
			d.add(mv.node, mv.path, "%d is below %d, the least behavior %q gives, so no thanks could be given", max, b.Min, b.ID)
		}
	} else if mv.null() {
		t.MaxPerThanks = t.Allowance
	}
	return t
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
