package admin

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"jifen"
	"jifen/locale"
	"jifen/store"
)

// pageData is what the page layout shows.
type pageData struct {
	Lang   string
	Title  string
	Text   string
	Links  []link
	Nav    []link // the console's pages the viewer may open (render fills it)
	Viewer *Viewer
	Rows   [][2]string // a two-column table (label, value)
	T      func(string, ...any) string

	// Content is the page's own part, rendered by its named template
	// (html/template escaped it there); it follows the links.
	Content template.HTML
	// Overview is the overview page's content (template "overview").
	Overview *overviewData
}

type link struct{ Href, Text string }

// layout is every console page: a header with who is signed in and the
// sign-out form, then the page's content. Inline styles only: the CSP
// allows no external asset and no script.
var layout = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · jifen</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:center;justify-content:space-between;padding:.75em 1em;background:#fff;border-bottom:1px solid #d0d7de}
main{max-width:60em;margin:1.5em auto;padding:0 1em}
h1{font-size:1.4em}
h2{font-size:1.15em;margin-top:1.5em}
.scroll{overflow-x:auto}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#59636e}
a.button,button{display:inline-block;padding:.5em 1em;border:1px solid #d0d7de;border-radius:6px;background:#fff;color:#1f2328;text-decoration:none;font:inherit;cursor:pointer}
ul.links{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.75em}
table{border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.4em .8em;border:1px solid #d0d7de;word-break:keep-all;overflow-wrap:break-word}
td.text{word-break:normal;min-width:10em}
form{display:inline}
</style></head>
<body>
<header><strong>jifen</strong>
{{- with .Nav}}
<nav class="links">{{range $i, $l := .}}{{if $i}} · {{end}}<a href="{{$l.Href}}">{{$l.Text}}</a>{{end}}</nav>{{end}}
{{- with .Viewer}}
<span>{{call $.T "admin.signed_in_as" .Member.Name (call $.T (print "admin.role." .Member.Role))}}
<form method="post" action="/admin/logout"><button type="submit">{{call $.T "admin.logout"}}</button></form></span>
{{- end}}
</header>
<main>
<h1>{{.Title}}</h1>
{{with .Text}}<p>{{.}}</p>{{end}}
{{with .Rows}}<table>{{range .}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>{{end}}
{{with .Links}}<ul class="links">{{range .}}<li><a class="button" href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>{{end}}
{{.Content}}
</main>
</body></html>
`))

// render writes a page with status. The page is rendered in full before
// anything is sent, so a template error is a clean 500.
func (s *Server) render(w http.ResponseWriter, status int, name string, d pageData) {
	d.Lang = s.lang
	if d.Viewer != nil && d.Nav == nil {
		d.Nav = s.nav(d.Viewer)
	}
	if d.T == nil {
		d.T = func(k string, args ...any) string { return locale.T(s.lang, k, args...) }
	}
	var b bytes.Buffer
	if err := layout.ExecuteTemplate(&b, name, d); err != nil {
		s.log.Error("console page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// navPages are the console's sections, in the header's order, each with
// the least role that may open it.
var navPages = []struct {
	href, key string
	min       jifen.Role
}{
	{"/admin/", "admin.overview_title", jifen.RoleManager},
	{"/admin/reports", "admin.reports_title", jifen.RoleAdmin},
	{"/admin/imports", "admin.imports_title", jifen.RoleAdmin},
	{"/admin/rules", "admin.rules_title", jifen.RoleAdmin},
	{"/admin/decisions", "admin.decisions_title", jifen.RoleAdmin},
	{"/admin/ledger", "admin.ledger_title", jifen.RoleManager},
	{"/admin/members", "admin.members_title", jifen.RoleManager},
	{"/admin/surveys", "admin.surveys_title", jifen.RoleAdmin},
	{"/admin/audit", "admin.audit_title", jifen.RoleAdmin},
}

// nav is the header's links for v: the sections v may open. An employee,
// who has one page, gets none.
func (s *Server) nav(v *Viewer) []link {
	var out []link
	for _, p := range navPages {
		if rank(v.Member.Role) >= rank(p.min) {
			out = append(out, link{Href: p.href, Text: s.t(p.key)})
		}
	}
	return out
}

// sectionTitle is the title of the console's section path is in.
func (s *Server) sectionTitle(path string) string {
	key := "admin.overview_title"
	for _, p := range navPages[1:] {
		if path == p.href || strings.HasPrefix(path, p.href+"/") {
			key = p.key
		}
	}
	return s.t(key)
}

// content renders a page whose own part is the template name executed
// with data (its T field, if any, set by the caller), in the layout under
// title, with text (a message, such as an error) above it.
func (s *Server) content(w http.ResponseWriter, status int, v *Viewer, title, text, name string, data any) {
	var b bytes.Buffer
	if err := layout.ExecuteTemplate(&b, name, data); err != nil {
		s.log.Error("console page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.render(w, status, "message", pageData{Title: title, Text: text, Viewer: v, Content: template.HTML(b.String())})
}

// overview is the console's first page: who is signed in, with which role
// and what they may see, then the figures they may see (overview.go).
func (s *Server) overview(w http.ResponseWriter, r *http.Request, v *Viewer) {
	m := v.Member
	scope := s.t("admin.scope.self")
	switch m.Role {
	case jifen.RoleAdmin:
		scope = s.t("admin.scope.all")
	case jifen.RoleManager:
		scope = s.t("admin.scope.department", m.Department)
	}
	var ov *overviewData
	if !s.read(w, r, v, s.t("admin.overview_title"), "admin.ov.failed", func(rd store.Reader) error {
		ov = s.buildOverview(rd, v)
		if m.Role == jifen.RoleEmployee && s.bot != nil {
			// Chat's personal report, from the same read.
			ov.Personal = s.personalReport(rd, m, ov.month)
		}
		return nil
	}) {
		return
	}
	d := pageData{Title: s.t("admin.overview_title"), Viewer: v, Overview: ov, Rows: [][2]string{
		{s.t("admin.field.member"), m.Name},
		{s.t("admin.field.role"), s.t("admin.role." + string(m.Role))},
		{s.t("admin.field.department"), m.Department},
		{s.t("admin.field.scope"), scope},
		{s.t("admin.field.signed_in_with"), s.t("admin.platform." + v.Platform)},
	}}
	// The overview's own part goes into the layout's content.
	d.T = s.t
	var b bytes.Buffer
	if err := layout.ExecuteTemplate(&b, "overview", d); err != nil {
		s.log.Error("console page failed", "page", "overview", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	d.Content = template.HTML(b.String())
	s.render(w, http.StatusOK, "message", d)
}

// read runs fn in one read of the store, so that a page shows one
// consistent picture (one snapshot on a store that keeps them). When the
// read fails, the page answers 500 under title with the message of key,
// and read reports false: nothing fn read is shown or acted upon.
func (s *Server) read(w http.ResponseWriter, r *http.Request, v *Viewer, title, key string, fn func(store.Reader) error) bool {
	err := s.st.Read(r.Context(), fn)
	if err != nil {
		s.readFailed(w, r, v, title, key, err)
	}
	return err == nil
}

// readFailed answers a request whose read of the store failed: 500, under
// title, with the message of key.
func (s *Server) readFailed(w http.ResponseWriter, r *http.Request, v *Viewer, title, key string, err error) {
	s.log.Error("console read failed", "path", r.URL.Path, "err", err)
	s.render(w, http.StatusInternalServerError, "message", pageData{Title: title, Text: s.t(key), Viewer: v})
}
