package admin

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"jifen"
	"jifen/config"
	"jifen/locale"
	"jifen/report"
)

// reportEnv is the test console with the example rule catalog and a few
// ratings, so the reports have something to say.
func reportEnv(t *testing.T) *testEnv {
	t.Helper()
	example, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(c *config.Config) { c.Rules = example.Rules })
	if err := e.st.PutRatings(context.Background(), []jifen.Rating{
		{Member: "mgr", Period: "2026-10", Grade: "A", Score: 4.5},
		{Member: "emp", Period: "2026-10", Grade: "B", Score: 3.5},
		{Member: "hr", Period: "2026-10", Grade: "B", Score: 3},
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Each download is what `jifen report --format` writes for the period
// (report.Write on the same store and catalog), as an attachment with
// its content type.
func TestReportDownloads(t *testing.T) {
	e := reportEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	tr := func(k string, args ...any) string { return locale.T(locale.EN, k, args...) }
	for _, period := range []string{"2026-10", "2026-Q4", "2026"} {
		p, err := jifen.ParsePeriod(period, e.st.Location())
		if err != nil {
			t.Fatal(err)
		}
		sum, err := report.AnalyzeSource(e.st, p, e.cfg.Rules, tr)
		if err != nil {
			t.Fatal(err)
		}
		for format, ctype := range map[string]string{
			"md":   "text/markdown; charset=utf-8",
			"html": "text/html; charset=utf-8",
			"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			"json": "application/json",
		} {
			var want bytes.Buffer
			if err := report.Write(&want, sum, format, tr, locale.EN); err != nil {
				t.Fatal(err)
			}
			w := b.get("/admin/reports/" + period + "/download?format=" + format)
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s: %d\n%s", period, format, w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != ctype {
				t.Errorf("%s %s: Content-Type %q", period, format, got)
			}
			if got, want := w.Header().Get("Content-Disposition"), `attachment; filename=jifen-report-`+period+`.`+format; got != want {
				t.Errorf("%s %s: Content-Disposition %q, want %q", period, format, got, want)
			}
			// The workbook too is the same bytes: it carries no time.
			if !bytes.Equal(w.Body.Bytes(), want.Bytes()) {
				t.Errorf("%s %s: the download differs from report.Write (%d bytes, want %d)", period, format, w.Body.Len(), want.Len())
			}
		}
	}
}

// The report read in the console is the HTML report with a bar back to the
// reports and to the downloads, under the console's strict CSP.
func TestReportPage(t *testing.T) {
	e := reportEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/reports/2026-10")
	if w.Code != http.StatusOK {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
	mustContain(t, w, `href="/admin/reports"`, `href="/admin/reports/2026-10/download?format=xlsx"`,
		`href="/admin/reports/2026-10/download?format=md"`, "2026-10", "<h1>")
	if strings.Contains(w.Body.String(), "<script") {
		t.Error("the report page has a script")
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}

	w = b.get("/admin/reports")
	if w.Code != http.StatusOK {
		t.Fatalf("reports: %d", w.Code)
	}
	mustContain(t, w, `name="period"`, `action="/admin/reports"`, `href="/admin/reports/2026-11"`, `href="/admin/reports/2026-Q4"`, `href="/admin/reports/2025"`)

	w = b.get("/admin/reports?period=+2026-Q3")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/reports/2026-Q3" {
		t.Errorf("the form: %d → %q", w.Code, w.Header().Get("Location"))
	}
}

// A period that is not a month, quarter or year, or has not begun, or an
// unknown format gets the reports page with the reason in the console's
// language.
func TestReportBadInput(t *testing.T) {
	e := reportEnv(t)
	for _, tc := range []struct {
		path   string
		status int
		text   string
	}{
		{"/admin/reports/2026-13", 400, "“2026-13” is not a period"},
		{"/admin/reports/all", 400, "“all” is not a period"},
		{"/admin/reports/2026-W45", 400, "“2026-W45” is not a period"},
		{"/admin/reports/2026-12", 404, "2026-12 has not begun (today is 2026-11-10)"},
		{"/admin/reports/2027", 404, "2027 has not begun"},
		{"/admin/reports/2026-12/download?format=md", 404, "2026-12 has not begun"},
		{"/admin/reports/nonsense/download?format=json", 400, "“nonsense” is not a period"},
		{"/admin/reports/2026-10/download?format=pdf", 400, "“pdf” is not a report format"},
		{"/admin/reports/2026-10/download", 400, "“” is not a report format"},
		{"/admin/reports?period=2026-13", 400, "“2026-13” is not a period"},
		{"/admin/reports?period=", 400, "“” is not a period"},
		{"/admin/reports?period=2030-Q1", 404, "2030-Q1 has not begun"},
	} {
		b := e.browser(t)
		b.signIn(e.s, "hr")
		w := b.get(tc.path)
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, w.Code, tc.status)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" || w.Header().Get("Content-Disposition") != "" {
			t.Errorf("%s: %q %q", tc.path, ct, w.Header().Get("Content-Disposition"))
		}
		mustContain(t, w, tc.text, `name="period"`)
	}

	// In Chinese when the console speaks Chinese.
	zh := reportEnv(t)
	zh.s.lang = locale.ZH
	b := zh.browser(t)
	b.signIn(zh.s, "hr")
	w := b.get("/admin/reports/2026-12")
	if w.Code != http.StatusNotFound {
		t.Errorf("zh: %d", w.Code)
	}
	mustContain(t, w, locale.T(locale.ZH, "err.report_not_begun", "2026-12", "2026-11-10"))
}
