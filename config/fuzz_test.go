package config

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// secretMark is planted in the seeds' secrets (and in the secrets the
// environment gives): a problem that quotes a value holding it, taken from
// under a secret key, leaks the secret.
const secretMark = "FUZZSECRET"

// secretKeys are the keys whose values a problem must never quote.
var secretKeys = map[string]bool{"bot_token": true, "signing_secret": true, "app_token": true,
	"app_secret": true, "verification_token": true, "encrypt_key": true}

// fuzzEnv sets the variables named like secrets (…TOKEN, …SECRET, …KEY)
// to marked secrets, the other SLACK_* and FEISHU_* ones to plain values,
// and leaves the rest unset.
func fuzzEnv(name string) (string, bool) {
	switch {
	case strings.HasSuffix(name, "TOKEN"), strings.HasSuffix(name, "SECRET"), strings.HasSuffix(name, "KEY"):
		return "xoxb-" + secretMark + "-env-" + name, true
	case strings.HasPrefix(name, "SLACK_"), strings.HasPrefix(name, "FEISHU_"):
		return "fuzz-" + strings.ToLower(name), true
	}
	return "", false
}

// hasMark reports whether s holds secretMark in any case: a value may be
// quoted lower-cased (mode: ${SLACK_BOT_TOKEN}).
func hasMark(s string) bool { return strings.Contains(strings.ToUpper(s), secretMark) }

// fuzzMinimal is a small valid file with both platforms enabled and every
// secret written in it, marked.
const fuzzMinimal = `timezone: Asia/Shanghai
slack:
  enabled: true
  mode: socket
  bot_token: xoxb-FUZZSECRET-0001
  signing_secret: "FUZZSECRET-signing-0002"
  app_token: xapp-FUZZSECRET-0003
feishu:
  enabled: true
  app_id: cli_fuzz
  app_secret: 'FUZZSECRET-app-0004'
  verification_token: FUZZSECRET-vtoken-0005
  encrypt_key: FUZZSECRET-encrypt-0006
members:
  - {id: boss, name: 老板, role: admin, slack_id: U0BOSS}
rules:
  categories:
    - id: c
      name: 类别
      behaviors:
        - {id: b, name: 行为, points: 5}
`

// problemLine is one line of an *Error's message: FILE[:LINE]: ….
var problemLine = regexp.MustCompile(`^config\.yaml(?::([0-9]+))?: `)

// FuzzParse: no file makes Parse panic; it returns a valid configuration
// or an *Error whose every line starts FILE:LINE: (or FILE: for a problem
// with no single place); and neither the error nor the redacted dump ever
// quotes a value written under a secret key.
//
//	go test ./config -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 5s
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	ex := string(example)
	planted := strings.NewReplacer(
		"${SLACK_BOT_TOKEN}", "xoxb-FUZZSECRET-1111",
		"${SLACK_SIGNING_SECRET}", "FUZZSECRET-2222",
		"${FEISHU_APP_SECRET}", `"FUZZSECRET-3333"`,
		"${FEISHU_ENCRYPT_KEY}", "FUZZSECRET-4444",
	).Replace(ex)
	for _, s := range []string{
		ex,
		planted,
		fuzzMinimal,
		strings.Replace(planted, "enabled: false", "enabled: true", 2),
		// Bad indentation: a secret one level too deep, a member a level out.
		strings.Replace(fuzzMinimal, "  bot_token: xoxb", "    bot_token: xoxb", 1),
		strings.Replace(fuzzMinimal, "  - {id: boss", "- {id: boss", 1),
		strings.Replace(ex, "  mode: http\n", " mode: http\n", 1),
		"\tslack:\n\t\tbot_token: xoxb-FUZZSECRET-tab\n",
		// Unknown keys, next to a secret or holding one.
		strings.Replace(fuzzMinimal, "  mode: socket", "  mdoe: socket\n  bot_tokn: xoxb-FUZZSECRET-typo", 1),
		strings.Replace(planted, "language: zh", "langauge: zh", 1),
		// Wrong types.
		strings.Replace(fuzzMinimal, "bot_token: xoxb-FUZZSECRET-0001", "bot_token: [xoxb-FUZZSECRET-0001]", 1),
		strings.Replace(fuzzMinimal, "bot_token: xoxb-FUZZSECRET-0001", "bot_token: {xoxb-FUZZSECRET-0001: 1}", 1),
		strings.Replace(fuzzMinimal, "enabled: true\n  mode: socket", "enabled: xoxb-FUZZSECRET-enabled\n  mode: socket", 1),
		strings.Replace(fuzzMinimal, "points: 5", "points: five", 1),
		strings.Replace(fuzzMinimal, "members:\n", "members: 42\nx:\n", 1),
		"slack: xoxb-FUZZSECRET-whole\n",
		"xoxb-FUZZSECRET-document\n",
		// Variables: unset, malformed, secret values reused elsewhere.
		strings.Replace(fuzzMinimal, "xoxb-FUZZSECRET-0001", "${UNSET_VAR}", 1),
		strings.Replace(fuzzMinimal, "xoxb-FUZZSECRET-0001", "${SLACK_BOT_TOKEN}", 1),
		strings.Replace(fuzzMinimal, "xoxb-FUZZSECRET-0001", "xoxb-FUZZSECRET-${UNSET_VAR", 1),
		strings.Replace(fuzzMinimal, "xoxb-FUZZSECRET-0001", "${1BAD}xoxb-FUZZSECRET", 1),
		strings.Replace(fuzzMinimal, "mode: socket", "mode: ${SLACK_BOT_TOKEN}", 1),
		strings.Replace(fuzzMinimal, "xoxb-FUZZSECRET-0001", "&tok xoxb-FUZZSECRET-0001\n  api_url: *tok", 1),
		"store:\n  path: ${JIFEN_STORE:-jifen.db}\nhttp:\n  listen: ${UNSET_VAR}\n",
		// Huge numbers.
		strings.Replace(fuzzMinimal, "points: 5", "points: 99999999999999999999999", 1),
		strings.Replace(fuzzMinimal, "points: 5", "points: [-9223372036854775808, 9223372036854775807]", 1),
		strings.Replace(ex, "approval_threshold: 50", "approval_threshold: 1e309", 1),
		// Duplicates.
		strings.Replace(fuzzMinimal, "role: admin, slack_id: U0BOSS}", "role: admin, slack_id: U0BOSS}\n  - {id: boss, name: 老板二, slack_id: U0BOSS}", 1),
		strings.Replace(fuzzMinimal, "  bot_token: xoxb-FUZZSECRET-0001", "  bot_token: xoxb-FUZZSECRET-0001\n  bot_token: xoxb-FUZZSECRET-again", 1),
		// Syntax.
		fuzzMinimal[:len(fuzzMinimal)/2],
		"slack: {bot_token: \"xoxb-FUZZSECRET-unterminated\n",
		"a: &a [*a]\n",
		"a: !!int xoxb-FUZZSECRET\n",
		"---\n---\n",
		"", "# only a comment\n", "\xff\xfe", "{", "- 1\n- 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("config.yaml", data, fuzzEnv)
		leaks := secretMarkIsSecret(data)
		if err == nil {
			if c == nil || c.Rules == nil || c.Location == nil {
				t.Fatalf("%q: a config without rules or a location: %+v", data, c)
			}
			if dump := c.Redacted(); leaks && hasMark(dump) {
				t.Fatalf("%q: the redacted dump shows a secret:\n%s", data, dump)
			}
			return
		}
		if c != nil {
			t.Fatalf("%q: both a config and an error: %v", data, err)
		}
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) == 0 {
			t.Fatalf("%q: error %T without problems: %v", data, err, err)
		}
		msg := err.Error()
		lines := strings.Count(string(data), "\n") + 1
		for _, l := range strings.Split(msg, "\n") {
			m := problemLine.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("%q: a problem without its place: %q", data, l)
			}
			if n, _ := strconv.Atoi(m[1]); m[1] != "" && (n < 1 || n > lines+1) {
				t.Fatalf("%q: a problem on line %d of %d: %q", data, n, lines, l)
			}
		}
		if leaks && hasMark(msg) {
			t.Fatalf("%q: the error quotes a secret:\n%s", data, msg)
		}
	})
}

// secretMarkIsSecret reports whether every value holding secretMark, as
// the decoder reads it (${VAR} expanded), is under a secret key, and some
// is. A mark elsewhere — a member's name, a mapping key — may be quoted,
// and the file is not a test of secrecy then. A file that does not parse
// is judged line by line: every line holding the mark must start with a
// secret key.
func secretMarkIsSecret(data []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		found := false
		for _, l := range strings.Split(string(data), "\n") {
			if !hasMark(l) {
				continue
			}
			key, _, ok := strings.Cut(strings.TrimLeft(strings.TrimSpace(l), "- "), ":")
			if !ok || !secretKeys[strings.TrimSpace(key)] {
				return false
			}
			found = true
		}
		return found
	}
	secret, elsewhere := false, false
	// Each node is walked at most once as secret and once not, however
	// often aliases name it.
	seen := [2]map[*yaml.Node]bool{{}, {}}
	var walk func(n *yaml.Node, underSecret bool)
	walk = func(n *yaml.Node, underSecret bool) {
		as := 0
		if underSecret {
			as = 1
		}
		if n == nil || seen[as][n] {
			return
		}
		seen[as][n] = true
		if hasMark(n.Anchor) || hasMark(n.Tag) {
			elsewhere = true
		}
		marked := hasMark(n.Value)
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
			s, _, err := expandString(n.Value, fuzzEnv)
			marked = marked || (err == nil && hasMark(s))
		}
		if marked {
			if underSecret && n.Kind == yaml.ScalarNode {
				secret = true
			} else {
				elsewhere = true
			}
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i], false) // keys are quoted in problems
				walk(n.Content[i+1], underSecret || secretKeys[n.Content[i].Value])
			}
		case yaml.AliasNode:
			// The anchored value is read here as well as where it is
			// defined: a secret is quotable if either place is not secret.
			walk(n.Alias, underSecret)
		default:
			for _, c := range n.Content {
				walk(c, underSecret)
			}
		}
	}
	walk(&doc, false)
	return secret && !elsewhere
}
