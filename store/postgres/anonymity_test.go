package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/pgtest"
	"jifen/survey"
)

// The tests here attack the store as someone who can read every table of
// the database, with every row's xmin and ctid, would: they look for
// whatever links a member to an anonymous answer. While the round is
// open, without the answer key; after the close, with it too.

func openKeyed(t *testing.T, url string, clock jifen.Clock) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{Location: shanghai, Clock: clock, AnswerKey: testAnswerKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var anonQuestions = []survey.Question{
	{ID: "fair", Text: "规则公平吗", Kind: survey.Likert},
	{ID: "note", Text: "其他意见", Kind: survey.Text},
}

func anonMembers(n int) []jifen.Member {
	var ms []jifen.Member
	for i := range n {
		ms = append(ms, jifen.Member{ID: fmt.Sprintf("m%02d", i), Name: fmt.Sprintf("成员%02d", i), SlackID: fmt.Sprintf("U%02dSLACK", i),
			Department: []string{"销售部", "研发部"}[i%2], Level: "基层", Role: jifen.RoleEmployee})
	}
	return ms
}

func startAnon(t *testing.T, s *Store, ms []jifen.Member) survey.Round {
	t.Helper()
	var r survey.Round
	_, _, err := s.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		r = survey.Round{Survey: "pulse", Title: "匿名", Questions: anonQuestions, Anonymous: true, MinGroup: 3,
			Started: tx.Now(), Closes: tx.Now().Add(72 * time.Hour)}
		r.SetAudience(ms)
		return nil, tx.StartRound(&r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// answerAnon answers as the bot does: in a write without a key, the round
// re-read in it.
func answerAnon(ctx context.Context, s *Store, m jifen.Member, q, v string) error {
	return answerIn(ctx, s, m, q, v, "", nil, nil)
}

// answerIn answers as answerAnon does, in a write under key whose result
// is res, doing also (if not nil) in the same write before the answer.
func answerIn(ctx context.Context, s *Store, m jifen.Member, q, v, key string, res []byte, also func(tx store.Txn) error) error {
	_, _, err := s.Write(ctx, key, func(tx store.Txn) ([]byte, error) {
		r, ok := tx.Round("pulse", 1)
		if !ok {
			return nil, os.ErrNotExist
		}
		a := tx.AnswerOf(&r, m.ID)
		if err := a.Apply(r.Question(q), v); err != nil {
			return nil, err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return nil, err
			}
		}
		return res, tx.PutAnswer(&r, m, a)
	})
	return err
}

func closeAnon(t *testing.T, s *Store) survey.Round {
	t.Helper()
	var r survey.Round
	_, _, err := s.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		r, _ = tx.Round("pulse", 1)
		return nil, tx.CloseRound(&r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dbRow is one row of the database as an attacker reads it.
type dbRow struct {
	table, xmin, ctid string
	fields            map[string]any
}

// dumpDB reads every row of every table of the database, with its xmin
// and ctid, in physical order.
func dumpDB(t *testing.T, url string) []dbRow {
	t.Helper()
	c := sqlConn(t, url)
	ctx := context.Background()
	rows, err := c.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var out []dbRow
	for _, tb := range tables {
		rows, err := c.Query(ctx, fmt.Sprintf("SELECT xmin::text, ctid::text, row_to_json(t)::text FROM %s t ORDER BY ctid", tb))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			r := dbRow{table: tb}
			var raw string
			if err := rows.Scan(&r.xmin, &r.ctid, &raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(raw), &r.fields); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		rows.Close()
	}
	return out
}

func (r dbRow) str(f string) string { s, _ := r.fields[f].(string); return s }

// hmacRespondent is the store's respondent key, computed as an attacker
// with key would.
func hmacRespondent(key []byte, surveyID string, n int, member string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(surveyID))
	mac.Write([]byte{0})
	mac.Write(binary.BigEndian.AppendUint32(nil, uint32(n)))
	mac.Write([]byte(member))
	return hex.EncodeToString(mac.Sum(nil))
}

// candidateKeys is every value of the database an attacker could try as
// the answer key: each string field, as it is and decoded from hex or
// base64 (bytea reads as \x…).
func candidateKeys(rows []dbRow) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	add := func(b []byte) {
		if len(b) > 0 && !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	for _, r := range rows {
		for _, v := range r.fields {
			s, ok := v.(string)
			if !ok {
				continue
			}
			add([]byte(s))
			if b, err := hex.DecodeString(strings.TrimPrefix(s, `\x`)); err == nil {
				add(b)
			}
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				add(b)
			}
		}
	}
	return out
}

// linkedBy lists the members whose respondent key under key files one of
// the answers.
func linkedBy(key []byte, answers []dbRow, ms []jifen.Member) []string {
	respondents := map[string]bool{}
	for _, a := range answers {
		respondents[a.str("respondent")] = true
	}
	var out []string
	for _, m := range ms {
		if respondents[hmacRespondent(key, "pulse", 1, m.ID)] {
			out = append(out, m.ID)
		}
	}
	return out
}

func tableRows(rows []dbRow, table string) []dbRow {
	var out []dbRow
	for _, r := range rows {
		if r.table == table {
			out = append(out, r)
		}
	}
	return out
}

// TestOpenAnonymousAnswersLinkToNoOneWithoutTheKey: twelve members answer
// an open anonymous round between other writes that name members (awards,
// queued messages). Read whole, the database does not link an answer to a
// member: no respondent is the HMAC of a member under any value the
// database holds; the only row sharing an answer's xmin is its write's
// own idempotency key, random, without a result, with the round's times
// rather than the answer's; and no answer names a member.
func TestOpenAnonymousAnswersLinkToNoOneWithoutTheKey(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openKeyed(t, url, clock)
	ctx := context.Background()
	ms := anonMembers(12)
	if err := s.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	r := startAnon(t, s, ms)
	for i, m := range ms {
		clock.add(time.Minute)
		if err := answerAnon(ctx, s, m, "fair", fmt.Sprint(i%5+1)); err != nil {
			t.Fatal(err)
		}
		// Writes about the member just before and after their answer.
		if _, _, err := s.Write(ctx, "award-"+m.ID, func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: ms[(i+1)%len(ms)].ID, Receiver: m.ID, Points: 1, Category: "c", Reason: "谢谢" + m.Name})
			return []byte("已给" + m.Name + " 1 分"), err
		}); err != nil {
			t.Fatal(err)
		}
		if err := answerAnon(ctx, s, m, "note", fmt.Sprintf("第%d条意见", i)); err != nil {
			t.Fatal(err)
		}
		if err := s.Enqueue(ctx, store.Outgoing{Platform: "slack", To: m.ID, Body: json.RawMessage(`{"text":"谢谢"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := answerAnon(ctx, s, ms[3], "fair", "5"); err != nil { // a change
		t.Fatal(err)
	}

	db := dumpDB(t, url)
	answers := tableRows(db, "survey_answers")
	if len(answers) != len(ms) {
		t.Fatalf("%d answer rows, want %d", len(answers), len(ms))
	}
	// The attack works with the key: the answers are filed under it.
	if got := linkedBy(testAnswerKey, answers, ms); len(got) != len(ms) {
		t.Fatalf("with the key %d members link to an answer, want all %d (the attack is not the store's)", len(got), len(ms))
	}
	for _, k := range candidateKeys(db) {
		if got := linkedBy(k, answers, ms); len(got) > 0 {
			t.Errorf("a value kept in the database, tried as the key, links %v to their answers", got)
		}
	}
	for _, a := range answers {
		raw, _ := json.Marshal(a.fields)
		for _, m := range ms {
			for _, s := range []string{`"` + m.ID + `"`, m.Name, m.SlackID} {
				if strings.Contains(string(raw), s) {
					t.Errorf("an answer row holds %q: %s", s, raw)
				}
			}
		}
		if _, ok := a.fields["answer"].(map[string]any)["at"]; ok {
			t.Errorf("an answer row holds a time: %s", raw)
		}
		// What shares the answer's transaction id.
		for _, o := range db {
			if o.xmin != a.xmin || o.table == "survey_answers" && o.ctid == a.ctid {
				continue
			}
			at, _ := time.Parse(time.RFC3339, o.str("at"))
			exp, _ := time.Parse(time.RFC3339, o.str("expires"))
			switch {
			case o.table == "idempotency" && strings.HasPrefix(o.str("key"), "write:") && o.str("result") == `\x` &&
				at.Equal(r.Started) && exp.Equal(r.Closes.Add(48*time.Hour)):
			default:
				raw, _ := json.Marshal(o.fields)
				t.Errorf("%s row %s shares an answer's xmin: %s", o.table, o.ctid, raw)
			}
		}
	}
}

// TestClosedAnonymousRoundLinksToNoOneEvenWithTheKey: after the close the
// answers are the same, but filed under keys that no member's HMAC under
// the answer key gives, all written by the closing transaction, in an
// order that is not the order they came in; the answers table was
// rewritten (no mark to rewrite is left), and the rewritten file on disk,
// when the test can read it, holds none of the old keys.
func TestClosedAnonymousRoundLinksToNoOneEvenWithTheKey(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openKeyed(t, url, clock)
	ctx := context.Background()
	ms := anonMembers(12)
	if err := s.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	startAnon(t, s, ms)
	var order []string
	for i, m := range ms {
		clock.add(time.Minute)
		note := fmt.Sprintf("第%02d条意见", i)
		if err := answerAnon(ctx, s, m, "note", note); err != nil {
			t.Fatal(err)
		}
		order = append(order, note)
	}
	before := tableRows(dumpDB(t, url), "survey_answers")
	var oldKeys []string
	for _, a := range before {
		oldKeys = append(oldKeys, a.str("respondent"))
	}
	node := sqlValue[int64](t, url, "SELECT pg_relation_filenode('survey_answers')::bigint")

	r := closeAnon(t, s)
	db := dumpDB(t, url)
	answers := tableRows(db, "survey_answers")
	if len(answers) != len(ms) {
		t.Fatalf("%d answers after the close, want %d", len(answers), len(ms))
	}
	if got := linkedBy(testAnswerKey, answers, ms); len(got) > 0 {
		t.Errorf("after the close the answer key links %v to their answers", got)
	}
	var physical []string
	for _, a := range answers {
		if a.xmin != answers[0].xmin {
			t.Errorf("answers written by different transactions after the close: %s and %s", a.xmin, answers[0].xmin)
		}
		if slices.Contains(oldKeys, a.str("respondent")) {
			t.Errorf("an answer keeps its key of the open round")
		}
		physical = append(physical, a.fields["answer"].(map[string]any)["values"].(map[string]any)["note"].([]any)[0].(string))
	}
	if slices.Equal(physical, order) {
		t.Error("the answers lie in the order they came in")
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM meta WHERE starts_with(key, 'vacuum:')"); n != 0 {
		t.Errorf("%d tables still marked to be rewritten", n)
	}
	if now := sqlValue[int64](t, url, "SELECT pg_relation_filenode('survey_answers')::bigint"); now == node {
		t.Error("the answers table was not rewritten after the close")
	}
	if file := relationFile(t, url, "survey_answers"); file != nil {
		for _, k := range oldKeys {
			if strings.Contains(string(file), k) {
				t.Error("the answers table's file keeps a key of the open round")
			}
		}
		if !strings.Contains(string(file), answers[0].str("respondent")) {
			t.Error("the file read is not the answers table's")
		}
	}
	err := s.Read(ctx, func(rd store.Reader) error {
		for _, m := range ms {
			if a := rd.AnswerOf(&r, m.ID); rd.Answered(&r, m.ID) || rd.Locked(&r, m.ID) || a.Answered() != 0 {
				t.Errorf("after the close %s is answered, locked or has an answer", m.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}

// A snapshot older than the close would keep the old rows through the
// rewrite: the close leaves its mark then, the answers are still right,
// and once that snapshot has ended, the next Open or a later write
// rewrites the table and removes the mark.
func TestRewriteWaitsForOlderSnapshots(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openKeyed(t, url, clock)
	s.vacuumWait = 50 * time.Millisecond
	ctx := context.Background()
	ms := anonMembers(6)
	if err := s.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	startAnon(t, s, ms)
	for _, m := range ms {
		if err := answerAnon(ctx, s, m, "fair", "4"); err != nil {
			t.Fatal(err)
		}
	}
	var oldKeys []string
	for _, a := range tableRows(dumpDB(t, url), "survey_answers") {
		oldKeys = append(oldKeys, a.str("respondent"))
	}
	// Another session holds a snapshot taken before the close.
	c := sqlConn(t, url)
	old, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := old.QueryRow(ctx, "SELECT count(*) FROM survey_answers").Scan(&n); err != nil || n != 6 {
		t.Fatalf("the old snapshot reads %d answers: %v", n, err)
	}
	closeAnon(t, s)
	if marks := sqlValue[int64](t, url, "SELECT count(*) FROM meta WHERE starts_with(key, 'vacuum:')"); marks == 0 {
		t.Fatal("the close removed its mark while an older snapshot could still see the old rows")
	}
	if got := linkedBy(testAnswerKey, tableRows(dumpDB(t, url), "survey_answers"), ms); len(got) != 0 || n != 6 {
		t.Fatalf("after the close: linked %v", got)
	}
	if err := old.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The next Open tries briefly; the writes go on trying (as a write
	// that marks tables does, here at once rather than in a minute).
	next := openKeyed(t, url, clock)
	next.afterCommit(ctx)
	if marks := sqlValue[int64](t, url, "SELECT count(*) FROM meta WHERE starts_with(key, 'vacuum:')"); marks != 0 {
		t.Errorf("%d marks left after the next Open", marks)
	}
	if file := relationFile(t, url, "survey_answers"); file != nil {
		for _, k := range oldKeys {
			if strings.Contains(string(file), k) {
				t.Error("the answers table's file keeps a key of the open round")
			}
		}
	}
}

// relationFile reads the file of table on disk, when the server's data
// directory is one the test can find and read (a cluster .ci/run or
// /tmp/startpg.sh started on this machine); else nil.
func relationFile(t *testing.T, url, table string) []byte {
	t.Helper()
	rel := sqlValue[string](t, url, "SELECT pg_relation_filepath($1)", table)
	matches, _ := filepath.Glob(filepath.Join("/tmp/jifen-pg.*/data", rel))
	if len(matches) != 1 {
		t.Logf("the answers table's file is not found on this machine (%d candidates): not carved", len(matches))
		return nil
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Logf("the answers table's file cannot be read: %v", err)
		return nil
	}
	return raw
}

// While a round is open, every replica finds a member's answer through
// the answer key: a member answers on one replica and changes it on
// another, their answer is never locked, and there is one answer.
func TestAnonymousAnswerChangesOnAnyReplica(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	a, b := openKeyed(t, url, clock), openKeyed(t, url, clock)
	ctx := context.Background()
	ms := anonMembers(4)
	if err := a.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	r := startAnon(t, a, ms)
	if err := answerAnon(ctx, a, ms[0], "fair", "2"); err != nil {
		t.Fatal(err)
	}
	if err := answerAnon(ctx, b, ms[0], "fair", "4"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		err := s.Read(ctx, func(rd store.Reader) error {
			if got := rd.AnswerOf(&r, ms[0].ID); got.Value("fair") != "4" || rd.Locked(&r, ms[0].ID) || !rd.Answered(&r, ms[0].ID) || rd.Answered(&r, ms[1].ID) {
				t.Errorf("answer %q, locked %v, answered %v (another: %v)", got.Value("fair"), rd.Locked(&r, ms[0].ID), rd.Answered(&r, ms[0].ID), rd.Answered(&r, ms[1].ID))
			}
			if n := len(rd.Answers("pulse", 1)); n != 1 {
				t.Errorf("%d answers, want 1", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Without an answer key an anonymous round is neither started nor
// answered, with a clear error; a short key is refused at Open.
func TestAnonymousRoundNeedsTheAnswerKey(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	keyed := openKeyed(t, url, clock)
	bare := openAt(t, url)
	ms := anonMembers(3)
	if err := keyed.PutMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	_, _, err := bare.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		r := survey.Round{Survey: "pulse", Questions: anonQuestions, Anonymous: true, Started: tx.Now(), Closes: tx.Now().Add(time.Hour)}
		return nil, tx.StartRound(&r)
	})
	if !errors.Is(err, ErrNoAnswerKey) {
		t.Fatalf("starting an anonymous round without a key: %v", err)
	}
	startAnon(t, keyed, ms)
	if err := answerAnon(context.Background(), bare, ms[0], "fair", "3"); !errors.Is(err, ErrNoAnswerKey) {
		t.Fatalf("answering without a key: %v", err)
	}
	if _, err := Open(context.Background(), url, Options{Location: shanghai, AnswerKey: []byte("short")}); err == nil || !strings.Contains(err.Error(), "answer_key") {
		t.Fatalf("a 5-byte key: %v", err)
	}
	// Another key is refused while an anonymous round is open, and taken
	// once none is.
	other := []byte(strings.Repeat("another-key-", 3))
	if _, err := Open(context.Background(), url, Options{Location: shanghai, AnswerKey: other}); err == nil || !strings.Contains(err.Error(), "answer_key") {
		t.Fatalf("another key while a round is open: %v", err)
	}
	closeAnon(t, keyed)
	s, err := Open(context.Background(), url, Options{Location: shanghai, AnswerKey: other})
	if err != nil {
		t.Fatalf("another key once no round is open: %v", err)
	}
	s.Close()
}

// Verify finds an anonymous answer that names its member or time, and a
// named answer filed under another member.
func TestVerifyChecksSurveyAnswers(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openKeyed(t, url, clock)
	ms := anonMembers(3)
	if err := s.PutMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	startAnon(t, s, ms)
	if err := answerAnon(context.Background(), s, ms[0], "fair", "3"); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() || rep.Answers != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	c := sqlConn(t, url)
	if _, err := c.Exec(context.Background(), `UPDATE survey_answers SET answer = '{"member":"m00","values":{"fair":["3"]}}'`); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(); err != nil || rep.OK() || !strings.Contains(rep.Problems[0], "anonymous but an answer names its member") {
		t.Fatalf("verify of a named anonymous answer: %+v %v", rep.Problems, err)
	}
}

// An anonymous answer is written in a transaction of its own: with a
// queued message, an audit record, an entry or a caller's idempotency
// key (each would name the member beside the answer, under the same
// xmin) the write is refused and writes nothing.
func TestAnonymousAnswerIsWrittenAlone(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openKeyed(t, url, clock)
	ctx := context.Background()
	ms := anonMembers(3)
	if err := s.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	startAnon(t, s, ms)
	named := []byte("已记录" + ms[0].Name + "的回答")
	answerWith := func(ctx context.Context, key string, res []byte, also func(tx store.Txn) error) error {
		return answerIn(ctx, s, ms[0], "fair", "3", key, res, also)
	}
	none := func(store.Txn) error { return nil }
	for name, err := range map[string]error{
		"a queued message": answerWith(ctx, "", nil, func(tx store.Txn) error {
			_, err := tx.Enqueue(store.Outgoing{Platform: "slack", To: ms[0].ID, Body: json.RawMessage(`{"text":"已记录"}`)})
			return err
		}),
		"an audit record": answerWith(store.WithAudit(ctx, store.AuditRecord{Actor: ms[0].ID, Action: "survey.answer"}), "", nil, none),
		"an entry": answerWith(ctx, "", nil, func(tx store.Txn) error {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: ms[1].ID, Receiver: ms[0].ID, Points: 1, Category: "c"})
			return err
		}),
		"a caller's key": answerWith(ctx, "slack:act:"+ms[0].SlackID, nil, none),
		// The write's result is kept in its key's row, beside the answer.
		"a result naming the member": answerWith(ctx, "", named, none),
	} {
		if err == nil || !strings.Contains(err.Error(), "anonymous survey answer") {
			t.Errorf("an anonymous answer with %s: %v, want a refusal", name, err)
		}
	}
	for _, q := range []string{"SELECT count(*) FROM survey_answers", "SELECT count(*) FROM outbox", "SELECT count(*) FROM audit", "SELECT count(*) FROM entries",
		"SELECT count(*) FROM idempotency WHERE NOT starts_with(key, 'write:')"} {
		if n := sqlValue[int64](t, url, q); n != 0 {
			t.Errorf("%s = %d after the refusals", q, n)
		}
	}
	if err := answerWith(ctx, "", nil, none); err != nil {
		t.Fatalf("an anonymous answer alone: %v", err)
	}
}

// Answers racing the close, on another replica: each is refused or is
// filed again by the close; none stays under a member's key.
func TestAnswersRacingTheClose(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	a, b := openKeyed(t, url, clock), openKeyed(t, url, clock)
	ctx := context.Background()
	ms := anonMembers(16)
	if err := a.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	startAnon(t, a, ms)
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	accepted := 0
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := answerAnon(ctx, b, m, "fair", "3")
			switch {
			case err == nil:
				mu.Lock()
				accepted++
				mu.Unlock()
			case jifen.ErrorCode(err) != jifen.ECONFLICT:
				t.Errorf("an answer racing the close: %v", err)
			}
		}()
	}
	close(start)
	closeAnon(t, a)
	wg.Wait()
	answers := tableRows(dumpDB(t, url), "survey_answers")
	if len(answers) != accepted {
		t.Errorf("%d answers, %d accepted", len(answers), accepted)
	}
	if got := linkedBy(testAnswerKey, answers, ms); len(got) > 0 {
		t.Errorf("answers of %v stay under their members' keys after the close", got)
	}
}

// testClockPG is a clock the tests move by hand.
type testClockPG struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClockPG) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClockPG) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// An anonymous answer written with an entry is refused also when the
// members' rows are locked, and the entry written, by statements sent
// together in one round trip (their heads rows exist already).
func TestAnonymousAnswerWithABatchedEntryIsRefused(t *testing.T) {
	url := pgtest.DB(t)
	clock := &testClockPG{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openKeyed(t, url, clock)
	ctx := context.Background()
	ms := anonMembers(3)
	if err := s.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	award := func(tx store.Txn) error {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: ms[1].ID, Receiver: ms[0].ID, Points: 1, Category: "c"})
		return err
	}
	if _, _, err := s.Write(ctx, "", func(tx store.Txn) ([]byte, error) { return nil, award(tx) }); err != nil {
		t.Fatal(err)
	}
	startAnon(t, s, ms)
	err := answerIn(ctx, s, ms[0], "fair", "3", "", nil, award)
	if err == nil || !strings.Contains(err.Error(), "anonymous survey answer") {
		t.Fatalf("an anonymous answer with an entry: %v, want a refusal", err)
	}
	for _, q := range []string{"SELECT count(*) FROM survey_answers", "SELECT count(*) FROM entries WHERE id > 1"} {
		if n := sqlValue[int64](t, url, q); n != 0 {
			t.Errorf("%s = %d after the refusal", q, n)
		}
	}
}
