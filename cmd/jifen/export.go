package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
)

// exportHeader names the ledger export's columns. time, receiver, points,
// giver, behavior and reason are the names `jifen import points` reads.
var exportHeader = []string{"id", "time", "recorded", "kind", "receiver", "receiver_name", "department", "points", "quantity",
	"category", "behavior", "giver", "giver_name", "reason", "rule_version", "reverses", "approval", "source"}

// export runs `jifen export ledger --format csv|xlsx [--from DATE --to DATE]
// [-o FILE]`: every entry, streamed, so memory stays flat however long the
// ledger is. CSV is UTF-8 with a byte-order mark, so Excel shows Chinese.
func (m *Main) export(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || args[0] != "ledger" {
		return usageError{"want: ledger"}
	}
	format := fs.Lookup("format").Value.String()
	if format != "csv" && format != "xlsx" {
		return usageError{fmt.Sprintf("--format %q: csv or xlsx", format)}
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	loc := a.store.Location()
	var from, to time.Time
	for _, f := range []struct {
		name string
		dst  *time.Time
		add  int
	}{{"from", &from, 0}, {"to", &to, 1}} {
		if v := fs.Lookup(f.name).Value.String(); v != "" {
			d, err := time.ParseInLocation("2006-01-02", v, loc)
			if err != nil {
				return usageError{fmt.Sprintf("--%s %q: want a date like 2026-10-01", f.name, v)}
			}
			*f.dst = d.AddDate(0, 0, f.add) // --to is inclusive
		}
	}
	var w io.Writer = m.Stdout
	if out := fs.Lookup("o").Value.String(); out != "" && out != "-" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	cat := a.cfg.Rules
	name := func(id string) string {
		if mb, ok := a.store.Member(id); ok {
			return mb.Name
		}
		return ""
	}
	row := func(e *jifen.Entry) []string {
		catName, behName := e.Category, e.Behavior
		if c := cat.Category(e.Category); c != nil {
			catName = c.Name
		}
		if b := cat.Behavior(e.Behavior); b != nil {
			behName = b.Name
		} else if r := cat.Reward(strings.TrimPrefix(e.Behavior, "reward:")); r != nil {
			behName = "reward:" + r.Name
		}
		dept := ""
		if mb, ok := a.store.Member(e.Receiver); ok {
			dept = mb.Department
		}
		num := func(n uint64) string {
			if n == 0 {
				return ""
			}
			return strconv.FormatUint(n, 10)
		}
		qty := ""
		if e.Quantity != 0 {
			qty = strconv.FormatInt(e.Quantity, 10)
		}
		return []string{strconv.FormatUint(e.ID, 10), e.Effective.In(loc).Format("2006-01-02 15:04:05"), e.At.In(loc).Format("2006-01-02 15:04:05"),
			string(e.Kind), e.Receiver, name(e.Receiver), dept, strconv.FormatInt(e.Points, 10), qty, catName, behName,
			e.Giver, name(e.Giver), e.Reason, strconv.Itoa(e.RuleVersion), num(e.Reverses), num(e.Approval), e.Source}
	}
	keep := func(e *jifen.Entry) bool {
		return (from.IsZero() || !e.Effective.Before(from)) && (to.IsZero() || e.Effective.Before(to))
	}
	if format == "csv" {
		bw := bufio.NewWriterSize(w, 1<<16)
		if _, err := bw.WriteString("\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(bw)
		if err := cw.Write(exportHeader); err != nil {
			return err
		}
		err := a.store.ForEachEntry(func(e *jifen.Entry) error {
			if !keep(e) {
				return nil
			}
			return cw.Write(row(e))
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		if err == nil {
			err = bw.Flush()
		}
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	cells := func(vals []string) []any {
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = v
		}
		return out
	}
	if err := sw.SetRow("A1", cells(exportHeader)); err != nil {
		return err
	}
	n := 1
	err = a.store.ForEachEntry(func(e *jifen.Entry) error {
		if !keep(e) {
			return nil
		}
		n++
		r := cells(row(e))
		r[7] = e.Points // numbers stay numbers
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, r)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
