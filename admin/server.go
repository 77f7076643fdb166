// Package admin is jifen's web console, served by `jifen serve` at /admin/
// for the people who run the scheme: admins see everything, managers their
// department, employees their own figures or a refusal (admin.employees).
//
// People sign in with the account they already have: Sign in with Slack
// (OpenID Connect, slack.go) or Feishu's web login (OAuth, feishu.go). The
// platform's user is matched to a member (platform id, then email); the
// session is a signed cookie naming the member (session.go), and every
// request reads the member again from the store, so a member who left or
// was demoted loses access at once.
//
// Every page is registered with Server.page, which states the least role
// that may open it; state-changing requests pass Go's cross-origin
// protection first. Pages are server-rendered html/template with no
// external assets and a strict Content-Security-Policy.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/locale"
	"jifen/roster"
	"jifen/store"
)

// Options configure a Server.
type Options struct {
	// Store is the ledger: every page reads it in one Read (or in the
	// Write it makes); it keeps the session key. A *store.Store is one.
	Store  store.Ledger
	Config *config.Config // admin, http.public_url, slack and feishu keys
	// Language is the locale of the pages (locale.ZH or locale.EN).
	Language string
	Logger   *slog.Logger
	// Now is the clock sessions and ID tokens are checked against;
	// time.Now when nil.
	Now func() time.Time
	// HTTPClient calls the platforms (token exchange, user info).
	HTTPClient *http.Client
	// SlackTeam names the workspace the Slack app is installed in
	// (auth.test); Sign in with Slack refuses users of another workspace
	// unless slack.guests.external allows them. Sign in with Slack is
	// refused when it is nil.
	SlackTeam func(context.Context) (string, error)
	// Bot runs the decisions taken in the console as the chat commands
	// they are (/approve, /reject, /redemptions approve …), so the same
	// rules apply: reasons, separation of duties, refunds, notices.
	Bot Commander
	// SyncPlan reads a platform's directory ("slack" or "feishu") and
	// plans the members sync against the store, as `jifen members sync
	// --dry-run` does; the members page previews it. Nil: no preview.
	SyncPlan func(ctx context.Context, from roster.Platform) (roster.Plan, error)
}

// Commander runs a chat command for a member; *bot.Bot is one.
type Commander interface {
	Handle(ctx context.Context, req bot.Request) bot.Response
	// PersonalReportIn words a member's report of a period as chat does,
	// read from rd.
	PersonalReportIn(rd store.Reader, m jifen.Member, p jifen.Period) bot.Message
}

// Server is the console. Build it with New; mount Handler at /admin/.
type Server struct {
	st      store.Ledger
	cfg     *config.Config
	lang    string
	log     *slog.Logger
	now     func() time.Time
	hc      *http.Client
	base    string // http.public_url, without a trailing slash
	secure  bool   // cookies are Secure: the console is reached over https
	key     []byte // signs session and login cookies
	mux     *http.ServeMux
	handler http.Handler

	bot    Commander
	plan   func(ctx context.Context, from roster.Platform) (roster.Plan, error)
	slack  *slackLogin  // nil when Sign in with Slack is not configured
	feishu *feishuLogin // nil when Feishu is not enabled

	pages []pageRoute // every page registered, for the route tests

	usedMu sync.Mutex
	used   map[string]time.Time // login states used and sessions signed out, until they expire
}

// New builds the console. It fails when the console is not enabled or its
// configuration is incomplete (config.Parse reports the same).
func New(ctx context.Context, opt Options) (*Server, error) {
	if opt.Store == nil || opt.Config == nil {
		return nil, errors.New("admin: Store and Config are required")
	}
	c := opt.Config
	if c.HTTP.PublicURL == "" {
		return nil, errors.New("admin: the console needs http.public_url")
	}
	u, err := url.Parse(c.HTTP.PublicURL)
	if err != nil {
		return nil, err
	}
	key, err := opt.Store.SessionKey(ctx)
	if err != nil {
		return nil, err
	}
	s := &Server{st: opt.Store, cfg: c, lang: opt.Language, log: opt.Logger, now: opt.Now, hc: opt.HTTPClient,
		base: strings.TrimRight(c.HTTP.PublicURL, "/"), secure: u.Scheme == "https", key: key,
		used: map[string]time.Time{}, bot: opt.Bot, plan: opt.SyncPlan}
	if !locale.Supported(s.lang) {
		s.lang = locale.ZH
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "admin")
	if s.now == nil {
		s.now = time.Now
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 10 * time.Second}
	}
	if c.SlackSignIn() {
		s.slack = newSlackLogin(s, opt.SlackTeam)
	}
	if c.Feishu.Enabled {
		s.feishu = newFeishuLogin(s)
	}
	s.routes()
	return s, nil
}

// Handler serves the console; mount it at /admin/. State-changing
// requests from another origin are refused (403) before any handler runs.
func (s *Server) Handler() http.Handler { return s.handler }

// routes registers every console route. Each page names the least role
// that may open it.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.page("GET /admin/{$}", jifen.RoleEmployee, s.overview)
	s.reportRoutes()
	s.importRoutes()
	s.ruleRoutes()
	s.decisionRoutes()
	s.ledgerRoutes()
	s.memberRoutes()
	s.surveyRoutes()
	s.auditRoutes()
	s.mux.HandleFunc("GET /admin/login", s.loginPage)
	s.mux.HandleFunc("POST /admin/logout", s.logout)
	s.mux.HandleFunc("GET /admin/login/slack", s.startLogin(platformSlack))
	s.mux.HandleFunc("GET /admin/login/slack/callback", s.callback(platformSlack))
	s.mux.HandleFunc("GET /admin/login/feishu", s.startLogin(platformFeishu))
	s.mux.HandleFunc("GET /admin/login/feishu/callback", s.callback(platformFeishu))
	s.mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusNotFound, "message", pageData{Title: s.t("admin.not_found"), Text: s.t("admin.not_found")})
	})
	// The check compares Origin (or Sec-Fetch-Site) with the request's
	// host: a form posted from another site is refused, while same-origin
	// forms and requests without a browser's headers (curl) pass. The
	// public address is trusted too, for a proxy that rewrites Host.
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.base); err == nil {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			s.log.Warn("http.public_url is not an origin the console can trust", "err", err)
		}
	}
	s.handler = securityHeaders(cop.Handler(s.mux))
}

// A PageHandler serves a console page to a signed-in viewer allowed to see it.
type PageHandler func(w http.ResponseWriter, r *http.Request, v *Viewer)

// page registers a page that needs a session and at least role min.
// Signed out, a GET is sent to the sign-in page (and back here after it)
// and anything else is refused; a viewer below min gets a 403 page. An
// employee reaches a page open to employees only when admin.employees is
// "page".
func (s *Server) page(pattern string, min jifen.Role, h PageHandler) {
	s.pages = append(s.pages, pageRoute{pattern, min})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, ok, err := s.viewer(r)
		if err != nil {
			s.readFailed(w, r, nil, s.sectionTitle(r.URL.Path), "err.internal", err)
			return
		}
		if !ok {
			s.clearSession(w)
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
				return
			}
			s.render(w, http.StatusForbidden, "message", pageData{Title: s.t("admin.signed_out"), Text: s.t("admin.signed_out")})
			return
		}
		if !v.allowed(min, s.cfg.Admin.Employees) {
			// A page for admins alone says so to a manager.
			text := s.t("admin.forbidden")
			if min == jifen.RoleAdmin {
				text = s.t("admin.forbidden_admins")
			}
			if r.Method == http.MethodPost {
				// An action refused to a signed-in member is on the record;
				// reading a page is not.
				s.record(r.Context(), store.AuditRecord{Actor: v.Member.ID, Action: "forbidden", Object: pattern, Outcome: "refused", Via: v.Platform})
			}
			s.render(w, http.StatusForbidden, "message", pageData{Title: s.t("admin.forbidden_title"), Text: text, Viewer: v})
			return
		}
		h(w, r, v)
	})
}

// pageRoute is a registered page: its pattern and least role.
type pageRoute struct {
	pattern string
	min     jifen.Role
}

// rank orders roles for page access.
func rank(r jifen.Role) int {
	switch r {
	case jifen.RoleAdmin:
		return 2
	case jifen.RoleManager:
		return 1
	}
	return 0
}

// securityHeaders sets what every console response carries: a strict CSP
// (no script, no external asset, no framing), no caching of pages that
// show people's figures, and no referrer leaving the console.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "private, no-store")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) t(key string, args ...any) string { return locale.T(s.lang, key, args...) }
