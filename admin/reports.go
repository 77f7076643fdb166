package admin

import (
	"bytes"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"

	"jifen"
	"jifen/report"
	"jifen/store"
)

// The reports: the 小结 of any month, quarter or year that has begun, read
// in the page and downloaded in every format `jifen report` writes, with
// the same bytes (report.Write, on the same store and rule catalog).
// Admins only for now: the summary names everyone.

// reportRoutes registers the report pages.
func (s *Server) reportRoutes() {
	s.page("GET /admin/reports", jifen.RoleAdmin, s.reports)
	s.page("GET /admin/reports/{period}", jifen.RoleAdmin, s.reportPage)
	s.page("GET /admin/reports/{period}/download", jifen.RoleAdmin, s.reportDownload)
}

// reportTypes are the downloads' content types, by format.
var reportTypes = map[string]string{
	"md":   "text/markdown; charset=utf-8",
	"html": "text/html; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"json": "application/json",
}

// reportsView is the reports page's own part: the period form and the
// recent periods.
type reportsView struct {
	Period                  string // what was typed, shown again after an error
	Months, Quarters, Years []string
	T                       func(string, ...any) string
}

var _ = template.Must(layout.New("reports").Parse(`<form method="get" action="/admin/reports">
<label>{{call .T "admin.reports.period"}} <input name="period" value="{{.Period}}" placeholder="2026-Q4" required></label>
<button type="submit">{{call .T "admin.reports.open"}}</button>
</form>
<h2>{{call .T "admin.reports.months"}}</h2>
<ul class="links">{{range .Months}}<li><a class="button" href="/admin/reports/{{.}}">{{.}}</a></li>{{end}}</ul>
<h2>{{call .T "admin.reports.quarters"}}</h2>
<ul class="links">{{range .Quarters}}<li><a class="button" href="/admin/reports/{{.}}">{{.}}</a></li>{{end}}</ul>
<h2>{{call .T "admin.reports.years"}}</h2>
<ul class="links">{{range .Years}}<li><a class="button" href="/admin/reports/{{.}}">{{.}}</a></li>{{end}}</ul>
`))

// reportNav is the bar put at the top of a report read in the console:
// back to the reports and the downloads. Inline styles only (CSP).
var _ = template.Must(layout.New("reportnav").Parse(`<nav style="display:flex;flex-wrap:wrap;gap:.5em 1em;padding:.5em 0;margin-bottom:1em;border-bottom:1px solid #d0d7de;font-size:14px">
<a href="/admin/reports">{{call .T "admin.reports.back"}}</a>
<span>{{call .T "admin.reports.download"}}{{range .Formats}} <a href="/admin/reports/{{$.Period}}/download?format={{.}}">{{.}}</a>{{end}}</span>
</nav>
`))

// reports is the form to pick a period and the recent ones. A period
// given in the form is checked here and opened.
func (s *Server) reports(w http.ResponseWriter, r *http.Request, v *Viewer) {
	q := r.URL.Query()
	if !q.Has("period") {
		s.renderReports(w, http.StatusOK, v, "", "")
		return
	}
	p, status, msg := s.reportPeriod(q.Get("period"))
	if status != http.StatusOK {
		s.renderReports(w, status, v, q.Get("period"), msg)
		return
	}
	http.Redirect(w, r, "/admin/reports/"+url.PathEscape(p.Key), http.StatusSeeOther)
}

// renderReports renders the reports page with status, and msg (an error)
// above the form.
func (s *Server) renderReports(w http.ResponseWriter, status int, v *Viewer, typed, msg string) {
	loc := s.st.Location()
	now := s.st.Now().In(loc)
	view := reportsView{Period: typed, T: s.t}
	for p, i := jifen.PeriodOf(jifen.Month, now, loc), 0; i < 12; p, i = p.Previous(loc), i+1 {
		view.Months = append(view.Months, p.Key)
	}
	for p, i := jifen.PeriodOf(jifen.Quarter, now, loc), 0; i < 8; p, i = p.Previous(loc), i+1 {
		view.Quarters = append(view.Quarters, p.Key)
	}
	for p, i := jifen.PeriodOf(jifen.Year, now, loc), 0; i < 3; p, i = p.Previous(loc), i+1 {
		view.Years = append(view.Years, p.Key)
	}
	var b bytes.Buffer
	if err := layout.ExecuteTemplate(&b, "reports", view); err != nil {
		s.log.Error("console page failed", "page", "reports", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.render(w, status, "message", pageData{Title: s.t("admin.reports_title"), Text: msg, Viewer: v, Content: template.HTML(b.String())})
}

// reportPeriod reads a period as `jifen report --period` does: a month,
// quarter or year (400 otherwise) that has begun (404 otherwise). The
// status is 200 when p is fine; msg says what is wrong in the console's
// language.
func (s *Server) reportPeriod(key string) (p jifen.Period, status int, msg string) {
	p, err := jifen.ParsePeriod(key, s.st.Location())
	if err != nil {
		return p, http.StatusBadRequest, s.t("err.report_period", key)
	}
	var je *jifen.Error
	if err := report.CheckPeriod(p, s.st.Now()); errors.As(err, &je) {
		status = http.StatusBadRequest
		if p.Kind == jifen.Month || p.Kind == jifen.Quarter || p.Kind == jifen.Year {
			status = http.StatusNotFound // a period that has not begun yet
		}
		return p, status, s.t(je.Key, je.Args...)
	}
	return p, http.StatusOK, ""
}

// summary analyses the period in the request's path, or answers with the
// error page and returns nil.
func (s *Server) summary(w http.ResponseWriter, r *http.Request, v *Viewer) (*report.Summary, jifen.Period) {
	p, status, msg := s.reportPeriod(r.PathValue("period"))
	if status != http.StatusOK {
		s.renderReports(w, status, v, r.PathValue("period"), msg)
		return nil, p
	}
	// The analysis and the read fail alike: the page says the report
	// could not be produced.
	var sum *report.Summary
	if !s.read(w, r, v, s.t("admin.reports_title"), "admin.reports.failed", func(rd store.Reader) (err error) {
		sum, err = report.AnalyzeSource(rd, p, s.cfg.Rules, s.t)
		return err
	}) {
		return nil, p
	}
	return sum, p
}

// reportPage is the period's report read in the console: the HTML report
// itself (a whole page with its own styles and no script) with a bar at
// its top linking back to the reports and to the downloads.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	sum, p := s.summary(w, r, v)
	if sum == nil {
		return
	}
	var page, nav bytes.Buffer
	if err := report.HTML(&page, sum, s.t, s.lang); err != nil {
		s.log.Error("report failed", "period", p.Key, "err", err)
		s.render(w, http.StatusInternalServerError, "message", pageData{Title: s.t("admin.reports_title"), Text: s.t("admin.reports.failed"), Viewer: v})
		return
	}
	if err := layout.ExecuteTemplate(&nav, "reportnav", struct {
		Period  string
		Formats []string
		T       func(string, ...any) string
	}{p.Key, report.Formats, s.t}); err != nil {
		s.log.Error("console page failed", "page", "reportnav", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	out := page.Bytes()
	at := len("<body>")
	if i := bytes.Index(out, []byte("<body>")); i >= 0 {
		at += i
	} else {
		at = 0
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(out[:at])
	w.Write(nav.Bytes())
	w.Write(out[at:])
}

// reportDownload sends the period's report as a file in format md, html,
// xlsx or json: the bytes `jifen report --format` writes.
func (s *Server) reportDownload(w http.ResponseWriter, r *http.Request, v *Viewer) {
	format := r.URL.Query().Get("format")
	ctype, ok := reportTypes[format]
	if !ok {
		s.renderReports(w, http.StatusBadRequest, v, r.PathValue("period"), s.t("admin.reports.bad_format", format))
		return
	}
	sum, p := s.summary(w, r, v)
	if sum == nil {
		return
	}
	var b bytes.Buffer
	if err := report.Write(&b, sum, format, s.t, s.lang); err != nil {
		s.log.Error("report failed", "period", p.Key, "format", format, "err", err)
		s.render(w, http.StatusInternalServerError, "message", pageData{Title: s.t("admin.reports_title"), Text: s.t("admin.reports.failed"), Viewer: v})
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "jifen-report-" + p.Key + "." + format}))
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}
