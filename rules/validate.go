package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Validate reports every inconsistency in the catalog, joined: duplicate ids
// or names, a behavior in an unknown category, an empty or mixed-sign range,
// a limit on an unknown period, a thanks scheme on a missing behavior. The
// config loader reports the same problems with file lines; Validate guards
// catalogs built any other way.
func (c *Catalog) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if len(c.Behaviors) == 0 {
		bad("rules: no behaviors")
	}
	if c.MaxReason < 0 {
		bad("rules: max_reason_length %d is negative", c.MaxReason)
	}
	cats := map[string]bool{}
	for _, cat := range c.Categories {
		switch {
		case cat.ID == "":
			bad("rules: category %q has no id", cat.Name)
		case cats[cat.ID]:
			bad("rules: category id %q is used twice", cat.ID)
		}
		cats[cat.ID] = true
	}
	words := map[string]string{} // lower-case name/alias/tag/id → behavior id
	claim := func(b *Behavior, what, w string) {
		k := strings.ToLower(w)
		if other, ok := words[k]; ok && other != b.ID {
			bad("rules: %s %q of behavior %q is already used by behavior %q", what, w, b.ID, other)
			return
		}
		words[k] = b.ID
	}
	ids := map[string]bool{}
	for i := range c.Behaviors {
		b := &c.Behaviors[i]
		if b.ID == "" {
			bad("rules: behavior %q has no id", b.Name)
		} else if ids[b.ID] {
			bad("rules: behavior id %q is used twice", b.ID)
		}
		ids[b.ID] = true
		if b.Name == "" {
			bad("rules: behavior %q has no name", b.ID)
		}
		if !cats[b.Category] {
			bad("rules: behavior %q is in unknown category %q", b.ID, b.Category)
		}
		switch {
		case b.Min == 0 || b.Max == 0:
			bad("rules: behavior %q: points cannot be 0", b.ID)
		case b.Min > b.Max:
			bad("rules: behavior %q: range %d..%d is empty", b.ID, b.Min, b.Max)
		case (b.Min < 0) != (b.Max < 0):
			bad("rules: behavior %q: range %d..%d mixes awards and deductions", b.ID, b.Min, b.Max)
		}
		claim(b, "id", b.ID)
		if !strings.EqualFold(b.Name, b.ID) {
			claim(b, "name", b.Name)
		}
		for _, a := range b.Aliases {
			claim(b, "alias", a)
		}
		for _, t := range b.Tags {
			if !strings.EqualFold(t, b.Name) && !contains(b.Aliases, t) {
				claim(b, "tag", t)
			}
		}
		for _, r := range b.Roles {
			if !r.Valid() {
				bad("rules: behavior %q: unknown role %q", b.ID, r)
			}
		}
		for _, l := range b.Limits {
			if !l.Period.Valid() {
				bad("rules: behavior %q: unknown period %q", b.ID, l.Period)
			}
			if l.Times < 0 || l.Points < 0 || (l.Times == 0 && l.Points == 0) {
				bad("rules: behavior %q: a limit needs positive times or points", b.ID)
			}
		}
	}
	for _, l := range c.ReceiverLimits {
		if !l.Period.Valid() {
			bad("rules: receiver limit: unknown period %q", l.Period)
		}
		if l.Max == nil && l.Min == nil {
			bad("rules: receiver limit for %s sets neither max nor min", l.Period)
		}
		if l.Max != nil && *l.Max <= 0 {
			bad("rules: receiver limit for %s: max must be positive", l.Period)
		}
		if l.Min != nil && *l.Min > 0 {
			bad("rules: receiver limit for %s: min cannot be positive", l.Period)
		}
	}
	for role, a := range c.Allowances {
		if !role.Valid() {
			bad("rules: allowance for unknown role %q", role)
		}
		if !a.Period.Valid() {
			bad("rules: allowance for %s: unknown period %q", role, a.Period)
		}
		if a.Points < 0 || a.PerMember < 0 || a.MaxPerAward < 0 {
			bad("rules: allowance for %s: values cannot be negative", role)
		}
	}
	if th := c.Thanks; th != nil {
		b := c.Behavior(th.Behavior)
		switch {
		case b == nil:
			bad("rules: thanks: unknown behavior %q", th.Behavior)
		case b.Deduction():
			bad("rules: thanks: behavior %q is a deduction", th.Behavior)
		}
		if !th.Period.Valid() {
			bad("rules: thanks: unknown period %q", th.Period)
		}
		if th.Allowance < 0 || th.MaxPerThanks < 0 {
			bad("rules: thanks: values cannot be negative")
		}
	}
	if c.ApprovalThreshold < 0 {
		bad("rules: approval threshold cannot be negative")
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Fingerprint identifies the catalog's content: equal catalogs have equal
// fingerprints, and any change to a category, behavior, limit, allowance or
// threshold changes it. The store numbers catalog versions by fingerprint.
func (c *Catalog) Fingerprint() string {
	// encoding/json writes struct fields in declaration order and map keys
	// sorted, so the encoding is canonical.
	data, err := json.Marshal(c)
	if err != nil {
		panic("rules: catalog cannot be encoded: " + err.Error()) // only plain data inside
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
