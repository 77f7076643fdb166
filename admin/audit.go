package admin

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/store"
)

// The audit trail: every action taken in the console is recorded with who
// took it and when (store.AuditRecord), and admins read it here.
//
// An action that writes to the ledger records itself in the same
// transaction (auditContext, store.WithAudit); one that writes nothing
// else (a sign-in) is recorded on its own (record).

// auditContext returns ctx carrying the audit record of v's action: the
// store writes it with the action's own write, or not at all.
func (s *Server) auditContext(ctx context.Context, v *Viewer, action, object string) context.Context {
	return store.WithAudit(ctx, store.AuditRecord{Actor: v.Member.ID, Action: action, Object: object, Via: v.Platform})
}

// record appends r to the audit trail. A failure is logged: the action
// itself has already happened and is not undone.
func (s *Server) record(ctx context.Context, r store.AuditRecord) {
	if err := s.st.Audit(context.WithoutCancel(ctx), r); err != nil {
		s.log.Error("console audit record failed", "action", r.Action, "err", err)
	}
}

// auditRoutes registers the audit page.
func (s *Server) auditRoutes() {
	s.page("GET /admin/audit", jifen.RoleAdmin, s.auditPage)
}

// auditPageSize is how many records a page of the audit trail shows.
const auditPageSize = 100

type auditRow struct {
	At, Actor, Action, Object, Outcome, Via string
	Refused                                 bool
}

type auditView struct {
	Rows    []auditRow
	Actor   string // the filter as typed
	Action  string
	Actions []string
	Older   string // the link to the next page, "" on the last
	Newest  string // the link back to the first page, "" on it
	T       func(string, ...any) string
}

// auditActions are the actions the filter offers (prefixes: "import"
// selects every import).
var auditActions = []string{"sign_in", "sign_out", "import", "approval", "redemption", "members", "ledger", "forbidden"}

// auditPage lists the records, newest first, a page at a time, filtered
// by member (id or name) and kind of action.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	q := r.URL.Query()
	view := auditView{Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"), Actions: auditActions, T: s.t}
	f := store.AuditFilter{Limit: auditPageSize + 1}
	if view.Action != "" {
		f.Action = view.Action
	}
	if b, err := strconv.ParseUint(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
		view.Newest = auditLink(view.Actor, view.Action, 0)
	}
	known := true
	if !s.read(w, r, v, s.t("admin.audit_title"), "err.internal", func(rd store.Reader) error {
		known = s.auditRows(rd, &view, f)
		return nil
	}) {
		return
	}
	if !known {
		view.Newest = ""
		s.content(w, http.StatusBadRequest, v, s.t("admin.audit_title"), s.t("admin.audit.unknown_actor", view.Actor), "audit", view)
		return
	}
	s.content(w, http.StatusOK, v, s.t("admin.audit_title"), "", "audit", view)
}

// auditRows fills the view with the records f selects, narrowed to the
// actor typed (a member's id or name). It reports false when the actor is
// no member, and then reads no record.
func (s *Server) auditRows(rd store.Reader, view *auditView, f store.AuditFilter) bool {
	if view.Actor != "" {
		m, ok := rd.Member(view.Actor)
		if !ok {
			if ms := rd.MembersByName(view.Actor); len(ms) == 1 {
				m, ok = ms[0], true
			}
		}
		if !ok {
			return false
		}
		f.Actor = m.ID
	}
	recs := rd.AuditLog(f)
	if len(recs) > auditPageSize {
		recs = recs[:auditPageSize]
		view.Older = auditLink(view.Actor, view.Action, recs[len(recs)-1].ID)
	}
	loc := rd.Location()
	for _, rec := range recs {
		row := auditRow{At: rec.At.In(loc).Format(time.DateTime), Actor: rec.Actor, Action: s.actionLabel(rec.Action),
			Object: rec.Object, Outcome: s.t("admin.audit.outcome." + rec.Outcome), Refused: rec.Outcome == "refused"}
		if m, ok := rd.Member(rec.Actor); ok {
			row.Actor = m.Name + " (" + m.ID + ")"
		}
		if rec.Via != "" {
			row.Via = s.t("admin.platform." + rec.Via)
		}
		view.Rows = append(view.Rows, row)
	}
	return true
}

// actionLabel names an action in the console's language: its own text
// when it has one (admin.audit.action.<action>), else its name.
func (s *Server) actionLabel(action string) string {
	key := "admin.audit.action." + action
	if t := s.t(key); t != key {
		return t
	}
	return action
}

// auditLink is the audit page with a filter and a page.
func auditLink(actor, action string, before uint64) string {
	q := url.Values{}
	if actor != "" {
		q.Set("actor", actor)
	}
	if action != "" {
		q.Set("action", action)
	}
	if before > 0 {
		q.Set("before", strconv.FormatUint(before, 10))
	}
	if len(q) == 0 {
		return "/admin/audit"
	}
	return "/admin/audit?" + q.Encode()
}

var _ = template.Must(layout.New("audit").Parse(`<p class="note">{{call .T "admin.audit.intro"}}</p>
<form method="get" action="/admin/audit">
<label>{{call .T "admin.audit.actor"}} <input name="actor" value="{{.Actor}}"></label>
<label>{{call .T "admin.audit.action"}} <select name="action"><option value="">{{call .T "admin.audit.any"}}</option>
{{- range .Actions}}<option value="{{.}}"{{if eq . $.Action}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<button type="submit">{{call .T "admin.audit.filter"}}</button>
</form>
{{if .Rows}}<div class="scroll"><table>
<tr><th>{{call .T "admin.audit.col.at"}}</th><th>{{call .T "admin.audit.col.actor"}}</th><th>{{call .T "admin.audit.col.action"}}</th><th>{{call .T "admin.audit.col.object"}}</th><th>{{call .T "admin.audit.col.outcome"}}</th><th>{{call .T "admin.audit.col.via"}}</th></tr>
{{range .Rows}}<tr><td>{{.At}}</td><td>{{.Actor}}</td><td>{{.Action}}</td><td>{{.Object}}</td><td>{{if .Refused}}<strong>{{.Outcome}}</strong>{{else}}{{.Outcome}}{{end}}</td><td>{{.Via}}</td></tr>
{{end}}</table></div>{{else}}<p>{{call .T "admin.audit.none"}}</p>{{end}}
<p>{{with .Newest}}<a href="{{.}}">{{call $.T "admin.audit.newest"}}</a> {{end}}{{with .Older}}<a href="{{.}}">{{call $.T "admin.audit.older"}}</a>{{end}}</p>
`))
