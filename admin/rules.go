package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"jifen"
	"jifen/config"
	"jifen/rules"
	"jifen/simulate"
	"jifen/store"
)

// Rules: the catalog in force (what /rules shows in chat, with the
// allowances and the shop), its versions as the store recorded them and
// what each changed, and a proposed catalog simulated against what
// happened (`jifen rules simulate`, the same figures).
//
// The catalog lives in the config file alone: the console never writes it.
// A simulation reads the ledger and writes nothing (no audit record
// either: it changes nothing); the page ends with the rules: section to
// put in the config file, for the operator to apply with a restart.

// ruleRoutes registers the pages.
func (s *Server) ruleRoutes() {
	s.page("GET /admin/rules", jifen.RoleAdmin, s.rulesPage)
	s.page("POST /admin/rules/simulate", jifen.RoleAdmin, s.rulesSimulate)
}

const (
	// maxCatalogBytes bounds a proposed catalog, pasted or uploaded: the
	// example config, every comment included, is about 31 KB.
	maxCatalogBytes = 256 << 10
	// maxRulesBody bounds the whole form (the catalog, the period and a
	// multipart envelope).
	maxRulesBody = maxCatalogBytes + 16<<10
)

// rulesView is the rules page's own part.
type rulesView struct {
	// The catalog in force (the page opened, not a simulation's answer).
	Overview bool
	Version  int // its version number, 0 when the store has not recorded it
	Catalog  []catalogRow
	Scheme   [][2]string
	Rewards  [][]string
	Versions []versionView

	// The simulation form, as typed.
	Period   string
	Periods  []string
	YAML     string // the textarea's content
	FromFile string // the config file the textarea was filled from, if any
	Stale    bool   // that file's rules differ from the catalog in force

	// A simulation's outcome.
	Problems []string // what is wrong with the proposed catalog
	Intro    []string
	Sections []simulate.Section
	Apply    string // the rules: section to put in the config file
	Config   string // the config file's path, for the instructions

	T func(string, ...any) string
}

type catalogRow struct {
	Category, Behavior, ID, Points, Words, Roles, Limits string
}

type versionView struct {
	Number  int
	Since   string
	InForce bool
	Changes []string
}

var _ = template.Must(layout.New("rules").Parse(`
{{- if .Problems}}
<h2>{{call .T "admin.rules.problems"}}</h2>
<ul>{{range .Problems}}<li><code>{{.}}</code></li>{{end}}</ul>
{{- end}}
{{- if .Sections}}
<h2>{{call .T "admin.rules.result" .Period}}</h2>
{{range .Intro}}<p>{{.}}</p>
{{end}}
{{- range .Sections}}
<h3>{{.Title}}</h3>
{{- if .Rows}}
<div class="scroll"><table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}{{if $i}}<td class="n">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>
{{- else}}
<p class="note">{{call $.T "sim.none"}}</p>
{{- end}}
{{- end}}
<h2>{{call .T "admin.rules.apply"}}</h2>
<p>{{if .Config}}{{call .T "admin.rules.apply_to" .Config}}{{else}}{{call .T "admin.rules.apply_to_config"}}{{end}}</p>
<div class="scroll"><pre style="background:#fff;border:1px solid #d0d7de;padding:.75em">{{.Apply}}</pre></div>
<p><a class="button" href="/admin/rules">{{call .T "admin.rules.back"}}</a></p>
{{- end}}
{{- if .Overview}}
<p><a class="button" href="#simulate">{{call .T "admin.rules.simulate"}} ↓</a></p>
<h2>{{if .Version}}{{call .T "admin.rules.in_force" .Version}}{{else}}{{call .T "admin.rules.in_force_unrecorded"}}{{end}}</h2>
<div class="scroll"><table><tr><th>{{call .T "col.category"}}</th><th>{{call .T "col.behavior"}}</th><th>{{call .T "admin.rules.col.id"}}</th><th>{{call .T "col.points"}}</th><th>{{call .T "col.words"}}</th><th>{{call .T "admin.rules.col.roles"}}</th><th>{{call .T "col.limits"}}</th></tr>
{{range .Catalog}}<tr><td>{{.Category}}</td><td>{{.Behavior}}</td><td><code>{{.ID}}</code></td><td class="n" style="white-space:nowrap">{{.Points}}</td><td>{{.Words}}</td><td>{{.Roles}}</td><td>{{.Limits}}</td></tr>
{{end}}</table></div>
{{- with .Scheme}}
<h2>{{call $.T "admin.rules.scheme"}}</h2>
<div class="scroll"><table>{{range .}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></div>
{{- end}}
{{- with .Rewards}}
<h2>{{call $.T "admin.rules.rewards"}}</h2>
<div class="scroll"><table><tr><th>{{call $.T "admin.rules.col.reward"}}</th><th>{{call $.T "admin.rules.col.cost"}}</th><th>{{call $.T "admin.rules.col.stock"}}</th><th>{{call $.T "admin.rules.col.limit"}}</th><th>{{call $.T "admin.rules.col.approval"}}</th></tr>
{{range .}}<tr>{{range $i, $c := .}}{{if and $i (lt $i 3)}}<td class="n">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>
{{- end}}
<h2>{{call .T "admin.rules.versions"}}</h2>
{{- if .Versions}}
<div class="scroll"><table><tr><th>{{call .T "admin.rules.col.version"}}</th><th>{{call .T "admin.rules.col.since"}}</th><th>{{call .T "admin.rules.col.changes"}}</th></tr>
{{range .Versions}}<tr><td class="n">{{.Number}}{{if .InForce}} ({{call $.T "admin.rules.current"}}){{end}}</td><td>{{.Since}}</td><td><ul style="margin:0;padding-left:1.2em">{{range .Changes}}<li>{{.}}</li>{{end}}</ul></td></tr>
{{end}}</table></div>
{{- else}}
<p class="note">{{call .T "admin.rules.no_versions"}}</p>
{{- end}}
{{- end}}
<h2 id="simulate">{{call .T "admin.rules.simulate"}}</h2>
<p class="note">{{call .T "admin.rules.simulate_intro"}}</p>
{{- if .FromFile}}
<p class="note">{{call .T "admin.rules.from_file" .FromFile}}{{if .Stale}} {{call .T "admin.rules.stale"}}{{end}}</p>
{{- end}}
<form method="post" action="/admin/rules/simulate" enctype="multipart/form-data" style="display:block">
<p><label>{{call .T "admin.rules.period"}} <input name="period" value="{{.Period}}" list="rules-periods" placeholder="2026-Q4" required></label>
<datalist id="rules-periods">{{range .Periods}}<option value="{{.}}">{{end}}</datalist></p>
<p><label>{{call .T "admin.rules.paste"}}<br>
<textarea name="catalog" rows="20" spellcheck="false" style="width:100%;box-sizing:border-box;font-family:ui-monospace,monospace">{{.YAML}}</textarea></label></p>
<p><label>{{call .T "admin.rules.upload"}} <input type="file" name="file" accept=".yaml,.yml,text/yaml"></label></p>
<p><button type="submit">{{call .T "admin.rules.run"}}</button></p>
</form>
<p class="note">{{call .T "admin.rules.never_written"}}</p>
`))

// rulesPage shows the catalog in force, its versions and the form.
func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request, v *Viewer) {
	view := s.newRulesView()
	view.Overview = true
	view.YAML, view.FromFile, view.Stale = s.configRules()
	if !s.read(w, r, v, s.t("admin.rules_title"), "admin.rules.failed", func(rd store.Reader) error {
		return s.catalogViews(rd, &view)
	}) {
		return
	}
	s.content(w, http.StatusOK, v, s.t("admin.rules_title"), "", "rules", view)
}

// newRulesView is the page with the period picker filled: the current
// year by default, and the recent months, quarters and years offered.
func (s *Server) newRulesView() rulesView {
	loc := s.st.Location()
	now := s.st.Now().In(loc)
	view := rulesView{T: s.t, Config: s.cfg.Path, Period: jifen.PeriodOf(jifen.Year, now, loc).Key}
	for p, i := jifen.PeriodOf(jifen.Month, now, loc), 0; i < 6; p, i = p.Previous(loc), i+1 {
		view.Periods = append(view.Periods, p.Key)
	}
	for p, i := jifen.PeriodOf(jifen.Quarter, now, loc), 0; i < 4; p, i = p.Previous(loc), i+1 {
		view.Periods = append(view.Periods, p.Key)
	}
	for p, i := jifen.PeriodOf(jifen.Year, now, loc), 0; i < 2; p, i = p.Previous(loc), i+1 {
		view.Periods = append(view.Periods, p.Key)
	}
	return view
}

// rulesSimulate replays a period under the proposed catalog pasted or
// uploaded (form fields catalog or file, and period) and shows the
// figures beside what happened. It reads the store only.
func (s *Server) rulesSimulate(w http.ResponseWriter, r *http.Request, v *Viewer) {
	view := s.newRulesView()
	fail := func(status int, msg string) {
		s.content(w, status, v, s.t("admin.rules_title"), msg, "rules", view)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRulesBody)
	data, name, err := proposedCatalog(r)
	view.Period = strings.TrimSpace(r.FormValue("period"))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), errors.Is(err, errCatalogTooBig):
		fail(http.StatusRequestEntityTooLarge, s.t("admin.rules.too_large", maxCatalogBytes>>10))
		return
	case err != nil:
		fail(http.StatusBadRequest, s.t("admin.rules.bad_form"))
		return
	}
	view.YAML = string(data)
	if len(bytes.TrimSpace(data)) == 0 {
		fail(http.StatusBadRequest, s.t("admin.rules.empty"))
		return
	}
	p, status, msg := s.reportPeriod(view.Period)
	if status != http.StatusOK {
		fail(status, msg)
		return
	}
	// ${VAR} is not looked up in the server's environment, which holds
	// its secrets: a proposed catalog must not be able to show them.
	noEnv := func(string) (string, bool) { return "", false }
	proposed, err := config.ParseCatalog(name, data, noEnv)
	if err != nil {
		var ce *config.Error
		if !errors.As(err, &ce) {
			fail(http.StatusBadRequest, s.t("admin.rules.invalid"))
			return
		}
		for _, pr := range ce.Problems {
			view.Problems = append(view.Problems, pr.String())
		}
		fail(http.StatusBadRequest, s.t("admin.rules.invalid"))
		return
	}
	// A failed read, like a failed replay, keeps the form as it was sent.
	var res *simulate.Result
	err = s.st.Read(r.Context(), func(rd store.Reader) (err error) {
		res, err = simulate.Run(rd, p, simulate.Options{Location: rd.Location(), Now: rd.Now(), Current: s.catalog(), Proposed: proposed})
		return err
	})
	if err != nil {
		s.log.Error("rule simulation failed", "period", p.Key, "err", err)
		fail(http.StatusInternalServerError, s.t("admin.rules.failed"))
		return
	}
	view.Period = p.Key
	view.Intro, view.Sections = res.Sections(s.t)
	view.Apply = rulesSection(data)
	s.content(w, http.StatusOK, v, s.t("admin.rules_title"), "", "rules", view)
}

var errCatalogTooBig = errors.New("catalog too large")

// proposedCatalog reads the catalog from the form: the uploaded file when
// one was chosen, otherwise the textarea. name is the file's name for the
// problems' locations ("catalog" for the textarea).
func proposedCatalog(r *http.Request) (data []byte, name string, err error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxRulesBody); err != nil {
			return nil, "", err
		}
		if f, h, err := r.FormFile("file"); err == nil {
			defer f.Close()
			if h.Size > 0 {
				data, err := io.ReadAll(io.LimitReader(f, maxCatalogBytes+1))
				if err != nil {
					return nil, "", err
				}
				if len(data) > maxCatalogBytes {
					return nil, "", errCatalogTooBig
				}
				return data, filepath.Base(h.Filename), nil
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, "", err
	}
	text := r.PostFormValue("catalog")
	if len(text) > maxCatalogBytes {
		return nil, "", errCatalogTooBig
	}
	// Browsers send a textarea's lines ended by CRLF.
	return []byte(strings.ReplaceAll(text, "\r\n", "\n")), "catalog", nil
}

// rulesSection is the rules: section of a YAML document, to be put in the
// config file: the lines as written (comments kept) when the document is
// a block mapping, else the section encoded anew. Top-level comments and
// blank lines after it belong to the next section and are left out.
func rulesSection(data []byte) string {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return ""
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Value != "rules" {
			continue
		}
		if root.Style&yaml.FlowStyle == 0 && k.Column == 1 {
			lines := strings.SplitAfter(string(data), "\n")
			end := len(lines)
			if i+2 < len(root.Content) {
				end = root.Content[i+2].Line - 1
			}
			for end > k.Line && (strings.TrimSpace(lines[end-1]) == "" || strings.HasPrefix(lines[end-1], "#")) {
				end--
			}
			out := strings.Join(lines[k.Line-1:end], "")
			if !strings.HasSuffix(out, "\n") {
				out += "\n"
			}
			return out
		}
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if enc.Encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, root.Content[i+1]}}) != nil {
			return ""
		}
		return b.String()
	}
	return ""
}

// configRules is the rules: section of the config file the server was
// started with, to edit in the form; stale reports that the file's
// catalog is no longer the one in force (edited since). Nothing when the
// file cannot be read.
func (s *Server) configRules() (section, path string, stale bool) {
	if s.cfg.Path == "" {
		return "", "", false
	}
	data, err := os.ReadFile(s.cfg.Path)
	if err != nil {
		return "", "", false
	}
	section = rulesSection(data)
	if section == "" {
		return "", "", false
	}
	// The file's catalog is read as the server read it at start, with
	// its environment; only the comparison uses it.
	c, err := config.ParseCatalog(s.cfg.Path, data, os.LookupEnv)
	if err != nil {
		return section, s.cfg.Path, true
	}
	cur := s.catalog()
	// The shop, targets and policies are other sections of the file.
	c.Rewards, c.Targets, c.Policies = cur.Rewards, cur.Targets, cur.Policies
	return section, s.cfg.Path, c.Fingerprint() != cur.Fingerprint()
}

// catalogViews fills the catalog in force and the recorded versions,
// newest first, each with what it changed from the one before.
func (s *Server) catalogViews(rd store.Reader, view *rulesView) error {
	cur := s.catalog()
	view.Catalog = s.catalogRows(cur)
	view.Scheme = s.schemeRows(cur)
	view.Rewards = s.rewardRows(cur)
	versions, err := rd.CatalogVersions()
	if err != nil {
		return err
	}
	fp := cur.Fingerprint()
	loc := rd.Location()
	var prev *rules.Catalog
	for i, cv := range versions {
		vv := versionView{Number: cv.Version, Since: cv.Since.In(loc).Format("2006-01-02 15:04"), InForce: cv.Fingerprint == fp}
		if vv.InForce {
			view.Version = cv.Version
		}
		// A version recorded by an older jifen may not read as today's
		// catalog: it is listed, and the next one is not compared with it.
		c := &rules.Catalog{}
		switch err := json.Unmarshal(cv.Catalog, c); {
		case err != nil:
			s.log.Warn("a recorded rule catalog cannot be read", "version", cv.Version, "err", err)
			vv.Changes, c = []string{s.t("admin.rules.unreadable")}, nil
		case i == 0:
			vv.Changes = []string{s.t("admin.rules.first", len(c.Categories), len(c.Behaviors))}
		case prev == nil:
			vv.Changes = []string{s.t("admin.rules.counts", len(c.Categories), len(c.Behaviors))}
		default:
			vv.Changes = s.catalogDiff(prev, c)
		}
		view.Versions = append(view.Versions, vv)
		prev = c
	}
	slices.Reverse(view.Versions)
	return nil
}

func (s *Server) catalogRows(c *rules.Catalog) []catalogRow {
	cats := map[string]string{}
	for _, k := range c.Categories {
		cats[k.ID] = k.Name
	}
	var out []catalogRow
	for _, b := range c.Behaviors {
		name := cats[b.Category]
		if name == "" {
			name = b.Category
		}
		out = append(out, catalogRow{Category: name, Behavior: b.Name, ID: b.ID, Points: pointsText(b),
			Words: wordsText(b), Roles: s.rolesText(b.Roles), Limits: s.limitsText(b.Limits)})
	}
	return out
}

// schemeRows are the scheme-wide rules: approvals, personal limits,
// allowances by role and thanks.
func (s *Server) schemeRows(c *rules.Catalog) [][2]string {
	out := [][2]string{{s.t("rules.approval"), s.approvalText(c.ApprovalThreshold)}}
	for _, l := range c.ReceiverLimits {
		out = append(out, [2]string{s.t("rules.net_limit", l.Period), s.netText(l)})
	}
	for _, role := range []jifen.Role{jifen.RoleAdmin, jifen.RoleManager, jifen.RoleEmployee} {
		if a, ok := c.Allowances[role]; ok {
			out = append(out, [2]string{s.t("admin.rules.allowance", role), s.allowanceText(a)})
		}
	}
	out = append(out, [2]string{s.t("admin.rules.thanks"), s.thanksText(c.Thanks)})
	return out
}

func (s *Server) rewardRows(c *rules.Catalog) [][]string {
	var out [][]string
	for _, r := range c.Rewards {
		out = append(out, []string{r.Name, strconv.FormatInt(r.Cost, 10), s.stockText(r), s.rewardLimitText(r.Limit), s.yesNo(r.Approval)})
	}
	return out
}

func pointsText(b rules.Behavior) string {
	if b.Fixed() {
		return signedPoints(b.Min)
	}
	if b.Deduction() {
		return strconv.FormatInt(b.Max, 10) + " ~ " + strconv.FormatInt(b.Min, 10)
	}
	return signedPoints(b.Min) + " ~ " + signedPoints(b.Max)
}

func signedPoints(n int64) string {
	if n > 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func wordsText(b rules.Behavior) string {
	words := slices.Clone(b.Aliases)
	for _, t := range b.Tags {
		words = append(words, "#"+t)
	}
	return strings.Join(words, " ")
}

func (s *Server) rolesText(roles []jifen.Role) string {
	if len(roles) == 0 {
		return s.t("admin.rules.roles_default")
	}
	var names []string
	for _, r := range roles {
		names = append(names, s.t("role."+string(r)))
	}
	// Admins may always use every behavior.
	if !slices.Contains(roles, jifen.RoleAdmin) {
		names = append(names, s.t("role.admin"))
	}
	return strings.Join(names, s.t("list.sep"))
}

func (s *Server) limitsText(ls []rules.BehaviorLimit) string {
	var parts []string
	for _, l := range ls {
		if l.Times > 0 {
			parts = append(parts, s.t("rules.limit_times", l.Period, l.Times))
		}
		if l.Points > 0 {
			parts = append(parts, s.t("rules.limit_points", l.Period, l.Points))
		}
	}
	if len(parts) == 0 {
		return s.t("admin.rules.none")
	}
	return strings.Join(parts, s.t("list.sep"))
}

func (s *Server) approvalText(n int64) string {
	if n <= 0 {
		return s.t("admin.rules.no_approval")
	}
	return s.t("rules.approval_value", n)
}

func (s *Server) netText(l rules.NetLimit) string {
	var v []string
	if l.Max != nil {
		v = append(v, s.t("rules.net_max", *l.Max))
	}
	if l.Min != nil {
		v = append(v, s.t("rules.net_min", *l.Min))
	}
	return strings.Join(v, s.t("list.sep"))
}

func (s *Server) allowanceText(a rules.Allowance) string {
	out := s.t("admin.rules.allowance_value", a.Period, a.Points)
	if a.PerMember > 0 {
		out += s.t("list.sep") + s.t("admin.rules.per_member", a.PerMember)
	}
	if a.MaxPerAward > 0 {
		out += s.t("list.sep") + s.t("admin.rules.max_per_award", a.MaxPerAward)
	}
	return out
}

func (s *Server) thanksText(t *rules.Thanks) string {
	if t == nil {
		return s.t("admin.rules.thanks_off")
	}
	return s.t("admin.rules.thanks_value", t.Period, t.Allowance, t.MaxPerThanks, t.Behavior)
}

func (s *Server) stockText(r rules.Reward) string {
	if r.Unlimited() {
		return s.t("admin.rules.unlimited")
	}
	return strconv.FormatInt(r.Stock, 10)
}

func (s *Server) rewardLimitText(l *rules.RewardLimit) string {
	if l == nil {
		return s.t("admin.rules.none")
	}
	return s.t("admin.rules.reward_limit", l.Period, l.Units)
}

func (s *Server) yesNo(b bool) string {
	if b {
		return s.t("admin.rules.yes")
	}
	return s.t("admin.rules.no")
}

// catalogDiff says in words what cur changed from prev: categories,
// behaviors (value, limits, name, category, words, roles), the scheme's
// rules, the shop, targets and policies. Both are as the store recorded
// them.
func (s *Server) catalogDiff(prev, cur *rules.Catalog) []string {
	var out []string
	add := func(key string, args ...any) { out = append(out, s.t(key, args...)) }

	prevCat := map[string]rules.Category{}
	for _, c := range prev.Categories {
		prevCat[c.ID] = c
	}
	curCat := map[string]bool{}
	for _, c := range cur.Categories {
		curCat[c.ID] = true
		switch p, ok := prevCat[c.ID]; {
		case !ok:
			add("admin.rules.diff.category_added", c.Name, c.ID)
		case p.Name != c.Name:
			add("admin.rules.diff.category_renamed", p.Name, c.Name)
		}
	}
	for _, c := range prev.Categories {
		if !curCat[c.ID] {
			add("admin.rules.diff.category_removed", c.Name, c.ID)
		}
	}

	for _, b := range cur.Behaviors {
		p := prev.Behavior(b.ID)
		if p == nil {
			add("admin.rules.diff.behavior_added", b.Name, b.ID, pointsText(b), s.limitsText(b.Limits))
			continue
		}
		var parts []string
		part := func(key string, args ...any) { parts = append(parts, s.t(key, args...)) }
		if p.Name != b.Name {
			part("admin.rules.diff.renamed", p.Name, b.Name)
		}
		if p.Category != b.Category {
			part("admin.rules.diff.moved", categoryName(prev, p.Category), categoryName(cur, b.Category))
		}
		if p.Min != b.Min || p.Max != b.Max {
			part("admin.rules.diff.points", pointsText(*p), pointsText(b))
		}
		if !slices.Equal(p.Limits, b.Limits) {
			part("admin.rules.diff.limits", s.limitsText(p.Limits), s.limitsText(b.Limits))
		}
		if !slices.Equal(p.Roles, b.Roles) {
			part("admin.rules.diff.roles", s.rolesText(p.Roles), s.rolesText(b.Roles))
		}
		if !slices.Equal(p.Aliases, b.Aliases) || !slices.Equal(p.Tags, b.Tags) {
			part("admin.rules.diff.words", orNone(s, wordsText(*p)), orNone(s, wordsText(b)))
		}
		if p.Description != b.Description {
			part("admin.rules.diff.description")
		}
		if len(parts) > 0 {
			add("admin.rules.diff.behavior_changed", b.Name, b.ID, strings.Join(parts, s.t("list.sep")))
		}
	}
	for _, p := range prev.Behaviors {
		if cur.Behavior(p.ID) == nil {
			add("admin.rules.diff.behavior_removed", p.Name, p.ID, pointsText(p))
		}
	}

	if prev.ApprovalThreshold != cur.ApprovalThreshold {
		add("admin.rules.diff.scheme", s.t("rules.approval"), s.approvalText(prev.ApprovalThreshold), s.approvalText(cur.ApprovalThreshold))
	}
	for _, k := range []jifen.PeriodKind{jifen.Week, jifen.Month, jifen.Quarter, jifen.Year, jifen.AllTime} {
		before, after := s.t("admin.rules.none"), s.t("admin.rules.none")
		for _, l := range prev.ReceiverLimits {
			if l.Period == k {
				before = s.netText(l)
			}
		}
		for _, l := range cur.ReceiverLimits {
			if l.Period == k {
				after = s.netText(l)
			}
		}
		if before != after {
			add("admin.rules.diff.scheme", s.t("rules.net_limit", k), before, after)
		}
	}
	for _, role := range []jifen.Role{jifen.RoleAdmin, jifen.RoleManager, jifen.RoleEmployee} {
		before, after := s.t("admin.rules.none"), s.t("admin.rules.none")
		if a, ok := prev.Allowances[role]; ok {
			before = s.allowanceText(a)
		}
		if a, ok := cur.Allowances[role]; ok {
			after = s.allowanceText(a)
		}
		if before != after {
			add("admin.rules.diff.scheme", s.t("admin.rules.allowance", role), before, after)
		}
	}
	if before, after := s.thanksText(prev.Thanks), s.thanksText(cur.Thanks); before != after {
		add("admin.rules.diff.scheme", s.t("admin.rules.thanks"), before, after)
	}

	for _, r := range cur.Rewards {
		p := prev.Reward(r.ID)
		switch {
		case p == nil:
			add("admin.rules.diff.reward_added", r.Name, r.Cost)
		case p.Cost != r.Cost || p.Stock != r.Stock || p.Name != r.Name || p.Approval != r.Approval ||
			s.rewardLimitText(p.Limit) != s.rewardLimitText(r.Limit):
			add("admin.rules.diff.reward_changed", r.Name,
				s.rewardText(*p), s.rewardText(r))
		}
	}
	for _, p := range prev.Rewards {
		if cur.Reward(p.ID) == nil {
			add("admin.rules.diff.reward_removed", p.Name)
		}
	}

	if n := changedByID(prev.Targets, cur.Targets, func(t rules.Target) string { return t.ID }); n > 0 {
		add("admin.rules.diff.targets", n)
	}
	if n := changedByID(prev.Policies, cur.Policies, func(p rules.Policy) string { return p.ID }); n > 0 {
		add("admin.rules.diff.policies", n)
	}
	if len(out) == 0 {
		add("admin.rules.diff.other")
	}
	return out
}

func (s *Server) rewardText(r rules.Reward) string {
	return s.t("admin.rules.reward_value", r.Name, r.Cost, s.stockText(r), s.rewardLimitText(r.Limit), s.yesNo(r.Approval))
}

// categoryName is the name of category id in c, or the id.
func categoryName(c *rules.Catalog, id string) string {
	for _, k := range c.Categories {
		if k.ID == id {
			return k.Name
		}
	}
	return id
}

func orNone(s *Server, text string) string {
	if text == "" {
		return s.t("admin.rules.none")
	}
	return text
}

// changedByID counts the items added, removed or changed between two
// lists matched by id.
func changedByID[T any](prev, cur []T, id func(T) string) int {
	enc := func(x T) string { b, _ := json.Marshal(x); return string(b) }
	before := map[string]string{}
	for _, x := range prev {
		before[id(x)] = enc(x)
	}
	n := 0
	for _, x := range cur {
		if was, ok := before[id(x)]; !ok || was != enc(x) {
			n++
		}
		delete(before, id(x))
	}
	return n + len(before)
}
