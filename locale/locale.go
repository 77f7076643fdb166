// Package locale holds every user-facing string of jifen, one catalog per
// language (zh.go, en.go), looked up by key. Code never builds user text
// from literals: it names a key and passes arguments, and the catalog's
// format string places them (fmt's %[n]v lets a language reorder them).
package locale

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"jifen"
)

// Languages jifen speaks.
const (
	ZH = "zh-CN"
	EN = "en"
)

var catalogs = map[string]map[string]string{ZH: zh, EN: en}

// Supported reports whether lang has a catalog.
func Supported(lang string) bool { _, ok := catalogs[lang]; return ok }

// Keys lists the keys of a language's catalog (for tests that compare catalogs).
func Keys(lang string) []string {
	var out []string
	for k := range catalogs[lang] {
		out = append(out, k)
	}
	return out
}

// T renders a message. Arguments of a few domain types are translated first:
// a jifen.PeriodKind (本月 / this month), a jifen.Role, and []string (joined
// with the language's list separator). A key missing from the language
// falls back to zh-CN, then to the key itself, so a gap shows up in tests,
// not as an empty reply.
func T(lang, key string, args ...any) string {
	cat, ok := catalogs[lang]
	if !ok {
		cat = zh
	}
	format, ok := cat[key]
	if !ok {
		if format, ok = zh[key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return format
	}
	format = plurals(format, args)
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = translate(lang, a)
	}
	return fmt.Sprintf(format, out...)
}

// plural matches a plural choice in a format string: {N:one|other} is
// "one" when argument N (counted from 1, as in %[N]d) is 1 or -1, and
// "other" otherwise: "%[2]d {2:time|times}" gives "1 time", "3 times".
// Chinese needs none; English uses it wherever a count meets a noun.
var plural = regexp.MustCompile(`\{(\d+):([^{}|]*)\|([^{}|]*)\}`)

func plurals(format string, args []any) string {
	if !strings.Contains(format, "{") {
		return format
	}
	return plural.ReplaceAllStringFunc(format, func(m string) string {
		sub := plural.FindStringSubmatch(m)
		i, err := strconv.Atoi(sub[1])
		if err != nil || i < 1 || i > len(args) {
			return m
		}
		if n, ok := count(args[i-1]); ok && (n == 1 || n == -1) {
			return sub[2]
		}
		return sub[3]
	})
}

// count reads an integer argument.
func count(a any) (int64, bool) {
	switch v := a.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint64:
		return int64(v), true
	}
	return 0, false
}

func translate(lang string, a any) any {
	switch v := a.(type) {
	case jifen.PeriodKind:
		return T(lang, "period."+string(v))
	case jifen.Role:
		return T(lang, "role."+string(v))
	case []string:
		return strings.Join(v, T(lang, "list.sep"))
	}
	return a
}

// Error renders an error for a user: an application error's message, or
// "internal error" for anything else (its detail is for the operator's log).
func Error(lang string, err error) string {
	if e, ok := err.(*jifen.Error); ok {
		// A list argument that came out empty (no suggestions) reads
		// better with the catalog's "_none" variant when it has one.
		if n := len(e.Args); n > 0 {
			if l, ok := e.Args[n-1].([]string); ok && len(l) == 0 {
				if _, ok := catalogs[ZH][e.Key+"_none"]; ok {
					return T(lang, e.Key+"_none", e.Args[:n-1]...)
				}
			}
		}
		return T(lang, e.Key, e.Args...)
	}
	return T(lang, "err.internal")
}
