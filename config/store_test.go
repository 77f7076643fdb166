package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"jifen/config"
)

// Fake secrets: whatever the test, neither may appear in an error, a
// warning or the redacted dump.
const (
	fakePassword  = "pw-S3cr3t-0f-th3-t3st"
	fakeAnswerKey = "answer-key-0123456789abcdef-0123456789abcdef"
)

const anonymousSurvey = `
surveys:
  - id: pulse
    title: 脉搏
    anonymous: true
    questions:
      - {id: q1, text: 满意吗, type: likert}
`

func TestStoreDriver(t *testing.T) {
	pgURL := "postgres://jifen:" + fakePassword + "@db.internal:5432/jifen?sslmode=disable"
	for _, tc := range []struct {
		name string
		src  string
		vars map[string]string
		want config.Store // checked when wantErr and wantWarn are empty
		// wantErr: each must appear in the error; empty: no error.
		wantErr []string
		// wantWarn: each must appear in the warnings.
		wantWarn []string
	}{
		{
			name: "no store section is bbolt beside the config",
			src:  minimal,
			want: config.Store{Driver: "bbolt", Path: "dir/jifen.db"},
		},
		{
			name: "postgres from the environment",
			src:  "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n  answer_key: ${JIFEN_ANSWER_KEY}\n" + minimal,
			vars: map[string]string{"DATABASE_URL": pgURL, "JIFEN_ANSWER_KEY": fakeAnswerKey},
			want: config.Store{Driver: "postgres", URL: pgURL, AnswerKey: []byte(fakeAnswerKey)},
		},
		{
			name: "postgresql:// is a postgres URL too",
			src:  "store:\n  driver: postgres\n  url: postgresql://h/jifen\n" + minimal,
			want: config.Store{Driver: "postgres", URL: "postgresql://h/jifen"},
		},
		{
			name:    "unknown driver",
			src:     "store:\n  driver: sqlite\n" + minimal,
			wantErr: []string{`c.yaml:2: store.driver: unknown driver "sqlite" (want bbolt or postgres)`},
		},
		{
			name:    "postgres without url names the variable to set",
			src:     "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n" + minimal,
			wantErr: []string{`c.yaml:3: store.url: required with driver postgres`, "DATABASE_URL"},
		},
		{
			name:    "postgres with no url key at all",
			src:     "store:\n  driver: postgres\n" + minimal,
			wantErr: []string{`store.url: required with driver postgres`},
		},
		{
			name:    "url of another database",
			src:     "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n" + minimal,
			vars:    map[string]string{"DATABASE_URL": "mysql://root:" + fakePassword + "@h/jifen"},
			wantErr: []string{`c.yaml:3: store.url: want a postgres:// or postgresql:// URL`},
		},
		{
			name:    "key=value connection string",
			src:     "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n" + minimal,
			vars:    map[string]string{"DATABASE_URL": "host=h dbname=jifen password=" + fakePassword},
			wantErr: []string{`c.yaml:3: store.url: want a postgres:// or postgresql:// URL`},
		},
		{
			name:    "a URL with bbolt would put the ledger in a local file",
			src:     "store:\n  url: ${DATABASE_URL}\n" + minimal,
			vars:    map[string]string{"DATABASE_URL": pgURL},
			wantErr: []string{`c.yaml:2: store.url: is for driver postgres, but store.driver is bbolt`},
		},
		{
			name:     "a path with postgres is ignored, with a warning",
			src:      "store:\n  driver: postgres\n  path: ${JIFEN_STORE:-jifen.db}\n  url: ${DATABASE_URL}\n" + minimal,
			vars:     map[string]string{"DATABASE_URL": pgURL},
			wantWarn: []string{`c.yaml:3: store.path: is for driver bbolt`},
		},
		{
			name:     "an answer key with bbolt is ignored, with a warning",
			src:      "store:\n  answer_key: ${JIFEN_ANSWER_KEY}\n" + minimal,
			vars:     map[string]string{"JIFEN_ANSWER_KEY": fakeAnswerKey},
			wantWarn: []string{`c.yaml:2: store.answer_key: is used with driver postgres only`},
		},
		{
			name:    "answer key too short",
			src:     "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n  answer_key: ${JIFEN_ANSWER_KEY}\n" + minimal,
			vars:    map[string]string{"DATABASE_URL": pgURL, "JIFEN_ANSWER_KEY": fakeAnswerKey[:31]},
			wantErr: []string{`c.yaml:4: store.answer_key: too short (31 bytes): want at least 32`},
		},
		{
			name:    "anonymous surveys on postgres need an answer key",
			src:     "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n  answer_key: ${JIFEN_ANSWER_KEY}\n" + minimal + anonymousSurvey,
			vars:    map[string]string{"DATABASE_URL": pgURL},
			wantErr: []string{`c.yaml:4: store.answer_key: required with driver postgres when a survey is anonymous (surveys: pulse)`, "JIFEN_ANSWER_KEY"},
		},
		{
			name: "anonymous surveys on bbolt need no answer key",
			src:  minimal + anonymousSurvey,
			want: config.Store{Driver: "bbolt", Path: "dir/jifen.db"},
		},
		{
			name:    "a backup schedule on postgres",
			src:     "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n" + minimal + "schedules:\n  - {name: nightly, job: backup, cron: \"0 2 * * *\", dir: b}\n",
			vars:    map[string]string{"DATABASE_URL": pgURL},
			wantErr: []string{`c.yaml:14: schedules[0].job: a backup job copies a bbolt file; with driver postgres back the database up with its own tools (pg_dump, or point-in-time recovery)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("dir/c.yaml", []byte(tc.src), env(tc.vars))
			var msg string
			if err != nil {
				msg = err.Error()
			}
			if c != nil {
				for _, w := range c.Warnings {
					msg += "\n" + w.String()
				}
				msg += "\n" + c.Redacted()
			}
			if strings.Contains(msg, fakePassword) || strings.Contains(msg, fakeAnswerKey[:31]) {
				t.Errorf("a secret shows:\n%s", msg)
			}
			msg = strings.ReplaceAll(msg, "dir/c.yaml", "c.yaml")
			switch {
			case len(tc.wantErr) > 0:
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Fatalf("want a *config.Error, got %v", err)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(msg, w) {
						t.Errorf("error does not say %q:\n%s", w, msg)
					}
				}
			case err != nil:
				t.Fatal(err)
			case len(tc.wantWarn) > 0:
				for _, w := range tc.wantWarn {
					if !strings.Contains(msg, w) {
						t.Errorf("warnings do not say %q:\n%s", w, msg)
					}
				}
			default:
				if len(c.Warnings) > 0 {
					t.Errorf("warnings: %v", c.Warnings)
				}
				got := c.Store
				if got.Driver != tc.want.Driver || got.Path != tc.want.Path || got.URL != tc.want.URL || string(got.AnswerKey) != string(tc.want.AnswerKey) {
					t.Errorf("store = %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}

// The redacted dump shows which store and where, never the password or the
// answer key.
func TestRedactedStore(t *testing.T) {
	src := "store:\n  driver: postgres\n  url: ${DATABASE_URL}\n  answer_key: ${JIFEN_ANSWER_KEY}\n" + minimal
	c, err := config.Parse("c.yaml", []byte(src), env(map[string]string{
		"DATABASE_URL":     "postgres://jifen:" + fakePassword + "@db.internal:5432/jifen?sslmode=require&password=" + fakePassword,
		"JIFEN_ANSWER_KEY": fakeAnswerKey,
	}))
	if err != nil {
		t.Fatal(err)
	}
	out := c.Redacted()
	if strings.Contains(out, fakePassword) || strings.Contains(out, fakeAnswerKey) {
		t.Errorf("Redacted shows a secret:\n%s", out)
	}
	for _, want := range []string{"driver: postgres", "jifen:xxxxx@db.internal:5432/jifen", "answer_key: '***'"} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted lacks %q:\n%s", want, out)
		}
	}
	if w := c.Store.Where(); strings.Contains(w, fakePassword) || !strings.Contains(w, "db.internal:5432/jifen") {
		t.Errorf("Where() = %q", w)
	}
}

// The example's store block parses as bbolt with nothing set, and as
// PostgreSQL when its commented lines are switched on.
func TestExampleStorePostgres(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for _, line := range []string{"driver: postgres", "url: ${DATABASE_URL}", "answer_key: ${JIFEN_ANSWER_KEY}"} {
		if !strings.Contains(src, "  # "+line+"\n") {
			t.Fatalf("the example has no commented %q", line)
		}
		src = strings.Replace(src, "  # "+line+"\n", "  "+line+"\n", 1)
	}
	src = strings.Replace(src, "  path: ${JIFEN_STORE:-jifen.db}\n", "", 1)
	src = strings.Replace(src, "    job: backup ", "    enabled: false\n    job: backup ", 1)
	c, err := config.Parse(examplePath, []byte(src), env(map[string]string{
		"DATABASE_URL": "postgres://jifen:" + fakePassword + "@db:5432/jifen", "JIFEN_ANSWER_KEY": fakeAnswerKey,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Driver != "postgres" || c.Store.Path != "" || len(c.Warnings) > 0 {
		t.Errorf("store = %+v, warnings %v", c.Store, c.Warnings)
	}
}
