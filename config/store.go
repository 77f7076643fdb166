package config

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The stores jifen keeps its ledger in (store.driver).
const (
	// DriverBbolt is one file inside the process: the default, for one
	// replica.
	DriverBbolt = "bbolt"
	// DriverPostgres is a PostgreSQL database that several replicas share.
	DriverPostgres = "postgres"
)

// MinAnswerKey is the shortest store.answer_key accepted, in bytes.
const MinAnswerKey = 32

// Store says which store holds the ledger, and where.
type Store struct {
	// Driver is DriverBbolt (the default) or DriverPostgres.
	Driver string
	// Path is the bbolt file; empty with PostgreSQL. It is resolved against
	// the config file's directory when relative, so the bot finds the same
	// file whatever directory it is started from.
	Path string
	// URL is the PostgreSQL connection URL (postgres:// or postgresql://);
	// empty with bbolt. It may hold a password: show it only as
	// RedactURL gives it.
	URL string
	// AnswerKey is the secret anonymous survey answers of an open round
	// are filed under on PostgreSQL: the same on every replica and kept out
	// of the database, so that the database alone cannot tell who answered
	// what. Nil when not set; bbolt keeps its own key in its file.
	AnswerKey []byte
}

// Where names the store for messages and logs, without a secret: the
// bbolt file's path, or the PostgreSQL host, port and database.
func (s Store) Where() string {
	if s.Driver == DriverPostgres {
		return RedactURL(s.URL)
	}
	return s.Path
}

// RedactURL returns a PostgreSQL URL with its password, in the user part or
// in the query, replaced by "xxxxx"; a URL that does not parse is replaced
// whole, since where its password ends cannot be told.
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(a connection URL that does not parse)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// store decodes the store: section.
func (d *decoder) store(s *Store, v value, configPath string) {
	f := d.fields(v, "driver", "path", "url", "answer_key")
	s.Driver = d.str(f.get("driver"))
	if s.Driver == "" {
		s.Driver = DriverBbolt
	}
	path, rawURL := d.str(f.get("path")), d.str(f.get("url"))
	key := d.str(f.get("answer_key"))
	switch s.Driver {
	case DriverBbolt:
		s.Path = path
		if s.Path == "" {
			s.Path = DefaultStore
		}
		if !filepath.IsAbs(s.Path) {
			s.Path = filepath.Join(filepath.Dir(configPath), s.Path)
		}
		// An error, not a warning: the operator believes the ledger is in
		// PostgreSQL, and it would be in a local file (lost with its pod).
		if rawURL != "" {
			uv := f.get("url")
			d.add(uv.node, uv.path, "is for driver postgres, but store.driver is bbolt: add driver: postgres to use the database, or remove url to keep the ledger in store.path")
		}
		if key != "" {
			kv := f.get("answer_key")
			d.warn(kv.node, kv.path, "is used with driver postgres only: bbolt keeps the answer key in its file; it is ignored")
		}
		return
	case DriverPostgres:
	default:
		dv := f.get("driver")
		d.add(dv.node, dv.path, "unknown driver %q (want bbolt or postgres)", clip(s.Driver))
		return
	}
	if path != "" {
		// Harmless (the file is not used), so the bot still starts.
		pv := f.get("path")
		d.warn(pv.node, pv.path, "is for driver bbolt; with driver postgres the ledger is in the database at store.url, and the path is ignored")
	}
	uv := f.get("url")
	switch {
	case rawURL == "":
		d.add(lineOf(f, uv), uv.path, "required with driver postgres: the database's URL, e.g. ${DATABASE_URL}%s", d.unsetHint(uv.path))
	case !postgresURL(rawURL):
		// Never quote it: it may hold the password.
		d.add(uv.node, uv.path, "want a postgres:// or postgresql:// URL (postgres://user:password@host:5432/jifen)")
	default:
		s.URL = rawURL
	}
	if key != "" {
		if len(key) < MinAnswerKey {
			kv := f.get("answer_key")
			d.add(kv.node, kv.path, "too short (%d bytes): want at least %d random bytes, e.g. from openssl rand -hex 32", len(key), MinAnswerKey)
		} else {
			s.AnswerKey = []byte(key)
		}
	}
}

// postgresURL reports whether s is a URL pgx reads as a PostgreSQL
// connection URL (not a key=value string, which could not be redacted as
// reliably).
func postgresURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "postgres" || scheme == "postgresql") && u.Opaque == ""
}

// storeNeeds checks what other sections need of the store, once they are
// decoded: anonymous surveys on PostgreSQL need store.answer_key, and a
// backup schedule copies a bbolt file only.
func (d *decoder) storeNeeds(c *Config, store, schedules value) {
	if c.Store.Driver != DriverPostgres {
		return
	}
	f := &fieldSet{node: store.node, path: store.path}
	kv := value{path: join(store.path, "answer_key")}
	if n := deref(store.node); n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "answer_key" {
				kv.node = n.Content[i+1]
			}
		}
	}
	// A key given but too short is reported where it is decoded.
	given := kv.node != nil && !kv.null() && strings.TrimSpace(deref(kv.node).Value) != ""
	if !given {
		for _, s := range c.Surveys {
			if s.Anonymous {
				d.add(lineOf(f, kv), kv.path, "required with driver postgres when a survey is anonymous (surveys: %s): a secret of at least %d bytes, the same on every replica, e.g. from openssl rand -hex 32%s",
					s.ID, MinAnswerKey, d.unsetHint(kv.path))
				break
			}
		}
	}
	n := deref(schedules.node)
	for i, s := range c.Schedules {
		if s.Job != "backup" || !s.Enabled {
			continue
		}
		var at *yaml.Node
		if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
			at = n.Content[i]
		}
		d.add(at, schedules.path+"["+strconv.Itoa(i)+"].job", "a backup job copies a bbolt file; with driver postgres back the database up with its own tools (pg_dump, or point-in-time recovery), and remove this schedule or set enabled: false")
	}
}
