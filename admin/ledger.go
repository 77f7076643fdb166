package admin

// The ledger: entries searched by member, department, behavior, period and
// kind, newest first a page at a time; each entry's history (the approval
// it was made on, the revoke that reversed it, the redemption it belongs
// to); and the filtered rows exported as CSV or XLSX.
//
// Who sees what: admins every entry; a manager the entries received by
// the members whose figures they may see (their department, under the
// score visibility of chat, see maySee). The department of an entry is
// its receiver's, as the directory has it now. A filter naming a member or
// a department out of the manager's sight is refused (403), and every
// search is narrowed to their sight besides, so no filter can widen it.
//
// Members who left keep their entries and are shown with their last day.
// A forgotten member (jifen member forget) is shown as the store keeps
// them: under their pseudonym, by the id the ledger keeps, and with the
// reasons of their entries cleared; a search by their old name finds no
// one.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/importer"
	"jifen/store"
)

// ledgerRoutes registers the pages.
func (s *Server) ledgerRoutes() {
	s.page("GET /admin/ledger", jifen.RoleManager, s.ledgerPage)
	s.page("GET /admin/ledger/export", jifen.RoleManager, s.ledgerExport)
	s.page("GET /admin/ledger/{id}", jifen.RoleManager, s.ledgerEntry)
}

// ledgerPageSize is how many entries a page of the ledger shows.
const ledgerPageSize = 100

// ledgerFilter is a search of the ledger: the form as typed, and what it
// was read as.
type ledgerFilter struct {
	Member, Department, Behavior, Period, Kind string // as typed, trimmed

	member   *jifen.Member
	dept     string // a department of the directory
	behavior string // a behavior id, or "reward:" and a reward id
	period   *jifen.Period
	kind     jifen.EntryKind
}

// clip shortens what someone typed for a message that quotes it.
func clip(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

// seesAll reports whether v sees every entry (an admin).
func (v *Viewer) seesAll() bool { return v.Member.Role == jifen.RoleAdmin }

// ledgerScope is the members whose entries v may see, by id; nil for
// everyone.
func (s *Server) ledgerScope(rd store.Reader, v *Viewer) map[string]bool {
	if v.seesAll() {
		return nil
	}
	out := map[string]bool{}
	for _, m := range rd.Members() {
		if s.maySee(v, m) {
			out[m.ID] = true
		}
	}
	return out
}

// readLedgerFilter reads the filter of a request. The status is 200 when
// it is fine; else msg says what is wrong (400: not a member, department,
// behavior, period or kind there is; 403: one out of v's sight).
func (s *Server) readLedgerFilter(rd store.Reader, v *Viewer, q url.Values, scope map[string]bool) (f ledgerFilter, status int, msg string) {
	f = ledgerFilter{Member: strings.TrimSpace(q.Get("member")), Department: strings.TrimSpace(q.Get("department")),
		Behavior: strings.TrimSpace(q.Get("behavior")), Period: strings.TrimSpace(q.Get("period")), Kind: strings.TrimSpace(q.Get("kind"))}
	if f.Member != "" {
		m, ok := rd.Member(f.Member)
		if !ok {
			switch ms := rd.MembersByName(f.Member); len(ms) {
			case 0:
				return f, http.StatusBadRequest, s.t("admin.ledger.unknown_member", clip(f.Member))
			case 1:
				m = ms[0]
			default:
				return f, http.StatusBadRequest, s.t("admin.ledger.ambiguous_member", clip(f.Member))
			}
		}
		f.member = &m
		if scope != nil && !scope[m.ID] {
			return f, http.StatusForbidden, s.t("admin.ledger.out_of_scope")
		}
	}
	if f.Department != "" {
		known := false
		for _, m := range rd.Members() {
			known = known || m.Department == f.Department
		}
		if !known {
			return f, http.StatusBadRequest, s.t("admin.ledger.unknown_department", clip(f.Department))
		}
		f.dept = f.Department
		if scope != nil && f.Department != v.Member.Department {
			return f, http.StatusForbidden, s.t("admin.ledger.out_of_scope")
		}
	}
	if f.Behavior != "" {
		id, ok := s.behaviorID(f.Behavior)
		if !ok {
			return f, http.StatusBadRequest, s.t("admin.ledger.unknown_behavior", clip(f.Behavior))
		}
		f.behavior = id
	}
	if f.Period != "" {
		p, err := jifen.ParsePeriod(f.Period, rd.Location())
		if err != nil {
			return f, http.StatusBadRequest, s.t("admin.ledger.bad_period", clip(f.Period))
		}
		if p.Kind != jifen.AllTime {
			f.period = &p
		}
	}
	if f.Kind != "" {
		k := jifen.EntryKind(f.Kind)
		if !k.Valid() {
			return f, http.StatusBadRequest, s.t("admin.ledger.bad_kind", clip(f.Kind))
		}
		f.kind = k
	}
	return f, http.StatusOK, ""
}

// behaviorID reads a behavior of the catalog (id or name) or a reward of
// the shop (id or name, or reward:id) as the ledger names it.
func (s *Server) behaviorID(typed string) (string, bool) {
	cat := s.catalog()
	for _, b := range cat.Behaviors {
		if strings.EqualFold(b.ID, typed) || strings.EqualFold(b.Name, typed) {
			return b.ID, true
		}
	}
	if r := cat.Reward(strings.TrimPrefix(typed, "reward:")); r != nil {
		return store.RewardBehavior(r.ID), true
	}
	return "", false
}

// search turns the filter into the store's: the receivers to read (the
// viewer's scope and the department's members) and the test of each entry.
func (s *Server) search(rd store.Reader, f ledgerFilter, scope map[string]bool) store.LedgerFilter {
	var sf store.LedgerFilter
	if scope != nil || f.dept != "" {
		sf.Receivers = []string{}
		for _, m := range rd.Members() {
			if (scope == nil || scope[m.ID]) && (f.dept == "" || m.Department == f.dept) {
				sf.Receivers = append(sf.Receivers, m.ID)
			}
		}
	}
	if f.member == nil && f.behavior == "" && f.period == nil && f.kind == "" {
		return sf
	}
	sf.Keep = func(e *jifen.Entry) bool {
		return (f.member == nil || e.Receiver == f.member.ID || e.Giver == f.member.ID) &&
			(f.behavior == "" || e.Behavior == f.behavior) &&
			(f.period == nil || f.period.Contains(e.Effective)) &&
			(f.kind == "" || e.Kind == f.kind)
	}
	return sf
}

// values is the filter as a query, for links (page, export).
func (f ledgerFilter) values() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"member", f.Member}, {"department", f.Department}, {"behavior", f.Behavior}, {"period", f.Period}, {"kind", f.Kind}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	return q
}

// summary names the filter for the audit trail: only values read from the
// directory, the catalog or a fixed set (a member by id), never the text
// as typed.
func (f ledgerFilter) summary() string {
	var parts []string
	if f.member != nil {
		parts = append(parts, "member="+f.member.ID)
	}
	if f.dept != "" {
		parts = append(parts, "department="+f.dept)
	}
	if f.behavior != "" {
		parts = append(parts, "behavior="+f.behavior)
	}
	if f.period != nil {
		parts = append(parts, "period="+f.period.Key)
	}
	if f.kind != "" {
		parts = append(parts, "kind="+string(f.kind))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

type ledgerLink struct{ Href, Text string }

type ledgerRow struct {
	ID                     uint64
	Time, Recorded         string // Recorded: when it was recorded on another day than it counts
	Giver, Receiver        string
	Points                 int64
	Behavior, Reason, Kind string
	Status                 []ledgerLink // Href empty: text only
}

type option struct {
	Value, Text string
	Selected    bool
}

type optionGroup struct {
	Label   string
	Options []option
}

type ledgerView struct {
	Filter      ledgerFilter
	Departments []option
	Behaviors   []optionGroup
	Kinds       []option
	Scope       string // a manager's scope, said above the form
	Searched    bool   // the filter was read: the results follow
	Total       int
	Rows        []ledgerRow
	Older       string
	Newest      string
	CSV, XLSX   string
	T           func(string, ...any) string
}

// ledgerPage is the search form and a page of its results, read in one
// Read.
func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	var (
		view   ledgerView
		status int
		msg    string
	)
	if !s.read(w, r, v, s.t("admin.ledger_title"), "admin.ledger.failed", func(rd store.Reader) error {
		view, status, msg = s.ledgerResults(rd, v, r.URL.Query())
		return nil
	}) {
		return
	}
	s.content(w, status, v, s.t("admin.ledger_title"), msg, "ledger", view)
}

// ledgerResults is the form filled as q asks and the page of results q
// selects, with the page's status and message.
func (s *Server) ledgerResults(rd store.Reader, v *Viewer, q url.Values) (view ledgerView, status int, msg string) {
	scope := s.ledgerScope(rd, v)
	f, status, msg := s.readLedgerFilter(rd, v, q, scope)
	view = s.ledgerForm(rd, v, f)
	var before uint64
	if b := q.Get("before"); b != "" && status == http.StatusOK {
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil || n == 0 {
			status, msg = http.StatusBadRequest, s.t("admin.ledger.bad_page", clip(b))
		}
		before = n
	}
	if status != http.StatusOK {
		return view, status, msg
	}
	ids, err := rd.LedgerIDs(s.search(rd, f, scope))
	if err != nil {
		s.log.Error("ledger search failed", "err", err)
		return view, http.StatusInternalServerError, s.t("admin.ledger.failed")
	}
	view.Searched, view.Total = true, len(ids)
	base := f.values()
	view.CSV, view.XLSX = ledgerLinkTo("/admin/ledger/export", base, "format", "csv"), ledgerLinkTo("/admin/ledger/export", base, "format", "xlsx")
	page := ids
	if before > 0 {
		// ids are newest first: the page starts at the first below before.
		page = ids[sort.Search(len(ids), func(i int) bool { return ids[i] < before }):]
		view.Newest = ledgerLinkTo("/admin/ledger", base, "", "")
	}
	if len(page) > ledgerPageSize {
		page = page[:ledgerPageSize]
		view.Older = ledgerLinkTo("/admin/ledger", base, "before", strconv.FormatUint(page[len(page)-1], 10))
	}
	err = rd.LedgerRows(page, func(lr *store.LedgerRow) error {
		view.Rows = append(view.Rows, s.ledgerRow(rd, lr))
		return nil
	})
	if err != nil {
		s.log.Error("ledger rows failed", "err", err)
		return view, http.StatusInternalServerError, s.t("admin.ledger.failed")
	}
	return view, http.StatusOK, ""
}

// ledgerLinkTo is path with the query base and, if key is set, key=value.
func ledgerLinkTo(path string, base url.Values, key, value string) string {
	q := url.Values{}
	for k, vs := range base {
		q[k] = vs
	}
	if key != "" {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// ledgerForm is the form's choices for v, with f selected.
func (s *Server) ledgerForm(rd store.Reader, v *Viewer, f ledgerFilter) ledgerView {
	view := ledgerView{Filter: f, T: s.t}
	if v.seesAll() {
		seen := map[string]bool{}
		for _, m := range rd.Members() {
			if m.Department != "" && !seen[m.Department] {
				seen[m.Department] = true
				view.Departments = append(view.Departments, option{Value: m.Department, Text: m.Department, Selected: m.Department == f.Department})
			}
		}
		slices.SortFunc(view.Departments, func(a, b option) int { return strings.Compare(a.Value, b.Value) })
	} else {
		view.Scope = s.t("admin.ledger.scope_self")
		if d := v.Member.Department; d != "" {
			view.Scope = s.t("admin.ledger.scope_department", d)
			view.Departments = []option{{Value: d, Text: d, Selected: d == f.Department}}
		}
	}
	cat := s.catalog()
	for _, c := range cat.Categories {
		g := optionGroup{Label: c.Name}
		for _, b := range cat.Behaviors {
			if b.Category == c.ID {
				g.Options = append(g.Options, option{Value: b.ID, Text: b.Name, Selected: f.behavior == b.ID})
			}
		}
		view.Behaviors = append(view.Behaviors, g)
	}
	if len(cat.Rewards) > 0 {
		g := optionGroup{Label: s.t("admin.ledger.rewards")}
		for _, rw := range cat.Rewards {
			id := store.RewardBehavior(rw.ID)
			g.Options = append(g.Options, option{Value: id, Text: rw.Name, Selected: f.behavior == id})
		}
		view.Behaviors = append(view.Behaviors, g)
	}
	for _, k := range []jifen.EntryKind{jifen.KindAward, jifen.KindDeduct, jifen.KindThanks, jifen.KindRevoke, jifen.KindAdjust, jifen.KindImport, jifen.KindRedeem} {
		view.Kinds = append(view.Kinds, option{Value: string(k), Text: s.t("kind." + string(k)), Selected: f.kind == k})
	}
	return view
}

// memberLabel names a member in the ledger: name and id, and the last day
// of one who left; the id alone for one the directory does not hold; a
// dash for no one (a system entry).
func (s *Server) memberLabel(rd store.Reader, id string) string {
	if id == "" {
		return "—"
	}
	m, ok := rd.Member(id)
	if !ok {
		return id
	}
	label := m.Name + " (" + m.ID + ")"
	if !m.Left.IsZero() {
		label = s.t("admin.ledger.left", label, m.Left.Format(time.DateOnly))
	}
	return label
}

// memberName is a member's name, or "" when the directory does not hold
// them.
func memberName(rd store.Reader, id string) string {
	if m, ok := rd.Member(id); ok {
		return m.Name
	}
	return ""
}

// behaviorName is the catalog's name of a behavior or a reward; the id
// itself when the catalog no longer has it.
func (s *Server) behaviorName(id string) string {
	cat := s.catalog()
	if b := cat.Behavior(id); b != nil {
		return b.Name
	}
	if item, ok := strings.CutPrefix(id, "reward:"); ok {
		if rw := cat.Reward(item); rw != nil {
			return s.t("admin.ledger.reward", rw.Name)
		}
	}
	return id
}

// categoryName is the catalog's name of a category, or its id.
func (s *Server) categoryName(id string) string {
	if c := s.catalog().Category(id); c != nil {
		return c.Name
	}
	return id
}

// ledgerRow is a row of the results table.
func (s *Server) ledgerRow(rd store.Reader, lr *store.LedgerRow) ledgerRow {
	e := &lr.Entry
	loc := rd.Location()
	row := ledgerRow{ID: e.ID, Time: e.Effective.In(loc).Format("2006-01-02 15:04"), Giver: s.memberLabel(rd, e.Giver),
		Receiver: s.memberLabel(rd, e.Receiver), Points: e.Points, Behavior: s.behaviorName(e.Behavior), Reason: e.Reason,
		Kind: s.t("kind." + string(e.Kind))}
	if e.At.In(loc).Format(time.DateOnly) != e.Effective.In(loc).Format(time.DateOnly) {
		row.Recorded = s.t("admin.ledger.recorded", e.At.In(loc).Format("2006-01-02 15:04"))
	}
	row.Status = s.entryStatus(rd, lr)
	return row
}

// entryStatus is what became of an entry, in short: the revoke that
// reversed it, the entry it reverses, the approval it was made on, the
// redemption it belongs to.
func (s *Server) entryStatus(rd store.Reader, lr *store.LedgerRow) []ledgerLink {
	var out []ledgerLink
	e := &lr.Entry
	if lr.ReversedBy != 0 {
		out = append(out, ledgerLink{entryHref(lr.ReversedBy), s.t("admin.ledger.revoked_by", lr.ReversedBy)})
	}
	if e.Kind == jifen.KindRevoke && e.Reverses != 0 {
		out = append(out, ledgerLink{entryHref(e.Reverses), s.t("admin.ledger.reverses", e.Reverses)})
	}
	if e.Approval != 0 {
		if a := lr.Approval; a != nil && a.Status == store.Approved {
			out = append(out, ledgerLink{"", s.t("admin.ledger.approved_by", memberName(rd, a.DecidedBy), a.ID)})
		} else {
			out = append(out, ledgerLink{"", s.t("admin.ledger.approval", e.Approval)})
		}
	}
	if rdm := lr.Redemption; rdm != nil {
		// A refund links to the redeem entry it gives back.
		l := ledgerLink{Text: s.t("admin.ledger.redemption", rdm.ID, s.t("redemption."+string(rdm.Status)))}
		if rdm.Entry != e.ID {
			l.Href = entryHref(rdm.Entry)
		}
		out = append(out, l)
	}
	return out
}

func entryHref(id uint64) string { return "/admin/ledger/" + strconv.FormatUint(id, 10) }

var _ = template.Must(layout.New("ledger").Parse(`<p class="note">{{call .T "admin.ledger.intro"}}{{with .Scope}} {{.}}{{end}}</p>
<form method="get" action="/admin/ledger">
<label>{{call .T "admin.ledger.member"}} <input name="member" value="{{.Filter.Member}}" size="12"></label>
<label>{{call .T "admin.ledger.department"}} <select name="department"><option value="">{{call .T "admin.ledger.any"}}</option>
{{- range .Departments}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}</select></label>
<label>{{call .T "admin.ledger.behavior"}} <select name="behavior"><option value="">{{call .T "admin.ledger.any"}}</option>
{{- range .Behaviors}}<optgroup label="{{.Label}}">{{range .Options}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}</optgroup>{{end}}</select></label>
<label>{{call .T "admin.ledger.period"}} <input name="period" value="{{.Filter.Period}}" placeholder="2026-Q4" size="8"></label>
<label>{{call .T "admin.ledger.kind"}} <select name="kind"><option value="">{{call .T "admin.ledger.any"}}</option>
{{- range .Kinds}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}</select></label>
<button type="submit">{{call .T "admin.ledger.search"}}</button>
</form>
{{- if .Searched}}
<p>{{call .T "admin.ledger.count" .Total}}{{if .Total}} {{call .T "admin.ledger.export"}} <a href="{{.CSV}}">CSV</a> · <a href="{{.XLSX}}">XLSX</a>{{end}}</p>
{{- if .Rows}}
<div class="scroll"><table>
<tr><th>#</th><th>{{call .T "admin.ledger.col.time"}}</th><th>{{call .T "admin.ledger.col.giver"}}</th><th>{{call .T "admin.ledger.col.receiver"}}</th><th>{{call .T "admin.ledger.col.points"}}</th><th>{{call .T "admin.ledger.col.behavior"}}</th><th>{{call .T "admin.ledger.col.reason"}}</th><th>{{call .T "admin.ledger.col.kind"}}</th><th>{{call .T "admin.ledger.col.status"}}</th></tr>
{{range .Rows}}<tr><td><a href="/admin/ledger/{{.ID}}">{{.ID}}</a></td><td>{{.Time}}{{with .Recorded}}<br><small class="note">{{.}}</small>{{end}}</td><td>{{.Giver}}</td><td>{{.Receiver}}</td><td class="n">{{.Points}}</td><td>{{.Behavior}}</td><td class="text">{{.Reason}}</td><td>{{.Kind}}</td><td>{{range $i, $s := .Status}}{{if $i}}<br>{{end}}{{if $s.Href}}<a href="{{$s.Href}}">{{$s.Text}}</a>{{else}}{{$s.Text}}{{end}}{{end}}</td></tr>
{{end}}</table></div>
{{- end}}
<p>{{with .Newest}}<a href="{{.}}">{{call $.T "admin.ledger.newest"}}</a> {{end}}{{with .Older}}<a href="{{.}}">{{call $.T "admin.ledger.older"}}</a>{{end}}</p>
{{- end}}
`))

// entryView is an entry's page below its record: its history.
type entryView struct {
	History []historyItem
	T       func(string, ...any) string
}

type historyItem struct {
	Text   string
	Link   *ledgerLink
	Detail string // a reason or note, shown quoted
}

var _ = template.Must(layout.New("ledgerentry").Parse(`<h2>{{call .T "admin.ledger.history"}}</h2>
{{if .History}}<ul>{{range .History}}<li>{{.Text}}{{with .Link}} <a href="{{.Href}}">{{.Text}}</a>{{end}}{{with .Detail}} “{{.}}”{{end}}</li>
{{end}}</ul>{{else}}<p>{{call .T "admin.ledger.h.none"}}</p>{{end}}
<p><a href="/admin/ledger">{{call .T "admin.ledger.back"}}</a></p>
`))

// ledgerEntry is one entry's page: its record and its history. A manager
// opens only the entries of members in their sight.
func (s *Server) ledgerEntry(w http.ResponseWriter, r *http.Request, v *Viewer) {
	title := s.t("admin.ledger_title")
	raw := r.PathValue("id")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		s.render(w, http.StatusBadRequest, "message", pageData{Title: title, Text: s.t("admin.ledger.bad_id", clip(raw)), Viewer: v})
		return
	}
	var (
		status int
		d      pageData
		view   *entryView
	)
	if !s.read(w, r, v, title, "admin.ledger.failed", func(rd store.Reader) error {
		status, d, view = s.entryPage(rd, v, id)
		return nil
	}) {
		return
	}
	d.Viewer = v
	if view == nil {
		s.render(w, status, "message", d)
		return
	}
	var b bytes.Buffer
	if err := layout.ExecuteTemplate(&b, "ledgerentry", view); err != nil {
		s.log.Error("console page failed", "page", "ledgerentry", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	d.Content = template.HTML(b.String())
	s.render(w, status, "message", d)
}

// entryPage is entry id's page for v: its status, the page's title, text
// and record, and its history (nil when the page is a message).
func (s *Server) entryPage(rd store.Reader, v *Viewer, id uint64) (int, pageData, *entryView) {
	title := s.t("admin.ledger_title")
	var lr *store.LedgerRow
	if err := rd.LedgerRows([]uint64{id}, func(x *store.LedgerRow) error { lr = x; return nil }); err != nil {
		s.log.Error("ledger entry failed", "entry", id, "err", err)
		return http.StatusInternalServerError, pageData{Title: title, Text: s.t("admin.ledger.failed")}, nil
	}
	if lr == nil {
		return http.StatusNotFound, pageData{Title: title, Text: s.t("admin.ledger.not_found", id)}, nil
	}
	e := &lr.Entry
	if scope := s.ledgerScope(rd, v); scope != nil && !scope[e.Receiver] {
		return http.StatusForbidden, pageData{Title: s.t("admin.forbidden_title"), Text: s.t("admin.ledger.out_of_scope")}, nil
	}
	loc := rd.Location()
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	dept := ""
	if m, ok := rd.Member(e.Receiver); ok {
		dept = m.Department
	}
	rows := [][2]string{
		{s.t("admin.ledger.f.kind"), s.t("kind." + string(e.Kind))},
		{s.t("admin.ledger.f.time"), at(e.Effective)},
		{s.t("admin.ledger.f.recorded"), at(e.At)},
		{s.t("admin.ledger.f.receiver"), s.memberLabel(rd, e.Receiver)},
		{s.t("admin.ledger.f.department"), dept},
		{s.t("admin.ledger.f.giver"), s.memberLabel(rd, e.Giver)},
		{s.t("admin.ledger.f.points"), strconv.FormatInt(e.Points, 10)},
	}
	if e.Quantity != 0 {
		rows = append(rows, [2]string{s.t("admin.ledger.f.quantity"), strconv.FormatInt(e.Quantity, 10)})
	}
	rows = append(rows,
		[2]string{s.t("admin.ledger.f.category"), s.categoryName(e.Category)},
		[2]string{s.t("admin.ledger.f.behavior"), s.behaviorName(e.Behavior)},
		[2]string{s.t("admin.ledger.f.reason"), e.Reason},
		[2]string{s.t("admin.ledger.f.rule_version"), strconv.Itoa(e.RuleVersion)},
		[2]string{s.t("admin.ledger.f.source"), e.Source})

	view := entryView{T: s.t}
	add := func(text string, link *ledgerLink, detail string) {
		view.History = append(view.History, historyItem{Text: text, Link: link, Detail: detail})
	}
	if e.Approval != 0 {
		if a := lr.Approval; a != nil {
			add(s.t("admin.ledger.h.requested", s.memberLabel(rd, a.Giver), at(a.CreatedAt), a.ID), nil, "")
			if a.Status == store.Approved {
				add(s.t("admin.ledger.h.approved", s.memberLabel(rd, a.DecidedBy), at(a.DecidedAt)), nil, "")
			}
		} else {
			add(s.t("admin.ledger.h.approval_missing", e.Approval), nil, "")
		}
	}
	if e.Kind == jifen.KindRevoke && e.Reverses != 0 {
		add(s.t("admin.ledger.h.reverses"), &ledgerLink{entryHref(e.Reverses), "#" + strconv.FormatUint(e.Reverses, 10)}, "")
	}
	if lr.ReversedBy != 0 {
		if rv, _, ok := rd.Entry(lr.ReversedBy); ok {
			add(s.t("admin.ledger.h.revoked", s.memberLabel(rd, rv.Giver), at(rv.At)), &ledgerLink{entryHref(rv.ID), "#" + strconv.FormatUint(rv.ID, 10)}, rv.Reason)
		}
	}
	if rdm := lr.Redemption; rdm != nil {
		item := rdm.Item
		if rw := s.catalog().Reward(rdm.Item); rw != nil {
			item = rw.Name
		}
		add(s.t("admin.ledger.h.redemption", rdm.ID, item, rdm.Quantity, rdm.Points, at(rdm.CreatedAt), s.t("redemption."+string(rdm.Status))),
			&ledgerLink{entryHref(rdm.Entry), "#" + strconv.FormatUint(rdm.Entry, 10)}, "")
		if rdm.DecidedBy != "" {
			add(s.t("admin.ledger.h.decided", s.memberLabel(rd, rdm.DecidedBy), at(rdm.DecidedAt)), nil, rdm.Note)
		}
		if rdm.FulfilledBy != "" {
			add(s.t("admin.ledger.h.fulfilled", s.memberLabel(rd, rdm.FulfilledBy), at(rdm.FulfilledAt)), nil, "")
		}
		if rdm.CancelledBy != "" {
			add(s.t("admin.ledger.h.cancelled", s.memberLabel(rd, rdm.CancelledBy), at(rdm.CancelledAt)), nil, rdm.Note)
		}
		if rdm.Refund != 0 {
			add(s.t("admin.ledger.h.refund"), &ledgerLink{entryHref(rdm.Refund), "#" + strconv.FormatUint(rdm.Refund, 10)}, "")
		}
	}
	return http.StatusOK, pageData{Title: s.t("admin.ledger.entry_title", e.ID), Rows: rows}, &view
}

// ledgerColumns are the export's columns: those of `jifen export ledger`
// (which `jifen import points` reads back), then what became of each
// entry.
var ledgerColumns = []string{"id", "time", "recorded", "kind", "receiver", "receiver_name", "department", "points", "quantity",
	"category", "behavior", "giver", "giver_name", "reason", "rule_version", "reverses", "approval", "source",
	"reversed_by", "approved_by", "redemption"}

// ledgerExportTypes are the exports' content types.
var ledgerExportTypes = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// ledgerExport sends every entry the filter selects (not a page), oldest
// first, as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese;
// text cells that a spreadsheet would run as a formula start with an
// apostrophe) or XLSX (text cells are strings, never formulas). Each
// export is recorded in the audit trail, with the filter but no text
// anyone typed; one the audit trail cannot record is not sent.
func (s *Server) ledgerExport(w http.ResponseWriter, r *http.Request, v *Viewer) {
	q := r.URL.Query()
	format := q.Get("format")
	var (
		f      ledgerFilter
		status int
		msg    string
		view   ledgerView
		b      bytes.Buffer
		rows   int
		err    error
	)
	// The file is made in the read; the audit record is written after it,
	// and only when the read succeeded.
	if !s.read(w, r, v, s.t("admin.ledger_title"), "admin.ledger.failed", func(rd store.Reader) error {
		scope := s.ledgerScope(rd, v)
		f, status, msg = s.readLedgerFilter(rd, v, q, scope)
		view = s.ledgerForm(rd, v, f)
		if _, ok := ledgerExportTypes[format]; !ok && status == http.StatusOK {
			status, msg = http.StatusBadRequest, s.t("admin.ledger.bad_format", clip(format))
		}
		if status != http.StatusOK {
			return nil
		}
		var ids []uint64
		if ids, err = rd.LedgerIDs(s.search(rd, f, scope)); err != nil {
			return nil
		}
		slices.Reverse(ids) // oldest first, as `jifen export`
		rows = len(ids)
		if format == "csv" {
			err = s.ledgerCSV(rd, &b, ids)
		} else {
			err = s.ledgerXLSX(rd, &b, ids)
		}
		return nil
	}) {
		return
	}
	if status != http.StatusOK {
		if status == http.StatusForbidden {
			if _, ok := ledgerExportTypes[format]; !ok {
				format = "-" // typed, not one of ours: not for the trail
			}
			s.record(r.Context(), store.AuditRecord{Actor: v.Member.ID, Action: "ledger.export", Object: format + " " + f.summary(), Outcome: "refused", Via: v.Platform})
		}
		s.content(w, status, v, s.t("admin.ledger_title"), msg, "ledger", view)
		return
	}
	if err == nil {
		rec := store.AuditRecord{Actor: v.Member.ID, Action: "ledger.export", Via: v.Platform,
			Object: fmt.Sprintf("%s %s (%d rows)", format, f.summary(), rows)}
		if err = s.st.Audit(context.WithoutCancel(r.Context()), rec); err == nil {
			name := "jifen-ledger-" + s.st.Now().In(s.st.Location()).Format("20060102")
			if f.period != nil {
				name = "jifen-ledger-" + f.period.Key
			}
			h := w.Header()
			h.Set("Content-Type", ledgerExportTypes[format])
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + format}))
			w.WriteHeader(http.StatusOK)
			w.Write(b.Bytes())
			return
		}
	}
	s.log.Error("ledger export failed", "format", format, "err", err)
	s.content(w, http.StatusInternalServerError, v, s.t("admin.ledger_title"), s.t("admin.ledger.failed"), "ledger", view)
}

// exportRow is an entry's cells in ledgerColumns' order: numbers as
// int64 (nil when there is none), text as strings.
func (s *Server) exportRow(rd store.Reader, lr *store.LedgerRow) []any {
	e := &lr.Entry
	loc := rd.Location()
	id := func(n uint64) any {
		if n == 0 {
			return nil
		}
		return int64(n)
	}
	dept := ""
	if m, ok := rd.Member(e.Receiver); ok {
		dept = m.Department
	}
	var qty any
	if e.Quantity != 0 {
		qty = e.Quantity
	}
	approvedBy := ""
	if a := lr.Approval; a != nil && a.Status == store.Approved {
		approvedBy = a.DecidedBy
	}
	var redemption any
	if lr.Redemption != nil {
		redemption = "R" + strconv.FormatUint(lr.Redemption.ID, 10)
	}
	return []any{int64(e.ID), e.Effective.In(loc).Truncate(time.Second), e.At.In(loc).Truncate(time.Second), string(e.Kind),
		e.Receiver, memberName(rd, e.Receiver), dept, e.Points, qty, s.categoryName(e.Category), s.behaviorName(e.Behavior),
		e.Giver, memberName(rd, e.Giver), e.Reason, int64(e.RuleVersion), id(e.Reverses), id(e.Approval), e.Source,
		id(lr.ReversedBy), approvedBy, redemption}
}

// ledgerCSV writes the entries ids as CSV.
func (s *Server) ledgerCSV(rd store.Reader, b *bytes.Buffer, ids []uint64) error {
	b.WriteString("\ufeff")
	cw := csv.NewWriter(b)
	if err := cw.Write(ledgerColumns); err != nil {
		return err
	}
	rec := make([]string, len(ledgerColumns))
	err := rd.LedgerRows(ids, func(lr *store.LedgerRow) error {
		for i, c := range s.exportRow(rd, lr) {
			switch c := c.(type) {
			case nil:
				rec[i] = ""
			case string:
				// Names and reasons come from people: none may run as a
				// formula in the spreadsheet that opens the file.
				rec[i] = importer.CSVCell(c)
			case int64:
				rec[i] = strconv.FormatInt(c, 10)
			case time.Time:
				rec[i] = c.Format(time.DateTime)
			default:
				rec[i] = fmt.Sprint(c)
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ledgerXLSX writes the entries ids as a sheet named as `jifen export
// ledger` names it, its header in the console's language, numbers as
// numbers and times as date-times.
func (s *Server) ledgerXLSX(rd store.Reader, b *bytes.Buffer, ids []uint64) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := s.t("xlsx.sheet.ledger")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(ledgerColumns), len(ids)+1)
	if err := f.SetSheetDimension(sheet, "A1:"+last); err != nil {
		return err
	}
	format := "yyyy-mm-dd hh:mm:ss"
	dateTime, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	// The streamed sheet keeps the worksheet whose autofilter Flush
	// writes after the rows.
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return err
	}
	header := make([]any, len(ledgerColumns))
	for i, c := range ledgerColumns {
		header[i] = s.t("xlsx.ledger." + c)
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	n := 1
	err = rd.LedgerRows(ids, func(lr *store.LedgerRow) error {
		n++
		row := s.exportRow(rd, lr)
		for i, c := range row {
			if t, ok := c.(time.Time); ok {
				row[i] = excelize.Cell{StyleID: dateTime, Value: t}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, row)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(b)
}
