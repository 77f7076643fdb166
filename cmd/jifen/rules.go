package main

import (
	"context"
	"flag"
	"fmt"

	"jifen/config"
	"jifen/simulate"
	"jifen/store"
)

// rulesCmd runs `jifen rules simulate`: the period's ledger replayed under
// a proposed catalog, beside what happened (docs/simulate.md). It writes
// nothing to the ledger.
func (m *Main) rulesCmd(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || args[0] != "simulate" {
		return usageError{"want: jifen rules simulate --catalog NEW.yaml --period P"}
	}
	path, period := fs.Lookup("catalog").Value.String(), fs.Lookup("period").Value.String()
	format, out := fs.Lookup("format").Value.String(), fs.Lookup("o").Value.String()
	if path == "" {
		return usageError{"--catalog is required: a YAML file with a rules: section (a copy of the config with its rules edited will do)"}
	}
	if period == "" {
		return usageError{"--period is required, e.g. 2026-10, 2026-Q4 or 2026"}
	}
	switch format {
	case "md", "json", "html":
	default:
		return usageError{fmt.Sprintf("--format %q: md, html or json", format)}
	}
	proposed, err := config.LoadCatalog(path)
	if err != nil {
		return fmt.Errorf("--catalog: %w", err)
	}
	a, p, t, err := m.openPeriod(ctx, fs, period)
	if err != nil {
		return err
	}
	defer a.Close()
	// openPeriod has checked the period as simulate.Run would.
	var res *simulate.Result
	err = a.store.Read(ctx, func(r store.Reader) error {
		res, err = simulate.Run(r, p, simulate.Options{Location: a.store.Location(), Now: m.now(), Current: a.cfg.Rules, Proposed: proposed})
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
	switch format {
	case "json":
		return simulate.JSON(w, res)
	case "html":
		return simulate.HTML(w, res, t, a.bot.Language())
	}
	return simulate.Markdown(w, res, t)
}
