package admin

// Imports: members, ratings, KPIs and points uploaded as CSV or XLSX,
// previewed, and written only when confirmed.
//
// The preview checks the file exactly as `jifen import` does (package
// importer, on the same store and rule catalog) and shows what would be
// written, or every bad row with its number and reason; a file with a bad
// row cannot be confirmed. Nothing is kept on the server between the two
// steps: the preview page carries the file itself (compressed) and a
// ticket signed with the console's key naming the kind, the file's name
// and hash, the admin and an expiry, so a confirmation works after a
// restart and on any replica. Confirming checks the file again and writes
// it in one transaction with its audit record, under an idempotency key
// drawn from the ticket: a double click or a resubmitted page applies the
// import once.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"jifen"
	"jifen/importer"
	"jifen/store"
)

// importRoutes registers the pages.
func (s *Server) importRoutes() {
	s.page("GET /admin/imports", jifen.RoleAdmin, s.importsPage)
	s.page("POST /admin/imports/preview", jifen.RoleAdmin, s.importPreview)
	s.page("POST /admin/imports/confirm", jifen.RoleAdmin, s.importConfirm)
}

const (
	// maxImportBytes is the largest file the console takes: far above a
	// company's sheet of people or ratings; a larger ledger goes through
	// `jifen import`.
	maxImportBytes = 10 << 20
	// importDrain is how much of an oversized upload is read (and thrown
	// away) so that the browser gets the page saying so; past it the
	// connection is closed.
	importDrain = 4 * maxImportBytes
	// importTTL is how long a preview may be confirmed. It is well inside
	// the store's idempotency window, so a confirmation resubmitted while
	// the ticket is valid always finds the first one.
	importTTL = time.Hour
	// importShown is how many rows a preview lists.
	importShown = 200
)

// importKinds are what may be imported, in the form's order.
var importKinds = []string{"members", "ratings", "kpis", "points"}

func validImportKind(k string) bool {
	for _, x := range importKinds {
		if k == x {
			return true
		}
	}
	return false
}

// importTicket is what the preview signs and the confirmation checks.
type importTicket struct {
	Kind    string `json:"k"`
	Name    string `json:"f"` // the file's name, as cleaned by importName
	Viewer  string `json:"v"` // the admin who previewed it
	Hash    string `json:"h"` // hex SHA-256 of the file
	Nonce   string `json:"n"` // this preview: a resubmission of it applies once
	Expires int64  `json:"e"` // unix seconds
}

// key is the store's idempotency key of the ticket's import.
func (t importTicket) key() string {
	h := sha256.Sum256([]byte(t.Kind + "\x00" + t.Viewer + "\x00" + t.Hash + "\x00" + t.Nonce))
	return "admin.import:" + hex.EncodeToString(h[:])
}

// importPlan is a checked file: what confirming it writes.
type importPlan struct {
	Kind    string
	Name    string
	Hash    string
	Numbers []int // the file's row numbers of the items, in order
	Members []jifen.Member
	Ratings []jifen.Rating
	KPIs    []jifen.KPI
	Entries []jifen.Entry
}

// Len is how many items the file holds.
func (p *importPlan) Len() int { return len(p.Numbers) }

// importView is the imports page's own part: the upload form, then a
// preview when there is one.
type importView struct {
	Kind  string // the kind chosen
	Kinds []string
	Max   int // MB

	// A preview.
	Name     string
	Problem  string              // the file cannot be read (missing column, not a sheet …)
	Bad      []importer.RowError // every bad row
	Summary  string
	Notes    []string
	Header   []string
	Rows     [][]string
	More     string // "the first 200 of …" when not every row is shown
	Ticket   string // signed: the confirm form's fields
	Data     string
	Confirm  string // the confirm button's text
	Imported bool   // after a confirmation: no form but the upload one
	Result   string // what the confirmation wrote
	T        func(string, ...any) string
}

var _ = template.Must(layout.New("imports").Parse(`{{with .Result}}<p id="result"><strong>{{.}}</strong></p>{{end}}
{{- if .Problem}}<p><strong>{{.Problem}}</strong></p>{{end}}
{{- if .Bad}}<p><strong>{{call .T "admin.imports.bad_intro" (len .Bad)}}</strong></p>
<div class="scroll"><table class="bad">
<tr><th>{{call .T "admin.imports.col.row"}}</th><th>{{call .T "admin.imports.col.reason"}}</th></tr>
{{range .Bad}}<tr><td class="n">{{.Row}}</td><td class="text">{{.Reason}}</td></tr>
{{end}}</table></div>{{end}}
{{- if .Summary}}<p>{{.Summary}}</p>{{end}}
{{- range .Notes}}<p class="note">{{.}}</p>{{end}}
{{- if .Ticket}}<form method="post" action="/admin/imports/confirm">
<input type="hidden" name="ticket" value="{{.Ticket}}">
<input type="hidden" name="data" value="{{.Data}}">
<button type="submit" id="confirm">{{.Confirm}}</button>
</form>{{end}}
{{- if .Rows}}{{with .More}}<p class="note">{{.}}</p>{{end}}
<div class="scroll"><table class="preview">
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if not $i}} class="n"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}
<h2>{{if or .Name .Imported}}{{call .T "admin.imports.another"}}{{else}}{{call .T "admin.imports.upload"}}{{end}}</h2>
<form method="post" action="/admin/imports/preview" enctype="multipart/form-data">
<p><label>{{call .T "admin.imports.kind"}} <select name="kind" id="kind">
{{- range .Kinds}}<option value="{{.}}"{{if eq . $.Kind}} selected{{end}}>{{call $.T (print "admin.imports.kind." .)}}</option>{{end}}</select></label></p>
<p><label>{{call .T "admin.imports.file"}} <input type="file" name="file" id="file" accept=".csv,.xlsx" required></label></p>
<p><button type="submit" id="preview">{{call .T "admin.imports.preview"}}</button></p>
</form>
<p class="note">{{call .T "admin.imports.limits" .Max}}</p>
<ul class="note">{{range .Kinds}}<li>{{call $.T (print "admin.imports.columns." .)}}</li>{{end}}</ul>
`))

func (s *Server) importView(kind string) importView {
	if !validImportKind(kind) {
		kind = "ratings"
	}
	return importView{Kind: kind, Kinds: importKinds, Max: maxImportBytes >> 20, T: s.t}
}

// importsPage is the upload form.
func (s *Server) importsPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	s.content(w, http.StatusOK, v, s.t("admin.imports_title"), s.t("admin.imports.intro"), "imports", s.importView(r.URL.Query().Get("kind")))
}

// importPreview reads the uploaded file, checks it as `jifen import`
// does, and shows what confirming it would write, or why it cannot be.
// It writes nothing.
func (s *Server) importPreview(w http.ResponseWriter, r *http.Request, v *Viewer) {
	title := s.t("admin.imports.preview_title")
	kind, name, data, err := s.readUpload(w, r)
	view := s.importView(kind)
	switch {
	case errors.Is(err, errImportTooLarge):
		s.content(w, http.StatusRequestEntityTooLarge, v, title, s.t("admin.imports.too_large", maxImportBytes>>20), "imports", view)
		return
	case err != nil:
		s.content(w, http.StatusBadRequest, v, title, err.Error(), "imports", view)
		return
	}
	view.Name = name
	// The file is checked, and what it would write shown, against one
	// read of the store.
	var (
		plan   *importPlan
		status int
	)
	if err := s.st.Read(r.Context(), func(rd store.Reader) error {
		if plan, status = s.checkImport(rd, kind, name, data, &view); plan != nil {
			s.showPlan(rd, plan, &view)
		}
		return nil
	}); err != nil {
		s.log.Error("console import preview: the store could not be read", "kind", kind, "err", err)
		s.content(w, http.StatusInternalServerError, v, title, s.t("err.internal"), "imports", s.importView(kind))
		return
	}
	if plan == nil {
		s.content(w, status, v, title, s.t("admin.imports.refused", name), "imports", view)
		return
	}
	if plan.Len() == 0 {
		s.content(w, http.StatusOK, v, title, s.t("admin.imports.empty", name), "imports", view)
		return
	}
	t := importTicket{Kind: kind, Name: name, Viewer: v.Member.ID, Hash: plan.Hash, Nonce: random(), Expires: s.now().Add(importTTL).Unix()}
	raw, _ := json.Marshal(t)
	view.Ticket = s.sign("import", raw)
	view.Data = packImport(data)
	view.Confirm = s.t("admin.imports.confirm", plan.Len(), s.t("admin.imports.kind."+kind))
	view.Notes = append(view.Notes, s.t("admin.imports.until", time.Unix(t.Expires, 0).In(s.st.Location()).Format("15:04")))
	s.content(w, http.StatusOK, v, title, "", "imports", view)
}

// importConfirm writes a previewed file: the ticket must be the console's,
// for this admin, unexpired, and name the file sent with it; the file is
// checked again against the store as it is now.
func (s *Server) importConfirm(w http.ResponseWriter, r *http.Request, v *Viewer) {
	title := s.t("admin.imports_title")
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes*3/2+64<<10)
	if err := r.ParseForm(); err != nil {
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.imports.invalid"), "imports", s.importView(""))
		return
	}
	var t importTicket
	raw, ok := s.verify("import", r.PostForm.Get("ticket"))
	if !ok || json.Unmarshal(raw, &t) != nil || !validImportKind(t.Kind) || t.Viewer != v.Member.ID || t.Nonce == "" {
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.imports.invalid"), "imports", s.importView(""))
		return
	}
	view := s.importView(t.Kind)
	if !s.now().Before(time.Unix(t.Expires, 0)) {
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.imports.expired"), "imports", view)
		return
	}
	data, err := unpackImport(r.PostForm.Get("data"))
	if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != t.Hash {
		s.content(w, http.StatusBadRequest, v, title, s.t("admin.imports.invalid"), "imports", view)
		return
	}
	key := t.key()
	view.Name = t.Name
	// The file is checked again in the write that imports it, against
	// the store as that write sees it. Already applied (a double click,
	// the page sent again), the write is a replay, which says so rather
	// than check the file against what it wrote.
	var (
		checked importView
		status  int
	)
	res, replayed, err := s.writeImport(r.Context(), key, func(tx store.Txn) (*importPlan, error) {
		checked = view // each attempt of the write starts afresh
		plan, st := s.checkImport(tx, t.Kind, t.Name, data, &checked)
		if plan == nil {
			status = st
			return nil, errImportChanged
		}
		object := fmt.Sprintf("%s, %d rows, sha256 %s", t.Name, plan.Len(), t.Hash[:12])
		return plan, tx.Audit(store.AuditRecord{Actor: v.Member.ID, Action: "import." + t.Kind, Object: object, Via: v.Platform})
	})
	switch {
	case errors.Is(err, errImportChanged):
		if status == http.StatusBadRequest {
			status = http.StatusConflict
		}
		s.content(w, status, v, title, s.t("admin.imports.changed", t.Name), "imports", checked)
		return
	case err != nil:
		s.log.Error("console import failed", "kind", t.Kind, "err", err)
		s.content(w, http.StatusInternalServerError, v, title, s.t("admin.imports.failed"), "imports", s.importView(t.Kind))
		return
	}
	s.importDone(w, v, t, res, replayed, view)
}

// errImportChanged refuses an import whose file no longer checks against
// the store.
var errImportChanged = errors.New("the file no longer imports as previewed")

// importDone says what the import wrote, or that it was already written.
func (s *Server) importDone(w http.ResponseWriter, v *Viewer, t importTicket, res []byte, replayed bool, view importView) {
	n, _ := strconv.Atoi(string(res))
	kind := s.t("admin.imports.kind." + t.Kind)
	text := s.t("admin.imports.done", n, kind, t.Name)
	if replayed {
		text = s.t("admin.imports.already", n, kind, t.Name)
	}
	view.Imported, view.Result = true, text
	s.content(w, http.StatusOK, v, s.t("admin.imports_title"), "", "imports", view)
}

var errImportTooLarge = errors.New("the upload is too large")

// readUpload reads the form: the kind and the file (its name cleaned).
// A file over maxImportBytes is errImportTooLarge; the rest of the upload
// is read away (up to importDrain) so that the browser shows the page.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (kind, name string, data []byte, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, importDrain)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", nil, errors.New(s.t("admin.imports.no_file"))
	}
	var got bool
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return kind, "", nil, errImportTooLarge
			}
			return kind, "", nil, errors.New(s.t("admin.imports.no_file"))
		}
		switch p.FormName() {
		case "kind":
			b, _ := io.ReadAll(io.LimitReader(p, 32))
			kind = strings.TrimSpace(string(b))
		case "file":
			name = importName(p.FileName())
			data, err = io.ReadAll(io.LimitReader(p, maxImportBytes+1))
			var mbe *http.MaxBytesError
			if len(data) > maxImportBytes || errors.As(err, &mbe) {
				io.Copy(io.Discard, r.Body)
				return kind, name, nil, errImportTooLarge
			}
			if err != nil {
				return kind, name, nil, errors.New(s.t("admin.imports.no_file"))
			}
			got = true
		}
		p.Close()
	}
	if !validImportKind(kind) {
		return kind, name, nil, errors.New(s.t("admin.imports.no_kind"))
	}
	if !got || name == "" || len(data) == 0 {
		return kind, name, nil, errors.New(s.t("admin.imports.no_file"))
	}
	return kind, name, data, nil
}

// importName is an uploaded file's name as the pages and the audit trail
// show it: its last element, without control characters, at most 80
// characters.
func importName(n string) string {
	n = filepath.Base(strings.ReplaceAll(n, `\`, "/"))
	n = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, n)
	if rs := []rune(n); len(rs) > 80 {
		ext := filepath.Ext(n)
		if len([]rune(ext)) > 10 {
			ext = ""
		}
		n = string(rs[:80-len([]rune(ext))]) + ext
	}
	if n == "." || n == "/" {
		return ""
	}
	return n
}

// importDir is what checking a file reads of the store: a read's Reader
// (the preview) or the import's own write (the confirmation).
type importDir interface {
	importer.Directory
	Location() *time.Location
	Now() time.Time
}

// checkImport reads and checks a file as `jifen import` does. When it
// cannot be imported, it returns nil and the page's status, with the
// reason (the file's) or every bad row in view.
func (s *Server) checkImport(rd importDir, kind, name string, data []byte, view *importView) (*importPlan, int) {
	sum := sha256.Sum256(data)
	plan := &importPlan{Kind: kind, Name: name, Hash: hex.EncodeToString(sum[:])}
	t, err := importer.ReadBytes(name, data)
	if err != nil {
		view.Problem, _ = s.importWhy(err.Error())
		return nil, http.StatusBadRequest
	}
	loc := rd.Location()
	switch kind {
	case "members":
		plan.Members, err = importer.Members(t, rd)
	case "ratings":
		plan.Ratings, err = importer.Ratings(t, rd, loc)
	case "kpis":
		plan.KPIs, err = importer.KPIs(t, loc)
	case "points":
		plan.Entries, err = importer.Points(t, rd, s.cfg.Rules, loc, rd.Now())
	}
	var bad importer.Errors
	switch {
	case errors.As(err, &bad):
		for _, b := range bad {
			why, _ := s.importReason(b.Reason)
			view.Bad = append(view.Bad, importer.RowError{Row: b.Row, Reason: why})
		}
		return nil, http.StatusBadRequest
	case err != nil:
		view.Problem, _ = s.importWhy(err.Error())
		return nil, http.StatusBadRequest
	}
	// Every row of a clean file gave one item, in order.
	for _, row := range t.Rows {
		plan.Numbers = append(plan.Numbers, row.Number)
	}
	return plan, http.StatusOK
}

// showPlan puts what the plan writes in the preview: a summary and the
// first rows.
func (s *Server) showPlan(rd store.Reader, p *importPlan, view *importView) {
	loc := rd.Location()
	kind := s.t("admin.imports.kind." + p.Kind)
	view.Summary = s.t("admin.imports.summary", p.Name, p.Len(), kind)
	col := func(k string) string { return s.t("admin.imports.col." + k) }
	add := func(cells ...string) {
		if len(view.Rows) < importShown {
			view.Rows = append(view.Rows, cells)
		}
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	who := func(id string) string {
		if m, ok := rd.Member(id); ok {
			return m.Name + " (" + id + ")"
		}
		return id
	}
	switch p.Kind {
	case "members":
		view.Header = []string{col("row"), col("change"), col("id"), col("name"), col("department"), col("level"), col("role"), col("joined"), col("left"), col("email")}
		var added, changed int
		for i, m := range p.Members {
			change := s.t("admin.imports.same")
			if old, ok := rd.Member(m.ID); !ok {
				change, added = s.t("admin.imports.new"), added+1
			} else if !reflect.DeepEqual(old, store.Learned(m, old)) {
				change, changed = s.t("admin.imports.changed_member"), changed+1
			}
			add(strconv.Itoa(p.Numbers[i]), change, m.ID, m.Name, m.Department, m.Level, s.t("admin.role."+string(m.Role)), date(m.Joined), date(m.Left), m.Email)
		}
		view.Notes = append(view.Notes, s.t("admin.imports.members_note", added, changed, p.Len()-added-changed))
	case "ratings":
		view.Header = []string{col("row"), col("member"), col("period"), col("grade"), col("score"), col("earlier")}
		earlier, periods := map[string]jifen.Rating{}, map[string]bool{}
		for _, r := range p.Ratings {
			if !periods[r.Period] {
				periods[r.Period] = true
				for _, o := range rd.Ratings(r.Period) {
					earlier[o.Period+"|"+o.Member] = o
				}
			}
		}
		var replaced int
		for i, r := range p.Ratings {
			was := ""
			if o, ok := earlier[r.Period+"|"+r.Member]; ok {
				replaced++
				was = ratingText(o)
			}
			add(strconv.Itoa(p.Numbers[i]), who(r.Member), r.Period, r.Grade, strconv.FormatFloat(r.Score, 'f', -1, 64), was)
		}
		view.Notes = s.replacing(view, replaced)
	case "kpis":
		view.Header = []string{col("row"), col("kpi"), col("period"), col("value"), col("department"), col("earlier")}
		earlier, periods := map[string]string{}, map[string]bool{}
		for _, k := range p.KPIs {
			if !periods[k.Period] {
				periods[k.Period] = true
				for _, o := range rd.KPIs(k.Period) {
					earlier[o.Period+"|"+o.Name+"|"+o.Department] = strconv.FormatFloat(o.Value, 'f', -1, 64)
				}
			}
		}
		var replaced int
		for i, k := range p.KPIs {
			was, ok := earlier[k.Period+"|"+k.Name+"|"+k.Department]
			if ok {
				replaced++
			}
			add(strconv.Itoa(p.Numbers[i]), k.Name, k.Period, strconv.FormatFloat(k.Value, 'f', -1, 64), k.Department, was)
		}
		view.Notes = s.replacing(view, replaced)
	case "points":
		view.Header = []string{col("row"), col("time"), col("receiver"), col("points"), col("giver"), col("behavior"), col("kind"), col("reason")}
		var sum int64
		for i, e := range p.Entries {
			sum += e.Points
			giver := ""
			if e.Giver != "" {
				giver = who(e.Giver)
			}
			add(strconv.Itoa(p.Numbers[i]), e.Effective.In(loc).Format("2006-01-02 15:04"), who(e.Receiver), strconv.FormatInt(e.Points, 10), giver, e.Behavior, string(e.Kind), e.Reason)
		}
		view.Notes = append(view.Notes, s.t("admin.imports.points_note", sum))
	}
	if prev, ok := s.importedBefore(rd, p); ok {
		view.Notes = append(view.Notes, s.t("admin.imports.seen_before", prev.At.In(loc).Format("2006-01-02 15:04"), who(prev.Actor)))
	}
	if p.Len() > importShown {
		view.More = s.t("admin.imports.more", importShown, p.Len())
	}
}

// replacing notes how many rows replace an earlier value, or drops the
// preview's last column (the earlier values) when none does.
func (s *Server) replacing(view *importView, replaced int) []string {
	if replaced > 0 {
		return append(view.Notes, s.t("admin.imports.replaces", replaced))
	}
	view.Header = view.Header[:len(view.Header)-1]
	for i, r := range view.Rows {
		view.Rows[i] = r[:len(r)-1]
	}
	return view.Notes
}

func ratingText(r jifen.Rating) string {
	if r.Grade != "" {
		return r.Grade
	}
	return strconv.FormatFloat(r.Score, 'f', -1, 64)
}

// importedBefore finds the latest import of the same kind and content in
// the audit trail: importing it again does what `jifen import` does (the
// same ratings, KPIs and members again; points a second time), so the
// preview says so.
func (s *Server) importedBefore(rd store.Reader, p *importPlan) (store.AuditRecord, bool) {
	mark := "sha256 " + p.Hash[:12]
	for _, rec := range rd.AuditLog(store.AuditFilter{Action: "import." + p.Kind, Since: s.now().AddDate(-1, 0, 0), Limit: 1000}) {
		if rec.Outcome == "ok" && strings.HasSuffix(rec.Object, mark) {
			return rec, true
		}
	}
	return store.AuditRecord{}, false
}

// writeImport writes, in one transaction under key, the plan that check
// makes in it (its error writes nothing), as `jifen import` writes it:
// members as SyncMembers does (what the store learned from a platform
// kept), ratings and KPIs replacing the same member's or name's for the
// period, points appended under the catalog's version. The result is the
// count written, for a replay to tell.
func (s *Server) writeImport(ctx context.Context, key string, check func(tx store.Txn) (*importPlan, error)) ([]byte, bool, error) {
	version := 0
	if b, ok := s.bot.(interface{ CatalogVersion() int }); ok {
		version = b.CatalogVersion()
	}
	return s.st.Write(ctx, key, func(tx store.Txn) ([]byte, error) {
		p, err := check(tx)
		if err != nil {
			return nil, err
		}
		for _, m := range p.Members {
			old, ok := tx.Member(m.ID)
			if ok {
				m = store.Learned(m, old)
			}
			if ok && reflect.DeepEqual(old, m) {
				continue
			}
			if err := tx.PutMember(m); err != nil {
				return nil, err
			}
		}
		for _, r := range p.Ratings {
			if err := tx.PutRating(r); err != nil {
				return nil, err
			}
		}
		for _, k := range p.KPIs {
			if err := tx.PutKPI(k); err != nil {
				return nil, err
			}
		}
		ids := map[uint64]uint64{} // the file's ids → the new ones
		for _, e := range p.Entries {
			fileID := e.ID
			e.ID, e.RuleVersion = 0, version
			if e.Reverses != 0 {
				e.Reverses = ids[e.Reverses]
			}
			id, err := tx.Append(&e)
			if err != nil {
				return nil, err
			}
			if fileID != 0 {
				ids[fileID] = id
			}
		}
		return []byte(strconv.Itoa(p.Len())), nil
	})
}

// packImport is the file as the preview page carries it: gzip, then
// base64 (URL alphabet: nothing to escape in a form).
func packImport(data []byte) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// unpackImport undoes packImport, reading no more than maxImportBytes.
func unpackImport(s string) ([]byte, error) {
	z, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxImportBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxImportBytes {
		return nil, errImportTooLarge
	}
	return data, nil
}

// The importer says what is wrong in English, as the CLI prints it. The
// console says it in its own language: each of the importer's messages
// has a pattern here and a text under admin.imports.why.<name>, whose
// English is the importer's own wording. A message no pattern knows is
// shown as the importer wrote it.

// importQuoted is a cell as the importer quotes it (Go's %q).
const importQuoted = `("(?:[^"\\]|\\.)*")`

var importWhys = func() []struct {
	key string
	re  *regexp.Regexp
} {
	var out []struct {
		key string
		re  *regexp.Regexp
	}
	for _, p := range [][2]string{
		// The file.
		{"ext", `(.*): want a \.csv or \.xlsx file`},
		{"csv_large", `the file is larger than (\d+) MiB: split it`},
		{"csv_invalid", `not valid CSV: (.*)`},
		{"unzip", `the workbook unzips to more than (\d+) MiB: split it`},
		{"xlsx_invalid", `not a readable \.xlsx file: (.*)`},
		{"no_sheet", `the workbook has no sheet`},
		{"rows", `the sheet has more than (\d+) rows: split it`},
		{"empty", `the file is empty: want a header row, then data`},
		{"cell", `row (\d+), column (\d+): a cell of (\d+) characters; at most (\d+)`},
		{"header_twice", `the header row names column %q twice \(columns (\d+) and (\d+)\)`},
		{"same_column", `columns %q and %q are the same column \((.*)\); keep one`},
		{"missing", `missing column\(s\): (.*) \(the header row has: (.*)\)`},
		// A row.
		{"field", `(receiver|giver): (.*)`},
		{"no_member", `no member %q`},
		{"ambiguous", `%q names (\d+) members; use the id`},
		{"id_required", `id %q: required, without spaces or @`},
		{"id_repeats", `id %q repeats row (\d+)`},
		{"name_required", `name %q: required, without spaces, @ or #`},
		{"name_repeats", `name %q repeats row (\d+)`},
		{"name_taken", `name %q is already (.+)'s`},
		{"email_invalid", `email %q: want an address like wangfang@example\.com`},
		{"email_repeats", `email %q repeats row (\d+)`},
		{"email_taken", `email %q is already (.+)'s`},
		{"role", `role %q: want admin, manager or employee`},
		{"joined", `joined %q: want a date like 2024-03-01`},
		{"left", `left %q: want a date like 2026-06-30`},
		{"left_before", `left %q is before joined %q`},
		{"birthday", `birthday %q: want a month and day like 03-01 \(no year\)`},
		{"kind", `kind %q: want award, deduct, thanks, revoke, adjust, import or redeem`},
		{"entry_id", `id %q: want a number used once`},
		{"time", `time %q: want 2026-03-05 or 2026-03-05 14:30`},
		{"future", `time %q is in the future`},
		{"recorded", `recorded %q: want a past time like 2026-03-05 14:30:00`},
		{"recorded_before", `recorded %q is before the time %q`},
		{"bot", `receiver (.+) is a bot`},
		{"not_employed", `receiver (.+) was not employed on (\S+) \(employed (\S+) – (\S+)\)`},
		{"points", `points %q: want a whole number, not 0`},
		{"reverses_id", `reverses %q: want the id of an earlier row`},
		{"reverses_again", `reverses %q: that entry cannot be reversed again`},
		{"reverses_match", `reverses %q: points and receiver must be the reversed entry's, negated`},
		{"reward", `behavior %q: want reward: and an item of the shop`},
		{"redemption", `a redemption needs a quantity of at least 1 and negative points`},
		{"behavior", `behavior %q is not in the rule catalog`},
		{"period", `period %q: want 2026-10, 2026-Q4 or 2026`},
		{"grade", `grade %q: want A, B, C or D`},
		{"score", `score %q is not a number`},
		{"no_grade", `neither a grade nor a score`},
		{"rating_twice", `(.+) already has a rating for (\S+) on row (\d+)`},
		{"no_kpi", `no KPI name`},
		{"value", `value %q is not a number`},
	} {
		re := regexp.MustCompile("^" + strings.ReplaceAll(p[1], "%q", importQuoted) + "$")
		out = append(out, struct {
			key string
			re  *regexp.Regexp
		}{p[0], re})
	}
	return out
}()

// importWhy says one of the importer's messages in the console's
// language; ok is false when no pattern knows it (it is then as given).
func (s *Server) importWhy(msg string) (text string, ok bool) {
	for _, p := range importWhys {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		if p.key == "field" {
			inner, ok := s.importWhy(m[2])
			return s.t("admin.imports.why.field."+m[1], inner), ok
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			args[i] = a
		}
		return s.t("admin.imports.why."+p.key, args...), true
	}
	return msg, false
}

// importReason says a bad row's reason in the console's language: the
// importer joins a row's problems with "; " (outside the quoted cells).
// known is false when a part of it is shown as the importer wrote it.
func (s *Server) importReason(reason string) (text string, known bool) {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(reason); i++ {
		switch {
		case reason[i] == '\\' && quoted:
			i++
		case reason[i] == '"':
			quoted = !quoted
		case !quoted && strings.HasPrefix(reason[i:], "; "):
			parts = append(parts, reason[start:i])
			start = i + 2
			i++
		}
	}
	parts = append(parts, reason[start:])
	var out []string
	known = true
	for i := 0; i < len(parts); i++ {
		text, ok := s.importWhy(parts[i])
		// A message with "; " of its own ("… names 2 members; use the id").
		if !ok && i+1 < len(parts) {
			if joined, whole := s.importWhy(parts[i] + "; " + parts[i+1]); whole {
				text, ok = joined, true
				i++
			}
		}
		known = known && ok
		out = append(out, text)
	}
	return strings.Join(out, s.t("admin.imports.why.sep")), known
}
