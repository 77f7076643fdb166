package config_test

import (
	"strings"
	"testing"
	"time"

	"jifen/config"
)

// Guests and people of other organisations are refused unless the file
// says allow, kind by kind.
func TestGuests(t *testing.T) {
	for _, tc := range []struct {
		name        string
		src         string
		slack, lark config.Guests
		window      time.Duration
	}{
		{"refused by default", "", config.Guests{}, config.Guests{}, 0},
		{"each kind on its own",
			"slack:\n  guests: {restricted: allow, ultra_restricted: refuse}\nfeishu:\n  guests: {external: Allow}\n  url_verification_window: 10m\n",
			config.Guests{Restricted: true}, config.Guests{External: true}, 10 * time.Minute},
		{"slack connect",
			"slack:\n  guests:\n    external: allow\n",
			config.Guests{External: true}, config.Guests{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("c.yaml", []byte(tc.src+minimal), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if c.Slack.Guests != tc.slack || c.Feishu.Guests != tc.lark || c.Feishu.URLVerificationWindow != tc.window {
				t.Errorf("slack %+v, feishu %+v, window %s", c.Slack.Guests, c.Feishu.Guests, c.Feishu.URLVerificationWindow)
			}
		})
	}
	if c := loadExample(t, nil); c.Slack.Guests != (config.Guests{}) || c.Feishu.Guests != (config.Guests{}) || c.Feishu.URLVerificationWindow != 0 {
		t.Errorf("the example lets guests in or opens the window: %+v %+v %s", c.Slack.Guests, c.Feishu.Guests, c.Feishu.URLVerificationWindow)
	}
	for src, want := range map[string]string{
		"slack:\n  guests: {restricted: yes}\n":      `c.yaml:2: slack.guests.restricted: want allow or refuse, got "yes"`,
		"feishu:\n  guests: {restricted: allow}\n":   `c.yaml:2: feishu.guests: unknown key "restricted"`,
		"slack:\n  guests: {stranger: allow}\n":      `c.yaml:2: slack.guests: unknown key "stranger"`,
		"feishu:\n  url_verification_window: 2h\n":   `c.yaml:2: feishu.url_verification_window: at most 1h0m0s`,
		"feishu:\n  url_verification_window: soon\n": `c.yaml:2: feishu.url_verification_window: want a duration`,
	} {
		_, err := config.Parse("c.yaml", []byte(src+minimal), env(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %s", src, err, want)
		}
	}
}
