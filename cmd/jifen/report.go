package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"jifen"
	"jifen/locale"
	"jifen/report"
	"jifen/store"
)

// report runs `jifen report`: the period summary (小结) as Markdown or JSON.
func (m *Main) report(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) == 1 && args[0] == "revoke-links" {
		return m.revokeLinks(ctx, fs)
	}
	if len(args) > 0 {
		return usageError{"unexpected arguments"}
	}
	period, format, out := fs.Lookup("period").Value.String(), fs.Lookup("format").Value.String(), fs.Lookup("o").Value.String()
	if period == "" {
		return usageError{"--period is required, e.g. 2026-10, 2026-Q4 or 2026"}
	}
	switch format {
	case "md", "json", "html", "xlsx":
	default:
		return usageError{fmt.Sprintf("--format %q: md, html, xlsx or json", format)}
	}
	a, p, t, err := m.openPeriod(ctx, fs, period)
	if err != nil {
		return err
	}
	defer a.Close()
	lang := a.bot.Language()
	var s *report.Summary
	err = a.store.Read(ctx, func(r store.Reader) error {
		s, err = report.AnalyzeSource(r, p, a.cfg.Rules, t)
		return err
	})
	if err != nil {
		return err
	}
	w, closeOut, err := output(out, m.Stdout)
	if err != nil {
		return err
	}
	defer closeOut()
	return report.Write(w, s, format, t, lang)
}

// openPeriod opens the store and reads --period: a month, quarter or year
// that has begun, the same rule as /report. t speaks the bot's language.
func (m *Main) openPeriod(ctx context.Context, fs *flag.FlagSet, period string) (*app, jifen.Period, func(string, ...any) string, error) {
	a, err := m.open(ctx, fs)
	if err != nil {
		return nil, jifen.Period{}, nil, err
	}
	lang := a.bot.Language()
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	p, err := jifen.ParsePeriod(period, a.store.Location())
	if err != nil {
		a.Close()
		return nil, jifen.Period{}, nil, usageError{fmt.Sprintf("--period %q: %v", period, err)}
	}
	var je *jifen.Error
	if err := report.CheckPeriod(p, m.now()); errors.As(err, &je) {
		a.Close()
		return nil, jifen.Period{}, nil, usageError{fmt.Sprintf("--period %s: %s", period, t(je.Key, je.Args...))}
	}
	return a, p, t, nil
}

// revokeLinks runs `jifen report revoke-links`: a new key for signing
// report links, so every link given so far (a 7-day bearer link) stops
// working. A jifen serve on the same store (PostgreSQL: the replicas run
// meanwhile) reads the key again within linkKeyTTL; on bbolt serve holds
// the file, so it is stopped first and started again after.
func (m *Main) revokeLinks(ctx context.Context, fs *flag.FlagSet) error {
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.store.RotateLinkKey(ctx); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "report links revoked: every link given so far is refused; start jifen serve again to sign new ones")
	return nil
}
