package admin

// Decisions: the approvals and redemptions queues, decided with the same
// rules as in chat.
//
// A decision taken here is the chat command it stands for (/approve 12,
// /redemptions reject R5 reason …), run through the bot as the signed-in
// admin: reasons, separation of duties, refunds and the notices to the
// people concerned are the bot's, not a copy of them. Each form carries a
// random token that is the command's idempotency key, so a double click or
// a browser's retry applies once and answers as the first did. The
// console is for admins: a reward's fulfiller who is not one marks it
// handed out with the button of the notice chat sent them.

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

// decisionRoutes registers the pages.
func (s *Server) decisionRoutes() {
	s.page("GET /admin/decisions", jifen.RoleAdmin, s.decisions)
	for _, a := range decisionApprovalActions {
		s.page("POST /admin/decisions/approvals/{id}/"+a, jifen.RoleAdmin, s.decide("approval", a))
	}
	for _, a := range decisionRedemptionActions {
		s.page("POST /admin/decisions/redemptions/{id}/"+a, jifen.RoleAdmin, s.decide("redemption", a))
	}
}

// The decisions the console takes, by kind: each is a chat command.
var (
	decisionApprovalActions   = []string{"approve", "reject"}
	decisionRedemptionActions = []string{"approve", "reject", "cancel", "fulfil"}
)

// decisionsLimit bounds each queue shown: the approvals oldest first, the
// redemptions newest first.
const decisionsLimit = 200

// maxDecisionForm bounds a decision's form: a token and a reason.
const maxDecisionForm = 64 << 10

// decisionSource is the source the bot records for a decision taken here.
const decisionSource = "web"

// A form's token: what random gives (43 characters), within bounds that
// refuse anything else without storing it.
const (
	decisionTokenMin = 16
	decisionTokenMax = 128
)

type decisionsView struct {
	Result *decisionResult // the answer to the decision just taken, if any

	Approvals       []decisionApprovalRow
	Redemptions     []decisionRedemptionRow
	MoreApprovals   bool // the queue is longer than shown
	MoreRedemptions bool
	Failed          bool // the queue could not be read
	T               func(string, ...any) string
}

// decisionResult is the bot's reply to a decision.
type decisionResult struct {
	Error  bool
	Title  string
	Text   []string
	Fields []bot.Field
	Footer string
}

// decisionForm is one button of a row: where it posts, its token, and
// whether it asks for a reason.
type decisionForm struct {
	ID, Action, Label, Token string
	Placeholder              string // of the reason's field
	Reason, Danger           bool
}

type decisionApprovalRow struct {
	ID               uint64
	Giver, Receivers string
	Points           string
	Behavior, Reason string
	Created          string
	Own              bool // the viewer gives or receives it: another admin decides
	Forms            []decisionForm
}

type decisionRedemptionRow struct {
	ID                   uint64
	Member, Item, Status string
	Cost                 int64
	Created              string
	Own                  bool // the viewer redeemed it: another admin decides
	Forms                []decisionForm
}

var _ = template.Must(layout.New("decisions").Parse(`{{with .Result}}
{{- if .Error}}<div id="decision-error" role="alert" style="border:1px solid #cf222e;background:#ffebe9;padding:.5em 1em;margin-bottom:1em">
{{- else}}<div id="decision-result" role="status" style="border:1px solid #1a7f37;background:#dafbe1;padding:.5em 1em;margin-bottom:1em">{{end}}
{{with .Title}}<p><strong>{{.}}</strong></p>{{end}}
{{range .Text}}<p>{{.}}</p>{{end}}
{{with .Fields}}<table>{{range .}}<tr><th>{{.Label}}</th><td>{{.Value}}</td></tr>{{end}}</table>{{end}}
{{with .Footer}}<p class="note">{{.}}</p>{{end}}
</div>{{end}}
<p class="note">{{call .T "admin.decisions.intro"}}</p>
{{if .Failed}}<p>{{call .T "admin.decisions.failed"}}</p>{{end}}
<h2>{{call .T "admin.decisions.approvals"}}</h2>
{{if .Approvals}}<div class="scroll"><table>
<tr><th>#</th><th>{{call .T "admin.decisions.col.giver"}}</th><th>{{call .T "admin.decisions.col.receivers"}}</th><th>{{call .T "admin.decisions.col.points"}}</th><th>{{call .T "admin.decisions.col.behavior"}}</th><th>{{call .T "admin.decisions.col.reason"}}</th><th>{{call .T "admin.decisions.col.created"}}</th><th></th></tr>
{{range .Approvals}}<tr id="approval-{{.ID}}"><td>A{{.ID}}</td><td>{{.Giver}}</td><td>{{.Receivers}}</td><td class="n">{{.Points}}</td><td>{{.Behavior}}</td><td class="text">{{.Reason}}</td><td>{{.Created}}</td>
<td>{{if .Own}}<span class="note">{{call $.T "admin.decisions.own_approval"}}</span>{{else}}{{template "decisionforms" .Forms}}{{end}}</td></tr>
{{end}}</table></div>
{{if .MoreApprovals}}<p class="note">{{call .T "admin.decisions.more" (len .Approvals)}}</p>{{end}}
{{else}}<p>{{call .T "admin.decisions.no_approvals"}}</p>{{end}}
<h2>{{call .T "admin.decisions.redemptions"}}</h2>
{{if .Redemptions}}<div class="scroll"><table>
<tr><th>#</th><th>{{call .T "admin.decisions.col.member"}}</th><th>{{call .T "admin.decisions.col.item"}}</th><th>{{call .T "admin.decisions.col.cost"}}</th><th>{{call .T "admin.decisions.col.status"}}</th><th>{{call .T "admin.decisions.col.created"}}</th><th></th></tr>
{{range .Redemptions}}<tr id="redemption-{{.ID}}"><td>R{{.ID}}</td><td>{{.Member}}</td><td>{{.Item}}</td><td class="n">{{.Cost}}</td><td>{{.Status}}</td><td>{{.Created}}</td>
<td>{{if .Own}}<span class="note">{{call $.T "admin.decisions.own_redemption"}}</span> {{end}}{{template "decisionforms" .Forms}}</td></tr>
{{end}}</table></div>
{{if .MoreRedemptions}}<p class="note">{{call .T "admin.decisions.more" (len .Redemptions)}}</p>{{end}}
{{else}}<p>{{call .T "admin.decisions.no_redemptions"}}</p>{{end}}
`))

// decisionforms are a row's buttons, each its own form. A reason, where
// the command takes one, is optional as in chat.
var _ = template.Must(layout.New("decisionforms").Parse(`{{range .}}<form method="post" action="{{.Action}}" style="display:inline-block;margin:.15em 0">
<input type="hidden" name="token" value="{{.Token}}">
{{- if .Reason}} <input name="reason" id="reason-{{.ID}}" aria-label="{{.Label}}" placeholder="{{.Placeholder}}" size="14">{{end}}
<button type="submit" id="{{.ID}}"{{if .Danger}} style="color:#cf222e"{{end}}>{{.Label}}</button></form>
{{end}}`))

// decisions shows the queues; after a decision (?done=token) the bot's
// answer to it above them.
func (s *Server) decisions(w http.ResponseWriter, r *http.Request, v *Viewer) {
	done := r.URL.Query().Get("done")
	if !validDecisionToken(done) {
		done = ""
	}
	s.renderDecisions(w, r, http.StatusOK, v, nil, done)
}

// renderDecisions renders the queues as they stand, with res above them,
// or, given done, the answer to the decision whose token it is.
func (s *Server) renderDecisions(w http.ResponseWriter, r *http.Request, status int, v *Viewer, res *decisionResult, done string) {
	var view decisionsView
	if !s.read(w, r, v, s.t("admin.decisions_title"), "admin.decisions.failed", func(rd store.Reader) error {
		if done != "" {
			res = decisionAnswer(rd, v, done)
		}
		view = s.decisionsView(rd, v)
		return nil
	}) {
		return
	}
	view.Result = res
	s.content(w, status, v, s.t("admin.decisions_title"), "", "decisions", view)
}

// decisionAnswer is the answer to v's decision of token tok: the one the
// store keeps for the decision's key, which names the viewer, so nobody
// reads another admin's answers. Nil when there is none.
func decisionAnswer(rd store.Reader, v *Viewer, tok string) *decisionResult {
	raw, ok := rd.Seen(decisionKey(v, tok))
	if !ok {
		return nil
	}
	var resp bot.Response
	if json.Unmarshal(raw, &resp) != nil {
		return nil
	}
	return decisionResultOf(resp)
}

// decide runs one decision of kind ("approval" or "redemption") as its
// chat command. Success: 303 to the queues with the answer shown; the
// bot's refusal: the queues with its message and the matching status,
// recorded in the audit trail as refused.
func (s *Server) decide(kind, action string) PageHandler {
	return func(w http.ResponseWriter, r *http.Request, v *Viewer) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil || id == 0 {
			s.renderDecisions(w, r, http.StatusNotFound, v, &decisionResult{Error: true,
				Text: []string{s.t("admin.decisions.unknown_"+kind, r.PathValue("id"))}}, "")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxDecisionForm)
		if err := r.ParseForm(); err != nil {
			s.renderDecisions(w, r, http.StatusBadRequest, v, &decisionResult{Error: true, Text: []string{s.t("admin.decisions.bad_form")}}, "")
			return
		}
		tok := r.PostForm.Get("token")
		if !validDecisionToken(tok) {
			s.renderDecisions(w, r, http.StatusBadRequest, v, &decisionResult{Error: true, Text: []string{s.t("admin.decisions.no_token")}}, "")
			return
		}
		text := decisionCommand(kind, action, id, r.PostForm.Get("reason"))
		object := fmt.Sprintf("%s %d", kind, id)
		ctx := s.auditContext(r.Context(), v, kind+"."+action, object)
		resp := s.bot.Handle(ctx, bot.Request{Caller: v.Member, Text: text, Source: decisionSource, Key: decisionKey(v, tok)})
		if resp.Code != "" {
			// Recorded on its own: ctx would record the decision as done.
			if resp.Code != jifen.EINTERNAL {
				s.record(r.Context(), store.AuditRecord{Actor: v.Member.ID, Action: kind + "." + action, Object: object, Outcome: "refused", Via: v.Platform})
			}
			s.renderDecisions(w, r, decisionStatus(resp.Code), v, decisionResultOf(resp), "")
			return
		}
		http.Redirect(w, r, "/admin/decisions?"+url.Values{"done": {tok}}.Encode(), http.StatusSeeOther)
	}
}

// decisionCommand is the chat command a decision stands for. The reason goes
// last, as typed in chat; approving takes none here.
func decisionCommand(kind, action string, id uint64, reason string) string {
	text := fmt.Sprintf("/redemptions %s R%d", action, id)
	if kind == "approval" {
		text = fmt.Sprintf("/%s %d", action, id)
	}
	if reason = strings.TrimSpace(reason); reason != "" && (action == "reject" || action == "cancel") {
		text += " " + reason
	}
	return text
}

// decisionKey is the idempotency key of a decision: the form's token,
// under the viewer, so one admin's token never replays another's answer.
func decisionKey(v *Viewer, token string) string {
	return "console:" + v.Member.ID + ":" + token
}

// validDecisionToken accepts what random makes: URL-safe base64 of a sensible
// length.
func validDecisionToken(tok string) bool {
	if len(tok) < decisionTokenMin || len(tok) > decisionTokenMax {
		return false
	}
	for _, c := range tok {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decisionStatus is the HTTP status of a refused decision.
func decisionStatus(c jifen.Code) int {
	switch c {
	case jifen.EFORBIDDEN:
		return http.StatusForbidden
	case jifen.ENOTFOUND:
		return http.StatusNotFound
	case jifen.ECONFLICT, jifen.ELIMIT:
		return http.StatusConflict
	case jifen.EINVALID:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// decisionResultOf is the bot's reply as the page shows it.
func decisionResultOf(resp bot.Response) *decisionResult {
	m := resp.Reply
	return &decisionResult{Error: m.Kind == "error" || resp.Code != "", Title: m.Title, Text: m.Text, Fields: m.Fields, Footer: m.Footer}
}

// decisionsView reads the queues as they stand, with a form (and a fresh
// token) for each decision the viewer may take.
func (s *Server) decisionsView(rd store.Reader, v *Viewer) decisionsView {
	loc := rd.Location()
	cat := s.catalog()
	view := decisionsView{T: s.t}
	open, err := rd.OpenApprovals()
	if err != nil {
		s.log.Error("decisions: open approvals failed", "err", err)
		view.Failed = true
	}
	if len(open) > decisionsLimit {
		open, view.MoreApprovals = open[:decisionsLimit], true
	}
	for _, a := range open {
		names := make([]string, len(a.Receivers))
		own := a.Giver == v.Member.ID
		for i, id := range a.Receivers {
			names[i] = queueName(rd, id)
			own = own || id == v.Member.ID
		}
		points := "+" + strconv.FormatInt(a.Points, 10)
		if len(a.Receivers) > 1 {
			points += " × " + strconv.Itoa(len(a.Receivers))
		}
		behavior := a.Behavior
		if b := cat.Behavior(a.Behavior); b != nil {
			behavior = b.Name
		}
		row := decisionApprovalRow{ID: a.ID, Giver: queueName(rd, a.Giver), Receivers: strings.Join(names, s.t("list.sep")), Points: points,
			Behavior: behavior, Reason: a.Reason, Created: a.CreatedAt.In(loc).Format("2006-01-02 15:04"), Own: own}
		if !own {
			row.Forms = []decisionForm{
				s.decisionForm("approval", "approve", a.ID),
				s.decisionForm("approval", "reject", a.ID),
			}
		}
		view.Approvals = append(view.Approvals, row)
	}
	rs := rd.Redemptions("", decisionsLimit+1)
	if len(rs) > decisionsLimit {
		rs, view.MoreRedemptions = rs[:decisionsLimit], true
	}
	for _, r := range rs {
		item := r.Item
		if it := cat.Reward(r.Item); it != nil {
			item = it.Name
		}
		if r.Quantity > 1 {
			item = fmt.Sprintf("%s × %d", item, r.Quantity)
		}
		row := decisionRedemptionRow{ID: r.ID, Member: queueName(rd, r.Member), Item: item, Cost: r.Points,
			Status: s.t("redemption." + string(r.Status)), Created: r.CreatedAt.In(loc).Format("2006-01-02 15:04"), Own: r.Member == v.Member.ID}
		// Nobody approves, rejects or cancels their own redemption; handing
		// it out spends nothing, and chat allows it too.
		switch r.Status {
		case store.RedemptionPending:
			if !row.Own {
				row.Forms = []decisionForm{s.decisionForm("redemption", "approve", r.ID), s.decisionForm("redemption", "reject", r.ID)}
			}
		case store.RedemptionApproved:
			row.Forms = []decisionForm{s.decisionForm("redemption", "fulfil", r.ID)}
			if !row.Own {
				row.Forms = append(row.Forms, s.decisionForm("redemption", "cancel", r.ID))
			}
		}
		view.Redemptions = append(view.Redemptions, row)
	}
	return view
}

// decisionForm is the button for one decision, with a fresh token.
func (s *Server) decisionForm(kind, action string, id uint64) decisionForm {
	path := "approvals"
	if kind == "redemption" {
		path = "redemptions"
	}
	return decisionForm{ID: fmt.Sprintf("%s-%s-%d", action, kind, id), Action: fmt.Sprintf("/admin/decisions/%s/%d/%s", path, id, action),
		Label: s.t("admin.decisions.button." + action), Token: random(), Placeholder: s.t("admin.decisions.reason_placeholder"),
		Reason: action == "reject" || action == "cancel", Danger: action == "reject" || action == "cancel"}
}

// queueName is a member's name, or the id of one no longer known.
func queueName(rd store.Reader, id string) string {
	if m, ok := rd.Member(id); ok && m.Name != "" {
		return m.Name
	}
	return id
}
