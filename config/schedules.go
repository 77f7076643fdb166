package config

import (
	"slices"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/schedule"
)

// Schedule is one scheduled post (see `jifen schedule list`).
type Schedule struct {
	Name         string
	Job          string // leaderboard | digest | personal (a direct message to each member) | reminders | backup | sync
	Cron         string
	Period       jifen.PeriodKind // the period just ended that the post is about
	Top          int              // leaderboard size
	Department   string           // leaderboard: one department only
	SlackChannel string
	FeishuChat   string
	Enabled      bool
	Grace        time.Duration // how late a missed run is still caught up
	Dir          string        // backup: the directory backups are written to
	Keep         int           // backup: how many backups to keep (default 7)
	// Anniversary and Birthday (celebrations): the behaviors awarded on a
	// member's work anniversary and birthday; empty: not celebrated.
	Anniversary string
	Birthday    string
	From        string // sync: the directory the members are synced with, slack or feishu
}

// ScheduleJobs are the jobs a schedule may run.
var ScheduleJobs = []string{"leaderboard", "digest", "personal", "reminders", "backup", "celebrations", "sync"}

func (d *decoder) schedules(v value, cat *rules.Catalog) []Schedule {
	var out []Schedule
	names := map[string]bool{}
	for _, sv := range d.seq(v) {
		f := d.fields(sv, "name", "job", "cron", "period", "top", "department", "slack_channel", "feishu_chat", "enabled", "grace", "dir", "keep",
			"anniversary", "birthday", "from")
		s := Schedule{Name: d.str(f.get("name")), Job: d.str(f.get("job")), Cron: d.str(f.get("cron")),
			Department: d.str(f.get("department")), SlackChannel: d.str(f.get("slack_channel")), FeishuChat: d.str(f.get("feishu_chat")),
			Enabled: true, Top: 10, Grace: schedule.DefaultGrace, Period: jifen.Month, Dir: d.str(f.get("dir")), Keep: 7, From: d.str(f.get("from"))}
		d.uniqueID(f, sv, "name", s.Name, names)
		if !slices.Contains(ScheduleJobs, s.Job) {
			d.add(lineOf(f, f.get("job")), sv.path+".job", "unknown job %q (want one of %v)", clip(s.Job), ScheduleJobs)
		}
		if _, err := schedule.Parse(s.Cron); err != nil {
			d.add(lineOf(f, f.get("cron")), sv.path+".cron", "%v", err)
		}
		if pv := f.get("period"); pv.node != nil {
			s.Period = d.period(f, pv)
			if s.Period == jifen.AllTime {
				d.add(pv.node, pv.path, "a scheduled post is about a week, month, quarter or year")
			}
		}
		if n, ok := d.int(f.get("top")); ok {
			if n < 1 || n > 50 {
				tv := f.get("top")
				d.add(tv.node, tv.path, "want 1 to 50")
			}
			s.Top = int(n)
		}
		s.Anniversary, s.Birthday = d.str(f.get("anniversary")), d.str(f.get("birthday"))
		if s.Job == "celebrations" {
			if s.Anniversary == "" && s.Birthday == "" {
				d.add(lineOf(f, f.get("anniversary")), sv.path, "a celebrations schedule names the behavior of an anniversary, a birthday or both")
			}
			for _, key := range []string{"anniversary", "birthday"} {
				bv := f.get(key)
				id := d.str(bv)
				if id == "" {
					continue
				}
				switch b := cat.Behavior(id); {
				case b == nil:
					d.add(bv.node, bv.path, "unknown behavior %q", clip(id))
				case !b.Fixed() || b.Min <= 0:
					d.add(bv.node, bv.path, "behavior %q: a celebration awards a fixed number of points (min = max > 0)", id)
				}
			}
		} else if f.get("anniversary").node != nil || f.get("birthday").node != nil {
			d.add(sv.node, sv.path, "anniversary and birthday belong to a celebrations schedule")
		}
		if s.Job == "backup" && s.Dir == "" {
			d.add(lineOf(f, f.get("dir")), sv.path+".dir", "required for a backup: the directory to write to")
		}
		if s.Job == "sync" && s.From != "slack" && s.From != "feishu" {
			d.add(lineOf(f, f.get("from")), sv.path+".from", "a sync reads one directory: want from: slack or from: feishu")
		}
		if s.Job != "sync" && s.From != "" {
			fv := f.get("from")
			d.add(fv.node, fv.path, "only a sync job reads a directory")
		}
		if n, ok := d.int(f.get("keep")); ok {
			if n < 1 {
				kv := f.get("keep")
				d.add(kv.node, kv.path, "want at least 1")
			}
			s.Keep = int(n)
		}
		if ev := f.get("enabled"); ev.node != nil {
			s.Enabled = d.bool(ev)
		}
		if gv := f.get("grace"); gv.node != nil {
			g, err := time.ParseDuration(d.str(gv))
			if err != nil || g < 0 {
				d.add(gv.node, gv.path, "want a duration like 6h")
			}
			s.Grace = g
		}
		out = append(out, s)
	}
	return out
}
