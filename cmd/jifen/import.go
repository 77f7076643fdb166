package main

import (
	"context"
	"flag"
	"fmt"

	"jifen/importer"
	"jifen/store"
)

// imports runs `jifen import members|ratings|kpis|points PATH`: every row is
// checked first; if any is bad, nothing is written and every bad row is
// named.
func (m *Main) imports(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 2 {
		return usageError{"want a kind (members, ratings, kpis or points) and a .csv or .xlsx file"}
	}
	kind, path := args[0], args[1]
	switch kind {
	case "members", "ratings", "kpis", "points":
	default:
		return usageError{fmt.Sprintf("unknown kind %q: members, ratings, kpis or points", kind)}
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := importer.Read(path)
	if err != nil {
		return err
	}
	loc := a.store.Location()
	var n int
	switch kind {
	case "members":
		ms, err := importer.Members(t, a.store)
		if err != nil {
			return err
		}
		if err := a.store.SyncMembers(ctx, ms); err != nil {
			return err
		}
		n = len(ms)
	case "ratings":
		rs, err := importer.Ratings(t, a.store, loc)
		if err != nil {
			return err
		}
		if err := a.store.PutRatings(ctx, rs); err != nil {
			return err
		}
		n = len(rs)
	case "kpis":
		ks, err := importer.KPIs(t, loc)
		if err != nil {
			return err
		}
		if err := a.store.PutKPIs(ctx, ks); err != nil {
			return err
		}
		n = len(ks)
	case "points":
		es, err := importer.Points(t, a.store, a.cfg.Rules, loc, a.store.Now())
		if err != nil {
			return err
		}
		_, _, err = a.store.Write(ctx, "", func(tx *store.Tx) ([]byte, error) {
			for i := range es {
				es[i].RuleVersion = a.bot.CatalogVersion()
				if _, err := tx.Append(&es[i]); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		if err != nil {
			return err
		}
		n = len(es)
	}
	fmt.Fprintf(m.Stdout, "imported %d %s from %s\n", n, kind, path)
	return nil
}
