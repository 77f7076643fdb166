package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// rules handles /rules [category]: the catalog, or one category of it.
func (b *Bot) rules(ctx context.Context, req Request, cmd Command) (Response, error) {
	var only *rules.Category
	if len(cmd.Args) > 0 {
		want := strings.Join(cmd.Args, " ")
		for i, c := range b.cat.Categories {
			if strings.EqualFold(c.ID, want) || c.Name == want {
				only = &b.cat.Categories[i]
			}
		}
		if only == nil {
			names := make([]string, len(b.cat.Categories))
			for i, c := range b.cat.Categories {
				names[i] = c.Name
			}
			return Response{}, jifen.Errorf(jifen.EINVALID, "err.unknown_category", want, names)
		}
	}
	msg := Message{Kind: "rules", Title: b.t("rules.title", b.version)}
	msg.Table = &Table{Columns: []string{b.t("col.category"), b.t("col.behavior"), b.t("col.points"), b.t("col.words"), b.t("col.limits")}}
	for _, bh := range b.cat.Behaviors {
		if only != nil && bh.Category != only.ID {
			continue
		}
		words := slices.Clone(bh.Aliases)
		for _, t := range bh.Tags {
			words = append(words, "#"+t)
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{
			b.categoryName(bh.Category), bh.Name, pointsRange(bh), strings.Join(words, " "), b.limitsText(bh),
		})
	}
	if only != nil && only.Description != "" {
		msg.Text = append(msg.Text, only.Description)
	}
	if only == nil {
		err := b.st.Read(ctx, func(r store.Reader) error {
			msg.Fields = b.schemeFields(r, req.Caller)
			return nil
		})
		if err != nil {
			return Response{}, err
		}
	}
	return Response{Reply: msg}, nil
}

func pointsRange(bh rules.Behavior) string {
	if bh.Fixed() {
		return signed(bh.Min)
	}
	if bh.Deduction() {
		return fmt.Sprintf("%d ~ %d", bh.Max, bh.Min)
	}
	return fmt.Sprintf("+%d ~ +%d", bh.Min, bh.Max)
}

func (b *Bot) limitsText(bh rules.Behavior) string {
	var parts []string
	for _, l := range bh.Limits {
		if l.Times > 0 {
			parts = append(parts, b.t("rules.limit_times", l.Period, l.Times))
		}
		if l.Points > 0 {
			parts = append(parts, b.t("rules.limit_points", l.Period, l.Points))
		}
	}
	return strings.Join(parts, b.t("list.sep"))
}

// schemeFields are the scheme-wide limits, with the caller's own allowance.
func (b *Bot) schemeFields(r store.Reader, caller jifen.Member) []Field {
	var out []Field
	if b.cat.ApprovalThreshold > 0 {
		out = append(out, Field{b.t("rules.approval"), b.t("rules.approval_value", b.cat.ApprovalThreshold)})
	}
	for _, l := range b.cat.ReceiverLimits {
		var v []string
		if l.Max != nil {
			v = append(v, b.t("rules.net_max", *l.Max))
		}
		if l.Min != nil {
			v = append(v, b.t("rules.net_min", *l.Min))
		}
		out = append(out, Field{b.t("rules.net_limit", l.Period), strings.Join(v, b.t("list.sep"))})
	}
	if a, ok := b.cat.Allowances[caller.Role]; ok {
		total := a.Budget(r.DepartmentSize(caller.Department))
		p := jifen.PeriodOf(a.Period, r.Now(), r.Location())
		used := r.GiverUsed(caller.ID, "award", p)
		// Requests waiting for approval hold their points (the limits
		// count them), so what is left leaves them out, and says so.
		var pending int64
		if aps, err := r.OpenApprovals(); err == nil {
			for _, ap := range aps {
				if ap.Giver == caller.ID && p.Contains(ap.CreatedAt) {
					pending += ap.Points * int64(len(ap.Receivers))
				}
			}
		}
		value := b.t("rules.allowance_value", total-used, total)
		if pending != 0 {
			value = b.t("rules.allowance_pending", total-used-pending, total, pending)
		}
		out = append(out, Field{b.t("rules.your_allowance", a.Period), value})
	}
	if th := b.cat.Thanks; th != nil {
		used := r.GiverUsed(caller.ID, "thanks", jifen.PeriodOf(th.Period, r.Now(), r.Location()))
		out = append(out, Field{b.t("rules.your_thanks", th.Period), b.t("rules.allowance_value", th.Allowance-used, th.Allowance)})
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
