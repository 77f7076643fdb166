package config

import (
	"errors"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// expand replaces ${VAR} and ${VAR:-default} in every scalar value of the
// tree, in place; $$ is a literal $. It works on scalar nodes after parsing,
// never on the text, so a variable's value cannot add keys or lists: "a: b"
// from the environment stays one string. Mapping keys are not expanded.
//
// An unset variable without a default expands to "" and is not itself a
// problem: a disabled platform may leave its secrets unset. The decoder
// records it, so that a value that turns out to be required can name the
// variable to set.
func expand(d *decoder, n *yaml.Node, path string, getenv func(string) (string, bool)) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = path + "[" + strconv.Itoa(i) + "]"
			}
			expand(d, c, p, getenv)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expand(d, n.Content[i+1], join(path, n.Content[i].Value), getenv)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		s, unset, err := expandString(n.Value, getenv)
		if err != nil {
			d.add(n, path, "%v", err)
			return
		}
		if len(unset) > 0 {
			d.unset[path] = append(d.unset[path], unset...)
		}
		if s == n.Value {
			return
		}
		n.Value = s
		if n.Style == 0 {
			// A plain scalar is typed by its text (5 is a number, false a
			// boolean), so retype it by the expanded text, as if written so.
			n.Tag = ""
			n.Tag = n.ShortTag()
		}
	}
	// Aliases are skipped: their anchor is expanded where it is defined, and
	// expanding twice would turn $$ into $ and then read it again.
}

// expandString expands one value. It returns the names of variables that
// were unset and had no default. Errors never quote the value, which may be
// a secret.
func expandString(s string, getenv func(string) (string, bool)) (string, []string, error) {
	var b strings.Builder
	var unset []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), unset, nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch s[1] {
		case '$':
			b.WriteByte('$')
			s = s[2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			s = s[1:]
			continue
		}
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", nil, errors.New(`unterminated "${" (write "$$" for a literal "$")`)
		}
		ref := s[2:end]
		s = s[end+1:]
		name, def, hasDefault := strings.Cut(ref, ":-")
		if !validVarName(name) {
			return "", nil, errors.New(`bad "${…}": a variable name is letters, digits and _, not starting with a digit`)
		}
		v, ok := getenv(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDefault:
			b.WriteString(def)
		case !ok:
			unset = append(unset, name)
		}
	}
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
