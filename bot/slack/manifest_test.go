package slack

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"jifen/bot"
)

// manifest is the part of slack-app-manifest.yaml that registers commands.
type manifest struct {
	Features struct {
		SlashCommands []struct {
			Command      string  `yaml:"command"`
			URL          string  `yaml:"url"`
			Description  string  `yaml:"description"`
			UsageHint    *string `yaml:"usage_hint"`
			ShouldEscape *bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
}

// TestManifestListsEveryCommand keeps the Slack app manifest, the command
// table (bot.Commands, what /help lists) and the README's command table
// in step: every command is registered with a usage hint and with
// should_escape, so that mentions arrive as <@U…|name>.
func TestManifestListsEveryCommand(t *testing.T) {
	raw, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	// /points runs any command, for workspaces that register one.
	want := append(bot.Commands(), "points")
	var got []string
	for _, c := range m.Features.SlashCommands {
		name := strings.TrimPrefix(c.Command, "/")
		got = append(got, name)
		if c.UsageHint == nil || strings.TrimSpace(*c.UsageHint) == "" || len(*c.UsageHint) > 1000 {
			t.Errorf("%s: usage_hint missing or too long", c.Command)
		}
		if c.ShouldEscape == nil || !*c.ShouldEscape {
			t.Errorf("%s: should_escape is not true", c.Command)
		}
		if strings.TrimSpace(c.Description) == "" || c.URL != "https://jifen.example.com/slack/commands" {
			t.Errorf("%s: description %q, url %q", c.Command, c.Description, c.URL)
		}
		if _, err := bot.Parse(c.Command); err != nil {
			t.Errorf("%s: the command core does not know it: %v", c.Command, err)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("manifest commands %v, command table %v", got, want)
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "\n## Commands\n")
	if start < 0 {
		t.Fatal("README has no Commands section")
	}
	section = section[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	// Each row starts with one or more `/command …` cells.
	row := regexp.MustCompile(`(?m)^\| (.*?) \|`)
	cmd := regexp.MustCompile("`/([a-z]+)")
	seen := map[string]bool{}
	for _, r := range row.FindAllStringSubmatch(section, -1) {
		for _, c := range cmd.FindAllStringSubmatch(r[1], -1) {
			seen[c[1]] = true
		}
	}
	var inReadme []string
	for c := range seen {
		inReadme = append(inReadme, c)
	}
	slices.Sort(inReadme)
	table := bot.Commands()
	slices.Sort(table)
	if !slices.Equal(inReadme, table) {
		t.Errorf("README's command table %v, command table %v", inReadme, table)
	}
}
