package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"jifen"
	"jifen/config"
	"jifen/rules"
)

// Delivery is one platform request as the generator built it: enough to
// send the same command again with the same idempotency key, as a platform
// re-delivers. The --sent file holds one per line (JSON), and --resend
// reads them back.
type Delivery struct {
	Seq      int64  `json:"seq"`
	Platform string `json:"platform"`        // slack or feishu
	Command  string `json:"command"`         // award, score, leaderboard, redeem
	Token    string `json:"token,omitempty"` // awards: the unique last word of the reason
	User     string `json:"user"`            // the caller: a Slack user id or a Feishu open_id
	Text     string `json:"text"`            // Slack: the command's text; Feishu: the message text

	// Slack slash commands.
	Slash     string `json:"slash,omitempty"` // /award, /score, /leaderboard
	TriggerID string `json:"trigger_id,omitempty"`

	// Feishu im.message.receive_v1 events.
	EventID   string    `json:"event_id,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Mentions  []Mention `json:"mentions,omitempty"`

	// Replica is the server (its index in --url) the first delivery went
	// to; re-deliveries go to the others.
	Replica int `json:"replica"`
}

// Mention is a Feishu message mention: the placeholder in the text
// (@_user_2) and who it stands for.
type Mention struct {
	Key    string `json:"key"`
	OpenID string `json:"open_id"`
	Name   string `json:"name"`
}

// Key is the idempotency key the server records for the delivery (see
// bot/slack/http.go and bot/feishu/events.go): a checker can look it up
// with store.Seen.
func (d Delivery) Key() string {
	if d.Platform == "slack" {
		return "slack:cmd:" + d.TriggerID
	}
	return "feishu:msg:" + d.MessageID
}

// Mix is the share of each command in the workload.
type Mix struct {
	Award, Score, Leaderboard, Redeem float64
}

// ParseMix reads "award=60,score=25,leaderboard=15"; the numbers are
// weights and need not add up to 100.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, num, ok := strings.Cut(part, "=")
		if !ok {
			return Mix{}, fmt.Errorf("--mix %q: want command=weight, e.g. award=60", part)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || w < 0 {
			return Mix{}, fmt.Errorf("--mix %q: the weight must be a number ≥ 0", part)
		}
		switch strings.TrimSpace(name) {
		case "award":
			m.Award = w
		case "score":
			m.Score = w
		case "leaderboard":
			m.Leaderboard = w
		case "redeem":
			m.Redeem = w
		default:
			return Mix{}, fmt.Errorf("--mix: unknown command %q (award, score, leaderboard, redeem)", name)
		}
	}
	if m.Award+m.Score+m.Leaderboard+m.Redeem == 0 {
		return Mix{}, errors.New("--mix: give at least one command a weight above 0")
	}
	return m, nil
}

// pick chooses a command with the mix's weights.
func (m Mix) pick(r *rand.Rand) string {
	x := r.Float64() * (m.Award + m.Score + m.Leaderboard + m.Redeem)
	switch {
	case x < m.Award:
		return "award"
	case x < m.Award+m.Score:
		return "score"
	case x < m.Award+m.Score+m.Redeem:
		return "redeem"
	}
	return "leaderboard"
}

// Workload builds the deliveries from the config the server runs with, so
// that callers, receivers and the behavior are ones the server knows and
// the awards pass its checks.
type Workload struct {
	Run       string // makes tokens, trigger ids and event ids unique across runs
	Platforms []string
	Mix       Mix
	Behavior  *rules.Behavior
	Points    int64
	// To, if set, receives every award (a receiver's caps under load);
	// otherwise each award goes to a member at random.
	To *jifen.Member
	// Reward is the item /redeem asks for: each redemption by the next
	// member in turn, so that up to one per member the redeemers differ.
	Reward *rules.Reward

	// Per platform: who may award (admins, else managers) and everyone
	// who may receive (members who are not bots).
	givers  map[string][]jifen.Member
	callers map[string][]jifen.Member // anyone with an id on the platform: score, leaderboard
	members []jifen.Member
}

// botOpenID is the open_id the Feishu messages @mention as the bot.
const botOpenID = "ou_jifen_load_bot_0000000000000000"

// NewWorkload picks the behavior (by id, name or alias; empty picks the first
// positive behavior without per-receiver limits, a fixed-value one if there
// is one, so awards are not refused for hitting those limits) and the
// callers on each platform.
func NewWorkload(cfg *config.Config, run, platform, behavior string, mix Mix) (*Workload, error) {
	w := &Workload{Run: run, Mix: mix, givers: map[string][]jifen.Member{}, callers: map[string][]jifen.Member{}}
	switch platform {
	case "slack", "feishu":
		w.Platforms = []string{platform}
	case "mixed":
		w.Platforms = []string{"slack", "feishu"}
	default:
		return nil, fmt.Errorf("--platform %q: slack, feishu or mixed", platform)
	}
	for _, p := range w.Platforms {
		if p == "slack" && (!cfg.Slack.Enabled || cfg.Slack.Mode != "http") {
			return nil, fmt.Errorf("%s: slack is not enabled in http mode; the generator sends HTTP slash commands", cfg.Path)
		}
		if p == "feishu" && (!cfg.Feishu.Enabled || cfg.Feishu.Mode != "webhook") {
			return nil, fmt.Errorf("%s: feishu is not enabled in webhook mode; the generator sends HTTP events", cfg.Path)
		}
	}
	b, err := pickBehavior(cfg.Rules, behavior)
	if err != nil {
		return nil, err
	}
	w.Behavior, w.Points = b, b.Min
	for _, m := range cfg.Members {
		if !m.Bot {
			w.members = append(w.members, m)
		}
	}
	for _, p := range w.Platforms {
		for _, role := range []jifen.Role{jifen.RoleAdmin, jifen.RoleManager} {
			if len(w.givers[p]) > 0 {
				break
			}
			if role == jifen.RoleManager && len(b.Roles) > 0 && !slices.Contains(b.Roles, jifen.RoleManager) {
				continue
			}
			for _, m := range w.members {
				if m.Role == role && platformID(m, p) != "" {
					w.givers[p] = append(w.givers[p], m)
				}
			}
		}
		for _, m := range w.members {
			if platformID(m, p) != "" {
				w.callers[p] = append(w.callers[p], m)
			}
		}
		if len(w.givers[p]) == 0 && mix.Award > 0 {
			return nil, fmt.Errorf("%s: no admin or manager has a %s id to give awards", cfg.Path, p)
		}
		if len(w.callers[p]) == 0 {
			return nil, fmt.Errorf("%s: no member has a %s id", cfg.Path, p)
		}
	}
	if len(w.members) < 2 && mix.Award > 0 {
		return nil, fmt.Errorf("%s: awards need at least two members", cfg.Path)
	}
	return w, nil
}

func pickBehavior(cat *rules.Catalog, want string) (*rules.Behavior, error) {
	if want != "" {
		m, err := cat.Match(want)
		if err != nil || m.Note != "" {
			return nil, fmt.Errorf("--behavior %q: no such behavior", want)
		}
		if m.Behavior.Deduction() {
			return nil, fmt.Errorf("--behavior %q is a deduction; /award needs a positive behavior", want)
		}
		return m.Behavior, nil
	}
	// Prefer a fixed value (the reason reads naturally), then any value.
	for _, fixed := range []bool{true, false} {
		for i := range cat.Behaviors {
			b := &cat.Behaviors[i]
			if !b.Deduction() && len(b.Limits) == 0 && (!fixed || b.Fixed()) && (cat.Thanks == nil || b.ID != cat.Thanks.Behavior) {
				return b, nil
			}
		}
	}
	for i := range cat.Behaviors {
		if b := &cat.Behaviors[i]; !b.Deduction() {
			return b, nil
		}
	}
	return nil, errors.New("the rule catalog has no positive behavior to award")
}

func platformID(m jifen.Member, platform string) string {
	if platform == "slack" {
		return m.SlackID
	}
	return m.FeishuOpenID
}

// Token is the unique word that ends an award's reason: the ledger keeps
// the reason, so a checker finds the award by it.
func (w *Workload) Token(seq int64) string { return fmt.Sprintf("ld-%s-%07d", w.Run, seq) }

// Next builds delivery number seq.
func (w *Workload) Next(seq int64, r *rand.Rand) Delivery {
	p := w.Platforms[r.IntN(len(w.Platforms))]
	cmd := w.Mix.pick(r)
	d := Delivery{Seq: seq, Platform: p, Command: cmd}
	var caller jifen.Member
	var args string
	switch cmd {
	case "award":
		caller = w.givers[p][r.IntN(len(w.givers[p]))]
		to := w.members[r.IntN(len(w.members))]
		for to.ID == caller.ID && w.To == nil {
			to = w.members[r.IntN(len(w.members))]
		}
		if w.To != nil {
			to = *w.To
			for caller.ID == to.ID && len(w.givers[p]) > 1 {
				caller = w.givers[p][r.IntN(len(w.givers[p]))]
			}
		}
		d.Token = w.Token(seq)
		args = fmt.Sprintf("%s %d %s %s", w.mention(&d, to), w.Points, w.Behavior.Name, d.Token)
	case "score":
		caller = w.callers[p][r.IntN(len(w.callers[p]))]
		if r.IntN(2) == 0 {
			args = w.mention(&d, w.members[r.IntN(len(w.members))])
		}
	case "redeem":
		caller = w.callers[p][int((seq-1)%int64(len(w.callers[p])))]
		args = w.Reward.ID
	default:
		caller = w.callers[p][r.IntN(len(w.callers[p]))]
		args = []string{"", "week", "month", "quarter"}[r.IntN(4)]
	}
	d.User = platformID(caller, p)
	if p == "slack" {
		d.Slash, d.Text = "/"+cmd, args
		d.TriggerID = fmt.Sprintf("%d.%s.%016x", 7000000000000+seq, w.Run, r.Uint64())
		return d
	}
	// Feishu has no slash commands: the bot is @mentioned in a group and
	// the command is the message's text.
	d.Mentions = append([]Mention{{Key: "@_user_1", OpenID: botOpenID, Name: "积分助手"}}, d.Mentions...)
	d.Text = strings.TrimSpace("@_user_1 /" + cmd + " " + args)
	d.EventID = fmt.Sprintf("ld%s%010d%08x", w.Run, seq, r.Uint32())
	d.MessageID = fmt.Sprintf("om_ld%s%010d%08x", w.Run, seq, r.Uint32())
	return d
}

// mention is how a member is mentioned on d's platform: Slack escapes a
// user mention as <@U123|name> (should_escape); Feishu puts a placeholder
// in the text and the open_id in the mentions. Members without an id on
// the platform are typed as @name.
func (w *Workload) mention(d *Delivery, m jifen.Member) string {
	switch {
	case d.Platform == "slack" && m.SlackID != "":
		return "<@" + m.SlackID + "|" + m.ID + ">"
	case d.Platform == "feishu" && m.FeishuOpenID != "":
		key := fmt.Sprintf("@_user_%d", len(d.Mentions)+2) // @_user_1 is the bot
		d.Mentions = append(d.Mentions, Mention{Key: key, OpenID: m.FeishuOpenID, Name: m.Name})
		return key
	}
	return "@" + m.Name
}
