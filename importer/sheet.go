// Package importer reads what HR keeps in spreadsheets (电子表格) — members,
// performance ratings, KPIs and historical points — from CSV or XLSX, and
// checks every row before anything is written: a file with one bad row is
// refused whole, with every bad row named.
package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Table is a sheet: a header and the rows under it, with their row numbers
// as a spreadsheet shows them (the header is row 1).
type Table struct {
	Header []string
	Rows   []Row
}

// Row is one data row.
type Row struct {
	Number int
	Cells  []string
}

// What an import reads at most. A sheet is HR's list of people, ratings or
// a ledger: these are far above any real one, and keep a hostile file (a
// small XLSX that unzips to gigabytes, a cell of hundreds of megabytes)
// from taking the machine's memory.
const (
	// MaxRows is a spreadsheet's own limit (Excel: 1,048,576 rows).
	MaxRows = 1 << 20
	// MaxCell is the longest cell, in characters (Excel's own limit).
	MaxCell = 32767
	// MaxCSVBytes is the largest CSV file.
	MaxCSVBytes = 256 << 20
	// MaxUnzipBytes is the most an XLSX file may unzip to.
	MaxUnzipBytes = 256 << 20
)

// The limits in force; tests lower them.
var maxCSVBytes, maxUnzipBytes int64 = MaxCSVBytes, MaxUnzipBytes

// Read reads the first sheet of an .xlsx file or a .csv file (UTF-8, with
// or without a byte-order mark, as Excel writes it), within the limits
// above.
func Read(path string) (*Table, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		return readXLSX(path)
	case ".csv":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadCSV(f)
	}
	return nil, fmt.Errorf("%s: want a .csv or .xlsx file", filepath.Base(path))
}

// ReadCSV reads CSV text.
func ReadCSV(r io.Reader) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCSVBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxCSVBytes {
		return nil, fmt.Errorf("the file is larger than %d MiB: split it", maxCSVBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("not valid CSV: %w", err)
	}
	for _, r := range records {
		for i, c := range r {
			r[i] = csvText(c)
		}
	}
	return table(records)
}

// ReadBytes reads a file already in memory (an upload) as Read reads the
// file at a path: name's extension says whether it is .xlsx or .csv.
func ReadBytes(name string, data []byte) (*Table, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(data), xlsxOptions())
		return xlsxTable(f, err)
	case ".csv":
		return ReadCSV(bytes.NewReader(data))
	}
	return nil, fmt.Errorf("%s: want a .csv or .xlsx file", filepath.Base(name))
}

// xlsxOptions are the limits a workbook is opened under: a worksheet
// larger than the XML limit is unzipped to a temporary file and read as a
// stream; nothing unzips past MaxUnzipBytes.
func xlsxOptions() excelize.Options {
	return excelize.Options{UnzipSizeLimit: maxUnzipBytes, UnzipXMLSizeLimit: min(16<<20, maxUnzipBytes)}
}

func readXLSX(path string) (*Table, error) {
	f, err := excelize.OpenFile(path, xlsxOptions())
	return xlsxTable(f, err)
}

// xlsxTable reads the first sheet of a workbook opened with err.
func xlsxTable(f *excelize.File, err error) (*Table, error) {
	if err != nil {
		if strings.Contains(err.Error(), "size exceeds") {
			return nil, fmt.Errorf("the workbook unzips to more than %d MiB: split it", maxUnzipBytes>>20)
		}
		return nil, fmt.Errorf("not a readable .xlsx file: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var records [][]string
	for rows.Next() {
		if len(records) > MaxRows {
			return nil, fmt.Errorf("the sheet has more than %d rows: split it", MaxRows)
		}
		r, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	if err := rows.Error(); err != nil {
		return nil, err
	}
	return table(records)
}

func table(records [][]string) (*Table, error) {
	if len(records) == 0 {
		return nil, errors.New("the file is empty: want a header row, then data")
	}
	if len(records) > MaxRows+1 {
		return nil, fmt.Errorf("the sheet has more than %d rows: split it", MaxRows)
	}
	for i, r := range records {
		for j, c := range r {
			if len(c) > MaxCell && utf8.RuneCountInString(c) > MaxCell {
				return nil, fmt.Errorf("row %d, column %d: a cell of %d characters; at most %d", i+1, j+1, utf8.RuneCountInString(c), MaxCell)
			}
		}
	}
	t := &Table{}
	seen := map[string]int{}
	for i, h := range records[0] {
		h = strings.ToLower(strings.TrimSpace(h))
		// Two columns of one name: which one is meant cannot be known.
		if first, dup := seen[h]; dup && h != "" {
			return nil, fmt.Errorf("the header row names column %q twice (columns %d and %d)", clipCell(h), first, i+1)
		}
		seen[h] = i + 1
		t.Header = append(t.Header, h)
	}
	for i, r := range records[1:] {
		blank := true
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				blank = false
			}
		}
		if !blank {
			t.Rows = append(t.Rows, Row{Number: i + 2, Cells: r})
		}
	}
	return t, nil
}

// columns maps each wanted column (by any of its names, English or Chinese)
// to its index; required columns that are missing are an error.
func (t *Table) columns(spec []column) (map[string]int, error) {
	idx := map[string]int{}
	var missing []string
	for _, c := range spec {
		found := -1
		for i, h := range t.Header {
			for _, name := range c.names {
				if h != name {
					continue
				}
				if found >= 0 {
					return nil, fmt.Errorf("columns %q and %q are the same column (%s); keep one", shown(t.Header[found]), shown(h), strings.Join(c.names, "/"))
				}
				found = i
			}
		}
		if found < 0 {
			if c.required {
				missing = append(missing, c.names[0])
			}
			continue
		}
		idx[c.names[0]] = found
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing column(s): %s (the header row has: %s)", strings.Join(missing, ", "), strings.Join(t.Header, ", "))
	}
	return idx, nil
}

type column struct {
	names    []string
	required bool
}

// get reads a named cell of a row ("" when absent).
func get(r Row, idx map[string]int, name string) string {
	i, ok := idx[name]
	if !ok || i >= len(r.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Cells[i])
}

// RowError is a bad row: its number and what is wrong.
type RowError struct {
	Row    int
	Reason string
}

// Errors is every bad row of a file.
type Errors []RowError

func (e Errors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad row(s), nothing was imported:", len(e))
	for i, r := range e {
		if i == 50 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e)-50)
			break
		}
		fmt.Fprintf(&b, "\n  row %d: %s", r.Row, r.Reason)
	}
	return b.String()
}

// A spreadsheet runs a CSV cell that starts with one of these as a formula
// (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)); a tab or carriage return at the
// start hides such a cell from a quick look.
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// CSVCell neutralises a text cell for a CSV file, as OWASP advises: a cell
// a spreadsheet would run as a formula gets a leading apostrophe, which
// spreadsheets show as text. A cell that already starts with an apostrophe
// gets one more, so that ReadCSV gives back exactly the original text.
func CSVCell(s string) string {
	if s != "" && (formulaStart(s[0]) || s[0] == '\'') {
		return "'" + s
	}
	return s
}

// csvText undoes CSVCell: the apostrophe CSVCell added before a formula
// character or an apostrophe is dropped; any other text is kept as it is.
func csvText(s string) string {
	if len(s) >= 2 && s[0] == '\'' && (formulaStart(s[1]) || s[1] == '\'') {
		return s[1:]
	}
	return s
}

// clipCell quotes at most a short prefix of a cell in an error message: a
// bad cell can be huge, and what it holds is not for the log.
func clipCell(s string) string {
	const n = 40
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// shown is a cell's text in an error message: %q prints at most a short
// prefix of it, quoted.
type shown string

func (s shown) Format(f fmt.State, verb rune) { fmt.Fprintf(f, "%q", clipCell(string(s))) }
