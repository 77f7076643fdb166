package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// The tests here attack the store as someone who reads the raw file, and
// every backup of it, would: they carve the bytes for whatever links a
// member to an anonymous answer, or for what a forgotten member was.

var attackQuestions = []survey.Question{
	{ID: "fair", Text: "规则公平吗", Kind: survey.Likert},
	{ID: "note", Text: "其他意见", Kind: survey.Text},
}

func startAnonymousRound(t *testing.T, s *Store, audience []jifen.Member) survey.Round {
	t.Helper()
	var r survey.Round
	_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		r = survey.Round{Survey: "pulse", Title: "积分满意度", Questions: attackQuestions, Anonymous: true, MinGroup: 3,
			Started: tx.Now(), Closes: tx.Now().Add(72 * time.Hour)}
		for _, m := range audience {
			r.Audience = append(r.Audience, m.ID)
		}
		return nil, tx.StartRound(&r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// answerRound answers as the bot does: the round re-read in the write.
func answerRound(s *Store, m jifen.Member, q, v string) error {
	_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		r, ok := tx.Round("pulse", 1)
		if !ok {
			return nil, os.ErrNotExist
		}
		a := tx.AnswerOf(&r, m.ID)
		if err := a.Apply(r.Question(q), v); err != nil {
			return nil, err
		}
		return nil, tx.PutAnswer(&r, m, a)
	})
	return err
}

func closeTestRound(t *testing.T, s *Store) {
	t.Helper()
	_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		r, _ := tx.Round("pulse", 1)
		return nil, tx.CloseRound(&r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Scrub(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func backupBytes(t *testing.T, s *Store) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	if _, err := s.Backup(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func liveBytes(t *testing.T, s *Store) []byte {
	t.Helper()
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var (
	saltField = regexp.MustCompile(`"salt":"([A-Za-z0-9+/=]+)"`)
	hexRun    = regexp.MustCompile(`[0-9a-f]{32,}`)
)

// linked carves raw for link keys, the way the attack on schema 1 went:
// every "salt" field, and every 16 and 32 byte window of the file, is
// tried as the key of HMAC-SHA256 over each member id, and a token that
// appears in the file (as answer keys do) links that member to an answer.
func linked(raw []byte, members []jifen.Member) []string {
	tokens := map[string]bool{}
	for _, h := range hexRun.FindAll(raw, -1) {
		for i := 0; i+32 <= len(h); i++ {
			tokens[string(h[i:i+32])] = true
		}
	}
	candidates := map[string]bool{}
	for _, m := range saltField.FindAllSubmatch(raw, -1) {
		if b, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
			candidates[string(b)] = true
		}
	}
	for _, n := range []int{16, 32} {
		for i := 0; i+n <= len(raw); i++ {
			w := raw[i : i+n]
			if bytes.Count(w, []byte{0}) > n/2 {
				continue // a key is random: no run of zeros
			}
			candidates[string(w)] = true
		}
	}
	var out []string
	for c := range candidates {
		for _, m := range members {
			mac := hmac.New(sha256.New, []byte(c))
			mac.Write([]byte(m.ID))
			if tokens[hex.EncodeToString(mac.Sum(nil)[:16])] {
				out = append(out, m.ID)
			}
		}
	}
	return out
}

// answeredRecords finds, anywhere in raw (pages in use or free), a
// record of a member having answered round pulse-1.
func answeredRecords(raw []byte, members []jifen.Member) []string {
	var out []string
	for _, m := range members {
		if bytes.Contains(raw, append(append(roundKey("pulse", 1), 0), m.ID...)) {
			out = append(out, m.ID)
		}
	}
	return out
}

// freePagesWithData lists the free pages of the live file that are not
// all zeros.
func freePagesWithData(t *testing.T, s *Store) []int {
	t.Helper()
	raw := liveBytes(t, s)
	ps := s.db.Info().PageSize
	var out []int
	_ = s.view(func(btx *bolt.Tx) error {
		for id := 2; int64(id) < btx.Size()/int64(ps); id++ {
			info, err := btx.Page(id)
			if err != nil || info == nil || info.Type != "free" {
				continue
			}
			if (id+1)*ps <= len(raw) && bytes.ContainsFunc(raw[id*ps:(id+1)*ps], func(r rune) bool { return r != 0 }) {
				out = append(out, id)
			}
		}
		return nil
	})
	return out
}

func verifyClean(t *testing.T, s *Store) {
	t.Helper()
	rep, err := s.Verify()
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}

// TestAnonymousAnswersCannotBeLinkedFromFileOrBackup: six members answer
// an anonymous round (one changes a comment), and the live file and a
// backup taken while the round is open, and again after it closed, are
// carved for anything that links a member to an answer: a link key, a
// stale page version (the comment before it changed), and, after the
// close, any record of who answered.
func TestAnonymousAnswersCannotBeLinkedFromFileOrBackup(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ms := members(8)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	startAnonymousRound(t, s, ms)
	for i, m := range ms[:6] {
		if err := answerRound(s, m, "fair", []string{"1", "2", "3", "4", "5", "3"}[i]); err != nil {
			t.Fatal(err)
		}
		if err := answerRound(s, m, "note", "意见"+m.Name); err != nil {
			t.Fatal(err)
		}
	}
	// A changed answer: its first version must not be found in a backup.
	if err := answerRound(s, ms[0], "note", "旧版意见-会被改掉"); err != nil {
		t.Fatal(err)
	}
	if err := answerRound(s, ms[0], "note", "改过的意见"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Answers("pulse", 1)); n != 6 {
		t.Fatalf("%d answers, want 6 (a change replaces)", n)
	}

	open := backupBytes(t, s)
	if got := linked(open, ms); len(got) > 0 {
		t.Errorf("backup of the open round: a carved key links %v to their answers", got)
	}
	if got := linked(liveBytes(t, s), ms); len(got) > 0 {
		t.Errorf("live file of the open round: a carved key links %v to their answers", got)
	}
	if bytes.Contains(open, []byte("旧版意见")) {
		t.Error("the backup of the open round keeps a stale version of a changed answer (a free page)")
	}

	closeTestRound(t, s)
	for name, raw := range map[string][]byte{"live file": liveBytes(t, s), "backup": backupBytes(t, s)} {
		if got := linked(raw, ms); len(got) > 0 {
			t.Errorf("%s after the close: a carved key links %v to their answers", name, got)
		}
		if got := answeredRecords(raw, ms); len(got) > 0 {
			t.Errorf("%s after the close: records of who answered remain for %v", name, got)
		}
		if bytes.Contains(raw, []byte("旧版意见")) {
			t.Errorf("%s after the close: a stale version of a changed answer remains", name)
		}
	}
	if pages := freePagesWithData(t, s); len(pages) > 0 {
		t.Errorf("free pages holding old data after the close: %v", pages)
	}
	if n := len(s.Answers("pulse", 1)); n != 6 {
		t.Errorf("%d answers after the close, want 6", n)
	}
	verifyClean(t, s)
}

// TestForgottenMemberLeavesNoCopy: after `member forget`, neither the
// live file nor a backup taken afterwards holds the member's name or
// platform ids anywhere, on pages in use or free.
func TestForgottenMemberLeavesNoCopy(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ms := members(6)
	ms[2].Name, ms[2].SlackID, ms[2].FeishuOpenID, ms[2].Level = "欧阳娜娜", "U07FORGETME", "ou_3f9a0c7e1d2b4forget", "高层"
	ms[2].Birthday = "07-29"
	ctx := context.Background()
	if err := s.SyncMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	// Some history: the record rewritten, entries with reasons.
	ms[2].Level = "中层"
	if err := s.SyncMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: ms[0].ID, Receiver: ms[2].ID, Points: 5, Category: "c",
			Reason: "感谢欧阳娜娜的帮助"})
		appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: ms[2].ID, Receiver: ms[i%2].ID, Points: 1, Category: "c"})
	}
	if err := s.ForgetMember(ctx, ms[2].ID, "成员A"); err != nil {
		t.Fatal(err)
	}
	secrets := []string{ms[2].Name, ms[2].SlackID, ms[2].FeishuOpenID, `"birthday":"07-29"`}
	for name, raw := range map[string][]byte{"live file": liveBytes(t, s), "backup": backupBytes(t, s)} {
		for _, sec := range secrets {
			if n := bytes.Count(raw, []byte(sec)); n > 0 {
				t.Errorf("%s after forgetting: %q found %d times", name, sec, n)
			}
		}
	}
	if pages := freePagesWithData(t, s); len(pages) > 0 {
		t.Errorf("free pages holding old data after forgetting: %v", pages)
	}
	verifyClean(t, s)
}

// After a restart nothing leads a member to their anonymous answer: one
// who answered is told it is recorded and cannot change it (never a
// second answer); one who had not can still answer.
func TestAnonymousAnswerAfterRestartIsRecordedNotChangeable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s, err := Open(path, Options{Location: shanghai, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ms := members(4)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	startAnonymousRound(t, s, ms)
	if err := answerRound(s, ms[0], "fair", "2"); err != nil {
		t.Fatal(err)
	}
	if err := answerRound(s, ms[0], "fair", "4"); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Round("pulse", 1)
	if a := s.AnswerOf(&r, ms[0].ID); a.Value("fair") != "4" || s.Locked(&r, ms[0].ID) {
		t.Fatalf("before the restart: answer %q, locked %v", a.Value("fair"), s.Locked(&r, ms[0].ID))
	}
	s.Close()
	s = openTest(t, path, shanghai, clock)
	r, _ = s.Round("pulse", 1)
	if !s.Answered(&r, ms[0].ID) || !s.Locked(&r, ms[0].ID) || s.Answered(&r, ms[1].ID) {
		t.Fatalf("after the restart: answered %v locked %v; other answered %v",
			s.Answered(&r, ms[0].ID), s.Locked(&r, ms[0].ID), s.Answered(&r, ms[1].ID))
	}
	if err := answerRound(s, ms[0], "fair", "1"); jifen.ErrorCode(err) != jifen.ECONFLICT {
		t.Fatalf("changing an answer after the restart: %v", err)
	}
	if err := answerRound(s, ms[1], "fair", "5"); err != nil {
		t.Fatal(err)
	}
	as := s.Answers("pulse", 1)
	if len(as) != 2 || as[0].Value("fair")+as[1].Value("fair") != "45" && as[0].Value("fair")+as[1].Value("fair") != "54" {
		t.Fatalf("answers %+v, want 4 and 5", as)
	}
	verifyClean(t, s)
}

// A backup is a compacted copy that restore and verify accept: the same
// buckets, keys and sequences, the schema and zone, and no free page
// with data.
func TestBackupIsACompactedCopy(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	if err := s.SyncMembers(context.Background(), members(5)); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: "m001", Points: int64(i%7 + 1), Category: "c",
			Reason: "一条足够长的理由，让条目占满好几页"})
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if _, err := s.Backup(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode().Perm())
	}
	facts, err := Inspect(path)
	if err != nil || facts.Entries != 300 || facts.Schema != SchemaVersion {
		t.Fatalf("inspect: %+v %v", facts, err)
	}
	// Every bucket's keys, values and sequence are the same.
	dump := func(db *bolt.DB) map[string]string {
		out := map[string]string{}
		_ = db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				out[string(name)+"#seq"] = string(encodeU64(b.Sequence()))
				return b.ForEach(func(k, v []byte) error {
					out[string(name)+"/"+string(k)] = string(v)
					return nil
				})
			})
		})
		return out
	}
	want := dump(s.db)
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got := dump(b)
	b.Close()
	if len(got) != len(want) {
		t.Errorf("backup has %d keys, store %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("backup differs at %q", k)
			break
		}
	}
	if got["meta/schema"] == "" || got["meta/zone"] != "Asia/Shanghai" {
		t.Errorf("meta keys lost: schema %q zone %q", got["meta/schema"], got["meta/zone"])
	}
	restored := openTest(t, path, shanghai, clock)
	verifyClean(t, restored)
	if n := len(restored.Members()); n != 5 {
		t.Errorf("restored members %d", n)
	}
	// The next entry id continues the sequence.
	if id := appendEntry(t, restored, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: "m001", Points: 1, Category: "c"}); id != 301 {
		t.Errorf("next id in the restored copy %d, want 301", id)
	}
}

// Readers never see a page being zeroed: scrubs run while readers read
// every answer and member and take backups, and every read decodes.
func TestScrubWithConcurrentReaders(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ms := members(12)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	startAnonymousRound(t, s, ms)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	errs := make(chan string, 100)
	for g := range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			for ctx.Err() == nil {
				if g == 2 {
					if _, err := s.Backup(filepath.Join(t.TempDir(), "b.db")); err != nil {
						errs <- err.Error()
					}
					continue
				}
				_ = s.view(func(btx *bolt.Tx) error {
					return btx.ForEach(func(name []byte, b *bolt.Bucket) error {
						return b.ForEach(func(k, v []byte) error {
							if len(k) == 0 {
								errs <- "empty key in " + string(name)
							}
							return nil
						})
					})
				})
				if n := len(s.Members()); n != 12 {
					errs <- "members: " + string(rune('0'+n))
				}
			}
		}()
	}
	for i := range 40 {
		m := ms[i%len(ms)]
		if err := answerRound(s, m, "note", "意见第"+string(rune('A'+i%26))+"条，写得长一些以占用更多的页面空间"); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if err := s.Scrub(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	closeTestRound(t, s)
	cancel()
	for range 3 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	verifyClean(t, s)
}

// A schema 1 file kept an open anonymous round's salt in its record and
// its answers under HMAC(salt, member): opening it moves the answers to
// random keys (their members can still change them until a restart),
// lists who answered, coarsens the attributes, and leaves the salt
// nowhere in the file.
func TestSchema1AnonymousRoundIsMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s, err := Open(path, Options{Location: shanghai, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ms := members(8) // four departments of two: none reaches 3
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	salt := bytes.Repeat([]byte{0x5a, 0xc3}, 16)
	err = s.db.Update(func(btx *bolt.Tx) error {
		var ids []string
		for _, m := range ms {
			ids = append(ids, `"`+m.ID+`"`)
		}
		now := clock.Now().Format(time.RFC3339)
		closes := clock.Now().Add(72 * time.Hour).Format(time.RFC3339)
		round := `{"survey":"pulse","n":1,"title":"t","questions":[{"id":"fair","text":"f","kind":"likert"}],"anonymous":true,"min_group":3,` +
			`"audience":[` + strings.Join(ids, ",") + `],"started":"` + now + `","closes":"` + closes + `","salt":"` + base64.StdEncoding.EncodeToString(salt) + `"}`
		if err := btx.Bucket(bucketRounds).Put(roundKey("pulse", 1), []byte(round)); err != nil {
			return err
		}
		for _, m := range ms[:3] {
			mac := hmac.New(sha256.New, salt)
			mac.Write([]byte(m.ID))
			k := append(append(roundKey("pulse", 1), 0), hex.EncodeToString(mac.Sum(nil)[:16])...)
			if err := btx.Bucket(bucketAnswers).Put(k, []byte(`{"department":"`+m.Department+`","values":{"fair":["3"]}}`)); err != nil {
				return err
			}
		}
		return btx.Bucket(bucketMeta).Put([]byte("schema"), encodeU64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := linked(mustRead(t, path), ms); len(got) != 3 {
		t.Fatalf("the schema 1 file should link 3 members, links %v", got)
	}
	s = openTest(t, path, shanghai, clock)
	if err := s.Scrub(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := linked(liveBytes(t, s), ms); len(got) > 0 {
		t.Errorf("after the migration a carved key links %v", got)
	}
	r, _ := s.Round("pulse", 1)
	for _, m := range ms[:3] {
		if !s.Answered(&r, m.ID) || s.Locked(&r, m.ID) {
			t.Errorf("%s: answered %v, locked %v", m.ID, s.Answered(&r, m.ID), s.Locked(&r, m.ID))
		}
	}
	if err := answerRound(s, ms[0], "fair", "5"); err != nil {
		t.Fatal(err)
	}
	as := s.Answers("pulse", 1)
	if len(as) != 3 {
		t.Fatalf("%d answers, want 3", len(as))
	}
	for _, a := range as {
		if a.Department != "" {
			t.Errorf("an answer keeps the department of a group of 2: %+v", a)
		}
	}
	verifyClean(t, s)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
