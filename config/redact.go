package config

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"jifen/rules"
)

// Redacted returns the effective configuration — defaults filled in,
// ${VAR} expanded, paths resolved — as YAML, with every secret replaced by
// "***" (or left empty when unset, so an operator can see which are
// missing). It is what `jifen config` prints and what may be logged.
func (c *Config) Redacted() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	slack, feishu := c.Slack, c.Feishu
	slack.BotToken = mask(slack.BotToken)
	slack.SigningSecret = mask(slack.SigningSecret)
	slack.AppToken = mask(slack.AppToken)
	slack.ClientSecret = mask(slack.ClientSecret)
	feishu.AppSecret = mask(feishu.AppSecret)
	feishu.VerificationToken = mask(feishu.VerificationToken)
	feishu.EncryptKey = mask(feishu.EncryptKey)

	v := configView{
		Timezone: c.Timezone,
		Language: c.Language,
		Store: storeView{Driver: c.Store.Driver, Path: c.Store.Path, URL: RedactURL(c.Store.URL),
			AnswerKey: mask(string(c.Store.AnswerKey))},
		HTTP: httpView{Listen: c.HTTP.Listen, PublicURL: c.HTTP.PublicURL, MetricsListen: c.HTTP.MetricsListen,
			MetricsToken: mask(c.HTTP.MetricsToken), ShutdownTimeout: c.HTTP.ShutdownTimeout.String()},
		Slack:  slack,
		Feishu: feishu,
		Admin:  c.Admin,
	}
	for _, m := range c.Members {
		mv := memberView{
			ID: m.ID, Name: m.Name, Email: m.Email, SlackID: m.SlackID, FeishuOpenID: m.FeishuOpenID,
			Department: m.Department, Level: m.Level, Role: string(m.Role), Bot: m.Bot,
		}
		if !m.Joined.IsZero() {
			mv.Joined = m.Joined.Format(time.DateOnly)
		}
		if !m.Left.IsZero() {
			mv.Left = m.Left.Format(time.DateOnly)
		}
		v.Members = append(v.Members, mv)
	}
	if c.Rules != nil {
		v.Rules = viewRules(c.Rules)
	}
	if len(c.Privacy.ScoreVisibility) > 0 {
		v.Privacy = &privacyView{ScoreVisibility: map[string]string{}}
		for r, vis := range c.Privacy.ScoreVisibility {
			v.Privacy.ScoreVisibility[string(r)] = string(vis)
		}
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		// Only plain strings, numbers and lists: encoding cannot fail.
		panic(err)
	}
	enc.Close()
	return b.String()
}

// The view types mirror the file's layout, so the dump reads like the
// file it came from.
type configView struct {
	Timezone string       `yaml:"timezone"`
	Language string       `yaml:"language"`
	Store    storeView    `yaml:"store"`
	HTTP     httpView     `yaml:"http"`
	Slack    Slack        `yaml:"slack"`
	Feishu   Feishu       `yaml:"feishu"`
	Members  []memberView `yaml:"members"`
	Rules    *rulesView   `yaml:"rules,omitempty"`
	Privacy  *privacyView `yaml:"privacy,omitempty"`
	Admin    Admin        `yaml:"admin"`
}

type storeView struct {
	Driver    string `yaml:"driver"`
	Path      string `yaml:"path,omitempty"`
	URL       string `yaml:"url,omitempty"`
	AnswerKey string `yaml:"answer_key,omitempty"`
}

type privacyView struct {
	ScoreVisibility map[string]string `yaml:"score_visibility"`
}

type httpView struct {
	Listen          string `yaml:"listen"`
	PublicURL       string `yaml:"public_url,omitempty"`
	MetricsListen   string `yaml:"metrics_listen,omitempty"`
	MetricsToken    string `yaml:"metrics_token,omitempty"`
	ShutdownTimeout string `yaml:"shutdown_timeout"`
}

type memberView struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Email        string `yaml:"email,omitempty"`
	Department   string `yaml:"department,omitempty"`
	Level        string `yaml:"level,omitempty"`
	Role         string `yaml:"role"`
	Joined       string `yaml:"joined,omitempty"`
	Left         string `yaml:"left,omitempty"`
	SlackID      string `yaml:"slack_id,omitempty"`
	FeishuOpenID string `yaml:"feishu_open_id,omitempty"`
	Bot          bool   `yaml:"bot,omitempty"`
}

type rulesView struct {
	ApprovalThreshold int64                    `yaml:"approval_threshold"`
	ReceiverLimits    []netLimitView           `yaml:"receiver_limits,omitempty"`
	Allowances        map[string]allowanceView `yaml:"allowances,omitempty"`
	Thanks            *thanksView              `yaml:"thanks,omitempty"`
	Categories        []categoryView           `yaml:"categories"`
}

type netLimitView struct {
	Period string `yaml:"period"`
	Max    *int64 `yaml:"max,omitempty"`
	Min    *int64 `yaml:"min,omitempty"`
}

type allowanceView struct {
	Period      string `yaml:"period"`
	Points      int64  `yaml:"points"`
	PerMember   int64  `yaml:"per_member,omitempty"`
	MaxPerAward int64  `yaml:"max_per_award,omitempty"`
}

type thanksView struct {
	Behavior     string `yaml:"behavior"`
	Period       string `yaml:"period"`
	Allowance    int64  `yaml:"allowance"`
	MaxPerThanks int64  `yaml:"max_per_thanks"`
}

type categoryView struct {
	ID          string         `yaml:"id"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description,omitempty"`
	Behaviors   []behaviorView `yaml:"behaviors"`
}

type behaviorView struct {
	ID          string      `yaml:"id"`
	Name        string      `yaml:"name"`
	Aliases     []string    `yaml:"aliases,flow,omitempty"`
	Tags        []string    `yaml:"tags,flow,omitempty"`
	Points      any         `yaml:"points"`
	Roles       []string    `yaml:"roles,flow,omitempty"`
	Limits      []limitView `yaml:"limits,omitempty"`
	Description string      `yaml:"description,omitempty"`
}

type limitView struct {
	Period string `yaml:"period"`
	Times  int    `yaml:"times,omitempty"`
	Points int64  `yaml:"points,omitempty"`
}

// pointRange prints as [min, max], as it is written in the file.
type pointRange [2]int64

func (r pointRange) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, x := range r {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)})
	}
	return n, nil
}

func viewRules(c *rules.Catalog) *rulesView {
	v := &rulesView{ApprovalThreshold: c.ApprovalThreshold, Allowances: map[string]allowanceView{}}
	for _, l := range c.ReceiverLimits {
		v.ReceiverLimits = append(v.ReceiverLimits, netLimitView{Period: string(l.Period), Max: l.Max, Min: l.Min})
	}
	for role, a := range c.Allowances {
		v.Allowances[string(role)] = allowanceView{string(a.Period), a.Points, a.PerMember, a.MaxPerAward}
	}
	if t := c.Thanks; t != nil {
		v.Thanks = &thanksView{t.Behavior, string(t.Period), t.Allowance, t.MaxPerThanks}
	}
	index := map[string]int{}
	for _, cat := range c.Categories {
		index[cat.ID] = len(v.Categories)
		v.Categories = append(v.Categories, categoryView{ID: cat.ID, Name: cat.Name, Description: cat.Description})
	}
	for _, b := range c.Behaviors {
		bv := behaviorView{ID: b.ID, Name: b.Name, Aliases: b.Aliases, Tags: b.Tags, Description: b.Description}
		if b.Fixed() {
			bv.Points = b.Min
		} else {
			bv.Points = pointRange{b.Min, b.Max}
		}
		for _, r := range b.Roles {
			bv.Roles = append(bv.Roles, string(r))
		}
		for _, l := range b.Limits {
			bv.Limits = append(bv.Limits, limitView{string(l.Period), l.Times, l.Points})
		}
		i, ok := index[b.Category]
		if !ok {
			continue
		}
		v.Categories[i].Behaviors = append(v.Categories[i].Behaviors, bv)
	}
	return v
}
