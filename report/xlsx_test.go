package report

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/rules"
)

// A month with a comparable previous month, a participation target and
// two departments: the workbook's key figures, formats, panes, filters,
// widths, names and dimensions, read back with excelize.
func TestXLSXWorkbook(t *testing.T) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sales", Name: "销售业绩"}, {ID: "team", Name: "内部协作"}},
		Behaviors: []rules.Behavior{{ID: "deal", Name: "签单", Category: "sales", Min: 1, Max: 100},
			{ID: "help", Name: "帮助同事", Category: "team", Min: 1, Max: 100}},
		Targets: []rules.Target{{ID: "p", Name: "参与率", Metric: rules.MetricParticipation, Min: f64(0.8)},
			{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: f64(20)}},
	}
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "王芳", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "b", Name: "刘洋", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "c", Name: "陈静", Department: "研发部", Role: jifen.RoleEmployee},
		{ID: "d", Name: "赵强", Department: "研发部", Role: jifen.RoleEmployee},
	}}
	for m := time.August; m <= time.October; m++ {
		award(l, day(2026, m, 3), "a", 30, "sales", "deal")
		award(l, day(2026, m, 4), "c", 12, "team", "help")
		award(l, day(2026, m, 5), "d", 8, "team", "help")
	}
	s := analyzeAt(t, l, "2026-10", nov29, cat)
	if !s.Comparison.Comparable || s.Distribution.Participation != 0.75 {
		t.Fatalf("the company is not what the test means: %+v %v", s.Comparison, s.Distribution.Participation)
	}
	var buf bytes.Buffer
	if err := XLSX(&buf, s, zh); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	sheets := f.GetSheetList()
	if sheets[0] != "概览" || sheets[len(sheets)-1] != "说明" {
		t.Errorf("sheets %q: want 概览 first, 说明 last", sheets)
	}
	seen := map[string]bool{}
	for _, sh := range sheets {
		if seen[strings.ToLower(sh)] || len([]rune(sh)) > 31 || strings.ContainsAny(sh, `[]:*?/\`) {
			t.Errorf("sheet name %q: repeated, too long or invalid", sh)
		}
		seen[strings.ToLower(sh)] = true
	}

	// The key figures: a table, the header in row 3 frozen and filtered.
	rows, _ := f.GetRows("概览")
	cell := func(sheet, label string, col int) string {
		r, _ := f.GetRows(sheet)
		for i, row := range r {
			if len(row) > 0 && row[0] == label {
				name, _ := excelize.CoordinatesToCellName(col, i+1)
				return name
			}
		}
		t.Fatalf("%s has no row %q: %q", sheet, label, r)
		return ""
	}
	if rows[0][0] != "积分小结 2026-10（对比 2026-09）" || strings.Join(rows[2], "|") != "指标|本期|上期|变化" {
		t.Errorf("overview starts %q", rows[:3])
	}
	for _, c := range []struct {
		sheet, label string
		col          int
		shown, fmt   string
	}{
		{"概览", "周期", 2, "2026-10", ""},
		{"概览", "起始日期", 2, "2026-10-01", fmtDate},
		{"概览", "结束日期", 2, "2026-10-31", fmtDate},
		{"概览", "净积分", 2, "50", ""},
		{"概览", "净积分", 3, "50", ""},
		{"概览", "净积分", 4, "+0.0%", fmtSigned1},
		{"概览", "参与率", 2, "75.0%", fmtPct1},
		{"概览", "人均积分", 2, "12.50", fmtDec2},
		{"概览", "目标达成（项）", 2, "0", ""},
		{"概览", "目标未达成（项）", 2, "2", ""},
		{"概览", "人均最高部门", 2, "销售部", ""},
		{"概览", "该部门人均积分", 2, "15.00", fmtDec2},
		{"一、目标回顾", "参与率", 3, "≥ 80.0%", ""},
		{"一、目标回顾", "参与率", 4, "75.0%", fmtPct1},
		{"一、目标回顾", "参与率", 5, "-5.0%", fmtSigned1},
		{"一、目标回顾", "人均月积分", 4, "12.50", fmtDec2},
		{"各类别积分", "销售业绩", 2, "30", ""},
		{"各类别积分", "销售业绩", 3, "60.0%", fmtPct1},
		{"三、绩效成果", "销售部", 4, "15.00", fmtDec2},
	} {
		name := cell(c.sheet, c.label, c.col)
		got, _ := f.GetCellValue(c.sheet, name)
		style, _ := f.GetCellStyle(c.sheet, name)
		st, _ := f.GetStyle(style)
		format := ""
		if st != nil && st.CustomNumFmt != nil {
			format = *st.CustomNumFmt
		}
		if got != c.shown || format != c.fmt {
			t.Errorf("%s %s (%s): shows %q as %q, want %q as %q", c.sheet, c.label, name, got, format, c.shown, c.fmt)
		}
		if c.fmt != "" {
			if typ, _ := f.GetCellType(c.sheet, name); typ != excelize.CellTypeUnset {
				t.Errorf("%s %s is stored as %v, not a number", c.sheet, c.label, typ)
			}
		}
	}

	// Every sheet: the header frozen, an autofilter over the table, and
	// a dimension that is the cells written.
	filters := map[int]string{}
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm._FilterDatabase" {
			i, _ := f.GetSheetIndex(d.Scope)
			filters[i] = d.RefersTo
		}
	}
	for i, sh := range sheets {
		rows, _ := f.GetRows(sh)
		header := 1
		if sh == "概览" {
			header = 3
		}
		cols := 0
		for _, r := range rows {
			cols = max(cols, len(r))
		}
		end, _ := excelize.CoordinatesToCellName(cols, len(rows))
		if dim, _ := f.GetSheetDimension(sh); dim != "A1:"+end {
			t.Errorf("%s: dimension %q, want A1:%s", sh, dim, end)
		}
		if p, err := f.GetPanes(sh); err != nil || !p.Freeze || p.YSplit != header {
			t.Errorf("%s: panes %+v", sh, p)
		}
		first, _ := excelize.CoordinatesToCellName(1, header, true)
		last, _ := excelize.CoordinatesToCellName(cols, len(rows), true)
		if want := "'" + sh + "'!" + first + ":" + last; filters[i] != want {
			t.Errorf("%s: autofilter %q, want %q", sh, filters[i], want)
		}
		for _, r := range rows {
			for _, c := range r {
				if strings.Contains(c, "**") || strings.HasPrefix(c, "- ") || strings.HasPrefix(c, "| ") || strings.Contains(c, "&lt;") {
					t.Errorf("%s: Markdown in %q", sh, c)
				}
			}
		}
	}

	// Columns fit their content, a Chinese character counting two.
	if w, _ := f.GetColWidth("概览", "A"); w < float64(TextWidth("目标未达成（项）")) || w > 30 {
		t.Errorf("the overview's first column is %v wide", w)
	}
	if w, _ := f.GetColWidth("说明", "B"); w < 60 || w > maxWidth+2 {
		t.Errorf("the notes column is %v wide", w)
	}

	// The XML itself: each sheet's <dimension> matches (not excelize's A1).
	checkDimensionsXML(t, raw)
}

// checkDimensionsXML reads every worksheet's <dimension> and the last
// cell written, straight from the package.
func checkDimensionsXML(t *testing.T, raw []byte) {
	t.Helper()
	zr, err := zipReader(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		var ws struct {
			Dimension struct {
				Ref string `xml:"ref,attr"`
			} `xml:"dimension"`
			Rows []struct {
				Cells []struct {
					R string `xml:"r,attr"`
				} `xml:"c"`
			} `xml:"sheetData>row"`
		}
		if err := xml.Unmarshal(data, &ws); err != nil {
			t.Fatal(err)
		}
		maxCol, maxRow := 1, 1
		for _, r := range ws.Rows {
			for _, c := range r.Cells {
				col, row, _ := excelize.CellNameToCoordinates(c.R)
				maxCol, maxRow = max(maxCol, col), max(maxRow, row)
			}
		}
		end, _ := excelize.CoordinatesToCellName(maxCol, maxRow)
		if ws.Dimension.Ref != "A1:"+end {
			t.Errorf("%s: <dimension ref=%q>, cells to %s", zf.Name, ws.Dimension.Ref, end)
		}
	}
}

func TestTyped(t *testing.T) {
	for _, c := range []struct {
		in  string
		v   any
		fmt string
	}{
		{"37.9%", 0.379, fmtPct1}, {"+12.5%", 0.125, fmtSigned1}, {"-3.0%", -0.03, fmtSigned1}, {"100%", 1.0, fmtPct0},
		{"12.50", 12.5, fmtDec2}, {"3.5", 3.5, fmtDec1}, {"42", int64(42), ""}, {"-7", int64(-7), ""}, {"+9", int64(9), fmtSignedN},
		{"0.8123", 0.8123, ""}, {"2026-10-01", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), fmtDate},
		{"—", "—", ""}, {"12.50 (3)", "12.50 (3)", ""}, {"NaN", "NaN", ""}, {"1e5", "1e5", ""}, {"不可比（本期尚未结束）", "不可比（本期尚未结束）", ""},
	} {
		got := typed(c.in)
		if x, ok := got.v.(float64); ok {
			if y, ok := c.v.(float64); ok && x-y < 1e-12 && y-x < 1e-12 {
				got.v = c.v
			}
		}
		if got.v != c.v || got.f != c.fmt {
			t.Errorf("typed(%q) = %#v %q, want %#v %q", c.in, got.v, got.f, c.v, c.fmt)
		}
	}
}

func TestSheetNameAndWidth(t *testing.T) {
	used := map[string]bool{}
	long := strings.Repeat("积", 40)
	for _, want := range []string{strings.Repeat("积", 31), strings.Repeat("积", 29) + " 2", strings.Repeat("积", 29) + " 3"} {
		got := sheetName(long, used)
		if got != want {
			t.Errorf("sheetName = %q, want %q", got, want)
		}
		used[strings.ToLower(got)] = true
	}
	if got := sheetName("a/b:c[d]*?\\", nil); got != "a-b-c-d----" {
		t.Errorf("sheetName = %q", got)
	}
	used = map[string]bool{"notes": true}
	if got := sheetName("Notes", used); got != "Notes 2" {
		t.Errorf("case: %q", got)
	}
	for s, w := range map[string]int{"abc": 3, "积分": 4, "A（B）": 6, "": 0} {
		if got := TextWidth(s); got != w {
			t.Errorf("TextWidth(%q) = %d, want %d", s, got, w)
		}
	}
}

func zipReader(raw []byte) (*zip.Reader, error) {
	return zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
}
