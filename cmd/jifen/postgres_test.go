package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jifen/store/pgtest"
)

// testAnswerKey is the answer key of the PostgreSQL test configs: fake,
// and looked for in what the commands print.
const testAnswerKey = "test-answer-key-0f-the-cmd-tests-0123456789abcdef"

// postgresExample writes the example config switched to PostgreSQL, as its
// store block says to (path removed, the three lines uncommented, the
// backup schedule off), with store.url from DATABASE_URL set to dbURL.
// onPostgres are the replacements that put the example config's ledger
// on PostgreSQL at ${DATABASE_URL}, with the answer key its anonymous
// survey needs and without the backup schedule PostgreSQL refuses (the
// path stays: postgresExample removes it).
var onPostgres = []string{
	"  # driver: postgres\n", "  driver: postgres\n",
	"  # url: ${DATABASE_URL}\n", "  url: ${DATABASE_URL}\n",
	"  # answer_key: ${JIFEN_ANSWER_KEY}\n", "  answer_key: ${JIFEN_ANSWER_KEY}\n",
	"    job: backup ", "    enabled: false\n    job: backup ",
}

func postgresExample(t *testing.T, dbURL string) string {
	t.Helper()
	path := exampleConfig(t, t.TempDir(), append([]string{"  path: ${JIFEN_STORE:-jifen.db}\n", ""}, onPostgres...)...)
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("JIFEN_ANSWER_KEY", testAnswerKey)
	return path
}

// The scripted conversation gives the same transcript on PostgreSQL as on
// bbolt; then /score, the report, an export, the schedule list, an import,
// a member forgotten and verify all work on the database.
func TestPostgresCommands(t *testing.T) {
	cfg := postgresExample(t, pgtest.DB(t))
	script, err := os.ReadFile("testdata/conversation.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(script), "chat", "--config", cfg, "--as", "张伟")
	if code != 0 {
		t.Fatalf("chat exit %d: %s", code, errOut)
	}
	golden(t, "conversation.golden", out)
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "jifen.db")); err == nil {
		t.Fatal("chat wrote a bbolt file beside the config")
	}

	out, errOut, code = run(t, "/积分\n", "chat", "--config", cfg, "--as", "王芳")
	if code != 0 || !strings.Contains(out, "王芳") || !strings.Contains(out, "15") {
		t.Fatalf("/score: %d %s %s", code, out, errOut)
	}

	out, errOut, code = run(t, "", "report", "--config", cfg, "--period", "2026-11")
	if code != 0 || !strings.Contains(out, "# 积分小结 2026-11（对比 2026-10）") || !strings.Contains(out, "## 六、改进建议") {
		t.Fatalf("report md: %d %s %s", code, out, errOut)
	}
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	if _, errOut, code := run(t, "", "report", "--config", cfg, "--period", "2026-Q4", "--format", "json", "-o", report); code != 0 {
		t.Fatal(errOut)
	}
	if raw, err := os.ReadFile(report); err != nil || !strings.Contains(string(raw), `"net": 103`) {
		t.Fatalf("report json: %v %s", err, raw)
	}

	out, errOut, code = run(t, "", "export", "ledger", "--config", cfg, "--format", "csv")
	if code != 0 || !strings.Contains(out, "客户好评") || !strings.Contains(out, "王芳") {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if out, errOut, code = run(t, "", "schedule", "list", "--config", cfg); code != 0 || !strings.Contains(out, "nightly_backup") {
		t.Fatalf("schedule list: %d %s %s", code, out, errOut)
	}

	members := filepath.Join(dir, "m.csv")
	if err := os.WriteFile(members, []byte("id,name,department,joined\nE9001,钱多多,销售部,2025-01-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "import", "members", "--config", cfg, members); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, "/award @钱多多 10 客户好评 钱多多的表扬信\n", "chat", "--config", cfg, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	if out, errOut, code := run(t, "", "member", "forget", "E9001", "--config", cfg); code != 0 {
		t.Fatalf("forget: %d %s %s", code, out, errOut)
	}
	if out, _, _ := run(t, "/history @E9001\n", "chat", "--config", cfg, "--as", "李娜"); strings.Contains(out, "钱多多") {
		t.Fatalf("after forgetting:\n%s", out)
	}

	pts := filepath.Join(dir, "points.csv")
	if err := os.WriteFile(pts, []byte("时间,获得人,积分,行为\n2026-10-08,王芳,10,客户好评\n2026-10-20,刘洋,30,签单\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "import", "points", "--config", cfg, pts); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code = run(t, "", "schedule", "run", "monthly_leaderboard", "--dry-run", "--config", cfg)
	if code != 0 || !strings.Contains(out, "2026-10") || !strings.Contains(out, "🥇    刘洋") || !strings.Contains(out, "王芳") {
		t.Fatalf("schedule dry run: %d %s %s", code, out, errOut)
	}

	out, errOut, code = run(t, "", "verify", "--config", cfg)
	if code != 0 || !strings.Contains(out, "verify: ok") {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, testAnswerKey) {
		t.Error("a command printed the answer key")
	}
}

// jifen serve on PostgreSQL is ready, its store check included.
func TestPostgresServeReady(t *testing.T) {
	db := pgtest.DB(t)
	cfg := postgresExample(t, db)
	base, log, stop := startServeLog(t, cfg, nil)
	code, a := getReady(t, nil, base)
	stop()
	if c, ok := a.Checks["store"]; code != 200 || !ok || !c.OK {
		t.Fatalf("readyz %d: %+v", code, a)
	}
	// Neither the database's password nor the answer key is logged.
	secrets := []string{testAnswerKey}
	if u, err := url.Parse(db); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets = append(secrets, pw)
		}
	}
	for _, s := range secrets {
		if strings.Contains(log.String(), s) {
			t.Errorf("serve logs a secret:\n%s", log)
		}
	}
}

// fakePassword is the password of a database no test reaches: it must
// never be printed.
const fakePassword = "pw-0f-n0-s3rv3r-at-all"

// unreachable is a PostgreSQL URL on a port nothing listens on.
const unreachable = "postgres://jifen:" + fakePassword + "@127.0.0.1:1/jifen_ledger?sslmode=disable"

// backup, restore and demo, which work on a bbolt file, say what to use on
// PostgreSQL instead, before connecting (so they need no server).
func TestPostgresBackupRestoreDemoSayWhatToUse(t *testing.T) {
	cfg := postgresExample(t, unreachable)
	in := filepath.Join(t.TempDir(), "in.db")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"backup", "--config", cfg, filepath.Join(t.TempDir(), "out.db")},
			[]string{"jifen backup works on a bbolt store file only", "pg_dump", "point-in-time recovery", "jifen store copy"}},
		{[]string{"restore", "--config", cfg, in},
			[]string{"jifen restore works on a bbolt store file only", "pg_restore", "point-in-time recovery", "jifen store copy", "nothing was restored"}},
		{[]string{"demo", "--config", cfg},
			[]string{"cannot fill PostgreSQL", "nothing was written", "jifen store copy --from bbolt:PATH"}},
	} {
		_, errOut, code := run(t, "", tc.args...)
		if code != 1 {
			t.Errorf("%s: exit %d: %s", tc.args[0], code, errOut)
		}
		for _, w := range append(tc.want, "127.0.0.1:1/jifen_ledger") {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s does not say %q: %s", tc.args[0], w, errOut)
			}
		}
		if strings.Contains(errOut, fakePassword) {
			t.Errorf("%s prints the password: %s", tc.args[0], errOut)
		}
		if strings.Contains(errOut, "connect") {
			t.Errorf("%s tried to connect: %s", tc.args[0], errOut)
		}
	}
}

// A database that cannot be reached is named by host, port and database,
// without the password.
func TestPostgresConnectionFailureNamesTheDatabase(t *testing.T) {
	cfg := postgresExample(t, unreachable)
	_, errOut, code := run(t, "", "verify", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "open the PostgreSQL store postgres://jifen:xxxxx@127.0.0.1:1/jifen_ledger") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, fakePassword) {
		t.Fatalf("the error prints the password: %s", errOut)
	}
}

// A store.path left in a PostgreSQL config is ignored, and the commands
// say so in their log.
func TestPostgresWarnsOfAnIgnoredPath(t *testing.T) {
	cfg := exampleConfig(t, t.TempDir(), onPostgres...)
	t.Setenv("DATABASE_URL", unreachable)
	t.Setenv("JIFEN_ANSWER_KEY", testAnswerKey)
	_, errOut, _ := run(t, "", "verify", "--config", cfg)
	if !strings.Contains(errOut, "store.path: is for driver bbolt") {
		t.Fatalf("no warning: %s", errOut)
	}
}
