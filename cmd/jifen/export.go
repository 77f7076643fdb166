package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/importer"
	"jifen/locale"
	"jifen/report"
	"jifen/rules"
	"jifen/store"
	"jifen/survey"
)

// exportHeader names the ledger export's columns. time, receiver, points,
// giver, behavior and reason are the names `jifen import points` reads.
var exportHeader = []string{"id", "time", "recorded", "kind", "receiver", "receiver_name", "department", "points", "quantity",
	"category", "behavior", "giver", "giver_name", "reason", "rule_version", "reverses", "approval", "source"}

// export runs `jifen export ledger --format csv|xlsx [--from DATE --to DATE]
// [-o FILE]`: every entry, streamed, so memory stays flat however long the
// ledger is. CSV is UTF-8 with a byte-order mark, so Excel shows Chinese.
func (m *Main) export(ctx context.Context, fs *flag.FlagSet, args []string) error {
	switch {
	case len(args) == 1 && (args[0] == "ledger" || args[0] == "members" || args[0] == "ratings" || args[0] == "kpis"):
	case len(args) == 2 && args[0] == "survey":
	default:
		return usageError{"want: ledger, members, ratings, kpis, or survey ID"}
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
	w, closeOut, err := output(fs.Lookup("o").Value.String(), m.Stdout)
	if err != nil {
		return err
	}
	defer closeOut()
	switch args[0] {
	case "survey":
		return exportSurvey(ctx, a, args[1], fs.Lookup("round").Value.String(), w, format)
	case "members", "ratings", "kpis":
		return exportTable(ctx, a, args[0], w, format)
	}
	return exportLedger(ctx, a, w, format, from, to)
}

// exportLedger writes the entries effective from from (inclusive) to to
// (exclusive), either open when zero, as a table in format, from one read.
// A table whose read failed is not written.
func exportLedger(ctx context.Context, a *app, w io.Writer, format string, from, to time.Time) error {
	loc := a.store.Location()
	keep := func(e *jifen.Entry) bool {
		return (from.IsZero() || !e.Effective.Before(from)) && (to.IsZero() || e.Effective.Before(to))
	}
	if format == "xlsx" {
		return exportLedgerXLSX(ctx, a, w, keep)
	}
	tw, err := newTableWriter(w, format, sheetOptions{})
	if err != nil {
		return err
	}
	err = a.store.Read(ctx, func(rd store.Reader) error {
		if err := tw.Row(cells(exportHeader)); err != nil {
			return err
		}
		row := ledgerRow(rd, a.cfg.Rules, loc)
		return rd.ForEachEntry(func(e *jifen.Entry) error {
			if !keep(e) {
				return nil
			}
			r := cells(row(e))
			r[7] = e.Points // numbers stay numbers in a sheet
			return tw.Row(r)
		})
	})
	if err != nil {
		abandon(tw)
		return err
	}
	return tw.Close()
}

// ledgerRow is the function that makes an entry's row of the export, its
// names read from rd.
func ledgerRow(rd store.Reader, cat *rules.Catalog, loc *time.Location) func(e *jifen.Entry) []string {
	name := func(id string) string {
		if mb, ok := rd.Member(id); ok {
			return mb.Name
		}
		return ""
	}
	return func(e *jifen.Entry) []string {
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
		if mb, ok := rd.Member(e.Receiver); ok {
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
}

// abandon releases a table whose rows could not all be read, without
// writing it.
func abandon(tw tableWriter) {
	if t, ok := tw.(*xlsxTable); ok {
		t.f.Close()
	}
}

// exportLedgerXLSX writes the ledger as a sheet named 积分明细 (Ledger),
// its header in the bot's language (the importer reads the Chinese names
// too), numbers as numbers and times as date-times. The entries are
// counted first, so the sheet's dimension and autofilter, which the
// streamed sheet writes before its rows, cover them exactly.
func exportLedgerXLSX(ctx context.Context, a *app, w io.Writer, keep func(*jifen.Entry) bool) error {
	loc := a.store.Location()
	// One read: the count and the rows are of the same ledger.
	var tw tableWriter
	err := a.store.Read(ctx, func(rd store.Reader) error {
		n := 0
		if err := rd.ForEachEntry(func(e *jifen.Entry) error {
			if keep(e) {
				n++
			}
			return nil
		}); err != nil {
			return err
		}
		var err error
		tw, err = ledgerSheet(a, w, rd, n, keep, loc)
		return err
	})
	return finishTable(tw, err)
}

// ledgerSheet writes the n entries keep keeps, read from rd, into a new
// sheet, and returns it to be closed (written out) once the read is known
// to have succeeded.
func ledgerSheet(a *app, w io.Writer, rd store.Reader, n int, keep func(*jifen.Entry) bool, loc *time.Location) (tableWriter, error) {
	lang := a.bot.Language()
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	row := ledgerRow(rd, a.cfg.Rules, loc)
	header := make([]any, len(exportHeader))
	widths := make([]float64, len(exportHeader))
	for i, h := range exportHeader {
		name := t("xlsx.ledger." + h)
		header[i] = name
		widths[i] = float64(max(report.TextWidth(name)+4, ledgerWidths[h]))
	}
	tw, err := newTableWriter(w, "xlsx", sheetOptions{Name: t("xlsx.sheet.ledger"), Rows: n + 1, Widths: widths})
	if err != nil {
		return nil, err
	}
	xt := tw.(*xlsxTable)
	if err := tw.Row(header); err != nil {
		return tw, err
	}
	id := func(n uint64) any {
		if n == 0 {
			return nil
		}
		return int64(n)
	}
	err = rd.ForEachEntry(func(e *jifen.Entry) error {
		if !keep(e) {
			return nil
		}
		r := cells(row(e))
		// Numbers and times as a spreadsheet holds them; the text
		// columns stay text. Times are cut to the second the CSV shows,
		// so both read back to the same entries.
		r[0], r[7], r[14], r[15], r[16] = int64(e.ID), e.Points, int64(e.RuleVersion), id(e.Reverses), id(e.Approval)
		r[1] = excelize.Cell{StyleID: xt.dateTime, Value: e.Effective.In(loc).Truncate(time.Second)}
		r[2] = excelize.Cell{StyleID: xt.dateTime, Value: e.At.In(loc).Truncate(time.Second)}
		if e.Quantity != 0 {
			r[8] = e.Quantity
		} else {
			r[8] = nil
		}
		return tw.Row(r)
	})
	return tw, err
}

// ledgerWidths are the ledger columns' widths, in digit widths, from what
// they hold (the rows are streamed, so they cannot be measured): a
// date-time is 19 wide, a name four Chinese characters.
var ledgerWidths = map[string]int{"id": 8, "time": 20, "recorded": 20, "kind": 9, "receiver": 12, "receiver_name": 10, "department": 12,
	"points": 8, "quantity": 8, "category": 12, "behavior": 16, "giver": 12, "giver_name": 10, "reason": 40, "rule_version": 8,
	"reverses": 8, "approval": 8, "source": 10}

func cells(vals []string) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// tableWriter writes rows to a CSV (UTF-8 with a byte-order mark, so Excel
// shows Chinese) or, streamed, to an XLSX sheet.
type tableWriter interface {
	Row(vals []any) error
	Close() error
}

// sheetOptions shape an XLSX table: the sheet's name (Sheet1 when
// empty), its rows with the header when known beforehand (0: unknown, and
// the sheet has no dimension record and no autofilter), and the columns'
// widths.
type sheetOptions struct {
	Name   string
	Rows   int
	Widths []float64
}

func newTableWriter(w io.Writer, format string, opt sheetOptions) (tableWriter, error) {
	if format == "csv" {
		bw := bufio.NewWriterSize(w, 1<<16)
		if _, err := bw.WriteString("\ufeff"); err != nil {
			return nil, err
		}
		return &csvTable{bw: bw, cw: csv.NewWriter(bw)}, nil
	}
	f := excelize.NewFile()
	t, err := newXLSXTable(f, w, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// newXLSXTable starts the streamed sheet: the header row frozen, and,
// when the number of rows is known, the dimension and the autofilter set
// to the table (a streamed sheet writes its dimension before its rows;
// excelize would leave it at A1).
func newXLSXTable(f *excelize.File, w io.Writer, opt sheetOptions) (*xlsxTable, error) {
	sheet := "Sheet1"
	if opt.Name != "" {
		if err := f.SetSheetName(sheet, opt.Name); err != nil {
			return nil, err
		}
		sheet = opt.Name
	}
	last := ""
	if opt.Rows > 0 && len(opt.Widths) > 0 {
		last, _ = excelize.CoordinatesToCellName(len(opt.Widths), opt.Rows)
		if err := f.SetSheetDimension(sheet, "A1:"+last); err != nil {
			return nil, err
		}
	} else if err := f.SetSheetDimension(sheet, ""); err != nil {
		return nil, err
	}
	format := "yyyy-mm-dd hh:mm:ss"
	dateTime, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEEEEE"}, Pattern: 1}})
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	for i, wd := range opt.Widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return nil, err
	}
	if last != "" {
		// The streamed sheet keeps the worksheet whose autofilter Flush
		// writes after the rows.
		if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
			return nil, err
		}
	}
	return &xlsxTable{f: f, sw: sw, w: w, dateTime: dateTime, header: header}, nil
}

type csvTable struct {
	bw  *bufio.Writer
	cw  *csv.Writer
	buf []string
}

func (t *csvTable) Row(vals []any) error {
	t.buf = t.buf[:0]
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			// Names, reasons and comments come from users: none may run as
			// a formula in the spreadsheet that opens the file.
			t.buf = append(t.buf, importer.CSVCell(v))
		case int64:
			t.buf = append(t.buf, strconv.FormatInt(v, 10))
		default:
			t.buf = append(t.buf, fmt.Sprint(v))
		}
	}
	return t.cw.Write(t.buf)
}

func (t *csvTable) Close() error {
	t.cw.Flush()
	if err := t.cw.Error(); err != nil {
		return err
	}
	return t.bw.Flush()
}

type xlsxTable struct {
	f                *excelize.File
	sw               *excelize.StreamWriter
	w                io.Writer
	n                int
	dateTime, header int // styles
}

// Row writes a row; the first is the header, in bold.
func (t *xlsxTable) Row(vals []any) error {
	t.n++
	cell, _ := excelize.CoordinatesToCellName(1, t.n)
	if t.n == 1 {
		return t.sw.SetRow(cell, vals, excelize.RowOpts{StyleID: t.header})
	}
	return t.sw.SetRow(cell, vals)
}

func (t *xlsxTable) Close() error {
	defer t.f.Close()
	if err := t.sw.Flush(); err != nil {
		return err
	}
	return t.f.Write(t.w)
}

// exportSurvey writes every answer of a survey's rounds (or of one round),
// a row per respondent and a column per question. An anonymous survey's
// rows have no member, and show a department or level only where the
// round's results show that group (survey.Disclosable: no combination of
// the shown groups and the total singles out fewer than min_group
// respondents); their free-text answers are left out where the results
// hide the comments (the round is open, or has too few respondents).
func exportSurvey(ctx context.Context, a *app, id, round string, w io.Writer, format string) error {
	var tw tableWriter
	err := a.store.Read(ctx, func(rd store.Reader) error {
		var err error
		tw, err = surveyTable(a, rd, id, round, w, format)
		return err
	})
	return finishTable(tw, err)
}

// finishTable writes out a table filled in a read that returned err, or
// abandons it when the read failed.
func finishTable(tw tableWriter, err error) error {
	if err != nil {
		if tw != nil {
			abandon(tw)
		}
		return err
	}
	return tw.Close()
}

// surveyTable fills exportSurvey's table from rd.
func surveyTable(a *app, rd store.Reader, id, round string, w io.Writer, format string) (tableWriter, error) {
	rounds := rd.Rounds(id)
	if len(rounds) == 0 {
		known := false
		for _, s := range a.cfg.Surveys {
			known = known || s.ID == id
		}
		if !known {
			return nil, usageError{fmt.Sprintf("no survey %q in the config", id)}
		}
		return nil, usageError{fmt.Sprintf("survey %q has no rounds yet", id)}
	}
	if round != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(round, "#"))
		var one []survey.Round
		for _, r := range rounds {
			if r.N == n {
				one = append(one, r)
			}
		}
		if err != nil || len(one) == 0 {
			return nil, usageError{fmt.Sprintf("--round %q: survey %q has rounds 1 to %d", round, id, rounds[len(rounds)-1].N)}
		}
		rounds = one
	}
	// The columns: every question of the rounds, in order of appearance.
	var questions []survey.Question
	seen := map[string]bool{}
	anonymous := false
	for _, r := range rounds {
		anonymous = anonymous || r.Anonymous
		for _, q := range r.Questions {
			if !seen[q.ID] {
				seen[q.ID] = true
				questions = append(questions, q)
			}
		}
	}
	header := []any{"round", "started"}
	if !anonymous {
		header = append(header, "member", "member_name", "answered_at")
	}
	header = append(header, "department", "level")
	for _, q := range questions {
		header = append(header, q.ID+" "+q.Text)
	}
	tw, err := newTableWriter(w, format, sheetOptions{})
	if err != nil {
		return nil, err
	}
	if err := tw.Row(header); err != nil {
		return tw, err
	}
	loc := a.store.Location()
	for _, r := range rounds {
		answers := rd.Answers(r.Survey, r.N)
		res := survey.Tally(&r, answers, nil)
		shownDept, shownLevel := map[string]bool{}, map[string]bool{}
		for _, g := range res.ByDepartment {
			shownDept[g.Name] = !g.Suppressed
		}
		for _, g := range res.ByLevel {
			shownLevel[g.Name] = !g.Suppressed
		}
		for _, ans := range answers {
			if ans.Answered() == 0 {
				continue
			}
			row := []any{r.ID(), r.Started.In(loc).Format("2006-01-02")}
			if !anonymous {
				name := ""
				if m, ok := rd.Member(ans.Member); ok {
					name = m.Name
				}
				row = append(row, ans.Member, name, ans.At.In(loc).Format("2006-01-02 15:04"))
			}
			group := func(shown map[string]bool, g string) any {
				if r.Anonymous && !shown[g] {
					return "—"
				}
				return g
			}
			row = append(row, group(shownDept, ans.Department), group(shownLevel, ans.Level))
			for _, q := range questions {
				vs := ans.Values[q.ID]
				switch {
				case len(vs) == 0:
					row = append(row, "")
				case q.Kind == survey.Text && r.Anonymous && res.CommentsHidden:
					row = append(row, "—")
				case q.Kind == survey.Likert || q.Kind == survey.NPS:
					n, _ := strconv.ParseInt(vs[0], 10, 64)
					row = append(row, n)
				default:
					row = append(row, strings.Join(vs, "; "))
				}
			}
			if err := tw.Row(row); err != nil {
				return tw, err
			}
		}
	}
	return tw, nil
}

// exportTable writes the members, ratings or KPIs in the columns `jifen
// import` reads, so they can be moved to another store as they are.
func exportTable(ctx context.Context, a *app, kind string, w io.Writer, format string) error {
	var rows [][]any
	if err := a.store.Read(ctx, func(rd store.Reader) error {
		rows = tableRows(rd, kind)
		return nil
	}); err != nil {
		return err
	}
	tw, err := newTableWriter(w, format, sheetOptions{})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := tw.Row(r); err != nil {
			return err
		}
	}
	return tw.Close()
}

// tableRows are exportTable's rows, header first, read from rd.
func tableRows(rd store.Reader, kind string) [][]any {
	var rows [][]any
	switch kind {
	case "members":
		rows = append(rows, []any{"id", "name", "department", "level", "role", "joined", "left", "birthday", "email", "slack_id", "feishu_open_id"})
		for _, m := range rd.Members() {
			if m.Bot {
				continue
			}
			date := func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.Format(time.DateOnly)
			}
			rows = append(rows, []any{m.ID, m.Name, m.Department, m.Level, string(m.Role), date(m.Joined), date(m.Left), m.Birthday, m.Email, m.SlackID, m.FeishuOpenID})
		}
	case "ratings":
		rows = append(rows, []any{"member", "period", "grade", "score"})
		for _, r := range rd.AllRatings() {
			rows = append(rows, []any{r.Member, r.Period, r.Grade, r.Score})
		}
	case "kpis":
		rows = append(rows, []any{"name", "period", "value", "department"})
		for _, k := range rd.AllKPIs() {
			rows = append(rows, []any{k.Name, k.Period, k.Value, k.Department})
		}
	}
	return rows
}
