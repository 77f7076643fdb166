package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// An award this month, then the import of a ledger export recorded three
// months ago: the award still counts against the behavior's cap this
// month, and the imported entry counts in its own month.
func TestImportOfAnOlderEntryKeepsTheCapCount(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 20, Behavior: "全勤"})
	recorded := time.Date(2026, 8, 31, 10, 0, 0, 0, time.UTC)
	effective := time.Date(2026, 8, 30, 10, 0, 0, 0, time.UTC)
	id := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 20, Behavior: "全勤",
		At: recorded, Effective: effective, Source: "import"})
	nov := jifen.PeriodOf(jifen.Month, clock.Now(), shanghai)
	aug := jifen.PeriodOf(jifen.Month, effective, shanghai)
	var inNov, inAug int
	if _, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		inNov, _ = tx.Usage().BehaviorUse("r", "全勤", nov)
		inAug, _ = tx.Usage().BehaviorUse("r", "全勤", aug)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if inNov != 1 || inAug != 1 {
		t.Fatalf("uses of 全勤: %d in November, %d in August; want 1 and 1", inNov, inAug)
	}
	e, _, _ := s.Entry(id)
	if !e.At.Equal(clock.Now()) || !e.Effective.Equal(effective) {
		t.Fatalf("imported entry recorded at %s, effective %s; want now and its own time", e.At, e.Effective)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// A clock set back does not record an entry before the last one.
func TestClockSetBackKeepsRecordingOrder(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	first := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	clock.Set(clock.Now().Add(-time.Hour))
	second := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	a, _, _ := s.Entry(first)
	b, _, _ := s.Entry(second)
	if b.At.Before(a.At) || b.Effective.After(b.At) {
		t.Fatalf("entry %d recorded %s (effective %s), after entry %d at %s", second, b.At, b.Effective, first, a.At)
	}
}

// tamper changes the file behind the store's back.
func tamper(t *testing.T, s *Store, fn func(btx *bolt.Tx) error) {
	t.Helper()
	if err := s.db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// verifyFinds runs Verify and expects exactly one problem, containing want.
func verifyFinds(t *testing.T, s *Store, want string) {
	t.Helper()
	rep, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], want) {
		t.Fatalf("verify found %q, want one problem with %q", rep.Problems, want)
	}
}

// putEntry rewrites an entry and its index record consistently, so that
// only the change itself is wrong.
func putEntry(btx *bolt.Tx, e jifen.Entry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := btx.Bucket(bucketEntries).Put(encodeU64(e.ID), raw); err != nil {
		return err
	}
	return btx.Bucket(bucketAgg).Put(rcvKey(e.Receiver, e.ID), encodeRcv(&e))
}

func TestVerifyFindsRecordingTimeGoingBack(t *testing.T) {
	// Mid-week, mid-month: an hour either way stays in the same periods.
	clock := &testClock{t: time.Date(2026, 11, 18, 6, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	id := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	verifyClean(t, s)
	e, _, _ := s.Entry(id)
	e.At = e.At.Add(-time.Hour)
	e.Effective = e.At
	tamper(t, s, func(btx *bolt.Tx) error { return putEntry(btx, e) })
	verifyFinds(t, s, "recording times must not decrease")
}

func TestVerifyFindsAnEntryEffectiveAfterItWasRecorded(t *testing.T) {
	// Mid-week, mid-month: an hour either way stays in the same periods.
	clock := &testClock{t: time.Date(2026, 11, 18, 6, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	id := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	verifyClean(t, s)
	e, _, _ := s.Entry(id)
	e.Effective = e.At.Add(time.Hour)
	tamper(t, s, func(btx *bolt.Tx) error { return putEntry(btx, e) })
	verifyFinds(t, s, "after it was recorded")
}

// Forgetting a member drops the idempotency results that name them and
// their places in the expiry order, which would otherwise outlive them.
func TestForgetDropsTheKeysExpiryToo(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ms := members(2)
	ctx := context.Background()
	if err := s.SyncMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if _, _, err := s.write(ctx, "Ev"+m.ID, func(tx *Tx) ([]byte, error) { return []byte("给" + ms[i].Name + "加分"), nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ForgetMember(ctx, ms[0].ID, "成员A"); err != nil {
		t.Fatal(err)
	}
	var keys []string
	_ = s.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketIdemExp).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k[8:]))
			return nil
		})
	})
	if _, ok := s.Seen("Ev" + ms[0].ID); ok || len(keys) != 1 || keys[0] != "Ev"+ms[1].ID {
		t.Fatalf("after forgetting %s: expiry order holds %q", ms[0].ID, keys)
	}
	verifyClean(t, s)
}
