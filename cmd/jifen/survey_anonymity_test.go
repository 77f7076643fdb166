package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jifen/config"
	"jifen/store"
)

// TestAnonymousSurveyOutputsKeepGroupsLarge runs an anonymous round of
// the example company, where most (department, level) pairs hold one to
// three people, at min_group 3, and checks every output of it: what the
// store keeps with each answer, the results in chat, the report (Markdown
// and JSON), and the CSV and XLSX exports. No output may show a group, or
// a combination of groups (a cell: the respondents who share the shown
// department and level, or the rest once the shown groups are taken
// away), of fewer than 3 respondents.
func TestAnonymousSurveyOutputsKeepGroupsLarge(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "min_group: 5", "min_group: 3", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "a.db")
	t.Setenv("JIFEN_STORE", dbPath)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	const k = 3
	audience := map[[2]string]int{}
	depts := map[string]int{}
	script := "/survey start satisfaction\n"
	n := 0
	for _, m := range cfg.Members {
		if m.Bot {
			continue
		}
		audience[[2]string{m.Department, m.Level}]++
		depts[m.Department]++
		if m.ID == "zhangwei" {
			continue // 销售部's 中层管理 does not answer: 销售部 can be shown
		}
		n++
		script += fmt.Sprintf(":as %s\n/survey answer satisfaction-1 fair %d\n/survey answer satisfaction-1 comments 意见%d\n", m.ID, n%5+1, n)
	}
	script += ":as hr_li\n/survey close satisfaction\n/survey results satisfaction\n"
	chat, errOut, code := run(t, script, "chat", "--config", cfgPath, "--as", "hr_li")
	if code != 0 || strings.Contains(chat, "✗") {
		t.Fatalf("chat: %s %s", chat, errOut)
	}

	// What the store keeps: only attributes of groups of k or more in the
	// audience.
	st, err := store.Open(dbPath, store.Options{Location: cfg.Location})
	if err != nil {
		t.Fatal(err)
	}
	answers := st.Answers("satisfaction", 1)
	st.Close()
	if len(answers) != n {
		t.Fatalf("%d answers, want %d", len(answers), n)
	}
	for _, a := range answers {
		if a.Level != "" && audience[[2]string{a.Department, a.Level}] < k || a.Department != "" && depts[a.Department] < k {
			t.Errorf("an answer keeps (%q, %q), a group of fewer than %d", a.Department, a.Level, k)
		}
	}

	// The CSV export: a row per respondent, each showing its cell.
	out, errOut, code := run(t, "", "export", "survey", "satisfaction", "--config", cfgPath, "--format", "csv")
	if code != 0 {
		t.Fatal(errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[[2]string]int{}
	shownDept, shownLevel := map[string]int{}, map[string]int{}
	for _, r := range rows[1:] {
		cells[[2]string{r[2], r[3]}]++
		if r[2] != "—" {
			shownDept[r[2]]++
		}
		if r[3] != "—" {
			shownLevel[r[3]]++
		}
	}
	if len(rows)-1 != n {
		t.Fatalf("%d rows, want %d", len(rows)-1, n)
	}
	t.Logf("cells %v", cells)
	if len(shownDept)+len(shownLevel) == 0 {
		t.Fatal("no group shown at all: the test shows nothing")
	}
	for c, m := range cells {
		if m < k {
			t.Errorf("CSV: the cell %v holds %d respondents", c, m)
		}
	}
	// The XLSX export shows the same.
	xlsxPath := filepath.Join(dir, "s.xlsx")
	if _, errOut, code := run(t, "", "export", "survey", "satisfaction", "--config", cfgPath, "--format", "xlsx", "-o", xlsxPath); code != 0 {
		t.Fatal(errOut)
	}
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	xrows, _ := f.GetRows("Sheet1")
	f.Close()
	xcells := map[[2]string]int{}
	for _, r := range xrows[1:] {
		xcells[[2]string{r[2], r[3]}]++
	}
	if fmt.Sprint(xcells) != fmt.Sprint(cells) {
		t.Errorf("XLSX cells %v, CSV %v", xcells, cells)
	}

	// The results in chat show the same groups with the same counts, and
	// list no other.
	line := regexp.MustCompile(`(?m)^\s*([^\s：（]+)（(\d+) 人）：`)
	got := map[string]int{}
	for _, m := range line.FindAllStringSubmatch(chat, -1) {
		var c int
		fmt.Sscan(m[2], &c)
		got[m[1]] = c
	}
	want := map[string]int{}
	for d, c := range shownDept {
		want[d] = c
	}
	for l, c := range shownLevel {
		want[l] = c
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chat shows groups %v; the export %v\n%s", got, want, chat)
	}
	for g, c := range got {
		if c < k {
			t.Errorf("chat shows %s with %d respondents", g, c)
		}
	}

	// The report: its survey results (JSON) show the same groups; the
	// Markdown shows overall figures only.
	js, errOut, code := run(t, "", "report", "--config", cfgPath, "--period", "2026-11", "--format", "json")
	if code != 0 {
		t.Fatal(errOut)
	}
	var rep struct {
		Surveys []struct {
			ByDepartment []struct {
				Name       string `json:"name"`
				Suppressed bool   `json:"suppressed"`
				Responses  int    `json:"responses"`
			} `json:"by_department"`
			ByLevel []struct {
				Name       string `json:"name"`
				Suppressed bool   `json:"suppressed"`
				Responses  int    `json:"responses"`
			} `json:"by_level"`
		} `json:"surveys"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil || len(rep.Surveys) != 1 {
		t.Fatalf("report JSON: %v, %d surveys", err, len(rep.Surveys))
	}
	fromReport := map[string]int{}
	for _, g := range append(rep.Surveys[0].ByDepartment, rep.Surveys[0].ByLevel...) {
		if !g.Suppressed {
			fromReport[g.Name] = g.Responses
		}
	}
	if fmt.Sprint(fromReport) != fmt.Sprint(want) {
		t.Errorf("report shows groups %v; the export %v", fromReport, want)
	}
	md, errOut, code := run(t, "", "report", "--config", cfgPath, "--period", "2026-11", "--format", "md")
	if code != 0 {
		t.Fatal(errOut)
	}
	section := md[strings.Index(md, "员工反馈（调查）"):]
	if i := strings.Index(section[1:], "\n#"); i > 0 {
		section = section[:i]
	}
	for d := range depts {
		if d != "" && strings.Contains(section, d) {
			t.Errorf("the report's survey section names %s:\n%s", d, section)
		}
	}
}
