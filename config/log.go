package config

import "strings"

// Log configures the operator's log: how much is written and in which
// form. Whatever the level, no log line holds the text of a message, a
// reason or an answer.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn or error
	Format string `yaml:"format"` // text (default) or json
}

// Defaults for the log: section.
const (
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"
)

func (d *decoder) log(l *Log, v value) {
	f := d.fields(v, "level", "format")
	l.Level = strings.ToLower(d.str(f.get("level")))
	if l.Level == "" {
		l.Level = DefaultLogLevel
	}
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		d.add(f.get("level").node, join(v.path, "level"), "unknown level %q (want debug, info, warn or error)", clip(l.Level))
	}
	l.Format = strings.ToLower(d.str(f.get("format")))
	if l.Format == "" {
		l.Format = DefaultLogFormat
	}
	if l.Format != "text" && l.Format != "json" {
		d.add(f.get("format").node, join(v.path, "format"), "unknown format %q (want text or json)", clip(l.Format))
	}
}
