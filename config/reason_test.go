package config_test

import (
	"strings"
	"testing"

	"jifen/config"
	"jifen/rules"
)

func TestMaxReasonLength(t *testing.T) {
	if c := loadExample(t, nil); c.Rules.MaxReason != 500 {
		t.Errorf("example: max_reason_length %d, want 500", c.Rules.MaxReason)
	}
	c, err := config.Parse("c.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules.MaxReason != rules.DefaultMaxReason {
		t.Errorf("omitted: %d, want %d", c.Rules.MaxReason, rules.DefaultMaxReason)
	}
	fp := c.Rules.Fingerprint()
	c, err = config.Parse("c.yaml", []byte(minimal+"  max_reason_length: 120\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules.MaxReason != 120 {
		t.Errorf("set: %d, want 120", c.Rules.MaxReason)
	}
	// A limit on text is no rule of points: it makes no new catalog version.
	if c.Rules.Fingerprint() != fp {
		t.Error("max_reason_length changed the catalog's fingerprint")
	}
	for _, v := range []string{"0", "-5", "2001", "many", "[1]", "1e9"} {
		_, err := config.Parse("c.yaml", []byte(minimal+"  max_reason_length: "+v+"\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "c.yaml:10: rules.max_reason_length: want") {
			t.Errorf("max_reason_length: %s: %v", v, err)
		}
	}
}
