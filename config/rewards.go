package config

import (
	"strings"

	"jifen/rules"
)

// rewards decodes the rewards shop. Ids and names name items in chat
// (/redeem coffee, /兑换 咖啡券), so each names one item only.
func (d *decoder) rewards(v value, members map[string]bool) []rules.Reward {
	var out []rules.Reward
	names := map[string]int{} // lower-cased id or name → line
	for _, rv := range d.seq(v) {
		f := d.fields(rv, "id", "name", "description", "cost", "stock", "limit", "approval", "fulfiller")
		r := rules.Reward{ID: d.str(f.get("id")), Name: d.str(f.get("name")), Description: d.str(f.get("description")),
			Approval: d.bool(f.get("approval")), Fulfiller: d.str(f.get("fulfiller"))}
		line := 0
		if rv.node != nil {
			line = rv.node.Line
		}
		switch iv := f.get("id"); {
		case r.ID == "":
			d.add(lineOf(f, iv), rv.path+".id", "required")
		case !ruleID.MatchString(r.ID):
			d.add(iv.node, iv.path, "%q: use lower-case letters, digits and _", clip(r.ID))
		}
		if r.Name == "" {
			d.add(lineOf(f, f.get("name")), rv.path+".name", "required")
		}
		for _, w := range []string{r.ID, r.Name} {
			k := strings.ToLower(w)
			if k == "" {
				continue
			}
			if first, dup := names[k]; dup {
				d.add(rv.node, rv.path, "%q already names the reward on line %d", clip(w), first)
			}
			names[k] = line
		}
		if c, ok := d.int(f.get("cost")); ok && c > 0 {
			r.Cost = c
		} else {
			d.add(lineOf(f, f.get("cost")), rv.path+".cost", "required: a positive number of points")
		}
		if s, ok := d.int(f.get("stock")); ok {
			if s <= 0 {
				sv := f.get("stock")
				d.add(sv.node, sv.path, "must be positive (leave it out for unlimited)")
			}
			r.Stock = s
		}
		if lv := f.get("limit"); lv.node != nil {
			lf := d.fields(lv, "period", "units")
			l := &rules.RewardLimit{Period: d.period(lf, lf.get("period"))}
			if u, ok := d.int(lf.get("units")); ok && u > 0 {
				l.Units = u
			} else {
				d.add(lineOf(lf, lf.get("units")), lv.path+".units", "required: a positive number")
			}
			r.Limit = l
		}
		if fv := f.get("fulfiller"); r.Fulfiller != "" && !members[r.Fulfiller] {
			d.add(fv.node, fv.path, "no member with id %q", clip(r.Fulfiller))
		}
		out = append(out, r)
	}
	return out
}
