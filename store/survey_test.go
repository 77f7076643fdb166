package store

import (
	"bytes"
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// An anonymous answer is stored under a random key, without its member or
// time, and with the department and level only of a large enough group
// of the round's audience; the member is listed as having answered, and a
// second answer replaces the first. A named round's answer keeps them all.
func TestPutAnswerToAnAnonymousRound(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	var ms []jifen.Member
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		ms = append(ms, jifen.Member{ID: id, Name: id, Department: "销售部", Level: "基层"})
	}
	ms = append(ms, jifen.Member{ID: "r1", Name: "r1", Department: "研发部", Level: "高层"})
	put := func(r survey.Round, m jifen.Member, v string) {
		t.Helper()
		mustWrite(t, s, func(tx *Tx) ([]byte, error) {
			return nil, tx.PutAnswer(&r, m, survey.Answer{Values: map[string][]string{"fair": {v}}})
		})
	}
	var anon, named survey.Round
	mustWrite(t, s, func(tx *Tx) ([]byte, error) {
		anon = survey.Round{Survey: "pulse", Questions: attackQuestions, Anonymous: true, MinGroup: 3,
			Started: tx.Now(), Closes: tx.Now().Add(time.Hour)}
		anon.SetAudience(ms)
		named = survey.Round{Survey: "named", Questions: attackQuestions, Started: tx.Now(), Closes: tx.Now().Add(time.Hour)}
		named.SetAudience(ms)
		if err := tx.StartRound(&anon); err != nil {
			return nil, err
		}
		return nil, tx.StartRound(&named)
	})
	put(anon, ms[0], "2")
	put(anon, ms[0], "4") // a change replaces
	put(anon, ms[4], "1")
	put(named, ms[4], "5")

	got := map[string]survey.Answer{}
	for _, a := range s.Answers("pulse", 1) {
		if a.Member != "" || !a.At.IsZero() {
			t.Errorf("anonymous answer keeps its member %q or time %s", a.Member, a.At)
		}
		got[a.Value("fair")] = a
	}
	if len(got) != 2 {
		t.Fatalf("answers %+v, want 2 (a change replaces)", got)
	}
	if a := got["4"]; a.Department != "销售部" || a.Level != "基层" {
		t.Errorf("a group of 4 of 3 needed lost its attributes: %q %q", a.Department, a.Level)
	}
	if a := got["1"]; a.Department != "" || a.Level != "" {
		t.Errorf("the one member of a department is shown as %q %q", a.Department, a.Level)
	}
	if !s.Answered(&anon, ms[0].ID) || !s.Answered(&anon, ms[4].ID) || s.Answered(&anon, ms[1].ID) {
		t.Error("who answered the anonymous round is not as recorded")
	}
	// The answers' keys are not the members' ids.
	_ = s.view(func(btx *bolt.Tx) error {
		pre := append(roundKey("pulse", 1), 0)
		c := btx.Bucket(bucketAnswers).Cursor()
		for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
			for _, m := range ms {
				if bytes.HasSuffix(k, []byte(m.ID)) {
					t.Errorf("an anonymous answer is stored under %s's id", m.ID)
				}
			}
		}
		return nil
	})
	n := s.Answers("named", 1)
	if len(n) != 1 || n[0].Member != "r1" || !n[0].At.Equal(clock.Now()) || n[0].Department != "研发部" {
		t.Errorf("named answer %+v, want its member, time and department", n)
	}
	verifyClean(t, s)
}

// A write that imports many entries is all or nothing: one that fails in
// the middle leaves the ledger as it was.
func TestImportOfEntriesIsAllOrNothing(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		for _, e := range []jifen.Entry{
			{Kind: jifen.KindImport, Receiver: "r", Points: 10},
			{Kind: jifen.KindRevoke, Reverses: 99}, // no such entry
			{Kind: jifen.KindImport, Receiver: "r", Points: 20},
		} {
			if _, err := tx.Append(&e); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err == nil {
		t.Fatal("an import with a bad row succeeded")
	}
	if n, bal := s.EntryCount(), s.Balance("r"); n != 1 || bal != 5 {
		t.Fatalf("after a failed import: %d entries, balance %d; want 1 and 5", n, bal)
	}
	verifyClean(t, s)
}

// So are members and ratings.
func TestImportOfMembersAndRatingsIsAllOrNothing(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	if err := s.PutMembers(ctx, []jifen.Member{{ID: "a", Name: "甲"}, {ID: "", Name: "无工号"}, {ID: "c", Name: "丙"}}); err == nil {
		t.Fatal("members with an empty id were written")
	}
	if ms := s.Members(); len(ms) != 0 {
		t.Fatalf("a failed members import left %+v", ms)
	}
	huge := string(bytes.Repeat([]byte("x"), bolt.MaxKeySize))
	if err := s.PutRatings(ctx, []jifen.Rating{{Member: "a", Period: "2026-10", Grade: "A"}, {Member: huge, Period: "2026-10", Grade: "B"}}); err == nil {
		t.Fatal("a rating under a key too long was written")
	}
	if rs := s.AllRatings(); len(rs) != 0 {
		t.Fatalf("a failed ratings import left %+v", rs)
	}
}
