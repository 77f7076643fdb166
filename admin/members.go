package admin

// Members: the directory with platform ids, department, level, joined
// and left dates, and the directory sync: its preview, as `jifen members
// sync --dry-run` prints it, and its application, when the plan has not
// changed since the preview.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/roster"
	"jifen/store"
)

// memberRoutes registers the pages.
func (s *Server) memberRoutes() {
	s.page("GET /admin/members", jifen.RoleManager, s.membersPage)
	s.page("GET /admin/members/sync", jifen.RoleAdmin, s.syncPreview)
	s.page("POST /admin/members/sync", jifen.RoleAdmin, s.syncApply)
}

// membersPageSize is how many members a page of the list shows.
const membersPageSize = 100

type memberRow struct {
	ID, Name, SlackID, FeishuOpenID, Email, Department, Level, Role, Joined, Left string
}

type membersView struct {
	Rows        []memberRow
	Count       string // how many match
	Query       string // the name filter as typed
	Department  string // the department filter
	Departments []string
	FixedDept   bool // a manager: the department is theirs
	IncludeLeft bool
	Prev, Next  string // the links to the neighbouring pages, "" at an end
	Syncs       []link // the sync previews (admins)
	T           func(string, ...any) string
}

var _ = template.Must(layout.New("members").Parse(`<form method="get" action="/admin/members">
<label>{{call .T "admin.members.query"}} <input name="q" value="{{.Query}}"></label>
<label>{{call .T "admin.members.department"}} <select name="department">
{{- if not .FixedDept}}<option value="">{{call .T "admin.members.any_department"}}</option>{{end}}
{{- range .Departments}}<option value="{{.}}"{{if eq . $.Department}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label><input type="checkbox" name="left" value="1"{{if .IncludeLeft}} checked{{end}}> {{call .T "admin.members.include_left"}}</label>
<button type="submit">{{call .T "admin.members.filter"}}</button>
</form>
<p class="note">{{.Count}}</p>
{{if .Rows}}<div class="scroll"><table>
<tr><th>{{call .T "admin.members.col.id"}}</th><th>{{call .T "admin.members.col.name"}}</th><th>{{call .T "admin.members.col.slack"}}</th><th>{{call .T "admin.members.col.feishu"}}</th><th>{{call .T "admin.members.col.email"}}</th><th>{{call .T "admin.members.col.department"}}</th><th>{{call .T "admin.members.col.level"}}</th><th>{{call .T "admin.members.col.role"}}</th><th>{{call .T "admin.members.col.joined"}}</th><th>{{call .T "admin.members.col.left"}}</th></tr>
{{range .Rows}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.SlackID}}</td><td>{{.FeishuOpenID}}</td><td>{{.Email}}</td><td>{{.Department}}</td><td>{{.Level}}</td><td>{{.Role}}</td><td>{{.Joined}}</td><td>{{.Left}}</td></tr>
{{end}}</table></div>{{end}}
<p>{{with .Prev}}<a href="{{.}}">{{call $.T "admin.members.prev"}}</a> {{end}}{{with .Next}}<a href="{{.}}">{{call $.T "admin.members.next"}}</a>{{end}}</p>
{{with .Syncs}}<h2>{{call $.T "admin.sync.title"}}</h2>
<ul class="links">{{range .}}<li><a class="button" href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>{{end}}
`))

// membersPage lists the members the viewer may see (admins everyone,
// managers their department), filtered by name and department, those who
// have left only when asked, a page at a time.
func (s *Server) membersPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	q := r.URL.Query()
	view := membersView{Query: strings.TrimSpace(q.Get("q")), Department: q.Get("department"), IncludeLeft: q.Get("left") == "1", T: s.t}
	admin := v.Member.Role == jifen.RoleAdmin
	// The page is made of the directory as one read gives it.
	var all []jifen.Member
	var now time.Time
	var loc *time.Location
	if !s.read(w, r, v, s.t("admin.members_title"), "err.internal", func(rd store.Reader) error {
		all, now, loc = rd.Members(), rd.Now(), rd.Location()
		return nil
	}) {
		return
	}
	if admin {
		seen := map[string]bool{}
		for _, m := range all {
			if m.Department != "" && !seen[m.Department] {
				seen[m.Department] = true
				view.Departments = append(view.Departments, m.Department)
			}
		}
		slices.Sort(view.Departments)
		for _, p := range []roster.Platform{roster.Slack, roster.Feishu} {
			if s.syncEnabled(p) {
				view.Syncs = append(view.Syncs, link{Href: "/admin/members/sync?from=" + string(p),
					Text: s.t("admin.sync.preview", s.t("sync.platform."+string(p)))})
			}
		}
	} else {
		view.FixedDept = true
		if v.Member.Department != "" {
			view.Departments = []string{v.Member.Department}
		}
		if view.Department == "" {
			view.Department = v.Member.Department
		}
		if view.Department != v.Member.Department {
			// Another department's members are not a manager's to see.
			view.Department = v.Member.Department
			view.Count = s.t("admin.members.count", 0)
			text := s.t("admin.members.own_department", v.Member.Department)
			if v.Member.Department == "" {
				text = s.t("admin.members.no_department")
			}
			s.content(w, http.StatusForbidden, v, s.t("admin.members_title"), text, "members", view)
			return
		}
	}
	page := 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			view.Count = s.t("admin.members.count", 0)
			s.content(w, http.StatusBadRequest, v, s.t("admin.members_title"), s.t("admin.members.bad_page", p), "members", view)
			return
		}
		page = n
	}
	needle := strings.ToLower(view.Query)
	var match []jifen.Member
	for _, m := range all {
		switch {
		case !v.CanSee(m),
			view.Department != "" && m.Department != view.Department,
			!view.IncludeLeft && m.HasLeft(now, loc),
			needle != "" && !strings.Contains(strings.ToLower(m.Name), needle) &&
				!strings.Contains(strings.ToLower(m.ID), needle) && !strings.Contains(strings.ToLower(m.Email), needle):
			continue
		}
		match = append(match, m)
	}
	view.Count = s.t("admin.members.count", len(match))
	from := (page - 1) * membersPageSize
	if from > len(match) {
		from = len(match)
	}
	to := min(from+membersPageSize, len(match))
	if page > 1 {
		view.Prev = membersLink(view, page-1)
	}
	if to < len(match) {
		view.Next = membersLink(view, page+1)
	}
	for _, m := range match[from:to] {
		role := s.t("admin.role." + string(m.Role))
		if m.Bot {
			role = s.t("admin.members.bot")
		}
		view.Rows = append(view.Rows, memberRow{ID: m.ID, Name: m.Name, SlackID: m.SlackID, FeishuOpenID: m.FeishuOpenID,
			Email: m.Email, Department: m.Department, Level: m.Level, Role: role, Joined: day(m.Joined), Left: day(m.Left)})
	}
	s.content(w, http.StatusOK, v, s.t("admin.members_title"), "", "members", view)
}

// day shows a member's date (midnight UTC), or nothing when it is zero.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// membersLink is the members page with the view's filters and a page.
func membersLink(v membersView, page int) string {
	q := url.Values{}
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	if v.Department != "" {
		q.Set("department", v.Department)
	}
	if v.IncludeLeft {
		q.Set("left", "1")
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return "/admin/members"
	}
	return "/admin/members?" + q.Encode()
}

// syncEnabled reports whether the console can preview a sync from p: it
// has the planner and the config enables the platform.
func (s *Server) syncEnabled(p roster.Platform) bool {
	if s.plan == nil {
		return false
	}
	switch p {
	case roster.Slack:
		return s.cfg.Slack.Enabled
	case roster.Feishu:
		return s.cfg.Feishu.Enabled
	}
	return false
}

type syncView struct {
	Platform string
	Changes  []string
	Notes    []string
	Summary  []string
	Apply    string // how to apply the plan from the command line
	// Digest and Token make the form that applies the plan previewed:
	// the plan's digest, and the form's own key (a second submission
	// writes nothing more). Empty: nothing to apply.
	Digest, Token string
	Choices       []link // the platforms to preview, when none was given
	T             func(string, ...any) string
}

var _ = template.Must(layout.New("member_sync").Parse(`{{with .Choices}}<ul class="links">{{range .}}<li><a class="button" href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>{{end}}
{{- if .Platform}}
{{with .Changes}}<h2>{{call $.T "admin.sync.changes"}}</h2>
<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .Notes}}<h2>{{call $.T "admin.sync.notes"}}</h2>
<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{range .Summary}}<p>{{.}}</p>{{end}}
{{with .Digest}}<form method="post" action="/admin/members/sync">
<input type="hidden" name="from" value="{{$.Platform}}"><input type="hidden" name="plan" value="{{.}}"><input type="hidden" name="token" value="{{$.Token}}">
<button type="submit">{{call $.T "admin.sync.apply"}}</button></form>{{end}}
{{with .Apply}}<p class="note"><code>{{.}}</code></p>{{end}}
{{- end}}
<p><a href="/admin/members">{{call .T "admin.sync.back"}}</a></p>
`))

// syncPreview shows what `jifen members sync --from P --dry-run` prints:
// the changes the platform's directory would make to the members, and
// the notes. Nothing is written; the page says how to apply it.
func (s *Server) syncPreview(w http.ResponseWriter, r *http.Request, v *Viewer) {
	title := s.t("admin.sync.title")
	view := syncView{T: s.t}
	from := r.URL.Query().Get("from")
	if from == "" {
		for _, p := range []roster.Platform{roster.Slack, roster.Feishu} {
			if s.syncEnabled(p) {
				view.Choices = append(view.Choices, link{Href: "/admin/members/sync?from=" + string(p),
					Text: s.t("admin.sync.preview", s.t("sync.platform."+string(p)))})
			}
		}
		text := s.t("admin.sync.intro")
		if len(view.Choices) == 0 {
			text = s.t("admin.sync.none_enabled")
		}
		s.content(w, http.StatusOK, v, title, text, "member_sync", view)
		return
	}
	p := roster.Platform(from)
	if p != roster.Slack && p != roster.Feishu {
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.sync.bad_platform", from), "member_sync", view)
		return
	}
	name := s.t("sync.platform." + from)
	if !s.syncEnabled(p) {
		s.content(w, http.StatusServiceUnavailable, v, title, s.t("admin.sync.unavailable", name), "member_sync", view)
		return
	}
	plan, err := s.plan(r.Context(), p)
	if err != nil {
		// The platform's error may quote what it was sent: it is logged
		// with the config's secrets and anything like a token blanked.
		s.log.Error("directory sync preview failed", "platform", from, "err", s.redact(err.Error()))
		s.content(w, http.StatusBadGateway, v, title, s.t("admin.sync.platform_error", name), "member_sync", view)
		return
	}
	s.content(w, http.StatusOK, v, title, s.t("sync.header", name), "member_sync", s.syncPlanView(p, plan))
}

// syncPlanView is the preview of plan, with the form that applies it
// when it writes anything.
func (s *Server) syncPlanView(p roster.Platform, plan roster.Plan) syncView {
	view := syncView{Platform: string(p), T: s.t}
	view.Changes, view.Notes, view.Summary = plan.Lines(p, true, s.t)
	if len(plan.Write) > 0 {
		view.Apply = s.t("admin.sync.apply_cli", string(p))
		view.Digest, view.Token = planDigest(plan), random()
	}
	return view
}

// planDigest identifies what a plan writes: the members as they will be
// written.
func planDigest(plan roster.Plan) string {
	raw, _ := json.Marshal(plan.Write)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

var (
	errSyncStale   = errors.New("the sync's plan changed since the preview")
	errSyncNothing = errors.New("the sync has nothing to write")
)

// syncApply applies the plan previewed, as `jifen members sync` does,
// when the platform's directory and the members still give the same
// plan; otherwise it writes nothing and shows the plan as it now is. The
// form's token is the write's key: a second submission (a double click, a
// browser's retry) writes nothing more and is answered as the first. The
// write records the action in the audit trail.
func (s *Server) syncApply(w http.ResponseWriter, r *http.Request, v *Viewer) {
	title := s.t("admin.sync.title")
	from, digest, token := r.PostFormValue("from"), r.PostFormValue("plan"), r.PostFormValue("token")
	p := roster.Platform(from)
	switch {
	case p != roster.Slack && p != roster.Feishu:
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.sync.bad_platform", from), "member_sync", syncView{T: s.t})
		return
	case digest == "" || token == "" || len(token) > 100:
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.sync.bad_form"), "member_sync", syncView{T: s.t})
		return
	}
	name := s.t("sync.platform." + from)
	if !s.syncEnabled(p) {
		s.content(w, http.StatusServiceUnavailable, v, title, s.t("admin.sync.unavailable", name), "member_sync", syncView{T: s.t})
		return
	}
	// The members before the plan is made: the write checks that those
	// it touches are still so, or another change came in between.
	before := map[string]jifen.Member{}
	if !s.read(w, r, v, title, "admin.sync.failed", func(rd store.Reader) error {
		for _, m := range rd.Members() {
			before[m.ID] = m
		}
		return nil
	}) {
		return
	}
	plan, err := s.plan(r.Context(), p)
	if err != nil {
		s.log.Error("directory sync failed", "platform", from, "err", s.redact(err.Error()))
		s.content(w, http.StatusBadGateway, v, title, s.t("admin.sync.platform_error", name), "member_sync", syncView{T: s.t})
		return
	}
	ctx := s.auditContext(r.Context(), v, "members.sync", fmt.Sprintf("%s (%d members)", from, len(plan.Write)))
	raw, _, err := s.st.Write(ctx, "console.members.sync:"+token, func(tx store.Txn) ([]byte, error) {
		if planDigest(plan) != digest {
			return nil, errSyncStale
		}
		if len(plan.Write) == 0 {
			return nil, errSyncNothing
		}
		for _, m := range plan.Write {
			cur, ok := tx.Member(m.ID)
			was, had := before[m.ID]
			if ok != had || ok && !sameMember(cur, was) {
				return nil, errSyncStale
			}
		}
		for _, m := range plan.Write {
			if err := tx.PutMember(m); err != nil {
				return nil, err
			}
		}
		return json.Marshal(len(plan.Write))
	})
	var n int
	switch {
	case errors.Is(err, errSyncStale) && len(plan.Write) > 0:
		s.content(w, http.StatusConflict, v, title, s.t("admin.sync.stale"), "member_sync", s.syncPlanView(p, plan))
		return
	case errors.Is(err, errSyncStale), errors.Is(err, errSyncNothing):
		s.content(w, http.StatusOK, v, title, s.t("sync.nothing", name), "member_sync", s.syncPlanView(p, plan))
		return
	case err != nil:
		s.log.Error("directory sync failed", "platform", from, "err", err)
		s.content(w, http.StatusInternalServerError, v, title, s.t("admin.sync.failed"), "member_sync", syncView{T: s.t})
		return
	case json.Unmarshal(raw, &n) != nil:
		s.log.Error("directory sync: unreadable result", "platform", from)
	}
	s.content(w, http.StatusOK, v, title, s.t("sync.applied", n), "member_sync", syncView{T: s.t})
}

// sameMember reports whether two readings of a member are the same, as
// the store keeps them.
func sameMember(a, b jifen.Member) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// tokenLike matches what platform credentials look like: Slack tokens,
// bearer tokens and Feishu access tokens.
var tokenLike = regexp.MustCompile(`xox[a-z]-[A-Za-z0-9-]+|(?i:bearer)\s+\S+|\b[tu]-[A-Za-z0-9_-]{16,}`)

// redact blanks the config's platform secrets and anything token-like in
// text, an error a platform call returned, before it is logged.
func (s *Server) redact(text string) string {
	text = tokenLike.ReplaceAllString(text, "[redacted]")
	for _, secret := range []string{s.cfg.Slack.BotToken, s.cfg.Slack.SigningSecret, s.cfg.Slack.AppToken, s.cfg.Slack.ClientSecret,
		s.cfg.Feishu.AppSecret, s.cfg.Feishu.VerificationToken, s.cfg.Feishu.EncryptKey} {
		if len(secret) >= 4 {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	return text
}
