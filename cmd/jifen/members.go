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
	"jifen/store"
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
		if err := a.store.Read(ctx, func(r store.Reader) error {
			for _, mb := range r.Members() {
				if mb.Email != "" {
					emails = append(emails, mb.Email)
				}
			}
			return nil
		}); err != nil {
			return roster.Plan{}, err
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
	var plan roster.Plan
	err = a.store.Read(ctx, func(r store.Reader) error {
		plan = roster.Build(roster.Input{Platform: from, Members: r.Members(), Config: cfg, People: people,
			Today: time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)})
		return nil
	})
	return plan, err
}

// printPlan prints a sync's changes and notes, one a line, and a summary.
func printPlan(w io.Writer, lang string, from roster.Platform, plan roster.Plan, dry bool) {
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	fmt.Fprintln(w, t("sync.header", t("sync.platform."+string(from))))
	changes, notes, summary := plan.Lines(from, dry, t)
	for _, lines := range [][]string{changes, notes, summary} {
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}
