package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// Each test below builds a consistent file, checks that Verify finds
// nothing, damages one record behind the store's back and checks that
// Verify names that damage, and nothing else.

func mustWrite(t *testing.T, s *Store, fn writeFunc) {
	t.Helper()
	if _, _, err := s.write(context.Background(), "", fn); err != nil {
		t.Fatal(err)
	}
}

func putJSONRaw(t *testing.T, btx *bolt.Tx, bucket, k []byte, v any) error {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return btx.Bucket(bucket).Put(k, raw)
}

// redemptionStore holds one redemption R1 of 2 mugs for 30 points.
func redemptionStore(t *testing.T) (*Store, Redemption) {
	s := openTest(t, "", shanghai, nil)
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "m000", Points: 50})
	var r Redemption
	mustWrite(t, s, func(tx *Tx) ([]byte, error) {
		eid, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "m000", Points: -30, Behavior: RewardBehavior("mug"), Quantity: 2})
		if err != nil {
			return nil, err
		}
		r = Redemption{Member: "m000", Item: "mug", Quantity: 2, Points: 30, Entry: eid, Status: RedemptionApproved}
		_, err = tx.AddRedemption(&r)
		return nil, err
	})
	verifyClean(t, s)
	return s, r
}

func TestVerifyFindsARedemptionUnlikeItsEntry(t *testing.T) {
	s, r := redemptionStore(t)
	r.Points = 3
	tamper(t, s, func(btx *bolt.Tx) error { return putJSONRaw(t, btx, bucketRedemptions, encodeU64(r.ID), r) })
	verifyFinds(t, s, "redemption R1: 2 × mug for 3 points, its entry #2 says 2 × mug for 30")
}

func TestVerifyFindsTwoRedemptionsOfOneEntry(t *testing.T) {
	s, r := redemptionStore(t)
	r.ID = 2
	tamper(t, s, func(btx *bolt.Tx) error { return putJSONRaw(t, btx, bucketRedemptions, encodeU64(r.ID), r) })
	verifyFinds(t, s, "redemption R2: entry #2 is the redeem entry of R1 too")
}

func TestVerifyFindsAStandingRedemptionWithARefund(t *testing.T) {
	s, r := redemptionStore(t)
	r.Refund = 9
	tamper(t, s, func(btx *bolt.Tx) error { return putJSONRaw(t, btx, bucketRedemptions, encodeU64(r.ID), r) })
	verifyFinds(t, s, "redemption R1 is approved but names refund #9")
}

// approvalStore holds a pending approval A1 and an approved A2 with its
// two award entries.
func approvalStore(t *testing.T) *Store {
	s := openTest(t, "", shanghai, nil)
	mustWrite(t, s, func(tx *Tx) ([]byte, error) {
		_, err := tx.AddApproval(&Approval{Giver: "g", Receivers: []string{"m000"}, Points: 80, Behavior: "deal"})
		return nil, err
	})
	mustWrite(t, s, func(tx *Tx) ([]byte, error) {
		a := Approval{Giver: "g", Receivers: []string{"m000", "m001"}, Points: 60, Behavior: "deal"}
		if _, err := tx.AddApproval(&a); err != nil {
			return nil, err
		}
		for _, m := range a.Receivers {
			eid, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: m, Points: 60, Behavior: "deal", Approval: a.ID})
			if err != nil {
				return nil, err
			}
			a.Entries = append(a.Entries, eid)
		}
		a.Status = Approved
		return nil, tx.DecideApproval(&a)
	})
	verifyClean(t, s)
	return s
}

func TestVerifyFindsAPendingApprovalNotReserved(t *testing.T) {
	s := approvalStore(t)
	tamper(t, s, func(btx *bolt.Tx) error { return btx.Bucket(bucketOpen).Delete(encodeU64(1)) })
	verifyFinds(t, s, "approval A1 is pending but not listed open")
}

func TestVerifyFindsADecidedApprovalStillReserved(t *testing.T) {
	s := approvalStore(t)
	tamper(t, s, func(btx *bolt.Tx) error { return btx.Bucket(bucketOpen).Put(encodeU64(2), nil) })
	verifyFinds(t, s, "approval A2 is approved but listed open")
}

func TestVerifyFindsAnOpenApprovalThatDoesNotExist(t *testing.T) {
	s := approvalStore(t)
	tamper(t, s, func(btx *bolt.Tx) error { return btx.Bucket(bucketOpen).Put(encodeU64(7), nil) })
	verifyFinds(t, s, "approval A7 is listed open but does not exist")
}

func TestVerifyFindsAnApprovalWithoutItsEntries(t *testing.T) {
	s := approvalStore(t)
	a, _ := s.Approval(2)
	a.Entries = a.Entries[:1]
	tamper(t, s, func(btx *bolt.Tx) error { return putJSONRaw(t, btx, bucketApprovals, encodeU64(2), a) })
	verifyFinds(t, s, "approval A2 is approved for 2 receivers but names 1 entries")
}

func idemStore(t *testing.T) *Store {
	s := openTest(t, "", shanghai, nil)
	if _, _, err := s.write(context.Background(), "Ev1", func(tx *Tx) ([]byte, error) { return []byte("ok"), nil }); err != nil {
		t.Fatal(err)
	}
	verifyClean(t, s)
	return s
}

func TestVerifyFindsAKeyThatNeverExpires(t *testing.T) {
	s := idemStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		ts := btx.Bucket(bucketIdem).Get([]byte("Ev1"))[:8]
		return btx.Bucket(bucketIdemExp).Delete(append(append([]byte{}, ts...), "Ev1"...))
	})
	verifyFinds(t, s, `idempotency key "Ev1": not in the expiry order`)
}

func TestVerifyFindsAKeyExpiringAtTheWrongTime(t *testing.T) {
	s := idemStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		ts := btx.Bucket(bucketIdem).Get([]byte("Ev1"))[:8]
		exp := btx.Bucket(bucketIdemExp)
		if err := exp.Delete(append(append([]byte{}, ts...), "Ev1"...)); err != nil {
			return err
		}
		early := encodeU64(decodeU64(ts) - uint64(time.Hour.Milliseconds()))
		return exp.Put(append(early, "Ev1"...), nil)
	})
	rep, _ := s.Verify()
	if len(rep.Problems) != 2 {
		t.Fatalf("verify found %q, want the key missing at its time and present at another", rep.Problems)
	}
}

// surveyStore holds an open anonymous round pulse#1 that two members
// answered, and a named round named#1 that one answered.
func surveyStore(t *testing.T) *Store {
	s := openTest(t, "", shanghai, nil)
	ms := members(3)
	startAnonymousRound(t, s, ms)
	for _, m := range ms[:2] {
		if err := answerRound(s, m, "fair", "4"); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, s, func(tx *Tx) ([]byte, error) {
		r := survey.Round{Survey: "named", Title: "t", Questions: attackQuestions, Started: tx.Now(), Closes: tx.Now().Add(time.Hour),
			Audience: []string{ms[0].ID}}
		if err := tx.StartRound(&r); err != nil {
			return nil, err
		}
		return nil, tx.PutAnswer(&r, ms[0], survey.Answer{Values: map[string][]string{"fair": {"5"}}})
	})
	verifyClean(t, s)
	return s
}

func TestVerifyFindsAnAnswerToNoRound(t *testing.T) {
	s := surveyStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		return putJSONRaw(t, btx, bucketAnswers, memberKey(&survey.Round{Survey: "named", N: 2}, "m000"), survey.Answer{Member: "m000"})
	})
	verifyFinds(t, s, "survey answer in round named#2: no such round")
}

func TestVerifyFindsAnAnonymousAnswerThatNamesItsMember(t *testing.T) {
	s := surveyStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		k, _ := btx.Bucket(bucketAnswers).Cursor().Seek(append(roundKey("pulse", 1), 0))
		return putJSONRaw(t, btx, bucketAnswers, k, survey.Answer{Member: "m000"})
	})
	verifyFinds(t, s, "survey round pulse#1 is anonymous but an answer names its member or time")
}

func TestVerifyFindsAnsweredMarkersUnlikeTheAnswers(t *testing.T) {
	s := surveyStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		return btx.Bucket(bucketAnswered).Delete(memberKey(&survey.Round{Survey: "pulse", N: 1}, "m001"))
	})
	verifyFinds(t, s, "survey round pulse#1: 1 members marked as having answered, 2 answers")
}

func TestVerifyFindsAMarkerOnANamedRound(t *testing.T) {
	s := surveyStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		return btx.Bucket(bucketAnswered).Put(memberKey(&survey.Round{Survey: "named", N: 1}, "m000"), nil)
	})
	verifyFinds(t, s, "survey round named#1: m000 is marked as having answered, but the round is not an open anonymous one")
}

func TestVerifyFindsANamedAnswerUnderAnotherMember(t *testing.T) {
	s := surveyStore(t)
	tamper(t, s, func(btx *bolt.Tx) error {
		return putJSONRaw(t, btx, bucketAnswers, memberKey(&survey.Round{Survey: "named", N: 1}, "m000"), survey.Answer{Member: "m002"})
	})
	verifyFinds(t, s, "survey round named#1: the answer of m002 is stored under m000")
}

// A consistent store with every kind of record reports them all counted.
func TestVerifyCountsWhatItChecked(t *testing.T) {
	s := surveyStore(t)
	rep, err := s.Verify()
	if err != nil || !rep.OK() || rep.Rounds != 2 || rep.Answers != 3 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// Verify recomputes the aggregates a range of members at a time: with
// ranges of a few figures it checks as many figures as in one range, finds
// nothing in a consistent file, and finds a damaged figure, a figure the
// entries do not give and a missing one, wherever their member's range.
func TestVerifyInRangesOfMembers(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ms := members(12)
	var ids []uint64
	for i := range 120 {
		clock.Set(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Hour))
		e := jifen.Entry{Kind: jifen.KindAward, Giver: ms[(i*5)%12].ID, Receiver: ms[i%12].ID, Points: int64(1 + i%9), Category: "sales", Behavior: "b"}
		if i%4 == 3 {
			e = jifen.Entry{Kind: jifen.KindThanks, Giver: ms[(i*7)%12].ID, Receiver: ms[i%12].ID, Points: 1, Behavior: "thanks"}
		}
		ids = append(ids, appendEntry(t, s, e))
		if i%10 == 9 {
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: ids[i-5]})
		}
	}
	whole, err := s.Verify()
	if err != nil || !whole.OK() {
		t.Fatalf("verify: %+v %v", whole, err)
	}
	old := verifyFigures
	verifyFigures = 50
	t.Cleanup(func() { verifyFigures = old })
	_ = s.db.View(func(btx *bolt.Tx) error {
		if n := len(s.memberRanges(btx)); n < 4 {
			t.Errorf("%d ranges of members, want at least 4", n)
		}
		return nil
	})
	parts, err := s.Verify()
	if err != nil || !parts.OK() || parts.Aggregates != whole.Aggregates || parts.Entries != whole.Entries {
		t.Fatalf("verify in ranges: %+v %v; in one: %+v", parts, err, whole)
	}
	// Damage m005's spent figure (no month board holds it), add one to
	// m009 and drop m010's given figure of the year.
	if err := s.db.Update(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketAgg)
		edit := func(member string, fn func(record) record) error {
			k := []byte(recordKey(member, "2026"))
			r, err := decodeRecord(b.Get(k))
			if err != nil {
				return err
			}
			return b.Put(k, fn(r).encode())
		}
		if err := edit("m005", func(r record) record { return r.add(subKey(aggSpent, "2026", ""), Agg{Net: 3, Count: 1}) }); err != nil {
			return err
		}
		if err := edit("m009", func(r record) record { return r.add(subKey(aggSpent, "2026-Q4", ""), Agg{Net: 2, Count: 1}) }); err != nil {
			return err
		}
		return edit("m010", func(r record) record {
			i, _ := r.find(subKey(aggGiver, "2026", poolAward))
			return append(r[:i:i], r[i+1:]...)
		})
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify()
	want := []string{"aggregate m005|2026|s|2026: stored", "aggregate m009|2026|s|2026-Q4: stored", "aggregate m010|2026|g|2026|award: missing"}
	if err != nil || len(rep.Problems) != len(want) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	for i, w := range want {
		if !strings.HasPrefix(rep.Problems[i], w) {
			t.Errorf("problem %d: %s, want %s…", i, rep.Problems[i], w)
		}
	}
}
