package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"jifen/rules"
)

// Problem is one thing wrong with a configuration file, located by line and
// key path. It never quotes the value of a secret.
type Problem struct {
	File string
	Line int    // 0 when the problem has no single place (e.g. a missing section)
	Key  string // e.g. members[3].role
	Text string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Key != "" {
		b.WriteString(": ")
		b.WriteString(p.Key)
	}
	b.WriteString(": ")
	b.WriteString(p.Text)
	return b.String()
}

// Error lists every problem found in a configuration file, in line order,
// one per line of its message.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// decoder walks the YAML tree and collects problems instead of stopping at
// the first one.
type decoder struct {
	file     string
	problems []Problem
	// warnings are kept apart from problems: they do not stop a load.
	warnings []Problem
	// unset records, per key path, the ${VAR}s that were not set, so a
	// required-but-empty value can say which variable to set.
	unset map[string][]string
}

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Key: path, Text: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line = n.Line
	}
	d.problems = append(d.problems, p)
}

// warn records something that does no harm but is probably a mistake.
func (d *decoder) warn(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Key: path, Text: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line = n.Line
	}
	d.warnings = append(d.warnings, p)
}

func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
	return &Error{Problems: d.problems}
}

// value is a node with its key path; node is nil when the key is absent.
type value struct {
	node *yaml.Node
	path string
}

func (v value) null() bool {
	return v.node == nil || (v.node.Kind == yaml.ScalarNode && v.node.ShortTag() == "!!null")
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldSet is a decoded mapping whose keys have been checked against the
// known ones.
type fieldSet struct {
	node *yaml.Node
	path string
	m    map[string]value
}

func (f *fieldSet) get(key string) value {
	if v, ok := f.m[key]; ok {
		return v
	}
	return value{path: join(f.path, key)}
}

func (f *fieldSet) has(key string) bool {
	_, ok := f.m[key]
	return ok
}

// fields reads a mapping, reporting unknown and repeated keys. A null or
// absent value reads as an empty mapping; anything else that is not a
// mapping is reported and also reads as empty.
func (d *decoder) fields(v value, known ...string) *fieldSet {
	f := &fieldSet{node: v.node, path: v.path, m: map[string]value{}}
	if v.null() {
		return f
	}
	n := deref(v.node)
	if n.Kind != yaml.MappingNode {
		d.add(n, v.path, "want a mapping (key: value), got %s", kindName(n))
		return f
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], deref(n.Content[i+1])
		key := k.Value
		path := join(v.path, key)
		if first, ok := lines[key]; ok {
			d.add(k, path, "key %q repeats the one on line %d", key, first)
			continue
		}
		lines[key] = k.Line
		if !contains(known, key) {
			msg := fmt.Sprintf("unknown key %q", key)
			if s := closest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.add(k, v.path, "%s", msg)
			continue
		}
		f.m[key] = value{node: val, path: path}
	}
	return f
}

// seq reads a sequence; null or absent reads as empty.
func (d *decoder) seq(v value) []value {
	if v.null() {
		return nil
	}
	n := deref(v.node)
	if n.Kind != yaml.SequenceNode {
		d.add(n, v.path, "want a list, got %s", kindName(n))
		return nil
	}
	out := make([]value, len(n.Content))
	for i, item := range n.Content {
		out[i] = value{node: deref(item), path: fmt.Sprintf("%s[%d]", v.path, i)}
	}
	return out
}

// str reads a scalar as text; null or absent reads as "".
func (d *decoder) str(v value) string {
	if v.null() {
		return ""
	}
	n := deref(v.node)
	if n.Kind != yaml.ScalarNode {
		d.add(n, v.path, "want a text value, got %s", kindName(n))
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// strs reads a list of texts; a single text reads as a list of one.
func (d *decoder) strs(v value) []string {
	if v.null() {
		return nil
	}
	if n := deref(v.node); n.Kind == yaml.ScalarNode {
		return []string{d.str(v)}
	}
	var out []string
	for _, item := range d.seq(v) {
		out = append(out, d.str(item))
	}
	return out
}

// int reads an integer; ok is false when absent, null or not an integer
// (the latter reported).
func (d *decoder) int(v value) (n int64, ok bool) {
	if v.null() {
		return 0, false
	}
	node := deref(v.node)
	if node.Kind != yaml.ScalarNode {
		d.add(node, v.path, "want a whole number, got %s", kindName(node))
		return 0, false
	}
	if node.ShortTag() == "!!int" {
		if err := node.Decode(&n); err == nil {
			return n, true
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(node.Value), 10, 64)
	if err != nil {
		d.add(node, v.path, "want a whole number, got %q", clip(node.Value))
		return 0, false
	}
	return n, true
}

// float reads a number (whole or decimal, e.g. 150 or 0.8).
func (d *decoder) float(v value) (x float64, ok bool) {
	if v.null() {
		return 0, false
	}
	node := deref(v.node)
	if node.Kind != yaml.ScalarNode {
		d.add(node, v.path, "want a number, got %s", kindName(node))
		return 0, false
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(node.Value), 64)
	if err != nil {
		d.add(node, v.path, "want a number, got %q", clip(node.Value))
		return 0, false
	}
	return x, true
}

// bool reads true/false (also yes/no, on/off, as written by hand or set in
// the environment); absent or null reads as false.
func (d *decoder) bool(v value) bool {
	if v.null() {
		return false
	}
	n := deref(v.node)
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "true", "yes", "on", "1":
			return true
		case "false", "no", "off", "0", "":
			return false
		}
		d.add(n, v.path, "want true or false, got %q", clip(n.Value))
		return false
	}
	d.add(n, v.path, "want true or false, got %s", kindName(n))
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		// Not the value itself: it may be a secret put under the wrong key.
		return "a single value"
	}
	return "nothing"
}

// clip shortens a quoted value so one bad line cannot flood the report.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the known key nearest to key, if within edit distance 2.
func closest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := rules.EditDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

// uniqueID checks the id (or name) of a list item: required, lower-case
// letters, digits and _, and not used twice (seen holds those used).
func (d *decoder) uniqueID(f *fieldSet, item value, key, id string, seen map[string]bool) {
	if id == "" || !ruleID.MatchString(id) {
		d.add(lineOf(f, f.get(key)), item.path+"."+key, "required: lower-case letters, digits and _")
	} else if seen[id] {
		d.add(item.node, item.path+"."+key, "%s %q is used twice", key, id)
	}
	seen[id] = true
}
