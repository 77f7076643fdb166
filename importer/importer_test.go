package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/rules"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

type dir map[string]jifen.Member

func (d dir) Member(id string) (jifen.Member, bool) { m, ok := d[id]; return m, ok }
func (d dir) MembersByName(name string) []jifen.Member {
	var out []jifen.Member
	for _, m := range d {
		if m.Name == name {
			out = append(out, m)
		}
	}
	return out
}

var people = dir{
	"wangfang": {ID: "wangfang", Name: "王芳", Department: "销售部", Role: jifen.RoleEmployee},
	"liuyang":  {ID: "liuyang", Name: "刘洋", Department: "销售部", Role: jifen.RoleEmployee},
	"bot":      {ID: "bot", Name: "积分助手", Bot: true},
	"zhoujie": {ID: "zhoujie", Name: "周杰", Department: "销售部", Role: jifen.RoleEmployee,
		Joined: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Left: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},
}

func csvTable(t *testing.T, text string) *Table {
	t.Helper()
	tb, err := ReadCSV(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// Excel saves CSV as UTF-8 with a byte-order mark; Chinese headers work.
func TestRatingsFromCSVWithBOM(t *testing.T) {
	tb := csvTable(t, "\ufeff姓名,周期,等级\n王芳,2026-11,A\nliuyang,2026-11,c\n")
	rs, err := Ratings(tb, people, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Member != "wangfang" || rs[0].Score != 4 || rs[1].Grade != "C" || rs[1].Score != 2 {
		t.Fatalf("%+v", rs)
	}
}

// One bad row among 10,000: nothing is returned, and that row alone is
// named.
func TestOneBadRowRefusesTheFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,period,value\n")
	for i := range 10_000 {
		value := fmt.Sprint(1000 + i)
		if i == 6_789 {
			value = "九十"
		}
		fmt.Fprintf(&b, "指标%d,2026-11,%s\n", i, value)
	}
	ks, err := KPIs(csvTable(t, b.String()), shanghai)
	var bad Errors
	if ks != nil || !errors.As(err, &bad) || len(bad) != 1 || bad[0].Row != 6791 || !strings.Contains(err.Error(), `row 6791: value "九十" is not a number`) {
		t.Fatalf("%d kpis, %v", len(ks), err)
	}
}

func TestRatingsProblems(t *testing.T) {
	tb := csvTable(t, "member,period,grade,score\n王芳,2026-11,E,\n无名,2026-11,A,\n刘洋,2026-W47,A,\n刘洋,2026-11,,\n王芳,2026-10,B,\n王芳,2026-10,,3\n")
	_, err := Ratings(tb, people, shanghai)
	for _, want := range []string{`row 2: grade "E"`, `row 3: no member "无名"`, `row 4: period "2026-W47"`, `row 5: neither a grade nor a score`,
		`row 7: 王芳 already has a rating for 2026-10 on row 6`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if _, err := Ratings(csvTable(t, "name,grade\nx,A\n"), people, shanghai); err == nil || !strings.Contains(err.Error(), "missing column(s): member, period") {
		t.Errorf("missing columns: %v", err)
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	for i, row := range [][]any{{"指标", "周期", "数值", "部门"}, {"销售额", "2026-11", "1,280,000", ""}, {"满意度", "2026-Q4", 4.6, "客服部"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "kpi.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	tb, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := KPIs(tb, shanghai)
	if err != nil || len(ks) != 2 || ks[0].Value != 1_280_000 || ks[1].Period != "2026-Q4" || ks[1].Department != "客服部" {
		t.Fatalf("%+v %v", ks, err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "x.txt")); err == nil {
		t.Error("a .txt file was read")
	}
}

func TestMembersAndPoints(t *testing.T) {
	ms, err := Members(csvTable(t, "工号,姓名,部门,职级,角色,入职日期\nzhoujie,周杰,销售部,基层员工,,2024/3/1\n"), people)
	if err != nil || len(ms) != 1 || ms[0].Role != jifen.RoleEmployee || ms[0].Joined.Format("2006-01-02") != "2024-03-01" {
		t.Fatalf("%+v %v", ms, err)
	}
	ms, err = Members(csvTable(t, "工号,姓名,入职日期,离职日期\nzhoujie,周杰,2024/3/1,2026/6/30\n"), people)
	if err != nil || len(ms) != 1 || ms[0].Left.Format("2006-01-02 15:04 MST") != "2026-06-30 00:00 UTC" {
		t.Fatalf("离职日期: %+v %v", ms, err)
	}
	ms, err = Members(csvTable(t, "工号,姓名,生日\nzhoujie,周杰,3-1\n"), people)
	if err != nil || len(ms) != 1 || ms[0].Birthday != "03-01" {
		t.Fatalf("生日: %+v %v", ms, err)
	}
	if _, err = Members(csvTable(t, "工号,姓名,生日\nzhoujie,周杰,1990-03-01\n"), people); err == nil || !strings.Contains(err.Error(), `birthday "1990-03-01": want a month and day`) {
		t.Fatalf("a birthday with its year: %v", err)
	}
	ms, err = Members(csvTable(t, "工号,姓名,邮箱\nzhoujie,周杰,Zhou.Jie@example.com\n"), people)
	if err != nil || len(ms) != 1 || ms[0].Email != "Zhou.Jie@example.com" {
		t.Fatalf("邮箱: %+v %v", ms, err)
	}
	_, err = Members(csvTable(t, "id,name,email\nx1,孙丽,sun@example.com\nx2,吴敏,SUN@example.com\nx3,郑和,zheng-at-example.com\n"), people)
	for _, want := range []string{`row 3: email "SUN@example.com" repeats row 2`, `row 4: email "zheng-at-example.com": want an address`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	_, err = Members(csvTable(t, "id,name,joined,left\nx1,孙丽,2026-03-01,2026-02-01\nx2,吴敏,,下个月\n"), people)
	for _, want := range []string{`row 2: left "2026-02-01" is before joined "2026-03-01"`, `row 3: left "下个月": want a date`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	_, err = Members(csvTable(t, "id,name,role\nx1,王芳,boss\nx2,张 三,\nx2,李四,\n"), people)
	for _, want := range []string{`row 2: name "王芳" is already wangfang's; role "boss"`, `row 3: name "张 三"`, `row 4: id "x2" repeats row 3`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	cat := &rules.Catalog{Categories: []rules.Category{{ID: "sat", Name: "客户满意度"}},
		Behaviors: []rules.Behavior{{ID: "good_review", Name: "客户好评", Category: "sat", Aliases: []string{"好评"}, Min: 10, Max: 10}}}
	now := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	es, err := Points(csvTable(t, "时间,获得人,积分,行为,理由\n2026-03-05 14:30,王芳,10,好评,三月表扬\n2026-04-01,刘洋,-5,,迟到\n"), people, cat, shanghai, now)
	if err != nil || len(es) != 2 || es[0].Behavior != "good_review" || es[0].Category != "sat" ||
		!es[0].Effective.Equal(time.Date(2026, 3, 5, 14, 30, 0, 0, shanghai)) || es[1].Kind != jifen.KindImport {
		t.Fatalf("%+v %v", es, err)
	}
	// Points count in the periods of their time: only while the receiver
	// worked here (days of the configured zone).
	es, err = Points(csvTable(t, "time,receiver,points\n2026-03-01 00:00,周杰,5\n2026-06-30 23:59,周杰,5\n"), people, cat, shanghai, now)
	if err != nil || len(es) != 2 {
		t.Fatalf("rows inside the employment: %+v %v", es, err)
	}
	_, err = Points(csvTable(t, "time,receiver,points\n2026-02-28 23:59,周杰,5\n2026-07-01,周杰,5\n"), people, cat, shanghai, now)
	for _, want := range []string{`row 2: receiver 周杰 was not employed on 2026-02-28 (employed 2026-03-01 – 2026-06-30)`, `row 3: receiver 周杰 was not employed on 2026-07-01`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	_, err = Points(csvTable(t, "time,receiver,points,behavior\n2026-12-01,王芳,10,\n昨天,积分助手,0,飞行\n"), people, cat, shanghai, now)
	for _, want := range []string{`row 2: time "2026-12-01" is in the future`, `row 3: time "昨天"`, `receiver 积分助手 is a bot`, `points "0"`, `behavior "飞行"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// Cells a spreadsheet would run are written as text, and read back as
// they were.
func TestCSVCellsNeverRunAsFormulas(t *testing.T) {
	for _, s := range []string{"=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
		"'", "''", "'=1", "'abc", "普通理由", "", "a=b", "5-3"} {
		c := CSVCell(s)
		if c != "" && formulaStart(c[0]) {
			t.Errorf("CSVCell(%q) = %q starts a formula", s, c)
		}
		if got := csvText(c); got != s {
			t.Errorf("round trip of %q: wrote %q, read %q", s, c, got)
		}
	}
	tb := csvTable(t, "time,receiver,points,reason\n2026-03-05,王芳,10,'=1+2\n")
	if got := tb.Rows[0].Cells[3]; got != "=1+2" {
		t.Errorf("read %q", got)
	}
}

// A header that names a column twice is refused: which one is meant
// cannot be known.
func TestDuplicateColumnsRefused(t *testing.T) {
	if _, err := ReadCSV(strings.NewReader("member,period,score,score\n王芳,2026-11,4,1\n")); err == nil || !strings.Contains(err.Error(), `names column "score" twice (columns 3 and 4)`) {
		t.Errorf("same name twice: %v", err)
	}
	_, err := Ratings(csvTable(t, "member,成员,period,score\n王芳,刘洋,2026-11,4\n"), people, shanghai)
	if err == nil || !strings.Contains(err.Error(), `columns "member" and "成员" are the same column`) {
		t.Errorf("one column under two names: %v", err)
	}
}

// bombXLSX writes a small workbook whose one cell unzips to n bytes.
func bombXLSX(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	add := func(name, body string) io.Writer {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
		return w
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w := add("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>member</t></is></c><c r="B1" t="inlineStr"><is><t>period</t></is></c><c r="C1" t="inlineStr"><is><t>score</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>`)
	chunk := strings.Repeat("SECRET", 1<<14)
	for written := 0; written < n; written += len(chunk) {
		io.WriteString(w, chunk)
	}
	io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// A small file that unzips to far more than any real sheet, or holds a
// cell longer than a spreadsheet allows, is refused without reading it
// whole, and no error quotes more than a short prefix of a cell.
func TestImportBounds(t *testing.T) {
	defer func(c, u int64) { maxCSVBytes, maxUnzipBytes = c, u }(maxCSVBytes, maxUnzipBytes)
	maxUnzipBytes = 1 << 20
	path := bombXLSX(t, 4<<20)
	if fi, _ := os.Stat(path); fi.Size() > 64<<10 {
		t.Fatalf("the bomb is %d bytes: not a bomb", fi.Size())
	}
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), "unzips to more than 1 MiB") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("bomb: %v", err)
	}
	maxUnzipBytes = MaxUnzipBytes
	_, err = Read(bombXLSX(t, MaxCell*6+60))
	if err == nil || !strings.Contains(err.Error(), "row 2, column 1: a cell of") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("long cell: %v", err)
	}
	maxCSVBytes = 1 << 10
	if _, err := ReadCSV(strings.NewReader(strings.Repeat("a,b\n", 1<<10))); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("large CSV: %v", err)
	}
	maxCSVBytes = MaxCSVBytes
	// A bad cell is quoted by a short prefix only.
	_, err = Ratings(csvTable(t, "member,period,score\n"+strings.Repeat("王", 5000)+",2026-11,4\n"), people, shanghai)
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "…") {
		t.Errorf("bad cell quoted whole: %d bytes: %.200v", len(err.Error()), err)
	}
}

// A file in memory (an upload) reads as the same file on disk does,
// within the same bounds.
func TestReadBytesAsRead(t *testing.T) {
	f := excelize.NewFile()
	for i, row := range [][]any{{"member", "period", "grade"}, {"wangfang", "2026-10", "A"}, {"", "", ""}, {"zhangwei", "2026-10", "B"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "ratings.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(t.TempDir(), "ratings.csv")
	if err := os.WriteFile(csvPath, []byte("\ufeffmember,period,grade\nwangfang,2026-10,A\n,,\nzhangwei,2026-10,B\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, csvPath} {
		want, err := Read(p)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(p)
		got, err := ReadBytes("upload/"+filepath.Base(p), data)
		if err != nil || !reflect.DeepEqual(got, want) || len(got.Rows) != 2 || got.Rows[1].Number != 4 {
			t.Errorf("%s: %+v %v, want %+v", p, got, err, want)
		}
	}
	if _, err := ReadBytes("notes.txt", []byte("a,b\n")); err == nil || err.Error() != "notes.txt: want a .csv or .xlsx file" {
		t.Errorf("a .txt file: %v", err)
	}
	if _, err := ReadBytes("x.xlsx", []byte("not a zip")); err == nil || !strings.Contains(err.Error(), "not a readable .xlsx file") {
		t.Errorf("not a workbook: %v", err)
	}
	defer func(u int64) { maxUnzipBytes = u }(maxUnzipBytes)
	maxUnzipBytes = 1 << 20
	bomb, _ := os.ReadFile(bombXLSX(t, 4<<20))
	if _, err := ReadBytes("bomb.xlsx", bomb); err == nil || !strings.Contains(err.Error(), "unzips to more than 1 MiB") {
		t.Errorf("bomb: %v", err)
	}
}
