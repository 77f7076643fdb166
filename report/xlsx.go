package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// XLSX writes the summary as a workbook: a first sheet with the text, then
// one sheet per table, numbers stored as numbers so they can be charted and
// summed.
func XLSX(w io.Writer, s *Summary, t func(string, ...any) string) error {
	var md bytes.Buffer
	if err := Markdown(&md, s, t); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	first := sheetName(t("report.title", s.Period, s.Previous), nil)
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return err
	}
	used := map[string]bool{first: true}
	summaryRow := 1
	put := func(sheet string, row int, vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			if n, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64); err == nil && v != "" {
				if strings.HasSuffix(v, "%") {
					n /= 100
				}
				cells[i] = n
			} else {
				cells[i] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return f.SetSheetRow(sheet, cell, &cells)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEEEEE"}, Pattern: 1}})
	for _, sec := range sections(md.String()) {
		if sec.Title != "" {
			summaryRow++
			if err := put(first, summaryRow, []string{sec.Title}); err != nil {
				return err
			}
		}
		for _, b := range sec.Blocks {
			if b.Header == nil {
				summaryRow++
				if err := put(first, summaryRow, []string{b.Text}); err != nil {
					return err
				}
				continue
			}
			name := sheetName(sec.Title, used)
			used[name] = true
			if _, err := f.NewSheet(name); err != nil {
				return err
			}
			if err := put(name, 1, b.Header); err != nil {
				return err
			}
			end, _ := excelize.CoordinatesToCellName(len(b.Header), 1)
			_ = f.SetCellStyle(name, "A1", end, bold)
			for i, r := range b.Rows {
				if err := put(name, i+2, r); err != nil {
					return err
				}
			}
			_ = f.SetColWidth(name, "A", "H", 16)
		}
	}
	_ = f.SetColWidth(first, "A", "A", 120)
	return f.Write(w)
}

// sheetName makes a valid, unused sheet name (31 characters, no []:*?/\).
func sheetName(title string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, title)
	if clean == "" {
		clean = "Sheet"
	}
	r := []rune(clean)
	if len(r) > 28 {
		r = r[:28]
	}
	name := string(r)
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s %d", string(r), i)
	}
	return name
}
