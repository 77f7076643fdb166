package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen/locale"
)

// Number formats of the workbook's cells. Shares, changes and rates are
// stored as fractions and shown as percentages; averages keep the
// decimals the Markdown shows.
const (
	fmtInt     = "0"
	fmtDec1    = "0.0"
	fmtDec2    = "0.00"
	fmtPct0    = "0%"
	fmtPct1    = "0.0%"
	fmtPct2    = "0.00%"
	fmtSigned1 = "+0.0%;-0.0%;0.0%"
	fmtSignedN = "+0;-0;0"
	fmtDate    = "yyyy-mm-dd"
	wrap       = "wrap" // not a format: the style of long text
)

// maxWidth is the widest a column is made, in digit widths; longer text
// wraps.
const maxWidth = 80

// value is a cell of a workbook table: v is a string, an int64, a float64
// or a time.Time, shown with the number format f ("" is General).
type value struct {
	v any
	f string
}

func text(s string) value { return value{v: s} }

// book holds a workbook being written and its styles, one per number
// format (the header has its own).
type book struct {
	f      *excelize.File
	styles map[string]int
	header int
	used   map[string]bool // sheet names, lower case: Excel compares them so
}

func newBook() (*book, error) {
	f := excelize.NewFile()
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"EEEEEE"}, Pattern: 1},
		Border:    []excelize.Border{{Type: "bottom", Color: "999999", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	return &book{f: f, styles: map[string]int{}, header: header, used: map[string]bool{}}, nil
}

func (b *book) style(format string) (int, error) {
	if format == "" {
		return 0, nil
	}
	if id, ok := b.styles[format]; ok {
		return id, nil
	}
	st := &excelize.Style{CustomNumFmt: &format}
	if format == wrap {
		st = &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}
	}
	id, err := b.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	b.styles[format] = id
	return id, nil
}

// table writes a sheet named after title (made valid and unique): an
// optional title line, a header row frozen in place with an autofilter
// over the table, the rows, and columns as wide as their content. The
// sheet's dimension record is set to the cells written, which excelize
// leaves at A1.
func (b *book) table(title, caption string, header []string, rows [][]value) (string, error) {
	name := sheetName(title, b.used)
	b.used[strings.ToLower(name)] = true
	if len(b.used) == 1 { // the first: rename the new file's Sheet1
		if err := b.f.SetSheetName(b.f.GetSheetList()[0], name); err != nil {
			return "", err
		}
	} else if _, err := b.f.NewSheet(name); err != nil {
		return "", err
	}
	cols := len(header)
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	widths := make([]int, cols)
	first := 1 // the header row
	if caption != "" {
		if err := b.f.SetCellStr(name, "A1", caption); err != nil {
			return "", err
		}
		_ = b.f.SetCellStyle(name, "A1", "A1", b.header)
		first = 3
	}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, first)
		if err := b.f.SetCellStr(name, cell, h); err != nil {
			return "", err
		}
		widths[i] = max(widths[i], TextWidth(h)+2) // room for the filter button
	}
	end, _ := excelize.CoordinatesToCellName(cols, first)
	start, _ := excelize.CoordinatesToCellName(1, first)
	if err := b.f.SetCellStyle(name, start, end, b.header); err != nil {
		return "", err
	}
	for i, r := range rows {
		for j, c := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, first+1+i)
			if err := b.set(name, cell, c); err != nil {
				return "", err
			}
			widths[j] = max(widths[j], c.width())
		}
	}
	for j, w := range widths {
		col, _ := excelize.ColumnNumberToName(j + 1)
		// Excel's width unit is the width of a digit; a little padding,
		// and no column so wide it cannot be read on a screen.
		if err := b.f.SetColWidth(name, col, col, float64(min(max(w, 6), maxWidth))+2); err != nil {
			return "", err
		}
	}
	last, _ := excelize.CoordinatesToCellName(cols, first+max(len(rows), 1))
	if err := b.f.AutoFilter(name, start+":"+last, nil); err != nil {
		return "", err
	}
	below, _ := excelize.CoordinatesToCellName(1, first+1)
	if err := b.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: first, TopLeftCell: below, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: below, ActiveCell: below, Pane: "bottomLeft"}}}); err != nil {
		return "", err
	}
	dimEnd, _ := excelize.CoordinatesToCellName(cols, first+len(rows))
	return name, b.f.SetSheetDimension(name, "A1:"+dimEnd)
}

func (b *book) set(sheet, cell string, c value) error {
	if c.v == nil {
		return nil
	}
	if err := b.f.SetCellValue(sheet, cell, c.v); err != nil {
		return err
	}
	format := c.f
	if _, ok := c.v.(time.Time); ok && format == "" {
		format = fmtDate
	}
	if str, ok := c.v.(string); ok && TextWidth(str) > maxWidth {
		format = wrap // a sentence wraps in its column rather than run off it
	}
	id, err := b.style(format)
	if err != nil || id == 0 {
		return err
	}
	return b.f.SetCellStyle(sheet, cell, cell, id)
}

// width is how wide the cell shows, in digit widths.
func (c value) width() int {
	switch v := c.v.(type) {
	case nil:
		return 0
	case string:
		return TextWidth(v)
	case time.Time:
		return len(c.f)
	case float64:
		if strings.HasSuffix(c.f, "%") {
			return len(fmt.Sprintf("%+.2f%%", v*100))
		}
		return len(strconv.FormatFloat(v, 'f', 2, 64))
	}
	return len(fmt.Sprint(c.v))
}

// TextWidth is how many columns s takes in a spreadsheet cell: its widest
// line (see locale.Width). Column widths are fitted with it.
func TextWidth(s string) int {
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		n = max(n, locale.Width(line))
	}
	return n
}

// typed reads a cell of a Markdown table back into a number, a
// percentage or a date, with the number format that shows it as the
// Markdown did: "37.9%" is 0.379 shown 0.0%, "+12.5%" a signed change,
// "12.50" a number with two decimals, "2026-10-01" a date. Anything else
// ("—", "不可比（…）", "12.50 (3)") stays text.
func typed(s string) value {
	if s == "" {
		return value{}
	}
	body := s
	if s[0] == '+' || s[0] == '-' {
		body = s[1:]
	}
	pct := strings.HasSuffix(body, "%")
	body = strings.TrimSuffix(body, "%")
	// A signed number is a change: a percentage shown with its sign (a
	// share is never negative), a whole number with "+".
	signed := s[0] == '+' || s[0] == '-' && pct
	if !plainNumber(body) {
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			if d, err := time.Parse("2006-01-02", s); err == nil {
				return value{d, fmtDate}
			}
		}
		return text(s)
	}
	decimals := 0
	if i := strings.IndexByte(body, '.'); i >= 0 {
		decimals = len(body) - i - 1
	}
	if s[0] == '-' {
		body = "-" + body
	}
	n, err := strconv.ParseFloat(body, 64)
	if err != nil {
		return text(s)
	}
	switch {
	case pct && signed:
		return value{n / 100, fmtSigned1}
	case pct:
		return value{n / 100, [...]string{fmtPct0, fmtPct1, fmtPct2}[min(decimals, 2)]}
	case decimals == 0:
		if i, err := strconv.ParseInt(body, 10, 64); err == nil {
			if signed {
				return value{i, fmtSignedN}
			}
			return value{v: i}
		}
		return value{v: n}
	case decimals <= 2:
		return value{n, [...]string{fmtInt, fmtDec1, fmtDec2}[decimals]}
	}
	return value{v: n} // a value as imported (a KPI, a ρ): General shows it all
}

// plainNumber: digits with at most one decimal point, nothing else (no
// exponent, no "NaN", no "Inf" that ParseFloat would take).
func plainNumber(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return true
}

// sheetName makes a valid sheet name of title, unused in the book: at most
// 31 characters, none of []:*?/\, no apostrophe at either end; Excel
// compares names without case, so used holds them in lower case.
func sheetName(title string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) || r < ' ' {
			return '-'
		}
		return r
	}, title)
	clean = strings.Trim(strings.TrimSpace(clean), "'")
	if clean == "" {
		clean = "Sheet"
	}
	r := []rune(clean)
	if len(r) > 31 {
		r = r[:31]
	}
	name := string(r)
	for i := 2; used[strings.ToLower(name)]; i++ {
		suffix := fmt.Sprintf(" %d", i)
		name = string(r[:min(len(r), 31-len(suffix))]) + suffix
	}
	return name
}
