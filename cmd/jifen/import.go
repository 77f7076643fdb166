package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"jifen"
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
	bar := newProgress(m.Stderr, len(t.Rows))
	defer bar.done()
	bar.phase("checking")
	var n int
	switch kind {
	case "members":
		var ms []jifen.Member
		err := a.store.Read(ctx, func(r store.Reader) error {
			var err error
			ms, err = importer.Members(t, r)
			return err
		})
		if err != nil {
			return err
		}
		if err := a.store.SyncMembers(ctx, ms); err != nil {
			return err
		}
		n = len(ms)
	case "ratings":
		var rs []jifen.Rating
		err := a.store.Read(ctx, func(r store.Reader) error {
			var err error
			rs, err = importer.Ratings(t, r, loc)
			return err
		})
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
		var es []jifen.Entry
		err := a.store.Read(ctx, func(r store.Reader) error {
			var err error
			es, err = importer.Points(t, r, a.cfg.Rules, loc, a.store.Now())
			return err
		})
		if err != nil {
			return err
		}
		bar.phase("writing")
		_, _, err = a.store.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
			ids := map[uint64]uint64{} // the file's ids → the new ones
			for i := range es {
				bar.set(i + 1)
				fileID := es[i].ID
				es[i].ID, es[i].RuleVersion = 0, a.bot.CatalogVersion()
				if es[i].Reverses != 0 {
					es[i].Reverses = ids[es[i].Reverses]
				}
				id, err := tx.Append(&es[i])
				if err != nil {
					return nil, err
				}
				if fileID != 0 {
					ids[fileID] = id
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

// progress draws a progress bar on a terminal for files of more than a
// thousand rows; elsewhere it stays silent.
type progress struct {
	w     io.Writer
	total int
	on    bool
	name  string
	last  int
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, on: total > 1000 && isTerminal(w)}
}

func (p *progress) phase(name string) {
	p.name, p.last = name, -1
	p.set(0)
}

func (p *progress) set(n int) {
	if !p.on || p.total == 0 {
		return
	}
	pct := n * 100 / p.total
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	fill := pct * width / 100
	fmt.Fprintf(p.w, "\r%-9s [%s%s] %3d%% %d/%d", p.name, strings.Repeat("#", fill), strings.Repeat(" ", width-fill), pct, n, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
