package config

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) slack(s *Slack, v value) {
	f := d.fields(v, "enabled", "mode", "bot_token", "signing_secret", "app_token", "api_url", "thanks_reaction", "guests",
		"reply_broadcast", "inline_recognition", "client_id", "client_secret", "oidc_issuer")
	s.Enabled = d.bool(f.get("enabled"))
	s.Mode = strings.ToLower(d.str(f.get("mode")))
	if s.Mode == "" {
		s.Mode = "http"
	}
	if s.Mode != "http" && s.Mode != "socket" {
		d.add(f.get("mode").node, f.get("mode").path, "unknown mode %q (want http or socket)", clip(s.Mode))
	}
	s.BotToken = d.str(f.get("bot_token"))
	s.SigningSecret = d.str(f.get("signing_secret"))
	s.AppToken = d.str(f.get("app_token"))
	s.APIURL = d.str(f.get("api_url"))
	d.url(f.get("api_url"), s.APIURL)
	// Slack names reactions without the colons people type (:pray: → pray).
	s.ThanksReaction = strings.Trim(d.str(f.get("thanks_reaction")), ":")
	s.Guests = d.guests(f.get("guests"), "restricted", "ultra_restricted", "external")
	s.ReplyBroadcast = d.bool(f.get("reply_broadcast"))
	s.InlineRecognition = d.bool(f.get("inline_recognition"))
	s.ClientID = d.str(f.get("client_id"))
	s.ClientSecret = d.str(f.get("client_secret"))
	if (s.ClientID == "") != (s.ClientSecret == "") {
		d.required(f, "client_id", s.ClientID, "slack.client_secret is set")
		d.required(f, "client_secret", s.ClientSecret, "slack.client_id is set")
	}
	s.OIDCIssuer = strings.TrimRight(d.str(f.get("oidc_issuer")), "/")
	if s.OIDCIssuer == "" {
		s.OIDCIssuer = DefaultSlackIssuer
	}
	d.url(f.get("oidc_issuer"), s.OIDCIssuer)
	if !s.Enabled {
		return
	}
	d.required(f, "bot_token", s.BotToken, "slack.enabled is true")
	d.required(f, "signing_secret", s.SigningSecret, "slack.enabled is true")
	if s.Mode == "socket" {
		d.required(f, "app_token", s.AppToken, "slack.mode is socket")
	}
}

// MaxURLVerificationWindow bounds feishu.url_verification_window.
const MaxURLVerificationWindow = time.Hour

func (d *decoder) feishu(s *Feishu, v value) {
	f := d.fields(v, "enabled", "mode", "app_id", "app_secret", "verification_token", "encrypt_key", "base_url", "thanks_reaction",
		"guests", "url_verification_window", "inline_recognition")
	s.Enabled = d.bool(f.get("enabled"))
	s.Mode = strings.ToLower(d.str(f.get("mode")))
	if s.Mode == "" {
		s.Mode = "webhook"
	}
	if s.Mode != "webhook" && s.Mode != "websocket" {
		d.add(f.get("mode").node, f.get("mode").path, "unknown mode %q (want webhook or websocket)", clip(s.Mode))
	}
	s.AppID = d.str(f.get("app_id"))
	s.AppSecret = d.str(f.get("app_secret"))
	s.VerificationToken = d.str(f.get("verification_token"))
	s.EncryptKey = d.str(f.get("encrypt_key"))
	s.BaseURL = strings.TrimRight(d.str(f.get("base_url")), "/")
	if s.BaseURL == "" {
		s.BaseURL = DefaultFeishu
	}
	d.url(f.get("base_url"), s.BaseURL)
	s.ThanksReaction = d.str(f.get("thanks_reaction"))
	s.Guests = d.guests(f.get("guests"), "external")
	s.InlineRecognition = d.bool(f.get("inline_recognition"))
	// The window is for the minutes of saving the request URL in the
	// developer console; longer would only give more time to probe.
	w := f.get("url_verification_window")
	if s.URLVerificationWindow = d.duration(w, 0); s.URLVerificationWindow > MaxURLVerificationWindow {
		d.add(w.node, w.path, "at most %s: the window is for setting the request URL, then it closes", MaxURLVerificationWindow)
	}
	if !s.Enabled {
		return
	}
	d.required(f, "app_id", s.AppID, "feishu.enabled is true")
	d.required(f, "app_secret", s.AppSecret, "feishu.enabled is true")
	if s.VerificationToken == "" && s.EncryptKey == "" {
		vt := f.get("verification_token")
		d.add(lineOf(f, vt), vt.path, "verification_token or encrypt_key is required when feishu.enabled is true%s",
			d.unsetHint(vt.path, f.get("encrypt_key").path))
	}
}

// required reports an empty key, naming the ${VAR} that was not set if the
// file refers to one.
func (d *decoder) required(f *fieldSet, key, val, because string) {
	if val != "" {
		return
	}
	v := f.get(key)
	d.add(lineOf(f, v), v.path, "required when %s%s", because, d.unsetHint(v.path))
}

// lineOf is where to report v: its own line, or its mapping's when absent.
func lineOf(f *fieldSet, v value) *yaml.Node {
	if v.node != nil {
		return v.node
	}
	return f.node
}

func (d *decoder) unsetHint(paths ...string) string {
	var names []string
	for _, p := range paths {
		names = append(names, d.unset[p]...)
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return " (environment variable " + names[0] + " is not set)"
	}
	return " (environment variables " + strings.Join(names, ", ") + " are not set)"
}
