package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"jifen"
	"jifen/locale"
	"jifen/roster"
)

// membersCmd runs `jifen members sync --from slack|feishu [--dry-run]`:
// it reads the platform's directory, prints what would change in the
// members, and applies it unless --dry-run.
func (m *Main) membersCmd(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || args[0] != "sync" {
		return usageError{"want: sync --from slack|feishu [--dry-run]"}
	}
	from := fs.Lookup("from").Value.String()
	if from != string(roster.Slack) && from != string(roster.Feishu) {
		return usageError{fmt.Sprintf("--from %q: want slack or feishu", from)}
	}
	dry := fs.Lookup("dry-run").Value.String() == "true"
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	return m.syncMembers(ctx, a, roster.Platform(from), dry)
}

// syncMembers syncs the members with a platform's directory and prints
// what changed, or only prints the plan (dry).
func (m *Main) syncMembers(ctx context.Context, a *app, from roster.Platform, dry bool) error {
	p, err := m.posters(a, m.logger(slog.LevelWarn))
	if err != nil {
		return err
	}
	plan, err := planSync(ctx, a, p, from)
	if err != nil {
		return err
	}
	if !dry {
		if err := a.store.PutMembers(ctx, plan.Write); err != nil {
			return err
		}
	}
	printPlan(m.Stdout, a.bot.Language(), from, plan, dry)
	return nil
}

// errPlatformOff is a sync from a platform the config does not enable.
var errPlatformOff = errors.New("is not enabled in the config: members sync reads its directory with the bot's credentials")

// planSync reads the platform's directory and plans the sync against the
// store's members.
func planSync(ctx context.Context, a *app, p poster, from roster.Platform) (roster.Plan, error) {
	var people []roster.Person
	var err error
	switch {
	case from == roster.Slack && p.slack != nil:
		people, err = p.slack.Directory(ctx)
	case from == roster.Feishu && p.feishu != nil:
		var emails []string
		for _, mb := range a.store.Members() {
			if mb.Email != "" {
				emails = append(emails, mb.Email)
			}
		}
		people, err = p.feishu.Directory(ctx, emails)
	default:
		return roster.Plan{}, fmt.Errorf("%s %w", from, errPlatformOff)
	}
	if err != nil {
		return roster.Plan{}, err
	}
	cfg := map[string]jifen.Member{}
	for _, mb := range a.cfg.Members {
		cfg[mb.ID] = mb
	}
	y, mo, d := a.store.Now().In(a.store.Location()).Date()
	return roster.Build(roster.Input{Platform: from, Members: a.store.Members(), Config: cfg, People: people,
		Today: time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)}), nil
}

// printPlan prints a sync's changes and notes, one a line, and a summary.
func printPlan(w io.Writer, lang string, from roster.Platform, plan roster.Plan, dry bool) {
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	platformName := t("sync.platform." + string(from))
	fmt.Fprintln(w, t("sync.header", platformName))
	dept := func(s string) string {
		if s == "" {
			return t("sync.no_department")
		}
		return s
	}
	pid := func(mb jifen.Member) string {
		if from == roster.Slack {
			return mb.SlackID
		}
		return mb.FeishuOpenID
	}
	for _, c := range plan.Changes {
		mb := c.Member
		switch c.Kind {
		case roster.New:
			fmt.Fprintln(w, t("sync.new", mb.ID, mb.Name, dept(mb.Department), mb.Role, pid(mb)))
		case roster.Linked:
			fmt.Fprintln(w, t("sync.linked_"+c.By, mb.ID, mb.Name, pid(mb)))
		case roster.Email:
			fmt.Fprintln(w, t("sync.email", mb.ID, mb.Name, mb.Email))
		case roster.Department:
			fmt.Fprintln(w, t("sync.department", mb.ID, mb.Name, dept(c.From), dept(mb.Department)))
		case roster.Manager:
			fmt.Fprintln(w, t("sync.manager", mb.ID, mb.Name, dept(mb.Department)))
		case roster.Left:
			fmt.Fprintln(w, t("sync.left", mb.ID, mb.Name, mb.Left.Format(time.DateOnly)))
		}
	}
	for _, n := range plan.Notes {
		mb := n.Member
		switch n.Kind {
		case roster.ConfigDepartment:
			fmt.Fprintln(w, t("sync.note.department", mb.ID, mb.Name, n.Value, dept(mb.Department)))
		case roster.ConfigRole:
			fmt.Fprintln(w, t("sync.note.role", mb.ID, mb.Name, dept(n.Value), mb.Role))
		case roster.Taken:
			fmt.Fprintln(w, t("sync.note.taken", mb.ID, mb.Name, n.Value, pid(mb)))
		case roster.Returned:
			fmt.Fprintln(w, t("sync.note.returned", mb.ID, mb.Name, mb.Left.Format(time.DateOnly)))
		}
	}
	if plan.Bots > 0 || plan.Inactive > 0 {
		fmt.Fprintln(w, t("sync.skipped", plan.Bots, plan.Inactive))
	}
	switch {
	case len(plan.Write) == 0:
		fmt.Fprintln(w, t("sync.nothing", platformName))
	case dry:
		fmt.Fprintln(w, t("sync.summary", plan.Count(roster.New), plan.Count(roster.Linked), plan.Count(roster.Email),
			plan.Count(roster.Department), plan.Count(roster.Manager), plan.Count(roster.Left)))
		fmt.Fprintln(w, t("sync.dry_run", len(plan.Write)))
	default:
		fmt.Fprintln(w, t("sync.summary", plan.Count(roster.New), plan.Count(roster.Linked), plan.Count(roster.Email),
			plan.Count(roster.Department), plan.Count(roster.Manager), plan.Count(roster.Left)))
		fmt.Fprintln(w, t("sync.applied", len(plan.Write)))
	}
}
