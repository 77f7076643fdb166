package config

import "strings"

// Admin configures the web console served at /admin/ by `jifen serve`.
// Members sign in with Slack (slack.client_id, slack.client_secret) or
// Feishu (feishu.app_id, feishu.app_secret); links back to the console are
// built on http.public_url, which it therefore needs.
type Admin struct {
	Enabled bool `yaml:"enabled"`
	// Employees is what a signed-in employee gets: "refuse" (the default)
	// a page saying the console is for admins and managers, "page" a page
	// with their own figures only.
	Employees string `yaml:"employees"`
}

// Employee policies of the console.
const (
	EmployeesRefuse = "refuse"
	EmployeesPage   = "page"
)

// DefaultSlackIssuer is Slack's OpenID Connect issuer.
const DefaultSlackIssuer = "https://slack.com"

func (d *decoder) admin(a *Admin, v value, c *Config) {
	f := d.fields(v, "enabled", "employees")
	a.Enabled = d.bool(f.get("enabled"))
	a.Employees = strings.ToLower(d.str(f.get("employees")))
	if a.Employees == "" {
		a.Employees = EmployeesRefuse
	}
	if a.Employees != EmployeesRefuse && a.Employees != EmployeesPage {
		e := f.get("employees")
		d.add(e.node, e.path, "unknown value %q (want page or refuse)", clip(a.Employees))
	}
	if !a.Enabled {
		return
	}
	en := f.get("enabled")
	if c.HTTP.PublicURL == "" {
		d.add(lineOf(f, en), en.path, "the console needs http.public_url (the address people open it at): the platforms send signed-in users back to {public_url}/admin/login/…/callback")
	}
	if !c.SlackSignIn() && !c.Feishu.Enabled {
		d.add(lineOf(f, en), en.path, "the console needs a way to sign in: enable feishu, or enable slack and set slack.client_id and slack.client_secret")
	}
}

// SlackSignIn reports whether the console offers "Sign in with Slack":
// the Slack adapter is enabled (its bot token names the workspace members
// must belong to) and the app's client credentials are set.
func (c *Config) SlackSignIn() bool {
	return c.Slack.Enabled && c.Slack.ClientID != "" && c.Slack.ClientSecret != ""
}
