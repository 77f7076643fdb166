package config_test

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"jifen"
	"jifen/config"
)

const examplePath = "../config.example.yaml"

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func loadExample(t *testing.T, vars map[string]string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(examplePath, data, env(vars))
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	return c
}

func TestExample(t *testing.T) {
	c := loadExample(t, nil)

	if c.Timezone != "Asia/Shanghai" || c.Location == nil || c.Location.String() != "Asia/Shanghai" {
		t.Errorf("timezone = %q, %v", c.Timezone, c.Location)
	}
	if c.Language != "zh" {
		t.Errorf("language = %q", c.Language)
	}
	if c.Store.Path != "../jifen.db" {
		t.Errorf("store.path = %q, want it next to the config file", c.Store.Path)
	}
	if c.HTTP.Listen != ":8080" || c.Slack.Enabled || c.Feishu.Enabled {
		t.Errorf("http/slack/feishu = %+v %+v %+v", c.HTTP, c.Slack, c.Feishu)
	}
	if c.Log.Level != "info" || c.Log.Format != "text" {
		t.Errorf("log = %+v, want info and text", c.Log)
	}
	if c.Slack.BotToken != "" {
		t.Errorf("slack.bot_token expanded to %q with nothing set", c.Slack.BotToken)
	}

	departments := map[string]bool{}
	roles := map[jifen.Role]int{}
	for _, m := range c.Members {
		if m.Department != "" {
			departments[m.Department] = true
		}
		roles[m.Role]++
	}
	if len(departments) < 4 {
		t.Errorf("departments = %v, want at least 4", departments)
	}
	if roles[jifen.RoleAdmin] < 1 || roles[jifen.RoleManager] < 1 {
		t.Errorf("roles = %v, want an admin and a manager", roles)
	}
	if m, ok := c.Member("张伟"); !ok || m.Role != jifen.RoleManager || m.Department != "销售部" || m.ID != "zhangwei" {
		t.Errorf("张伟 = %+v, %v", m, ok)
	}
	if m, ok := c.Member("wangfang"); !ok || m.Role != jifen.RoleEmployee || m.Name != "王芳" {
		t.Errorf("wangfang = %+v, %v", m, ok)
	}
	if m, ok := c.Member("积分助手"); !ok || !m.Bot {
		t.Errorf("bot member = %+v, %v", m, ok)
	}
	if m, _ := c.Member("zhangwei"); m.Joined.Format("2006-01-02 15:04 MST") != "2016-04-11 00:00 UTC" {
		t.Errorf("joined = %v, want midnight UTC", m.Joined)
	}
	if _, ok := c.Member("nobody"); ok {
		t.Error("Member found a member that does not exist")
	}

	r := c.Rules
	if len(r.Categories) < 6 || len(r.Behaviors) < 25 {
		t.Errorf("%d categories, %d behaviors; want at least 6 and 25", len(r.Categories), len(r.Behaviors))
	}
	var review *struct{ min, max int64 }
	for _, b := range r.Behaviors {
		for _, a := range b.Aliases {
			if a == "客户好评" {
				review = &struct{ min, max int64 }{b.Min, b.Max}
				if b.ID != "good_review" || b.Category != "satisfaction" || len(b.Limits) != 1 || b.Limits[0].Times != 3 {
					t.Errorf("客户好评 = %+v", b)
				}
			}
		}
	}
	if review == nil || review.min != 10 || review.max != 10 {
		t.Errorf("no fixed 10-point behavior with alias 客户好评: %v", review)
	}
	if r.Thanks == nil || r.Thanks.Behavior != "peer_thanks" || r.Thanks.Allowance != 20 || r.Thanks.MaxPerThanks != 5 {
		t.Errorf("thanks = %+v", r.Thanks)
	}
	if a := r.Allowances[jifen.RoleManager]; a.Period != jifen.Month || a.Points != 200 || a.PerMember != 20 || a.MaxPerAward != 100 {
		t.Errorf("manager allowance = %+v", a)
	}
	if len(r.ReceiverLimits) != 1 || *r.ReceiverLimits[0].Max != 300 || *r.ReceiverLimits[0].Min != -100 {
		t.Errorf("receiver limits = %+v", r.ReceiverLimits)
	}
	if r.ApprovalThreshold != 50 {
		t.Errorf("approval threshold = %d", r.ApprovalThreshold)
	}
}

// The score visibility policy: the file's values, and the README's
// defaults for the roles it leaves out.
func TestScoreVisibility(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      jifen.ScoreVisibility
	}{
		{"absent", minimal, jifen.ScoreVisibility{jifen.RoleEmployee: jifen.VisibleSelf, jifen.RoleManager: jifen.VisibleDepartment, jifen.RoleAdmin: jifen.VisibleEveryone}},
		{"employees see everyone", minimal + "privacy:\n  score_visibility: {employee: everyone}\n",
			jifen.ScoreVisibility{jifen.RoleEmployee: jifen.VisibleEveryone, jifen.RoleManager: jifen.VisibleDepartment, jifen.RoleAdmin: jifen.VisibleEveryone}},
		{"all set, any case", minimal + "privacy:\n  score_visibility: {employee: Department, manager: self, admin: department}\n",
			jifen.ScoreVisibility{jifen.RoleEmployee: jifen.VisibleDepartment, jifen.RoleManager: jifen.VisibleSelf, jifen.RoleAdmin: jifen.VisibleDepartment}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("c.yaml", []byte(tc.src), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(c.Privacy.ScoreVisibility, tc.want) {
				t.Errorf("score visibility %v, want %v", c.Privacy.ScoreVisibility, tc.want)
			}
		})
	}
	if c := loadExample(t, nil); !maps.Equal(c.Privacy.ScoreVisibility, jifen.DefaultScoreVisibility()) {
		t.Errorf("the example's score visibility %v, want the defaults it documents", c.Privacy.ScoreVisibility)
	}
}

func TestExampleRewards(t *testing.T) {
	c := loadExample(t, nil)
	if len(c.Rules.Rewards) < 5 {
		t.Fatalf("%d rewards", len(c.Rules.Rewards))
	}
	r := c.Rules.Reward("咖啡券")
	if r == nil || r.ID != "coffee" || r.Cost != 30 || r.Limit == nil || r.Limit.Units != 2 || !r.Unlimited() {
		t.Fatalf("coffee: %+v", r)
	}
	if tr := c.Rules.Reward("training"); tr == nil || !tr.Approval || tr.Stock != 10 || tr.Fulfiller != "hr_li" {
		t.Fatalf("training: %+v", tr)
	}
}

func TestExampleStoreFromEnvironment(t *testing.T) {
	c := loadExample(t, map[string]string{"JIFEN_STORE": "/tmp/x.db"})
	if c.Store.Path != "/tmp/x.db" {
		t.Errorf("store.path = %q, want /tmp/x.db", c.Store.Path)
	}
}

func TestLoad(t *testing.T) {
	c, err := config.Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != examplePath || c.Rules == nil {
		t.Fatalf("Load = %+v", c)
	}
	// The example's 迟到扣分 targets 迟到 alone.
	if ps := c.Rules.Policies; len(ps) != 1 || !ps[0].Targets("late", "attendance") || ps[0].Targets("full", "attendance") {
		t.Errorf("the example's policies %+v, want 迟到扣分 targeting late", ps)
	}
	if _, err := config.Load("testdata/does-not-exist.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// minimal is the smallest valid configuration; cases below append rules
// to it (line 10 on), add members (withMember, line 4) or replace parts.
const minimal = `
members:
  - {id: boss, name: 老板, role: admin}
rules:
  categories:
    - id: c
      name: 类别
      behaviors:
        - {id: b, name: 行为, points: 5}
`

// slack.reply_broadcast is off unless set.
func TestSlackReplyBroadcast(t *testing.T) {
	for src, want := range map[string]bool{"": false, "slack:\n  reply_broadcast: true\n": true, "slack:\n  reply_broadcast: false\n": false} {
		c, err := config.Parse("c.yaml", []byte(src+minimal), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Slack.ReplyBroadcast != want {
			t.Errorf("%q: reply_broadcast %v", src, c.Slack.ReplyBroadcast)
		}
	}
}

func withMember(line string) string {
	return strings.Replace(minimal, "role: admin}\n", "role: admin}\n"+line+"\n", 1)
}

func TestExpand(t *testing.T) {
	vars := env(map[string]string{"A": "alpha", "YAML": "a: b", "N": "7", "EMPTY": ""})
	for _, tc := range []struct {
		value, want string
	}{
		{"${A}", "alpha"},
		{"x-${A}-y", "x-alpha-y"},
		{"${UNSET:-d}", "d"},
		{"${EMPTY:-d}", "d"},
		{"${A:-d}", "alpha"},
		{"${UNSET}", ""},
		{"$$", "$"},
		{"$${A}", "${A}"},
		{"cost $5", "cost $5"},
		{"${YAML}", "a: b"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			src := "timezone: UTC\nhttp:\n  public_url: https://example.com\nslack:\n  thanks_reaction: '" + tc.value + "'\n" + minimal
			c, err := config.Parse("c.yaml", []byte(src), vars)
			if err != nil {
				t.Fatal(err)
			}
			if c.Slack.ThanksReaction != tc.want {
				t.Errorf("%q expanded to %q, want %q", tc.value, c.Slack.ThanksReaction, tc.want)
			}
		})
	}

	t.Run("typed by the expanded text", func(t *testing.T) {
		src := minimal + "        - id: b2\n          name: 行为二\n          points: ${N}\n  approval_threshold: ${UNSET:-40}\n"
		c, err := config.Parse("c.yaml", []byte(src), vars)
		if err != nil {
			t.Fatal(err)
		}
		if b := c.Rules.Behaviors[1]; b.Min != 7 || b.Max != 7 || c.Rules.ApprovalThreshold != 40 {
			t.Errorf("points %d..%d, threshold %d", b.Min, b.Max, c.Rules.ApprovalThreshold)
		}
	})

	t.Run("cannot inject structure", func(t *testing.T) {
		src := minimal + "surveys:\n  - id: s\n    title: ${YAML}\n    questions: [{id: q, text: t, type: likert}]\n"
		c, err := config.Parse("c.yaml", []byte(src), vars)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Surveys) != 1 || c.Surveys[0].Title != "a: b" {
			t.Errorf("surveys = %+v, want one titled \"a: b\"", c.Surveys)
		}
	})

	t.Run("unterminated", func(t *testing.T) {
		src := "slack:\n  bot_token: xoxb-${SECRET\n" + minimal
		_, err := config.Parse("c.yaml", []byte(src), vars)
		if err == nil || !strings.Contains(err.Error(), "c.yaml:2: slack.bot_token: unterminated") {
			t.Fatalf("err = %v", err)
		}
		if strings.Contains(err.Error(), "xoxb") {
			t.Errorf("error quotes the secret: %v", err)
		}
	})
}

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		vars map[string]string
		want []string // each must appear in the error
		not  []string // none may appear
	}{
		{
			name: "unknown top-level key",
			src:  "langauge: zh\n" + minimal,
			want: []string{`c.yaml:1: unknown key "langauge" (did you mean "language"?)`},
		},
		{
			name: "unknown key in a behavior",
			src:  strings.Replace(minimal, "points: 5}", "points: 5, alias: [x]}", 1),
			want: []string{`c.yaml:9: rules.categories[0].behaviors[0]: unknown key "alias" (did you mean "aliases"?)`},
		},
		{
			name: "duplicate member id",
			src:  withMember("  - {id: boss, name: 老板二}"),
			want: []string{`c.yaml:4: members[1].id: id "boss" repeats the member on line 3`},
		},
		{
			name: "duplicate member name",
			src:  withMember("  - {id: boss2, name: 老板}"),
			want: []string{`c.yaml:4: members[1].name: name "老板" repeats the member on line 3`},
		},
		{
			name: "a sync schedule without a directory",
			src:  minimal + "schedules:\n  - {name: sync, job: sync, cron: \"0 6 * * *\"}\n",
			want: []string{`schedules[0].from: a sync reads one directory: want from: slack or from: feishu`},
		},
		{
			name: "a directory for another job",
			src:  minimal + "schedules:\n  - {name: lb, job: leaderboard, cron: \"0 6 * * *\", from: slack}\n",
			want: []string{`schedules[0].from: only a sync job reads a directory`},
		},
		{
			name: "email repeated in another case",
			src:  withMember("  - {id: a1, name: 甲, email: Wang@Example.com}\n  - {id: a2, name: 乙, email: wang@example.COM}"),
			want: []string{`c.yaml:5: members[2].email: email "wang@example.COM" repeats the member on line 4`},
		},
		{
			name: "not an email",
			src:  withMember("  - {id: a1, name: 甲, email: wang.example.com}"),
			want: []string{`c.yaml:4: members[1].email: "wang.example.com": want an email`},
		},
		{
			name: "name people cannot mention",
			src:  withMember("  - {id: x, name: 王 芳}"),
			want: []string{`c.yaml:4: members[1].name:`},
		},
		{
			name: "bad role",
			src:  withMember("  - {id: x, name: 某人, role: boss}"),
			want: []string{`c.yaml:4: members[1].role: unknown role "boss"`},
		},
		{
			name: "no admin",
			src:  strings.Replace(minimal, "role: admin", "role: manager", 1),
			want: []string{`c.yaml:3: members: at least one member with role admin is required`},
		},
		{
			name: "bad joined date",
			src:  withMember("  - {id: x, name: 某人, joined: 2024/01/02}"),
			want: []string{`c.yaml:4: members[1].joined: want a date YYYY-MM-DD`},
		},
		{
			name: "bad left date",
			src:  withMember("  - {id: x, name: 某人, left: 30/06/2026}"),
			want: []string{`c.yaml:4: members[1].left: want a date YYYY-MM-DD (离职日期, the last day of employment), got "30/06/2026"`},
		},
		{
			name: "left before joined",
			src:  withMember("  - {id: x, name: 某人, joined: 2026-03-01, left: 2026-02-28}"),
			want: []string{`c.yaml:4: members[1].left: left 2026-02-28 is before joined 2026-03-01`},
		},
		{
			name: "bad score visibility",
			src:  minimal + "privacy:\n  score_visibility:\n    manager: department\n    employee: all\n",
			want: []string{`c.yaml:13: privacy.score_visibility.employee: unknown visibility "all" (want self, department or everyone)`},
		},
		{
			name: "score visibility of an unknown role",
			src:  minimal + "privacy:\n  score_visibility: {boss: everyone}\n",
			want: []string{`c.yaml:11: privacy.score_visibility: unknown key "boss"`},
		},
		{
			name: "metrics on the public address",
			src:  "http:\n  listen: \":8080\"\n  metrics_listen: \":8080\"\n" + minimal,
			want: []string{`c.yaml:3: http.metrics_listen: is the same address as listen`},
		},
		{
			name: "short metrics token and shutdown timeout",
			src:  "http:\n  metrics_token: abc\n  shutdown_timeout: 10ms\n" + minimal,
			want: []string{`c.yaml:2: http.metrics_token: too short`, `c.yaml:3: http.shutdown_timeout: want at least 1s, got 10ms`},
		},
		{
			name: "unknown log level and format",
			src:  "log:\n  level: verbose\n  format: logfmt\n" + minimal,
			want: []string{`c.yaml:2: log.level: unknown level "verbose" (want debug, info, warn or error)`,
				`c.yaml:3: log.format: unknown format "logfmt" (want text or json)`},
		},
		{
			name: "console without public_url or a way to sign in",
			src:  "admin:\n  enabled: true\n  employees: all\n" + minimal,
			want: []string{`c.yaml:2: admin.enabled: the console needs http.public_url`,
				`c.yaml:2: admin.enabled: the console needs a way to sign in`,
				`c.yaml:3: admin.employees: unknown value "all" (want page or refuse)`},
		},
		{
			name: "slack client id without its secret",
			src:  "slack:\n  client_id: \"1.2\"\n" + minimal,
			want: []string{`slack.client_secret: required when slack.client_id is set`},
		},
		{
			name: "bad timezone",
			src:  "timezone: Mars/Olympus\n" + minimal,
			want: []string{`c.yaml:1: timezone: unknown time zone "Mars/Olympus"`},
		},
		{
			name: "bad language",
			src:  "language: fr\n" + minimal,
			want: []string{`c.yaml:1: language: unknown language "fr"`},
		},
		{
			name: "bad period",
			src:  minimal + "  receiver_limits:\n    - {period: fortnight, max: 10}\n",
			want: []string{`c.yaml:11: rules.receiver_limits[0].period: unknown period "fortnight"`},
		},
		{
			name: "range upside down",
			src:  strings.Replace(minimal, "points: 5", "points: [5, 1]", 1),
			want: []string{`c.yaml:9: rules.categories[0].behaviors[0].points: [5, 1]: min is greater than max`},
		},
		{
			name: "range crossing zero",
			src:  strings.Replace(minimal, "points: 5", "points: [-5, 5]", 1),
			want: []string{`c.yaml:9: rules.categories[0].behaviors[0].points: [-5, 5]: both ends must have the same sign`},
		},
		{
			name: "zero points",
			src:  strings.Replace(minimal, "points: 5", "points: 0", 1),
			want: []string{`c.yaml:9: rules.categories[0].behaviors[0].points: must not be 0`},
		},
		{
			name: "points not a number",
			src:  strings.Replace(minimal, "points: 5", "points: five", 1),
			want: []string{`c.yaml:9: rules.categories[0].behaviors[0].points: want a whole number, got "five"`},
		},
		{
			name: "alias shared by two behaviors",
			src: minimal + `        - {id: b2, name: 行为二, aliases: [好评]}
        - {id: b3, name: 行为三, aliases: [x, 好评], points: 1}
`,
			want: []string{`c.yaml:11: rules.categories[0].behaviors[2].aliases[1]: "好评" already names behavior "b2" (line 10)`},
		},
		{
			name: "tag equal to another behavior's name, case-insensitive",
			src:  minimal + "        - {id: b2, name: Deal, points: 1}\n        - {id: b3, name: 大单, tags: ['#deal'], points: 1}\n",
			want: []string{`c.yaml:11: rules.categories[0].behaviors[2].tags[0]: "deal" already names behavior "b2"`},
		},
		{
			name: "duplicate behavior id",
			src:  minimal + "        - {id: b, name: 行为二, points: 1}\n",
			want: []string{`c.yaml:10: rules.categories[0].behaviors[1].id: behavior id "b" repeats the one on line 9`},
		},
		{
			name: "bad limit",
			src:  strings.Replace(minimal, "points: 5}", "points: 5, limits: [{period: month}]}", 1),
			want: []string{`c.yaml:9: rules.categories[0].behaviors[0].limits[0]: set times, points or both`},
		},
		{
			name: "thanks behavior unknown",
			src:  minimal + "  thanks: {behavior: bb, period: month, allowance: 20, max_per_thanks: 5}\n",
			want: []string{`c.yaml:10: rules.thanks.behavior: unknown behavior "bb" (did you mean "b"?)`},
		},
		{
			name: "thanks behavior a deduction",
			src:  strings.Replace(minimal, "points: 5", "points: -5", 1) + "  thanks: {behavior: b, period: month, allowance: 20}\n",
			want: []string{`c.yaml:10: rules.thanks.behavior: behavior "b" is a deduction`},
		},
		{
			name: "allowance for an unknown role",
			src:  minimal + "  allowances:\n    boss: {period: month, points: 5}\n",
			want: []string{`c.yaml:11: rules.allowances: unknown key "boss"`},
		},
		{
			name: "no rules",
			src:  "members:\n  - {id: boss, name: 老板, role: admin}\n",
			want: []string{`c.yaml: rules: at least one category is required`},
		},
		{
			name: "slack enabled without a token",
			src:  "slack:\n  enabled: true\n  bot_token: ${SLACK_BOT_TOKEN}\n  signing_secret: ${SLACK_SIGNING_SECRET}\n" + minimal,
			vars: map[string]string{"SLACK_SIGNING_SECRET": "s3cr3t-signing"},
			want: []string{`c.yaml:3: slack.bot_token: required when slack.enabled is true (environment variable SLACK_BOT_TOKEN is not set)`},
			not:  []string{"s3cr3t-signing"},
		},
		{
			name: "slack socket mode without an app token",
			src:  "slack:\n  enabled: true\n  mode: socket\n  bot_token: xoxb-very-secret\n  signing_secret: sig\n" + minimal,
			want: []string{`c.yaml:2: slack.app_token: required when slack.mode is socket`},
			not:  []string{"xoxb-very-secret"},
		},
		{
			name: "feishu enabled without verification",
			src:  "feishu:\n  enabled: true\n  app_id: cli_1\n  app_secret: very-secret\n" + minimal,
			want: []string{`c.yaml:2: feishu.verification_token: verification_token or encrypt_key is required`},
			not:  []string{"very-secret"},
		},
		{
			name: "a secret under a mapping key is not quoted",
			src:  "slack: xoxb-leaked\n" + minimal,
			want: []string{`c.yaml:1: slack: want a mapping (key: value), got a single value`},
			not:  []string{"xoxb-leaked"},
		},
		{
			name: "repeated key",
			src:  "language: zh\nlanguage: en\n" + minimal,
			want: []string{`c.yaml:2: language: key "language" repeats the one on line 1`},
		},
		{
			name: "several problems at once",
			src: "timezone: Nowhere/City\nfoo: 1\n" +
				strings.Replace(withMember("  - {id: bad id, name: x}"), "points: 5", "points: [9, 3]", 1),
			want: []string{
				`c.yaml:1: timezone:`,
				`c.yaml:2: unknown key "foo"`,
				`c.yaml:6: members[1].id:`,
				`c.yaml:12: rules.categories[0].behaviors[0].points:`,
			},
		},
		{
			name: "not a mapping",
			src:  "- a\n- b\n",
			want: []string{`c.yaml:1: want a mapping of sections`},
		},
		{
			name: "bad variable name",
			src:  "http:\n  public_url: https://${1x}\n" + minimal,
			want: []string{`c.yaml:2: http.public_url: bad "${…}"`},
		},
		{
			name: "bad rewards",
			src: minimal + `rewards:
  - {id: coffee, name: 咖啡券, cost: 30, limit: {period: day, units: 2}}
  - {id: coffee, name: 书籍, cost: 0, stock: -1, fulfiller: nobody}
`,
			want: []string{
				`c.yaml:11: rewards[0].limit.period: unknown period "day"`,
				`c.yaml:12: rewards[1]: "coffee" already names the reward on line 11`,
				`c.yaml:12: rewards[1].cost: required: a positive number of points`,
				`c.yaml:12: rewards[1].stock: must be positive`,
				`c.yaml:12: rewards[1].fulfiller: no member with id "nobody"`,
			},
		},
		{
			name: "bad targets and policies",
			src: minimal + `targets:
  - {id: avg, metric: avg_points, min: 150}
  - {id: grow, metric: category_growth, category: nope}
policies:
  - {id: late, date: 2026-13-01, behavior: missing}
  - {id: focus, date: 2026-10-01, behaviors: [b, gone], categories: [c, nope]}
`,
			want: []string{
				`c.yaml:11: targets[0].metric: unknown metric "avg_points"`,
				`c.yaml:12: targets[1].category: no category "nope"`,
				`c.yaml:12: targets[1]: set min or max (or both)`,
				`c.yaml:14: policies[0].date: want a date like 2026-07-01, got "2026-13-01"`,
				`c.yaml:14: policies[0].behavior: no behavior "missing"`,
				`c.yaml:15: policies[1].behaviors[1]: no behavior "gone"`,
				`c.yaml:15: policies[1].categories[1]: no category "nope"`,
			},
		},
		{
			name: "bad schedules",
			src: minimal + `schedules:
  - {name: weekly, job: leaderboard, cron: "0 9 * * MON", period: week}
  - {name: weekly, job: gossip, cron: "61 9 * * *", period: all, top: 99, grace: soon}
`,
			want: []string{
				`c.yaml:12: schedules[1].name: name "weekly" is used twice`,
				`c.yaml:12: schedules[1].job: unknown job "gossip"`,
				`c.yaml:12: schedules[1].cron: cron spec "61 9 * * *"`,
				`c.yaml:12: schedules[1].period: a scheduled post is about`,
				`c.yaml:12: schedules[1].top: want 1 to 50`,
				`c.yaml:12: schedules[1].grace: want a duration like 6h`,
			},
		},
		{
			name: "bad surveys",
			src: minimal + `surveys:
  - id: pulse
    title: 调查
    min_group: 2
    open_for: 24h
    remind_after: 48h
    schedule: "0 25 * * *"
    audience: {departments: [销售部]}
    questions:
      - {id: q, text: 公平吗, type: stars}
      - {id: q, text: 选, type: single, choices: [一]}
      - {id: r, text: 评分, type: likert, choices: [a, b]}
  - id: pulse
    questions: []
`,
			want: []string{
				`c.yaml:13: surveys[0].min_group: want at least 3`,
				`c.yaml:15: surveys[0].remind_after: the reminder (48h0m0s) must come before the survey closes`,
				`c.yaml:16: surveys[0].schedule: cron spec "0 25 * * *"`,
				`c.yaml:17: surveys[0].audience.departments: no member is in department "销售部"`,
				`c.yaml:19: surveys[0].questions[0].type: unknown type "stars"`,
				`c.yaml:20: surveys[0].questions[1].id: id "q" is used twice`,
				`c.yaml:20: surveys[0].questions[1].choices: a single question needs 2 to 10 choices`,
				`c.yaml:21: surveys[0].questions[2].choices: only single and multiple questions have choices`,
				`c.yaml:22: surveys[1].id: id "pulse" is used twice`,
				`surveys[1].title: required`,
				`surveys[1].questions: a survey needs at least one question`,
			},
		},
		{
			name: "birthday with a year or no date",
			src:  withMember("  - {id: x, name: 某人, birthday: 1990-05-01}\n  - {id: y, name: 某某, birthday: 13-01}"),
			want: []string{`c.yaml:4: members[1].birthday: want a month and day MM-DD (no year), got "1990-05-01"`,
				`c.yaml:5: members[2].birthday: want a month and day MM-DD (no year), got "13-01"`},
		},
		{
			name: "celebrations",
			src: strings.Replace(minimal, "points: 5}", "points: 5}\n        - {id: r, name: 区间, points: [1, 5]}", 1) + `schedules:
  - {name: c1, job: celebrations, cron: "0 9 * * *"}
  - {name: c2, job: celebrations, cron: "0 9 * * *", anniversary: nope, birthday: r}
  - {name: c3, job: leaderboard, cron: "0 9 * * *", anniversary: b}
`,
			want: []string{`schedules[0]: a celebrations schedule names the behavior of an anniversary, a birthday or both`,
				`c.yaml:13: schedules[1].anniversary: unknown behavior "nope"`,
				`c.yaml:13: schedules[1].birthday: behavior "r": a celebration awards a fixed number of points (min = max > 0)`,
				`c.yaml:14: schedules[2]: anniversary and birthday belong to a celebrations schedule`},
		},
		{
			name: "syntax error",
			src:  "members: [\n",
			want: []string{`c.yaml:`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tc.src), env(tc.vars))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error mentions %q:\n%v", n, err)
				}
			}
			var ce *config.Error
			if !errors.As(err, &ce) || len(ce.Problems) < len(tc.want) {
				t.Errorf("want a *config.Error with at least %d problems, got %#v", len(tc.want), err)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":           "xoxb-111-secret",
		"SLACK_SIGNING_SECRET":      "signing-222-secret",
		"SLACK_APP_TOKEN":           "xapp-333-secret",
		"FEISHU_APP_ID":             "cli_public_id",
		"FEISHU_APP_SECRET":         "feishu-444-secret",
		"FEISHU_VERIFICATION_TOKEN": "verify-555-secret",
		"FEISHU_ENCRYPT_KEY":        "encrypt-666-secret",
		"SLACK_CLIENT_ID":           "777.public",
		"SLACK_CLIENT_SECRET":       "client-888-secret",
		"JIFEN_PUBLIC_URL":          "https://jifen.example.com",
	}
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "enabled: false", "enabled: true", -1)
	c, err := config.Parse(examplePath, []byte(src), env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.BotToken != "xoxb-111-secret" || c.Feishu.EncryptKey != "encrypt-666-secret" {
		t.Fatalf("secrets not loaded: %+v %+v", c.Slack, c.Feishu)
	}
	out := c.Redacted()
	for name, v := range secrets {
		if name == "FEISHU_APP_ID" || name == "SLACK_CLIENT_ID" || name == "JIFEN_PUBLIC_URL" {
			if !strings.Contains(out, v) {
				t.Errorf("Redacted hides %s, which is not a secret", name)
			}
			continue
		}
		if strings.Contains(out, v) {
			t.Errorf("Redacted shows %s", name)
		}
	}
	for _, want := range []string{"bot_token: '***'", "encrypt_key: '***'", "name: 客户好评", "timezone: Asia/Shanghai"} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted lacks %q", want)
		}
	}
	// The dump is itself valid YAML.
	var v map[string]any
	if err := yaml.Unmarshal([]byte(out), &v); err != nil {
		t.Errorf("Redacted is not YAML: %v", err)
	}
}

func ExampleConfig_Member() {
	c, err := config.Parse("config.yaml", []byte(minimal), env(nil))
	if err != nil {
		panic(err)
	}
	m, _ := c.Member("老板")
	fmt.Println(m.ID, m.Role)
	// Output: boss admin
}

// The console is off unless enabled; enabled, it reads its keys and
// offers Sign in with Slack only with the app's client credentials.
func TestAdmin(t *testing.T) {
	c, err := config.Parse("c.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Enabled || c.Admin.Employees != config.EmployeesRefuse || c.Slack.OIDCIssuer != config.DefaultSlackIssuer {
		t.Errorf("defaults: %+v, issuer %q", c.Admin, c.Slack.OIDCIssuer)
	}
	src := "http:\n  public_url: https://jifen.example.com\nslack:\n  enabled: true\n  bot_token: xoxb-1\n  signing_secret: s\n" +
		"  client_id: \"1.2\"\n  client_secret: cs\nadmin:\n  enabled: true\n  employees: page\n" + minimal
	c, err = config.Parse("c.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Admin.Enabled || c.Admin.Employees != config.EmployeesPage || !c.SlackSignIn() {
		t.Errorf("got %+v, slack sign-in %v", c.Admin, c.SlackSignIn())
	}
	if r := c.Redacted(); strings.Contains(r, "client_secret: cs") || !strings.Contains(r, "employees: page") {
		t.Errorf("redacted:\n%s", r)
	}
}
