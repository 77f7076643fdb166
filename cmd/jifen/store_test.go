package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/pgtest"
	"jifen/survey"
)

// The demo's year (with its survey rounds) goes from one bbolt file to
// another through the command, which prints what it copied and what it
// compared; a second copy into the full target is refused. PostgreSQL
// does not keep survey rounds yet, so the demo's year is refused there,
// before anything is written.
func TestStoreCopyDemo(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	t.Setenv("JIFEN_STORE", a)
	if _, errOut, code := run(t, "", "demo", "--config", "../../config.example.yaml", "--members", "40"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	out, errOut, code := run(t, "", "store", "copy", "--from", "bbolt:"+a, "--to", "bbolt:"+b)
	if code != 0 {
		t.Fatalf("copy: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"copied: ", " entry", " member", " round", " answer", "verify (target): ok", "records equal on both sides", "report JSON equal for", "balances equal for"} {
		if !strings.Contains(out, want) {
			t.Errorf("the copy did not say %q:\n%s", want, out)
		}
	}
	out, errOut, code = run(t, "", "store", "copy", "--from", "bbolt:"+a, "--to", "bbolt:"+b)
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("copy into a full store: %d\n%s\n%s", code, out, errOut)
	}
	pg := pgtest.DB(t)
	// The demo's surveys (anonymous rounds closed, their answers under
	// random keys) go to PostgreSQL and back.
	out, errOut, code = run(t, "", "store", "copy", "--from", "bbolt:"+a, "--to", pg)
	if code != 0 || !strings.Contains(out, " round, ") || !strings.Contains(out, " answer, ") || !strings.Contains(out, "records equal on both sides") {
		t.Errorf("copy with surveys to PostgreSQL: %d\n%s\n%s", code, out, errOut)
	}
	noPassword(t, pg, out+errOut)
	c := filepath.Join(dir, "c.db")
	out, errOut, code = run(t, "", "store", "copy", "--from", pg, "--to", "bbolt:"+c)
	if code != 0 || !strings.Contains(out, " answer, ") || !strings.Contains(out, "records equal on both sides") {
		t.Errorf("copy with surveys from PostgreSQL: %d\n%s\n%s", code, out, errOut)
	}
	noPassword(t, pg, out+errOut)
}

// A ledger without surveys goes from bbolt to PostgreSQL and back through
// the command, with the same counts both ways and no password shown.
func TestStoreCopyThroughPostgres(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	s, err := store.Open(a, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PutMembers(ctx, []jifen.Member{{ID: "m1", Name: "王芳", Role: jifen.RoleManager}, {ID: "m2", Name: "李雷", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, _, err := s.Write(ctx, fmt.Sprint("k", i), func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m1", Receiver: "m2", Points: int64(i + 1), Category: "协作"})
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	pg := pgtest.DB(t)
	out, errOut, code := run(t, "", "store", "copy", "--from", "bbolt:"+a, "--to", pg)
	if code != 0 {
		t.Fatalf("copy to PostgreSQL: %d\n%s\n%s", code, out, errOut)
	}
	there := copiedOf(out)
	if !strings.Contains(there, "2 member, 30 entry") || !strings.Contains(out, "balances equal for 2 members") {
		t.Errorf("the copy said:\n%s", out)
	}
	noPassword(t, pg, out+errOut)
	out, errOut, code = run(t, "", "store", "copy", "--from", pg, "--to", "bbolt:"+b)
	if code != 0 {
		t.Fatalf("copy back: %d\n%s\n%s", code, out, errOut)
	}
	if back := copiedOf(out); back != there {
		t.Errorf("copied %q there and %q back", there, back)
	}
	noPassword(t, pg, out+errOut)
}

func copiedOf(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "copied: ") {
			return l
		}
	}
	return ""
}

func noPassword(t *testing.T, pgURL, out string) {
	t.Helper()
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(out, pw) {
		t.Errorf("the output shows the password:\n%s", out)
	}
}

// A URL's password never shows, in the output or in an error: a server
// that does not answer, a source without a ledger.
func TestStoreCopyHidesThePassword(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	const secret = "s3cr3t-Pa55"
	for _, args := range [][]string{
		{"--from", "postgres://jifen:" + secret + "@127.0.0.1:1/jifen?connect_timeout=2", "--to", "bbolt:" + filepath.Join(dir, "b.db")},
		{"--from", "bbolt:" + src, "--to", "postgresql://jifen:" + secret + "@127.0.0.1:1/jifen"},
		{"--from", "postgres://jifen:" + secret + "@[::1", "--to", "bbolt:x"},
	} {
		if args[1] == "bbolt:"+src {
			if err := os.WriteFile(src, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out, errOut, code := run(t, "", append([]string{"store", "copy"}, args...)...)
		if code == 0 || strings.Contains(out+errOut, secret) {
			t.Errorf("%v: %d\n%s\n%s", args, code, out, errOut)
		}
	}
}

// Bad command lines are usage errors.
func TestStoreCopyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"store", "copy", "--to", "bbolt:b.db"},
		{"store", "copy", "--from", "a.db", "--to", "bbolt:b.db"},
		{"store", "copy", "--from", "bbolt:a.db", "--to", "bbolt:a.db"},
		{"store", "move", "--from", "bbolt:a.db", "--to", "bbolt:b.db"},
	} {
		if _, errOut, code := run(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}

// A copy refused while an anonymous survey round is open says to close
// it, and leaves no target file behind.
func TestStoreCopyRefusalWritesNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	s, err := store.Open(a, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		r := survey.Round{Survey: "pulse", Anonymous: true, Started: tx.Now(), Closes: tx.Now().Add(time.Hour),
			Questions: []survey.Question{{ID: "q", Text: "?", Kind: survey.Likert}}}
		return nil, tx.StartRound(&r)
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, errOut, code := run(t, "", "store", "copy", "--from", "bbolt:"+a, "--to", "bbolt:"+b)
	if code != 1 || !strings.Contains(errOut, "/survey close pulse") {
		t.Errorf("copy with an open anonymous round: %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(b); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused copy left %s: %v", b, err)
	}
}

// A store a copy was cut short in is refused by every command that opens
// it, before anything is written to it (the config's members are not
// synced into it).
func TestCommandsRefuseAnUnfinishedCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "half.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.BeginLoad(ctx, "bbolt:/srv/old.db"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	t.Setenv("JIFEN_STORE", path)
	for _, args := range [][]string{
		{"verify", "--config", "../../config.example.yaml"},
		{"report", "--config", "../../config.example.yaml", "--period", "2026-11"},
		{"chat", "--config", "../../config.example.yaml", "--as", "张伟"},
	} {
		out, errOut, code := run(t, "/积分\n", args...)
		if code == 0 || !strings.Contains(errOut, "did not finish") {
			t.Errorf("%s on an unfinished copy: %d\n%s\n%s", args[0], code, out, errOut)
		}
	}
	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := len(s.Members()); n != 0 {
		t.Errorf("the refused commands synced %d members into the store", n)
	}
}
