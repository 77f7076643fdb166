package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	bolt "go.etcd.io/bbolt"

	"io"
	"jifen"
	goldenfile "jifen/golden"
	"jifen/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// run runs jifen in-process with the store in a temporary directory and a
// fixed clock (2026-11-10 10:00 in Shanghai).
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Clock: jifen.ClockFunc(func() time.Time { return time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC) })}
	code = m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// openExample opens the example config's app on a store in a temporary
// directory, with run's clock; it is closed when t ends.
func openExample(t *testing.T) (*Main, *app) {
	t.Helper()
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "jifen.db"))
	m := &Main{Stdout: io.Discard, Stderr: io.Discard,
		Clock: jifen.ClockFunc(func() time.Time { return time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC) })}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.String("config", "../../config.example.yaml", "")
	a, err := m.open(context.Background(), fs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return m, a
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(got), *update)
}

// TestScriptedConversation pipes a conversation into `jifen chat`: awards,
// a cap refusal, a self-award refusal, a deduction, the leaderboard and a
// revoke; then `jifen verify` is clean.
func TestScriptedConversation(t *testing.T) {
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "jifen.db"))
	script, err := os.ReadFile("testdata/conversation.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(script), "chat", "--config", "../../config.example.yaml", "--as", "张伟")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "conversation.golden", out)
	for _, want := range []string{"各加 10 分", "已达上限", "不能给自己加分", "各扣 5 分", "积分排行榜", "撤销了记录"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	out, errOut, code = run(t, "", "verify", "--config", "../../config.example.yaml")
	if code != 0 || !strings.Contains(out, "verify: ok") {
		t.Fatalf("verify exit %d: %s %s", code, out, errOut)
	}
}

func TestUsage(t *testing.T) {
	out, _, code := run(t, "", "help")
	if code != 0 || !strings.Contains(out, "chat") || !strings.Contains(out, "verify") || !strings.Contains(out, "  version ") {
		t.Fatalf("help: %d %q", code, out)
	}
	_, errOut, code := run(t, "", "chat", "-h")
	if code != 0 || !strings.Contains(errOut, "--as") && !strings.Contains(errOut, "-as") {
		t.Fatalf("chat -h: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "", "chat", "--config", "../../config.example.yaml")
	if code != 2 || !strings.Contains(errOut, "--as MEMBER is required") {
		t.Fatalf("chat without --as: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "", "frobnicate")
	if code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "", "verify", "--config", "does-not-exist.yaml")
	if code != 1 || !strings.Contains(errOut, "does-not-exist.yaml") {
		t.Fatalf("missing config: %d %q", code, errOut)
	}
}

func TestBackupIsAVerifiedCopy(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	if _, errOut, code := run(t, "/award @王芳 10 客户好评\n", "chat", "--config", "../../config.example.yaml", "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "", "backup", "--config", "../../config.example.yaml", filepath.Join(dir, "copy.db"))
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	if fi, err := os.Stat(filepath.Join(dir, "copy.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v (%s)", fi.Mode(), err, out)
	}
	// Yesterday's backup under the same name is kept unless --force.
	if err := os.WriteFile(filepath.Join(dir, "old.db"), []byte("yesterday"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, "", "backup", "--config", "../../config.example.yaml", filepath.Join(dir, "old.db"))
	if data, _ := os.ReadFile(filepath.Join(dir, "old.db")); code != 1 || !strings.Contains(errOut, "exists") || !strings.Contains(errOut, "--force") || string(data) != "yesterday" {
		t.Fatalf("backup over a file: %d %q, file now %d bytes", code, errOut, len(data))
	}
	if _, errOut, code = run(t, "", "backup", "--config", "../../config.example.yaml", "--force", filepath.Join(dir, "old.db")); code != 0 {
		t.Fatalf("backup --force: %d %s", code, errOut)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "old.db")); string(data) == "yesterday" {
		t.Fatal("backup --force left the old file")
	}
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "copy.db"))
	if out, _, code := run(t, "", "verify", "--config", "../../config.example.yaml"); code != 0 || !strings.Contains(out, "1 entries") {
		t.Fatalf("verify of the copy: %d %s", code, out)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	script, err := os.ReadFile("testdata/conversation.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, string(script), "chat", "--config", "../../config.example.yaml", "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "", "report", "--config", "../../config.example.yaml", "--period", "2026-11")
	if code != 0 || !strings.Contains(out, "# 积分小结 2026-11（对比 2026-10）") || !strings.Contains(out, "## 六、改进建议") {
		t.Fatalf("md: %d %s %s", code, out, errOut)
	}
	path := filepath.Join(dir, "r.json")
	if _, errOut, code := run(t, "", "report", "--config", "../../config.example.yaml", "--period", "2026-Q4", "--format", "json", "-o", path); code != 0 {
		t.Fatal(errOut)
	}
	raw, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(raw), `"period": "2026-Q4"`) || !strings.Contains(string(raw), `"net": 103`) {
		t.Fatalf("json: %v %s", err, raw)
	}
	for _, format := range []string{"html", "xlsx"} {
		out := filepath.Join(dir, "r."+format)
		if _, errOut, code := run(t, "", "report", "--config", "../../config.example.yaml", "--period", "2026-11", "--format", format, "-o", out); code != 0 {
			t.Fatalf("%s: %s", format, errOut)
		}
		if fi, err := os.Stat(out); err != nil || fi.Size() < 5000 {
			t.Fatalf("%s: %v %v", format, fi, err)
		}
	}
	for _, args := range [][]string{{"--period", "2026-13"}, {"--period", "2026-11", "--format", "pdf"}, {}} {
		_, errOut, code := run(t, "", append([]string{"report", "--config", "../../config.example.yaml"}, args...)...)
		if code != 2 || errOut == "" {
			t.Errorf("%v: %d %q", args, code, errOut)
		}
	}
}

func TestImportThenReport(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	cfgPath := "../../config.example.yaml"
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("时间,获得人,积分,行为\n2026-10-08,王芳,10,客户好评\n2026-10-09,无此人,10,客户好评\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "import", "points", "--config", cfgPath, bad)
	if code != 1 || !strings.Contains(errOut, `row 3: receiver: no member "无此人"`) || !strings.Contains(errOut, "nothing was imported") {
		t.Fatalf("bad import: %d %s", code, errOut)
	}
	good := filepath.Join(dir, "points.csv")
	if err := os.WriteFile(good, []byte("\ufeff时间,获得人,积分,行为,理由\n2026-10-08,王芳,10,客户好评,十月表扬\n2026-11-03 09:30,刘洋,20,签单,华东大单\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := run(t, "", "import", "points", "--config", cfgPath, good); code != 0 || !strings.Contains(out, "imported 2 points") {
		t.Fatalf("import points: %d %s %s", code, out, errOut)
	}
	ratings := filepath.Join(dir, "ratings.csv")
	if err := os.WriteFile(ratings, []byte("member,period,grade\n王芳,2026-11,B\n刘洋,2026-11,A\n张伟,2026-11,C\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "import", "ratings", "--config", cfgPath, ratings); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "", "report", "--config", cfgPath, "--period", "2026-11")
	if code != 0 || !strings.Contains(out, "共 3 人有绩效评级") || !strings.Contains(out, "净积分 20（上期 10") {
		t.Fatalf("report: %d %s %s", code, out, errOut)
	}
	if out, _, code := run(t, "", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "2 entries") {
		t.Fatalf("verify: %s", out)
	}
}

func TestProgressBar(t *testing.T) {
	var b strings.Builder
	if p := newProgress(&b, 5000); p.on {
		t.Fatal("a progress bar on a non-terminal")
	}
	p := &progress{w: &b, total: 2000, on: true}
	p.phase("writing")
	p.set(1000)
	p.set(1001) // same percentage: not redrawn
	p.done()
	if got := b.String(); strings.Count(got, "\r") != 2 || !strings.Contains(got, "writing   [###############               ]  50% 1000/2000") {
		t.Fatalf("%q", got)
	}
}

func TestScheduleCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	cfgPath := "../../config.example.yaml"
	pts := filepath.Join(dir, "points.csv")
	if err := os.WriteFile(pts, []byte("时间,获得人,积分,行为\n2026-10-08,王芳,10,客户好评\n2026-10-20,刘洋,30,签单\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "import", "points", "--config", cfgPath, pts); code != 0 {
		t.Fatal(errOut)
	}
	// The clock is Tuesday 2026-11-10 10:00 in Shanghai.
	out, errOut, code := run(t, "", "schedule", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "weekly_leaderboard") || !strings.Contains(out, "next 2026-11-16 09:00 CST") ||
		!strings.Contains(out, "monthly_digest") || !strings.Contains(out, "next 2026-12-01 09:30 CST") {
		t.Fatalf("list: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, "", "schedule", "run", "monthly_leaderboard", "--dry-run", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "2026-10") || !strings.Contains(out, "🥇    刘洋") || !strings.Contains(out, "王芳") {
		t.Fatalf("dry run: %d %s %s", code, out, errOut)
	}
	out, _, code = run(t, "", "schedule", "run", "monthly_digest", "--dry-run", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "积分小结 2026-10") {
		t.Fatalf("digest dry run: %d %s", code, out)
	}
	out, _, code = run(t, "", "schedule", "run", "personal_monthly", "--dry-run", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "个人积分报告（2026-10）") || !strings.Contains(out, "(19 personal reports)") {
		t.Fatalf("personal dry run: %d %s", code, out)
	}
	if _, errOut, code := run(t, "", "schedule", "run", "monthly_leaderboard", "--config", cfgPath); code != 2 || !strings.Contains(errOut, "no platform is enabled") {
		t.Fatalf("send without a platform: %d %s", code, errOut)
	}
	if _, _, code := run(t, "", "schedule", "run", "nope", "--config", cfgPath); code != 2 {
		t.Fatalf("unknown schedule: %d", code)
	}
}

// Export the ledger, import it into an empty store: the same balances.
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfgPath := "../../config.example.yaml"
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "a.db"))
	script, err := os.ReadFile("testdata/conversation.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, string(script), "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	csvPath := filepath.Join(dir, "ledger.csv")
	if _, errOut, code := run(t, "", "export", "ledger", "--config", cfgPath, "--format", "csv", "-o", csvPath); code != 0 {
		t.Fatal(errOut)
	}
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if !strings.HasPrefix(text, "\ufeffid,time,recorded,kind,receiver,receiver_name") || strings.Count(text, "\n") != 10 ||
		!strings.Contains(text, "王芳") || !strings.Contains(text, "客户好评") || !strings.Contains(text, ",revoke,") {
		t.Fatalf("export:\n%s", text)
	}
	xlsxPath := filepath.Join(dir, "ledger.xlsx")
	if _, errOut, code := run(t, "", "export", "ledger", "--config", cfgPath, "--format", "xlsx", "--from", "2026-11-01", "--to", "2026-11-30", "-o", xlsxPath); code != 0 {
		t.Fatal(errOut)
	}
	out, _, _ := run(t, "", "report", "--config", cfgPath, "--period", "2026", "--format", "json")
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "b.db"))
	if _, errOut, code := run(t, "", "import", "points", "--config", cfgPath, csvPath); code != 0 {
		t.Fatal(errOut)
	}
	again, _, _ := run(t, "", "report", "--config", cfgPath, "--period", "2026", "--format", "json")
	// Every member's points, before and after.
	points := func(js string) map[string]int64 {
		var s struct {
			ByDepartment []struct {
				Top, Bottom []struct {
					ID     string
					Points int64
				}
			} `json:"by_department"`
			Points struct{ Net int64 }
		}
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{"net": s.Points.Net}
		for _, g := range s.ByDepartment {
			for _, p := range append(g.Top, g.Bottom...) {
				out[p.ID] = p.Points
			}
		}
		return out
	}
	before, after := points(out), points(again)
	if before["net"] != 103 || before["liuyang"] != 88 || !maps.Equal(before, after) {
		t.Fatalf("before %v\nafter  %v", before, after)
	}
	if _, _, code := run(t, "", "export", "ledger", "--config", cfgPath, "--format", "pdf"); code != 2 {
		t.Error("pdf accepted")
	}
}

func TestMemberForget(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	cfgPath := "../../config.example.yaml"
	// A member known only to the store (as if imported), then removed.
	members := filepath.Join(dir, "m.csv")
	if err := os.WriteFile(members, []byte("id,name,department,joined\nE9001,钱多多,销售部,2025-01-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "import", "members", "--config", cfgPath, members); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, "/award @钱多多 10 客户好评 钱多多的表扬信\n/反馈 @钱多多 钱多多本月很努力\n", "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, "", "member", "forget", "zhangwei", "--config", cfgPath); code != 1 || !strings.Contains(errOut, "still in") {
		t.Fatalf("member in the config: %d %s", code, errOut)
	}
	out, errOut, code := run(t, "", "member", "forget", "E9001", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "verify ok") {
		t.Fatalf("forget: %d %s %s", code, out, errOut)
	}
	// No reply names them any more; the points stay.
	out, _, _ = run(t, "/history @E9001\n/leaderboard\n", "chat", "--config", cfgPath, "--as", "李娜")
	if strings.Contains(out, "钱多多") || !strings.Contains(out, "已删除成员-") || !strings.Contains(out, "10") {
		t.Fatalf("after forgetting:\n%s", out)
	}
}

func TestRestore(t *testing.T) {
	dir := t.TempDir()
	cfgPath := "../../config.example.yaml"
	live := filepath.Join(dir, "jifen.db")
	t.Setenv("JIFEN_STORE", live)
	if _, errOut, code := run(t, "/award @王芳 10 客户好评\n", "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, errOut, code := run(t, "", "backup", "--config", cfgPath, backup); code != 0 {
		t.Fatal(errOut)
	}
	// More happens after the backup; the restore brings back the backup's state.
	if _, errOut, code := run(t, "/award @刘洋 10 客户好评\n", "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	// A file that is not a store is refused, and the live store is untouched.
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "restore", "--config", cfgPath, junk); code != 1 || !strings.Contains(errOut, "not a jifen store") {
		t.Fatalf("junk: %d %s", code, errOut)
	}
	// While the store is held (as by jifen serve), nothing is restored.
	st, err := store.Open(live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "restore", "--config", cfgPath, backup)
	st.Close()
	if code != 1 || !strings.Contains(errOut, "in use") {
		t.Fatalf("held: %d %s", code, errOut)
	}
	out, errOut, code := run(t, "", "restore", "--config", cfgPath, backup)
	if code != 0 || !strings.Contains(out, "replacing "+live+" (2 entries, 20 members, months 2026-11 – 2026-11)") ||
		!strings.Contains(out, "with "+backup+" (1 entries, 20 members, months 2026-11 – 2026-11)") ||
		!strings.Contains(out, "restored "+backup+": 1 entries, 20 members, verify ok") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	if out, _, _ := run(t, "", "verify", "--config", cfgPath); !strings.Contains(out, "1 entries") {
		t.Fatalf("after restore: %s", out)
	}
	first := live + ".before-restore-20261110T020000Z"
	if _, err := os.Stat(first); err != nil {
		t.Fatalf("previous store not kept: %v", err)
	}
	// A second restore (the clock has not moved) keeps the first safety
	// copy and makes one of its own.
	if _, errOut, code := run(t, "", "restore", "--config", cfgPath, backup); code != 0 {
		t.Fatal(errOut)
	}
	for _, f := range []string{first, first + "-2"} {
		if facts, err := store.Inspect(f); err != nil {
			t.Errorf("safety copy %s: %v", f, err)
		} else if f == first && facts.Entries != 2 {
			t.Errorf("the first safety copy was overwritten: %d entries, want 2", facts.Entries)
		}
	}
}

// What is not a jifen store, or is one that does not read, is refused
// before anything is touched, with an error rather than a crash.
func TestRestoreRefusesWhatIsNotAGoodStore(t *testing.T) {
	dir := t.TempDir()
	cfgPath := "../../config.example.yaml"
	live := filepath.Join(dir, "jifen.db")
	t.Setenv("JIFEN_STORE", live)
	if _, errOut, code := run(t, "/award @王芳 10 客户好评\n/award @刘洋 10 客户好评\n", "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	good := filepath.Join(dir, "good.db")
	if _, errOut, code := run(t, "", "backup", "--config", cfgPath, good); code != 0 {
		t.Fatal(errOut)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := bytes.Clone(raw)
	for i := 2 * 4096; i < len(corrupt); i += 7 {
		corrupt[i] ^= 0x5a
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	db.Close()
	newer := filepath.Join(dir, "newer.db")
	if err := os.WriteFile(newer, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
	})
	db.Close()
	for _, c := range []struct{ name, path, want string }{
		{"empty file", write("empty.db", nil), "empty or not a regular file"},
		{"/dev/null", os.DevNull, "empty or not a regular file"},
		{"text", write("text.db", []byte("hello")), "not a jifen store"},
		{"truncated", write("truncated.db", raw[:len(raw)/2]), "truncated"},
		{"corrupted", write("corrupt.db", corrupt), "damaged"},
		{"another bbolt file", foreign, `it has no "meta" bucket`},
		{"a newer schema", newer, fmt.Sprintf("schema version %d; this jifen reads 1 to %d", store.SchemaVersion+1, store.SchemaVersion)},
	} {
		out, errOut, code := run(t, "", "restore", "--config", cfgPath, c.path)
		if code != 1 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "nothing was restored") {
			t.Errorf("%s: exit %d, %q %q; want %q", c.name, code, out, errOut, c.want)
		}
		if facts, err := store.Inspect(live); err != nil || facts.Entries != 2 {
			t.Fatalf("%s: the live store changed: %+v %v", c.name, facts, err)
		}
	}
	if ms, _ := filepath.Glob(live + ".before-restore*"); len(ms) != 0 {
		t.Errorf("refused restores left safety copies: %v", ms)
	}
}

// The config's privacy.score_visibility reaches the bot: by default an
// employee sees only their own score; configured "everyone", anyone's.
func TestScoreVisibilityFromTheConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	src, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ := run(t, "/积分 @刘洋\n", "chat", "--config", "../../config.example.yaml", "--as", "王芳")
	if strings.Contains(out, "余额") {
		t.Fatalf("an employee saw a colleague's score by default:\n%s", out)
	}
	open := strings.Replace(string(src), "    employee: self\n", "    employee: everyone\n", 1)
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte(open), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, _ = run(t, "/积分 @刘洋\n", "chat", "--config", cfgPath, "--as", "王芳")
	if !strings.Contains(out, "余额") {
		t.Fatalf("employee: everyone, and 王芳 may not see 刘洋's score:\n%s", out)
	}
}

// Personal reports go to the people who worked in the period and still
// work here: not to a member who left before it, nor about a period before
// someone joined.
func TestPersonalReportsFollowEmployment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	src, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(src), "    joined: 2023-05-08\n", "    joined: 2023-05-08\n    left: 2026-09-30\n", 1)
	cfg = strings.Replace(cfg, "    joined: 2022-02-21\n", "    joined: 2026-11-02\n", 1)
	if cfg == string(src) || strings.Count(cfg, "left: 2026-09-30") != 1 {
		t.Fatal("the example config changed: pick two other members")
	}
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "", "schedule", "run", "personal_monthly", "--dry-run", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "(17 personal reports)") {
		t.Fatalf("personal dry run: %d %s %s", code, out, errOut)
	}
}

func TestScheduledBackupKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	t.Setenv("JIFEN_BACKUP_DIR", backups)
	cfgPath := "../../config.example.yaml"
	if err := os.MkdirAll(backups, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 8 { // older backups
		if err := os.WriteFile(filepath.Join(backups, fmt.Sprintf("jifen-2026010%d-0230.db", i+1)), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := run(t, "/award @王芳 10 客户好评\n", "chat", "--config", cfgPath, "--as", "张伟"); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "", "schedule", "run", "nightly_backup", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "jifen-20261110-1000.db") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(backups, "jifen-*.db"))
	if len(files) != 7 || filepath.Base(files[0]) != "jifen-20260103-0230.db" || filepath.Base(files[6]) != "jifen-20261110-1000.db" {
		t.Fatalf("kept: %v", files)
	}
	t.Setenv("JIFEN_STORE", files[6])
	if out, _, code := run(t, "", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "1 entries") {
		t.Fatalf("verify of the backup: %d %s", code, out)
	}
}

// A survey answered in chat and exported: one row per respondent, no
// member column for the anonymous example survey, departments under the
// minimum shown as "—", and the same rows in the XLSX.
// A reason that a spreadsheet would run as a formula is written as text,
// and an import reads it back as it was.
func TestExportedCSVRunsNoFormula(t *testing.T) {
	dir := t.TempDir()
	cfgPath := "../../config.example.yaml"
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "a.db"))
	reasons := []string{`=HYPERLINK("http://evil.example","查看")`, "+1+1", "-5分", "@SUM(A1)", "'引号开头"}
	var sheet strings.Builder
	sheet.WriteString("time,receiver,points,reason\n")
	for _, r := range reasons {
		fmt.Fprintf(&sheet, "2026-11-02,王芳,5,\"%s\"\n", strings.ReplaceAll(r, `"`, `""`))
	}
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(sheet.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "import", "points", "--config", cfgPath, in); code != 0 {
		t.Fatal(errOut)
	}
	csvPath := filepath.Join(dir, "ledger.csv")
	if _, errOut, code := run(t, "", "export", "ledger", "--config", cfgPath, "--format", "csv", "-o", csvPath); code != 0 {
		t.Fatal(errOut)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "b.db"))
	if _, errOut, code := run(t, "", "import", "points", "--config", cfgPath, csvPath); code != 0 {
		t.Fatal(errOut)
	}
	again := filepath.Join(dir, "again.csv")
	if _, errOut, code := run(t, "", "export", "ledger", "--config", cfgPath, "--format", "csv", "-o", again); code != 0 {
		t.Fatal(errOut)
	}
	x, _ := os.ReadFile(csvPath)
	y, _ := os.ReadFile(again)
	if !bytes.Equal(x, y) {
		t.Errorf("the round trip changed the ledger:\n%s", firstDiff(string(x), string(y)))
	}
	for _, r := range reasons {
		if !strings.Contains(string(y), "'"+strings.ReplaceAll(r, `"`, `""`)) {
			t.Errorf("reason %q not written as text", r)
		}
	}
}

// An export written over an existing file is private all the same.
func TestExportOverAnExistingFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "a.db"))
	out := filepath.Join(dir, "members.csv")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "export", "members", "--config", "../../config.example.yaml", "--format", "csv", "-o", out); code != 0 {
		t.Fatal(errOut)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestExportSurvey(t *testing.T) {
	dir := t.TempDir()
	cfgPath := "../../config.example.yaml"
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "a.db"))
	script := "/survey start satisfaction\n"
	for _, who := range []string{"wangfang", "zhangwei", "liuyang"} {
		script += ":as " + who + "\n/survey answer satisfaction-1 fair 4\n/survey answer satisfaction-1 reward +2\n/survey answer satisfaction-1 reward +5\n/survey answer satisfaction-1 comments 兑换 太慢\n"
	}
	if out, errOut, code := run(t, script, "chat", "--config", cfgPath, "--as", "hr_li"); code != 0 || strings.Contains(out, "✗") {
		t.Fatalf("chat: %s %s", out, errOut)
	}
	out, errOut, code := run(t, "", "export", "survey", "satisfaction", "--config", cfgPath, "--format", "csv")
	if code != 0 {
		t.Fatal(errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "round" || rows[0][2] != "department" || !strings.HasPrefix(rows[0][4], "understand ") {
		t.Fatalf("rows: %q", rows)
	}
	for _, r := range rows[1:] {
		// round, started, department, level, understand, fair, changed, recommend, reward, comments;
		// the comments of an open anonymous round, as in chat, wait for its
		// close (and for enough respondents).
		if r[0] != "satisfaction-1" || r[2] != "—" || r[5] != "4" || r[8] != "培训课程; 弹性工作日" || r[9] != "—" {
			t.Errorf("row %q", r)
		}
		for _, m := range []string{"wangfang", "zhangwei", "liuyang", "王芳", "张伟", "刘洋"} {
			if strings.Contains(strings.Join(r, ","), m) {
				t.Errorf("anonymous export names %s: %q", m, r)
			}
		}
	}
	xlsxPath := filepath.Join(dir, "s.xlsx")
	if _, errOut, code := run(t, "", "export", "survey", "satisfaction", "--config", cfgPath, "--format", "xlsx", "--round", "1", "-o", xlsxPath); code != 0 {
		t.Fatal(errOut)
	}
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xrows, _ := f.GetRows("Sheet1")
	if len(xrows) != 4 || xrows[1][5] != "4" {
		t.Errorf("xlsx rows %q", xrows)
	}
	for _, bad := range [][]string{{"survey", "nope"}, {"survey", "satisfaction", "--round", "7"}} {
		args := append([]string{"export"}, bad[0], bad[1])
		args = append(args, "--config", cfgPath)
		args = append(args, bad[2:]...)
		if _, errOut, code := run(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q", bad, code, errOut)
		}
	}
}

// TestDebugLogHoldsNoText runs the scripted conversation with log.level
// debug and log.format json: every line on stderr is JSON, there is one
// line per command with its source, name, outcome and latency, and none
// holds a reason, a text typed or a reply.
func TestDebugLogHoldsNoText(t *testing.T) {
	cfg := exampleConfig(t, t.TempDir(), "  level: info\n", "  level: debug\n", "  format: text\n", "  format: json\n")
	script, err := os.ReadFile("testdata/conversation.txt")
	if err != nil {
		t.Fatal(err)
	}
	extra := ":as 张伟\n/feedback @王芳 季度复盘写得很扎实\n/frobnicate 机密口令\n/award @王芳 abc 无效分数说明\n"
	out, errOut, code := run(t, string(script)+extra, "chat", "--config", cfg, "--as", "张伟")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	secrets := []string{"华为来信表扬", "回访满意", "客户好评", "客服好评", "中标某汽车零部件项目", "重复录入", "帮我整理报价单",
		"季度复盘写得很扎实", "frobnicate", "机密口令", "无效分数说明", "王芳", "刘洋"}
	// The replies too: any line of the transcript long enough to be a
	// sentence people read.
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); len([]rune(l)) >= 6 {
			secrets = append(secrets, l)
		}
	}
	commands := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("the log holds %q: %s", s, line)
			}
		}
		if rec["msg"] == "command" {
			if rec["source"] != "console" || rec["outcome"] == nil || rec["latency"] == nil || rec["level"] != "DEBUG" {
				t.Errorf("command line lacks a field: %s", line)
			}
			commands[rec["command"].(string)+" "+rec["outcome"].(string)]++
		}
	}
	for _, want := range []string{"award ok", "deduct ok", "revoke ok", "feedback ok", "unknown invalid"} {
		if commands[want] == 0 {
			t.Errorf("no debug line for %q; got %v", want, commands)
		}
	}
}

// TestNoConfigSaysHowToStart: a command run without --config where there
// is no config.yaml tells the newcomer how to start from the example; a
// --config that names a missing file just says so.
func TestNoConfigSaysHowToStart(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, cmd := range []string{"verify", "backup"} {
		args := []string{cmd}
		if cmd == "backup" {
			args = append(args, "out.db")
		}
		_, errOut, code := run(t, "", args...)
		if code != 1 || !strings.Contains(errOut, "cp config.example.yaml config.yaml") || !strings.Contains(errOut, "--config config.example.yaml") {
			t.Errorf("%s without a config: %d %q", cmd, code, errOut)
		}
	}
	_, errOut, code := run(t, "", "verify", "--config", "elsewhere.yaml")
	if code != 1 || strings.Contains(errOut, "cp config.example.yaml") || !strings.Contains(errOut, "elsewhere.yaml") {
		t.Errorf("verify --config elsewhere.yaml: %d %q", code, errOut)
	}
}
