package config

import (
	"fmt"
	"slices"
	"time"

	"jifen/rules"
)

// targets decodes the goals the summary reviews.
func (d *decoder) targets(v value, cat *rules.Catalog) []rules.Target {
	var out []rules.Target
	ids := map[string]bool{}
	for _, tv := range d.seq(v) {
		f := d.fields(tv, "id", "name", "metric", "category", "kpi", "min", "max")
		t := rules.Target{ID: d.str(f.get("id")), Name: d.str(f.get("name")), Metric: d.str(f.get("metric")),
			Category: d.str(f.get("category")), KPI: d.str(f.get("kpi"))}
		d.uniqueID(f, tv, "id", t.ID, ids)
		if t.Name == "" {
			t.Name = t.ID
		}
		if !slices.Contains(rules.Metrics, t.Metric) {
			d.add(lineOf(f, f.get("metric")), tv.path+".metric", "unknown metric %q (want one of %v)", clip(t.Metric), rules.Metrics)
		}
		if t.Metric == rules.MetricCategoryGrowth && cat.Category(t.Category) == nil {
			d.add(lineOf(f, f.get("category")), tv.path+".category", "no category %q", clip(t.Category))
		}
		if t.Metric == rules.MetricKPI && t.KPI == "" {
			d.add(lineOf(f, f.get("kpi")), tv.path+".kpi", "required for metric kpi: the KPI's name as imported")
		}
		for _, k := range []string{"min", "max"} {
			if fv := f.get(k); fv.node != nil {
				if x, ok := d.float(fv); ok {
					if k == "min" {
						t.Min = &x
					} else {
						t.Max = &x
					}
				}
			}
		}
		if t.Min == nil && t.Max == nil {
			d.add(tv.node, tv.path, "set min or max (or both)")
		}
		out = append(out, t)
	}
	return out
}

// policies decodes the dated incentive changes.
func (d *decoder) policies(v value, cat *rules.Catalog, loc *time.Location) []rules.Policy {
	var out []rules.Policy
	if loc == nil {
		loc = time.UTC
	}
	ids := map[string]bool{}
	for _, pv := range d.seq(v) {
		f := d.fields(pv, "id", "name", "date", "description", "behavior", "behaviors", "categories")
		p := rules.Policy{ID: d.str(f.get("id")), Name: d.str(f.get("name")), Description: d.str(f.get("description")),
			Behavior: d.str(f.get("behavior")), Behaviors: d.strs(f.get("behaviors")), Categories: d.strs(f.get("categories"))}
		d.uniqueID(f, pv, "id", p.ID, ids)
		if p.Name == "" {
			p.Name = p.ID
		}
		date := d.str(f.get("date"))
		t, err := time.ParseInLocation("2006-01-02", date, loc)
		if err != nil {
			d.add(lineOf(f, f.get("date")), pv.path+".date", "want a date like 2026-07-01, got %q", clip(date))
		}
		p.Date = t
		if p.Behavior != "" && cat.Behavior(p.Behavior) == nil {
			bv := f.get("behavior")
			d.add(bv.node, bv.path, "no behavior %q", clip(p.Behavior))
		}
		for i, b := range p.Behaviors {
			if cat.Behavior(b) == nil {
				bv := f.get("behaviors")
				d.add(lineOf(f, bv), fmt.Sprintf("%s[%d]", bv.path, i), "no behavior %q", clip(b))
			}
		}
		for i, c := range p.Categories {
			if cat.Category(c) == nil {
				cv := f.get("categories")
				d.add(lineOf(f, cv), fmt.Sprintf("%s[%d]", cv.path, i), "no category %q", clip(c))
			}
		}
		out = append(out, p)
	}
	return out
}
