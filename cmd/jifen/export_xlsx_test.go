package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The ledger's XLSX: a named sheet with the header in the bot's language
// (zh-CN in the example config), numbers as numbers, times as date-times,
// the header frozen, an autofilter and a dimension over the table; and
// `jifen import points` reads it back to the same figures.
func TestLedgerXLSX(t *testing.T) {
	dir := t.TempDir()
	cfgPath := "../../config.example.yaml"
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "a.db"))
	script, err := os.ReadFile("testdata/conversation.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, string(script), "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	path := filepath.Join(dir, "ledger.xlsx")
	if _, errOut, code := run(t, "", "export", "ledger", "--config", cfgPath, "--format", "xlsx", "-o", path); code != 0 {
		t.Fatal(errOut)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const sheet = "积分明细"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sheet {
		t.Fatalf("sheets %q", got)
	}
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) != 10 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	want := []string{"编号", "时间", "记录时间", "类型", "获得人", "获得人姓名", "部门", "积分", "数量", "类别", "行为", "给予人", "给予人姓名", "理由", "规则版本", "撤销条目", "审批单", "来源"}
	for i, h := range want {
		if rows[0][i] != h {
			t.Errorf("column %d: %q, want %q", i+1, rows[0][i], h)
		}
	}
	if dim, _ := f.GetSheetDimension(sheet); dim != "A1:R10" {
		t.Errorf("dimension %q, want A1:R10", dim)
	}
	if p, err := f.GetPanes(sheet); err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v %v", p, err)
	}
	if names := f.GetDefinedName(); len(names) != 1 || names[0].Name != "_xlnm._FilterDatabase" || names[0].RefersTo != "'积分明细'!$A$1:$R$10" {
		t.Errorf("autofilter %+v", names)
	}
	if w, _ := f.GetColWidth(sheet, "N"); w < 40 {
		t.Errorf("the reason column is %v wide", w)
	}
	for _, c := range []struct {
		cell string
		typ  excelize.CellType
		fmt  string
	}{{"A2", excelize.CellTypeUnset, ""}, {"B2", excelize.CellTypeUnset, "yyyy-mm-dd hh:mm:ss"}, {"C2", excelize.CellTypeUnset, "yyyy-mm-dd hh:mm:ss"},
		{"H2", excelize.CellTypeUnset, ""}, {"O2", excelize.CellTypeUnset, ""}, {"E2", excelize.CellTypeInlineString, ""}} {
		typ, _ := f.GetCellType(sheet, c.cell)
		if typ != c.typ {
			t.Errorf("%s is of type %v, want %v", c.cell, typ, c.typ)
		}
		style, _ := f.GetCellStyle(sheet, c.cell)
		st, err := f.GetStyle(style)
		got := ""
		if err == nil && st.CustomNumFmt != nil {
			got = *st.CustomNumFmt
		}
		if got != c.fmt {
			t.Errorf("%s shows as %q, want %q", c.cell, got, c.fmt)
		}
	}
	if v, _ := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true}); v == rows[1][1] {
		t.Errorf("the time %q is text, not a serial date", v)
	}

	// Imported into an empty store, the XLSX gives the same report.
	before, _, _ := run(t, "", "report", "--config", cfgPath, "--period", "2026", "--format", "json")
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "b.db"))
	if _, errOut, code := run(t, "", "import", "points", "--config", cfgPath, path); code != 0 {
		t.Fatal(errOut)
	}
	after, _, _ := run(t, "", "report", "--config", cfgPath, "--period", "2026", "--format", "json")
	if before != after || len(before) < 1000 {
		t.Errorf("the report changed through the XLSX:\n%s\n%s", before, after)
	}
}
