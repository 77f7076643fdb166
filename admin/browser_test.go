package admin

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"jifen/admin/admintest"
	"jifen/locale"
	"jifen/store"
)

// The steps of console pages not built yet: each is written against the
// page's form (field and button names) and runs once its page is part of
// the console; set it to true then.
var (
	browserStepImports   = true // /admin/imports: upload, preview, confirm
	browserStepDecisions = true // /admin/decisions: approve a redemption
)

// browserTimeout bounds the whole browser test, and actionTimeout each
// action in it (an element that never comes, a page that never loads): a
// shared, slow machine runs the test in seconds; a browser that hangs
// fails it, never the run.
const (
	browserTimeout = 2 * time.Minute
	actionTimeout  = 30 * time.Second
)

// TestConsoleInBrowser uses the console in a real browser: Debian's
// chromium, headless, driven through the DevTools protocol (chromedp),
// against the console served over HTTP, signing in through the fake Slack
// and Feishu, whose authorize pages send the browser straight back with a
// code (a user already signed in on the platform). Run it alone with
//
//	go test ./admin -run TestConsoleInBrowser -v
//
// It is skipped when no Chromium is found (chromium, chromium-browser,
// google-chrome on PATH, or the binary named by JIFEN_CHROMIUM), unless
// JIFEN_BROWSER_TEST=1, as CI sets it: then a missing browser fails. With
// JIFEN_SCREENSHOTS set to a directory, the pages are saved there as PNG
// files, named after the step.
func TestConsoleInBrowser(t *testing.T) {
	exe := chromiumPath(t)
	e := browserEnv(t)
	c := startChromium(t, exe, e.base)

	// Signed out, the console sends the browser to the sign-in page,
	// which sends it to Slack and back, signed in, to the page it asked
	// for.
	ok := t.Run("admin signs in", func(t *testing.T) {
		c.t = t
		c.open("/admin/")
		if loc := c.location(); !strings.Contains(loc, "/admin/login?next=") {
			t.Fatalf("signed out, /admin/ landed on %s", loc)
		}
		e.slack.SignInAs(admintest.SlackUser{ID: "UHR", Team: "THOME"})
		if status := c.clickAndWait(`a[href^="/admin/login/slack"]`); status != http.StatusOK {
			t.Fatalf("after sign-in: %d at %s\n%s", status, c.location(), c.body())
		}
		if loc := c.location(); loc != e.base+"/admin/" {
			t.Fatalf("after sign-in at %s", loc)
		}
		c.mustSee("王芳 (admin)", "Sign out")
	})
	if !ok {
		return
	}

	t.Run("overview", func(t *testing.T) {
		c.t = t
		c.mustSee("Key figures: the company", "Net points", "Points awarded",
			"Month by month, 2026", "Waiting for a decision", "Redemptions waiting for a decision", "季度脉搏")
		c.screenshot("overview")
		// On a phone the header wraps and the tables scroll in their
		// box: the page itself is no wider than the screen.
		c.onPhone("/admin/", "overview-phone")
	})

	if browserStepImports {
		t.Run("import ratings", func(t *testing.T) {
			c.t = t
			browserImportRatings(t, c, e)
		})
	}

	t.Run("report", func(t *testing.T) {
		c.t = t
		c.open("/admin/reports")
		if status := c.clickAndWait(`a[href="/admin/reports/2026"]`); status != http.StatusOK {
			t.Fatalf("the year's report: %d\n%s", status, c.body())
		}
		c.mustSee("2026", "Download:")
		c.screenshot("report")
		name, data := c.download(`a[href="/admin/reports/2026/download?format=xlsx"]`)
		if name != "jifen-report-2026.xlsx" {
			t.Errorf("the download is named %q", name)
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("the downloaded report is not a workbook (%d bytes): %v", len(data), err)
		}
		if len(f.GetSheetList()) == 0 {
			t.Error("the downloaded workbook has no sheet")
		}
		f.Close()
		name, data = c.download(`a[href="/admin/reports/2026/download?format=md"]`)
		if name != "jifen-report-2026.md" || !bytes.Contains(data, []byte("2026")) {
			t.Errorf("the Markdown download %q:\n%s", name, data)
		}
	})

	if browserStepDecisions {
		t.Run("approve a redemption", func(t *testing.T) {
			c.t = t
			browserApproveRedemption(t, c, e)
		})
	}

	// The sign-in (and what the steps above did) is in the audit trail.
	t.Run("audit trail", func(t *testing.T) {
		c.t = t
		c.open("/admin/audit")
		c.mustSee("王芳 (hr)", "signed in", "Slack", "imported ratings", "approved a redemption")
		c.screenshot("audit")
	})

	t.Run("employee refused", func(t *testing.T) {
		c.t = t
		c.signOut()
		e.slack.SignInAs(admintest.SlackUser{ID: "UEMP", Team: "THOME"})
		if status := c.clickAndWait(`a[href^="/admin/login/slack"]`); status != http.StatusForbidden {
			t.Errorf("the employee's console: %d, want 403", status)
		}
		c.mustSee("Not for you", "This page of the console is for admins and managers", "张伟 (employee)")
		c.mustNotSee("Key figures", "王芳")
		c.screenshot("employee-refused")
	})

	// A manager signs in with Feishu and sees their department; the
	// pages for admins are refused to them.
	t.Run("manager signs in with Feishu", func(t *testing.T) {
		c.t = t
		c.signOut()
		e.feishu.SignInAs(admintest.FeishuUser{OpenID: "ou_mgr", Tenant: e.feishu.Tenant})
		if status := c.clickAndWait(`a[href^="/admin/login/feishu"]`); status != http.StatusOK {
			t.Fatalf("after sign-in: %d at %s\n%s", status, c.location(), c.body())
		}
		c.mustSee("李雷 (manager)", "Key figures: 销售部", "Feishu")
		c.mustNotSee("Key figures: the company")
		if c.evalBool(`!!document.querySelector('header a[href="/admin/reports"]')`) {
			t.Error("a manager's header links to the reports")
		}
		c.open("/admin/reports/2026")
		c.mustSee("Not for you", "This page of the console is for admins only.")
	})

	// The pages work under the console's strict CSP: the browser refused
	// nothing on them.
	for _, m := range c.blockedByCSP() {
		t.Errorf("the browser refused: %s", m)
	}
}

// signOut signs out with the header's button, and checks the console is
// the sign-in page again.
func (c *chromium) signOut() {
	c.t.Helper()
	c.open("/admin/")
	if status := c.clickAndWait(`form[action="/admin/logout"] button`); status != http.StatusOK {
		c.t.Fatalf("sign-out: %d\n%s", status, c.body())
	}
	if loc := c.location(); loc != c.base+"/admin/login" {
		c.t.Fatalf("after sign-out at %s", loc)
	}
	c.open("/admin/")
	if loc := c.location(); !strings.Contains(loc, "/admin/login?next=") {
		c.t.Fatalf("signed out, /admin/ landed on %s", loc)
	}
}

// browserImportRatings uploads a ratings sheet with a bad row (its row
// and reason shown, nothing written), then the corrected sheet, previewed
// and confirmed.
func browserImportRatings(t *testing.T, c *chromium, e *browserTestEnv) {
	dir := t.TempDir()
	bad := ratingsXLSX(t, filepath.Join(dir, "ratings-bad.xlsx"), "E")
	good := ratingsXLSX(t, filepath.Join(dir, "ratings.xlsx"), "C")

	c.open("/admin/imports")
	c.choose(`select[name="kind"]`, "rating")
	c.upload(bad)
	if status := c.clickAndWait("#preview"); status >= 500 {
		t.Fatalf("preview of a sheet with a bad row: %d\n%s", status, c.body())
	}
	rows := c.eval(`[...document.querySelectorAll("table.bad tr")].filter(tr => tr.querySelector("td")).map(tr => tr.innerText)`)
	if len(rows) != 1 || !strings.Contains(rows[0], "4") || !strings.Contains(rows[0], "E") {
		t.Errorf("the bad rows shown: %q, want row 4's grade E", rows)
	}
	if ok := c.evalBool(`(b => !b || b.disabled)(document.getElementById("confirm"))`); !ok {
		t.Error("a sheet with a bad row can be confirmed")
	}
	c.mustSee("ratings-bad.xlsx cannot be imported: nothing was written.")
	c.screenshot("import-preview")
	if got := e.st.Ratings("2026-10"); len(got) != 0 {
		t.Fatalf("a sheet with a bad row wrote %v", got)
	}

	c.open("/admin/imports")
	c.choose(`select[name="kind"]`, "rating")
	c.upload(good)
	if status := c.clickAndWait("#preview"); status != http.StatusOK {
		t.Fatalf("preview of the corrected sheet: %d\n%s", status, c.body())
	}
	if n := len(c.eval(`[...document.querySelectorAll("table.bad tr")].map(tr => tr.innerText)`)); n != 0 {
		t.Errorf("the corrected sheet has %d bad rows:\n%s", n, c.body())
	}
	c.mustSee("张伟", "陈静")
	c.screenshot("import-preview-ok")
	if got := e.st.Ratings("2026-10"); len(got) != 0 {
		t.Fatalf("the preview wrote %v", got)
	}
	if status := c.clickAndWait("#confirm"); status != http.StatusOK {
		t.Fatalf("confirming the import: %d\n%s", status, c.body())
	}
	c.mustSee("Imported 3 ratings from ratings.xlsx.")
	got := map[string]string{}
	for _, r := range e.st.Ratings("2026-10") {
		got[r.Member] = r.Grade
	}
	if want := map[string]string{"emp": "A", "mgr": "B", "sales": "C"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ratings written %v, want %v", got, want)
	}
}

// ratingsXLSX writes the ratings of 2026-10 for three members, as HR's
// spreadsheet has them; the third's grade is grade (row 4).
func ratingsXLSX(t *testing.T, path, grade string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, row := range [][]any{
		{"member", "period", "grade"},
		{"张伟", "2026-10", "A"},
		{"mgr", "2026-10", "B"},
		{"陈静", "2026-10", grade},
	} {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// browserApproveRedemption approves 张伟's pending redemption from the
// decisions page.
func browserApproveRedemption(t *testing.T, c *chromium, e *browserTestEnv) {
	var id uint64
	for _, r := range e.st.Redemptions("emp", 10) {
		if r.Status == store.RedemptionPending {
			id = r.ID
		}
	}
	if id == 0 {
		t.Fatal("张伟 has no pending redemption")
	}
	c.open("/admin/decisions")
	c.screenshot("decisions")
	if status := c.clickAndWait(fmt.Sprintf("#approve-redemption-%d", id)); status != http.StatusOK {
		t.Fatalf("approving R%d: %d\n%s", id, status, c.body())
	}
	c.mustSee("Approved: 张伟 redeems")
	for _, r := range e.st.Redemptions("emp", 10) {
		if r.ID == id && (r.Status != store.RedemptionApproved || r.DecidedBy != "hr") {
			t.Errorf("R%d after approval: %s by %q", id, r.Status, r.DecidedBy)
		}
	}
}

// browserTestEnv is the overview's test company served over HTTP at base.
type browserTestEnv struct {
	*testEnv
	base string
}

// browserEnv serves the console with the overview's test company (points
// over several months, pending approvals and redemptions, a survey round)
// on a real HTTP server: http.public_url is the server's address, so the
// sign-in comes back to it and its cookies are not Secure.
func browserEnv(t *testing.T) *browserTestEnv {
	t.Helper()
	var console http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { console.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e := overviewEnv(t, "")
	cfg := *e.cfg
	cfg.HTTP.PublicURL = srv.URL
	s, err := New(context.Background(), Options{Store: e.st, Config: &cfg, Language: locale.EN,
		Now: func() time.Time { return e.now }, Bot: e.bot,
		SlackTeam: func(context.Context) (string, error) { return "THOME", nil }})
	if err != nil {
		t.Fatal(err)
	}
	e.s, e.cfg = s, &cfg
	console = s.Handler()
	return &browserTestEnv{testEnv: e, base: srv.URL}
}

// chromiumPath finds the browser, or skips the test (fails it when
// JIFEN_BROWSER_TEST=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	required := os.Getenv("JIFEN_BROWSER_TEST") == "1"
	if testing.Short() && !required {
		t.Skip("the browser test is not short")
	}
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	if p := os.Getenv("JIFEN_CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if required {
		t.Fatalf("JIFEN_BROWSER_TEST=1 but no browser found among %v", names)
	}
	t.Skipf("no browser found among %v (install Debian's chromium, or set JIFEN_CHROMIUM)", names)
	return ""
}

// chromium is a headless browser's tab on the console at base. Its
// helpers fail the current (sub)test t on an error.
type chromium struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string // JIFEN_SCREENSHOTS: where screenshots go, if set
	dl    string // where downloads go
	out   *lockedBuffer

	mu      sync.Mutex
	console []chromedp.ConsoleMessage // what the pages wrote to the console
}

// lockedBuffer collects the browser's output and chromedp's errors, shown
// when the test fails.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Printf(format string, args ...any) { fmt.Fprintf(l, format+"\n", args...) }

// tail is the last n lines written, without Chromium's complaints of
// having no D-Bus (none runs in a container or on CI).
func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	for line := range strings.Lines(l.b.String()) {
		if !strings.Contains(line, "dbus") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

// startChromium starts the browser at exe, headless, with a fresh
// profile; it is stopped when the test ends.
func startChromium(t *testing.T, exe, base string) *chromium {
	t.Helper()
	c := &chromium{t: t, base: base, shots: os.Getenv("JIFEN_SCREENSHOTS"), dl: t.TempDir(), out: &lockedBuffer{}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.WindowSize(1280, 900), chromedp.CombinedOutput(c.out))
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	cctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(c.out.Printf))
	c.ctx = cctx
	top := t
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
		if top.Failed() {
			top.Logf("the browser's output (its D-Bus complaints left out):\n%s", c.out.tail(40))
		}
	})
	if c.shots != "" {
		if err := os.MkdirAll(c.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The browser's life is bound to the context of the first action,
	// which has no timeout of its own.
	if err := chromedp.Do(c.ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	// The console's messages are kept (until the tab closes) for
	// blockedByCSP.
	messages := chromedp.Console(c.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.console = append(c.console, m)
			c.mu.Unlock()
		}
	}()
	return c
}

// action is the context of one action: the tab's, for actionTimeout at most.
func (c *chromium) action() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, actionTimeout)
}

// do runs actions in the tab.
func (c *chromium) do(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("browser: %v", err)
	}
}

// open loads the console's page at path (a path under /admin/).
func (c *chromium) open(path string) {
	c.t.Helper()
	c.do(chromedp.Navigate(c.base + path))
}

// clickAndWait clicks the element that sel (CSS) finds and waits for the
// page it leads to, after any redirects; it returns that page's status.
func (c *chromium) clickAndWait(sel string) int64 {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		c.t.Fatalf("browser: clicking %s on %s: %v", sel, c.location(), err)
	}
	return resp.Status
}

// choose selects the first option of the select element sel (CSS) whose
// value contains want (in any case).
func (c *chromium) choose(sel, want string) {
	c.t.Helper()
	c.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	js := fmt.Sprintf(`(s => { const o = [...s.options].find(o => o.value.toLowerCase().includes(%q)); if (!o) return false; s.value = o.value; return true })(document.querySelector(%q))`, strings.ToLower(want), sel)
	if !c.evalBool(js) {
		c.t.Fatalf("%s has no option %q", sel, want)
	}
}

// upload chooses the file at path in the page's file input (name "file").
func (c *chromium) upload(path string) {
	c.t.Helper()
	c.do(chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"][name="file"]`), []string{path}))
}

// download clicks the link sel (CSS) to a file and returns the name the
// server gave it and its bytes, once the browser has it all.
func (c *chromium) download(sel string) (string, []byte) {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	begin := chromedp.Events(ctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	events := true
	if _, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: c.dl, EventsEnabled: &events}); err != nil {
		c.t.Fatalf("browser: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		c.t.Fatalf("browser: clicking %s: %v", sel, err)
	}
	var guid, name string
	for ev, err := range begin {
		if err != nil {
			c.t.Fatalf("browser: waiting for the download of %s: %v", sel, err)
		}
		guid, name = ev.GUID, ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			c.t.Fatalf("browser: downloading %s: %v", name, err)
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			c.t.Fatalf("browser: the download of %s was cancelled", name)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			break
		}
	}
	data, err := os.ReadFile(filepath.Join(c.dl, guid))
	if err != nil {
		c.t.Fatal(err)
	}
	return name, data
}

// onPhone opens the console's page at path in a second tab the size of
// a phone (same session), checks the page fits the screen's width, and
// saves a screenshot of it as name.
func (c *chromium) onPhone(path, name string) {
	c.t.Helper()
	phone, cancel := chromedp.NewContext(c.ctx)
	defer cancel()
	if err := chromedp.Do(phone); err != nil { // opens the tab
		c.t.Fatalf("browser: %v", err)
	}
	main := c.ctx
	c.ctx = phone
	defer func() { c.ctx = main }()
	c.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(c.base+path))
	if wide := c.evalBool(`document.documentElement.scrollWidth > window.innerWidth`); wide {
		c.t.Errorf("%s is wider than a phone's screen", path)
	}
	c.screenshot(name)
}

// blockedByCSP is what the browser refused on the pages so far because
// of the console's Content-Security-Policy (a script, a style sheet, an
// image from elsewhere), as it reported it on the console.
func (c *chromium) blockedByCSP() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.console {
		if strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.Text)
		}
	}
	return out
}

// location is the tab's address.
func (c *chromium) location() string {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		c.t.Fatalf("browser: %v", err)
	}
	return loc
}

// body is the page's text as the browser shows it.
func (c *chromium) body() string {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	// The page's text as one string: no node is looked up, so a page
	// still being replaced by the next one cannot answer with a node
	// that is gone.
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "loading" ? "" : document.body.innerText`))
	if err != nil {
		c.t.Fatalf("browser: %v", err)
	}
	return text
}

// eval runs a JavaScript expression that gives a list of strings.
func (c *chromium) eval(expr string) []string {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](expr))
	if err != nil {
		c.t.Fatalf("browser: %s: %v", expr, err)
	}
	return out
}

// evalBool runs a JavaScript expression that gives true or false.
func (c *chromium) evalBool(expr string) bool {
	c.t.Helper()
	ctx, cancel := c.action()
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		c.t.Fatalf("browser: %s: %v", expr, err)
	}
	return out
}

// mustSee checks the page shows each text.
func (c *chromium) mustSee(texts ...string) {
	c.t.Helper()
	body := c.body()
	for _, s := range texts {
		if !strings.Contains(body, s) {
			c.t.Errorf("%s does not show %q:\n%s", c.location(), s, body)
		}
	}
}

// mustNotSee checks the page shows none of texts.
func (c *chromium) mustNotSee(texts ...string) {
	c.t.Helper()
	body := c.body()
	for _, s := range texts {
		if strings.Contains(body, s) {
			c.t.Errorf("%s shows %q:\n%s", c.location(), s, body)
		}
	}
}

// screenshot saves the whole page as name.png in JIFEN_SCREENSHOTS, if set.
func (c *chromium) screenshot(name string) {
	c.t.Helper()
	if c.shots == "" {
		return
	}
	ctx, cancel := c.action()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(c.shots, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}
