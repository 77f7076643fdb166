// Package config loads the operator's configuration file (config.yaml): time
// zone and language, where the store lives, the chat platforms and their
// credentials, the members, and the rule catalog (积分规则).
//
// The file is read with yaml.v3's Node API rather than decoded straight into
// structs, so that every problem can name its line and key path
// ("config.yaml:12: members[3].role: …"), and all problems are reported at
// once: an operator fixes the file in one pass, not one error per restart.
// ${VAR} references in values are expanded from the environment before
// validation (see expand.go), so secrets stay out of the file.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // so Asia/Shanghai loads on hosts without zoneinfo

	"go.yaml.in/yaml/v3"

	"jifen"
	"jifen/rules"
	"jifen/survey"
)

// Defaults for keys the file may omit.
const (
	DefaultTimezone = "Asia/Shanghai"
	DefaultLanguage = "zh"
	DefaultStore    = "jifen.db"
	DefaultListen   = ":8080"
	DefaultFeishu   = "https://open.feishu.cn"
	// DefaultShutdownTimeout bounds a shutdown (http.shutdown_timeout).
	DefaultShutdownTimeout = 15 * time.Second
)

// Config is a loaded and validated configuration file. Load and Parse return
// it only when the whole file is valid; it is not changed afterwards.
type Config struct {
	Path     string         // the file it was loaded from
	Timezone string         // IANA name, default Asia/Shanghai
	Location *time.Location // Timezone, loaded; periods are computed in it
	Language string         // "zh" or "en": the language of chat replies and reports
	Store    Store
	Log      Log // level and format of the operator's log (log.go)
	HTTP     HTTP
	Slack    Slack
	Feishu   Feishu
	Members  []jifen.Member
	Rules    *rules.Catalog // never nil after a successful load

	Schedules []Schedule
	Surveys   []survey.Survey
	Privacy   Privacy // who may see whose score (privacy.go)
	Admin     Admin   // the web console (admin.go)

	// Warnings are things in the file that do no harm but are probably
	// not what the operator meant (a setting the chosen store ignores);
	// the commands log them at start. Like Problems, they never quote a
	// secret.
	Warnings []Problem
}

// HTTP is the listener for platform callbacks, health checks and reports.
type HTTP struct {
	Listen    string `yaml:"listen"`               // default ":8080"
	PublicURL string `yaml:"public_url,omitempty"` // how users reach it, for links in messages
	// MetricsListen, when set, serves /metrics on this address only (an
	// internal one), never on Listen.
	MetricsListen string `yaml:"metrics_listen,omitempty"`
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string `yaml:"metrics_token,omitempty"`
	// ShutdownTimeout bounds a shutdown: replies still waiting to be sent
	// then are dropped (and counted in the log). Default 15s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout,omitempty"`
}

// Slack configures the Slack adapter.
type Slack struct {
	Enabled        bool   `yaml:"enabled"`
	Mode           string `yaml:"mode"` // "http" (Events API) or "socket" (Socket Mode)
	BotToken       string `yaml:"bot_token"`
	SigningSecret  string `yaml:"signing_secret"`
	AppToken       string `yaml:"app_token"` // Socket Mode only
	APIURL         string `yaml:"api_url,omitempty"`
	ThanksReaction string `yaml:"thanks_reaction,omitempty"` // emoji name without colons
	Guests         Guests `yaml:"guests,omitempty"`          // who besides the workspace's full members may join (guests.go)
	// ReplyBroadcast also sends to the channel the announcement of points
	// (an award, a deduction, thanks, a revocation) that a command typed in
	// a thread posts in that thread: Slack's "also send to channel".
	ReplyBroadcast bool `yaml:"reply_broadcast,omitempty"`
	// InlineRecognition reads recognitions written in ordinary channel
	// messages ("+5 @王芳 #客户好评") as /award or /thanks (bot.Inline). It
	// needs the message.channels (and message.groups) events and the
	// channels:history (groups:history) scope.
	InlineRecognition bool `yaml:"inline_recognition,omitempty"`
	// ClientID and ClientSecret are the app's OAuth credentials (Basic
	// Information → App Credentials), which "Sign in with Slack" to the
	// web console needs; the bot token cannot sign people in.
	ClientID     string `yaml:"client_id,omitempty"`
	ClientSecret string `yaml:"client_secret,omitempty"`
	// OIDCIssuer is the OpenID Connect issuer of Sign in with Slack,
	// default https://slack.com (another only for a test server).
	OIDCIssuer string `yaml:"oidc_issuer,omitempty"`
}

// Feishu configures the Feishu (飞书) adapter.
type Feishu struct {
	Enabled           bool   `yaml:"enabled"`
	Mode              string `yaml:"mode"` // "webhook" (event callback) or "websocket" (long connection)
	AppID             string `yaml:"app_id"`
	AppSecret         string `yaml:"app_secret"`
	VerificationToken string `yaml:"verification_token"`
	EncryptKey        string `yaml:"encrypt_key"`
	BaseURL           string `yaml:"base_url"`
	ThanksReaction    string `yaml:"thanks_reaction,omitempty"`
	Guests            Guests `yaml:"guests,omitempty"` // whether users of another tenant may join (guests.go)
	// URLVerificationWindow is how long after start-up a webhook with an
	// encrypt key decrypts an unsigned request-URL check (Feishu does not
	// sign it); 0, the default, never: nothing unsigned is decrypted.
	URLVerificationWindow time.Duration `yaml:"url_verification_window,omitempty"`
	// InlineRecognition reads recognitions written in ordinary group
	// messages ("+5 @王芳 #客户好评") as /award or /thanks (bot.Inline). It
	// needs the permission to read all group messages
	// (im:message.group_msg).
	InlineRecognition bool `yaml:"inline_recognition,omitempty"`
}

// Load reads the file at path, expanding ${VAR} from the process
// environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.LookupEnv)
}

// document reads a YAML file's top node, with the decoder that reports its
// problems under path (or name, when path is empty).
func document(path, name string, data []byte) (*decoder, *yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, syntaxError(path, err)
	}
	d := &decoder{file: path, unset: map[string][]string{}}
	if d.file == "" {
		d.file = name
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.add(nil, "", "the file is empty")
		return nil, nil, d.err()
	}
	return d, doc.Content[0], nil
}

// Parse reads a configuration from data; path names it in problems and
// anchors a relative store path. getenv looks up ${VAR} references.
// The error, if any, is an *Error listing every problem found.
func Parse(path string, data []byte, getenv func(string) (string, bool)) (*Config, error) {
	d, root, err := document(path, "config", data)
	if err != nil {
		return nil, err
	}
	expand(d, root, "", getenv)
	c := &Config{Path: path}
	d.config(c, root)
	if err := d.err(); err != nil {
		return nil, err
	}
	c.Warnings = d.warnings
	// The decoder checks the catalog with lines; Validate is the rules
	// package's own word on it, so the two can never disagree silently.
	if err := c.Rules.Validate(); err != nil {
		return nil, &Error{Problems: []Problem{{File: d.file, Key: "rules", Text: err.Error()}}}
	}
	return c, nil
}

// Member returns the member with the given id or, failing that, the given
// name (exactly as configured).
func (c *Config) Member(idOrName string) (jifen.Member, bool) {
	for _, m := range c.Members {
		if m.ID == idOrName {
			return m, true
		}
	}
	for _, m := range c.Members {
		if m.Name == idOrName {
			return m, true
		}
	}
	return jifen.Member{}, false
}

// syntaxError turns yaml.v3's "yaml: line N: msg" into our FILE:LINE form.
func syntaxError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ":")
		return &Error{Problems: []Problem{{File: path, Line: line, Text: strings.TrimSpace(rest)}}}
	}
	return &Error{Problems: []Problem{{File: path, Text: msg}}}
}

// config decodes the top level.
func (d *decoder) config(c *Config, root *yaml.Node) {
	if n := deref(root); n.Kind != yaml.MappingNode {
		d.add(n, "", "want a mapping of sections (timezone, members, rules …), got %s", kindName(n))
		return
	}
	f := d.fields(value{node: root}, "timezone", "language", "store", "log", "http", "slack", "feishu",
		"members", "rules", "schedules", "surveys", "rewards", "targets", "policies", "privacy", "admin")

	c.Timezone = d.str(f.get("timezone"))
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	if loc, err := time.LoadLocation(c.Timezone); err != nil {
		d.add(f.get("timezone").node, "timezone", "unknown time zone %q (want an IANA name such as Asia/Shanghai)", c.Timezone)
	} else {
		c.Location = loc
	}

	c.Language = DefaultLanguage
	if v := f.get("language"); v.node != nil {
		s := d.str(v)
		if lang, ok := normalizeLanguage(s); ok {
			c.Language = lang
		} else if s != "" {
			d.add(v.node, v.path, "unknown language %q (want zh or en)", s)
		}
	}

	d.store(&c.Store, f.get("store"), c.Path)
	d.log(&c.Log, f.get("log"))
	d.http(&c.HTTP, f.get("http"))
	d.slack(&c.Slack, f.get("slack"))
	d.feishu(&c.Feishu, f.get("feishu"))
	c.Members = d.members(f.get("members"))
	c.Rules = d.rules(f.get("rules"))
	ids := map[string]bool{}
	for _, m := range c.Members {
		ids[m.ID] = true
	}
	c.Rules.Rewards = d.rewards(f.get("rewards"), ids)
	c.Schedules = d.schedules(f.get("schedules"), c.Rules)
	c.Rules.Targets = d.targets(f.get("targets"), c.Rules)
	c.Rules.Policies = d.policies(f.get("policies"), c.Rules, c.Location)
	c.Surveys = d.surveys(f.get("surveys"), c.Members)
	c.Privacy = d.privacy(f.get("privacy"))
	d.admin(&c.Admin, f.get("admin"), c)
	d.storeNeeds(c, f.get("store"), f.get("schedules"))
}

// normalizeLanguage maps zh, zh-CN, zh_Hans, en-US … to "zh" or "en".
func normalizeLanguage(s string) (string, bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "zh", "en":
		return base, true
	}
	return "", false
}

func (d *decoder) http(h *HTTP, v value) {
	f := d.fields(v, "listen", "public_url", "metrics_listen", "metrics_token", "shutdown_timeout")
	h.Listen = d.str(f.get("listen"))
	if h.Listen == "" {
		h.Listen = DefaultListen
	}
	if _, _, err := net.SplitHostPort(h.Listen); err != nil {
		d.add(f.get("listen").node, join(v.path, "listen"), "want host:port or :port, got %q", clip(h.Listen))
	}
	h.PublicURL = strings.TrimRight(d.str(f.get("public_url")), "/")
	d.url(f.get("public_url"), h.PublicURL)
	h.MetricsListen = d.str(f.get("metrics_listen"))
	if h.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(h.MetricsListen); err != nil {
			d.add(f.get("metrics_listen").node, join(v.path, "metrics_listen"), "want host:port or :port, got %q", clip(h.MetricsListen))
		} else if h.MetricsListen == h.Listen && port != "0" {
			d.add(f.get("metrics_listen").node, join(v.path, "metrics_listen"), "is the same address as listen: give /metrics an internal address of its own, or leave it out")
		}
	}
	h.MetricsToken = d.str(f.get("metrics_token"))
	if h.MetricsToken != "" && len(h.MetricsToken) < 16 {
		d.add(f.get("metrics_token").node, join(v.path, "metrics_token"), "too short: use at least 16 random characters")
	}
	h.ShutdownTimeout = d.duration(f.get("shutdown_timeout"), DefaultShutdownTimeout)
	if h.ShutdownTimeout < time.Second {
		d.add(f.get("shutdown_timeout").node, join(v.path, "shutdown_timeout"), "want at least 1s, got %s", h.ShutdownTimeout)
	}
}

// url reports s unless it is empty or an absolute http(s) URL.
func (d *decoder) url(v value, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.add(v.node, v.path, "want an http:// or https:// address, got %q", clip(s))
	}
}
