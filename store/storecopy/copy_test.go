package storecopy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/pgtest"
	"jifen/store/postgres"
	"jifen/survey"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 10, 2, 0, 0, 123456789, time.UTC)} }

func openBolt(t *testing.T, c jifen.Clock) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Location: shanghai, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPG(t *testing.T, c jifen.Clock) *postgres.Store {
	t.Helper()
	url := pgtest.DB(t)
	s, err := postgres.Open(context.Background(), url, postgres.Options{Location: shanghai, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func write(t *testing.T, l store.Ledger, key string, fn func(store.Txn) error) {
	t.Helper()
	if _, _, err := l.Write(context.Background(), key, func(tx store.Txn) ([]byte, error) { return []byte("ok " + key), fn(tx) }); err != nil {
		t.Fatal(err)
	}
}

var questions = []survey.Question{
	{ID: "fair", Text: "规则公平吗", Kind: survey.Likert},
	{ID: "note", Text: "其他意见", Kind: survey.Text},
}

// fill writes every kind of record the ledger keeps: members (one of
// them forgotten), entries with revokes, open and decided approvals,
// redemptions (pending, fulfilled, refunded), ratings, KPIs, feedback,
// catalog versions, idempotency records, run claims and first-seen marks,
// the outbox, the audit log and the keys; with rounds, a closed
// anonymous round and an open named one with their answers.
func fill(t *testing.T, l store.Ledger, c *clock, rounds bool) {
	t.Helper()
	ctx := context.Background()
	var ms []jifen.Member
	for i := range 12 {
		m := jifen.Member{ID: fmt.Sprintf("m%02d", i), Name: fmt.Sprintf("员工%d", i), Department: []string{"销售部", "研发部", "客服部"}[i%3],
			Level: "基层", Role: jifen.RoleEmployee, Email: fmt.Sprintf("m%d@example.com", i), Joined: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		if i == 0 {
			m.Role = jifen.RoleAdmin
		}
		if i == 1 {
			m.Role, m.SlackID = jifen.RoleManager, "U1"
		}
		if i == 2 {
			m.FeishuOpenID = "ou_2"
		}
		ms = append(ms, m)
	}
	if err := l.PutMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RegisterCatalog(ctx, "fp1", map[string]any{"categories": []string{"销售业绩"}}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	if _, err := l.RegisterCatalog(ctx, "fp2", map[string]any{"categories": []string{"销售业绩", "考勤"}}); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 40 {
		c.add(time.Minute + 7*time.Nanosecond)
		write(t, l, fmt.Sprintf("award-%d", i), func(tx store.Txn) error {
			eff := tx.Now().AddDate(0, -(i % 3), -(i % 5))
			e := jifen.Entry{Kind: jifen.KindAward, Giver: "m01", Receiver: ms[2+i%10].ID, Points: int64(5 + i%7),
				Category: []string{"销售业绩", "考勤"}[i%2], Behavior: []string{"客户好评", "全勤"}[i%2], Reason: "好", Effective: eff, RuleVersion: 2, Source: "slack"}
			if i%9 == 4 {
				e.Kind, e.Points, e.Behavior = jifen.KindDeduct, -3, "迟到"
			}
			id, err := tx.Append(&e)
			ids = append(ids, id)
			return err
		})
	}
	write(t, l, "revoke-1", func(tx store.Txn) error {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Reverses: ids[3], Giver: "m00", Reason: "错了"})
		return err
	})
	// Approvals: one decided (with its entry), one open.
	var decided store.Approval
	write(t, l, "approval-1", func(tx store.Txn) error {
		decided = store.Approval{Giver: "m01", Receivers: []string{"m03", "m04"}, Points: 50, Category: "销售业绩", Behavior: "大单", Reason: "大单"}
		_, err := tx.AddApproval(&decided)
		return err
	})
	write(t, l, "approve-1", func(tx store.Txn) error {
		a, _ := tx.Approval(decided.ID)
		for _, r := range a.Receivers {
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: a.Giver, Receiver: r, Points: a.Points, Category: a.Category, Behavior: a.Behavior, Approval: a.ID})
			if err != nil {
				return err
			}
			a.Entries = append(a.Entries, id)
		}
		a.Status, a.DecidedBy, a.DecidedAt = store.Approved, "m00", tx.Now()
		return tx.DecideApproval(&a)
	})
	write(t, l, "approval-2", func(tx store.Txn) error {
		_, err := tx.AddApproval(&store.Approval{Giver: "m01", Receivers: []string{"m05"}, Points: 40, Category: "销售业绩", Behavior: "大单"})
		return err
	})
	// Redemptions: pending, fulfilled, rejected (refunded).
	var reds []store.Redemption
	for i, who := range []string{"m03", "m04", "m06"} {
		c.add(time.Minute)
		write(t, l, "redeem-"+who, func(tx store.Txn) error {
			e := jifen.Entry{Kind: jifen.KindRedeem, Receiver: who, Points: -10, Behavior: store.RewardBehavior("coffee"), Quantity: 1}
			id, err := tx.Append(&e)
			if err != nil {
				return err
			}
			r := store.Redemption{Member: who, Item: "coffee", Quantity: 1, Points: 10, Entry: id, Status: store.RedemptionPending}
			if i == 1 {
				r.Status, r.DecidedBy, r.DecidedAt = store.RedemptionApproved, "m00", tx.Now()
			}
			if _, err := tx.AddRedemption(&r); err != nil {
				return err
			}
			reds = append(reds, r)
			return nil
		})
	}
	write(t, l, "fulfil", func(tx store.Txn) error {
		r, _ := tx.Redemption(reds[1].ID)
		r.Status, r.FulfilledBy, r.FulfilledAt = store.RedemptionFulfilled, "m00", tx.Now()
		return tx.PutRedemption(&r)
	})
	write(t, l, "reject", func(tx store.Txn) error {
		r, _ := tx.Redemption(reds[2].ID)
		r.DecidedBy, r.DecidedAt, r.Note = "m00", tx.Now(), "缺货"
		_, err := tx.RefundRedemption(&r, store.RedemptionRejected, jifen.Entry{Giver: "m00", Reason: "缺货"})
		return err
	})
	if err := l.PutRatings(ctx, []jifen.Rating{{Period: "2026-10", Member: "m03", Grade: "A", Score: 4.5}, {Period: "2026-10", Member: "m04", Grade: "B", Score: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := l.PutKPIs(ctx, []jifen.KPI{{Period: "2026-10", Name: "revenue", Department: "销售部", Value: 1.25e6}, {Period: "2026-10", Name: "csat", Value: 0.92}}); err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"m05", "m03", "m05"} {
		if err := l.AddFeedback(ctx, fmt.Sprintf("fb-%d", i), store.Feedback{Member: who, From: "m01", Text: "继续加油"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ClaimRun(ctx, "weekly", c.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	l.FirstSeen("weekly", c.Now().Add(-48*time.Hour))
	l.FirstSeen("monthly", c.Now().Add(-24*time.Hour))
	if err := l.Enqueue(ctx,
		store.Outgoing{Platform: "slack", To: "m03", Body: json.RawMessage(`{"title":"hi"}`), Key: "k1"},
		store.Outgoing{Platform: "feishu", Address: json.RawMessage(`{"chat_id":"oc_1"}`), Body: json.RawMessage(`{"title":"board"}`), Lane: "board"},
		store.Outgoing{Platform: "slack", To: "m04", Body: json.RawMessage(`{"title":"again"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.OutboxRetry(ctx, "slack", 1, c.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.OutboxDone(ctx, "slack", 3); err != nil {
		t.Fatal(err)
	}
	if err := l.Audit(ctx, store.AuditRecord{Actor: "m00", Action: "sign_in", Via: "slack"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Audit(store.WithAudit(ctx, store.AuditRecord{Actor: "m00", Action: "import.ratings", Object: "ratings 2026-10"}), store.AuditRecord{Actor: "m09", Action: "sign_in", Outcome: "refused"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.LinkKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SessionKey(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.ForgetMember(ctx, "m11", "已离职-1"); err != nil {
		t.Fatal(err)
	}
	if !rounds {
		return
	}
	var anon, named survey.Round
	write(t, l, "rounds", func(tx store.Txn) error {
		anon = survey.Round{Survey: "pulse", Title: "脉搏", Questions: questions, Anonymous: true, MinGroup: 3, Started: tx.Now(), Closes: tx.Now().Add(time.Hour)}
		anon.SetAudience(ms)
		named = survey.Round{Survey: "named", Title: "实名", Questions: questions, Started: tx.Now(), Closes: tx.Now().Add(48 * time.Hour)}
		named.SetAudience(ms)
		if err := tx.StartRound(&anon); err != nil {
			return err
		}
		return tx.StartRound(&named)
	})
	for i, m := range ms[2:8] {
		write(t, l, "", func(tx store.Txn) error {
			a := survey.Answer{Values: map[string][]string{"fair": {fmt.Sprint(1 + i%5)}, "note": {"ok"}}}
			if err := tx.PutAnswer(&anon, m, a); err != nil {
				return err
			}
			return tx.PutAnswer(&named, m, a)
		})
	}
	c.add(2 * time.Hour)
	write(t, l, "close", func(tx store.Txn) error { return tx.CloseRound(&anon) })
}

// everything dumps a store's records as canonical JSON, for comparing.
func everything(t *testing.T, d store.Dumper) (map[string]int, []string) {
	t.Helper()
	counts := map[string]int{}
	var out []string
	err := d.Dump(context.Background(), func(r store.Record) error {
		counts[r.Kind()]++
		b, err := canonical(r)
		out = append(out, r.Kind()+" "+string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts, out
}

// A bbolt store with every kind of record (but surveys, which PostgreSQL
// does not keep yet) goes to PostgreSQL and back to bbolt: each copy is
// proved, and the final store holds the same records as the first, with
// the entries' ids kept.
func TestCopyBoltToPostgresAndBack(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openBolt(t, c)
	fill(t, a, c, false)
	pg := openPG(t, c)
	res, err := Copy(ctx, a, pg, Options{From: "bbolt:a", BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"key": 2, "catalog": 2, "member": 12, "entry": 47, "approval": 2, "redemption": 3,
		"rating": 2, "kpi": 2, "feedback": 3, "run": 2, "outbox": 2, "audit": 3, "sequence": 6}
	for k, n := range want {
		if res.Copied[k] != n {
			t.Errorf("copied %d %s records, want %d (all: %v)", res.Copied[k], k, n, res.Copied)
		}
	}
	if res.Copied["idempotency"] < 20 || len(res.Periods) == 0 || res.Members != 12 || res.Items != 1 || !res.Verify.OK() {
		t.Errorf("result %+v", res)
	}
	b := openBolt(t, c)
	if _, err := Copy(ctx, pg, b, Options{From: "postgres"}); err != nil {
		t.Fatal(err)
	}
	ca, ra := everything(t, a)
	cb, rb := everything(t, b)
	if !reflect.DeepEqual(ca, cb) {
		t.Fatalf("counts %v, after the round trip %v", ca, cb)
	}
	for i := range ra {
		if ra[i] != rb[i] {
			t.Fatalf("record %d differs after the round trip:\n%s\n%s", i, ra[i], rb[i])
		}
	}
	// The copies go on numbering after the source.
	for _, l := range []store.Ledger{pg, b} {
		write(t, l, "after", func(tx store.Txn) error {
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m01", Receiver: "m03", Points: 1})
			if err == nil && id != 48 {
				err = fmt.Errorf("the next entry is %d, want 48", id)
			}
			return err
		})
	}
	// An idempotency key copied is a replay on the copy.
	for _, l := range []store.Ledger{pg, b} {
		res, replayed, err := l.Write(ctx, "award-3", func(store.Txn) ([]byte, error) { return nil, errors.New("ran again") })
		if err != nil || !replayed || string(res) != "ok award-3" {
			t.Errorf("replay on the copy: %q %v %v", res, replayed, err)
		}
	}
}

// Survey rounds go from bbolt to bbolt: a closed anonymous round with its
// answers, an open named one with its answers.
func TestCopyBoltToBoltWithSurveys(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openBolt(t, c)
	fill(t, a, c, true)
	b := openBolt(t, c)
	res, err := Copy(ctx, a, b, Options{From: "bbolt:a", BatchSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied["round"] != 2 || res.Copied["answer"] != 12 {
		t.Errorf("copied %v", res.Copied)
	}
	if got := b.Answers("pulse", 1); len(got) != 6 || got[0].Member != "" {
		t.Errorf("anonymous answers on the copy: %+v", got)
	}
	if r, ok := b.Round("named", 1); !ok || !r.Closed.IsZero() {
		t.Errorf("named round on the copy: %+v %v", r, ok)
	}
}

// An open anonymous round cannot be carried over: the copy is refused,
// with a message saying to close it first, and writes nothing.
func TestCopyRefusesAnOpenAnonymousRound(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openBolt(t, c)
	fill(t, a, c, false)
	b := openBolt(t, c)
	openRoundRefused(t, a, b)
	// The target is still empty: a copy without the round goes through.
	if err := b.BeginLoad(ctx, "x"); err != nil {
		t.Errorf("the target was marked: %v", err)
	}
}

// Survey rounds go through PostgreSQL and back: a closed anonymous round
// with its answers under their random keys, an open named one with its
// members' answers; and an open anonymous round kept on PostgreSQL is
// refused there as it is on bbolt, before anything is written.
func TestCopySurveysThroughPostgres(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openBolt(t, c)
	fill(t, a, c, true)
	pg := openPG(t, c)
	res, err := Copy(ctx, a, pg, Options{From: "bbolt:a", BatchSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied["round"] != 2 || res.Copied["answer"] != 12 {
		t.Errorf("copied to PostgreSQL %v", res.Copied)
	}
	b := openBolt(t, c)
	if _, err := Copy(ctx, pg, b, Options{From: "postgres"}); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]store.Ledger{"bbolt": a, "postgres": pg, "bbolt again": b} {
		err := l.Read(ctx, func(r store.Reader) error {
			if got := r.Answers("pulse", 1); len(got) != 6 || got[0].Member != "" {
				t.Errorf("%s: anonymous answers %+v", name, got)
			}
			if got := r.Answers("named", 1); len(got) != 6 || got[0].Member == "" {
				t.Errorf("%s: named answers %+v", name, got)
			}
			if r, ok := r.Round("named", 1); !ok || !r.Closed.IsZero() {
				t.Errorf("%s: named round %+v %v", name, r, ok)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	key := []byte("a-fixed-fake-answer-key-for-tests-only-0123")
	src, err := postgres.Open(ctx, pgtest.DB(t), postgres.Options{Location: shanghai, Clock: c, AnswerKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fill(t, src, c, false)
	openRoundRefused(t, src, openBolt(t, c))
}

// openRoundRefused opens an anonymous round of pulse in src and checks
// that a copy of src into the empty dst is refused for it, naming the
// round and saying to close it first, and writes nothing.
func openRoundRefused(t *testing.T, src Source, dst Target) {
	t.Helper()
	write(t, src, "open", func(tx store.Txn) error {
		r := survey.Round{Survey: "pulse", Questions: questions, Anonymous: true, Started: tx.Now(), Closes: tx.Now().Add(time.Hour)}
		return tx.StartRound(&r)
	})
	_, err := Copy(context.Background(), src, dst, Options{})
	var open *store.ErrOpenAnonymousRound
	if !errors.As(err, &open) || open.Round != "pulse-1" || !strings.Contains(err.Error(), "close it first") {
		t.Fatalf("err = %v, want a refusal of the open anonymous round pulse-1, to close first", err)
	}
	if counts, _ := everything(t, dst); len(counts) != 0 {
		t.Errorf("the refused copy wrote %v", counts)
	}
}

// A target that holds anything is refused, and keeps what it holds.
func TestCopyRefusesATargetThatIsNotEmpty(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openBolt(t, c)
	fill(t, a, c, false)
	targets := map[string]Target{"bbolt": openBolt(t, c)}
	if pg := pgOrNil(t, c); pg != nil {
		targets["postgres"] = pg
	}
	for name, b := range targets {
		if err := b.PutMembers(ctx, []jifen.Member{{ID: "x1", Name: "已有", Role: jifen.RoleEmployee}}); err != nil {
			t.Fatal(err)
		}
		_, err := Copy(ctx, a, b, Options{})
		var ne *store.NotEmptyError
		if !errors.As(err, &ne) {
			t.Errorf("%s: err = %v, want NotEmptyError", name, err)
		}
		counts, _ := everything(t, b)
		if counts["member"] != 1 || counts["entry"] != 0 {
			t.Errorf("%s: the refused copy changed the target: %v", name, counts)
		}
	}
}

func pgOrNil(t *testing.T, c jifen.Clock) *postgres.Store {
	if os.Getenv(pgtest.Env) != "" {
		return openPG(t, c)
	}
	return nil
}

// failing is a target whose loads fail after a number of batches, as a
// copy cut short by a crash or Ctrl-C.
type failing struct {
	Target
	left int
}

var errCut = errors.New("cut short")

func (f *failing) Load(ctx context.Context, batch []store.Record) error {
	if f.left == 0 {
		return errCut
	}
	f.left--
	return f.Target.Load(ctx, batch)
}

// A copy cut short leaves its target marked: the next copy into it is
// refused, saying the target holds an unfinished copy to empty first,
// and so is a copy from it.
func TestCopyCutShortIsRefusedAfterwards(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openBolt(t, c)
	fill(t, a, c, false)
	targets := map[string]Target{"bbolt": openBolt(t, c)}
	if pg := pgOrNil(t, c); pg != nil {
		targets["postgres"] = pg
	}
	for name, b := range targets {
		if _, err := Copy(ctx, a, &failing{Target: b, left: 2}, Options{From: "bbolt:a.db", BatchSize: 10}); !errors.Is(err, errCut) {
			t.Fatalf("%s: err = %v", name, err)
		}
		_, err := Copy(ctx, a, b, Options{From: "bbolt:a.db"})
		var un *store.ErrUnfinishedCopy
		if !errors.As(err, &un) || un.From != "bbolt:a.db" || !strings.Contains(err.Error(), "did not finish") {
			t.Errorf("%s: err = %v, want ErrUnfinishedCopy", name, err)
		}
		// Nor is it copied from.
		if _, err := Copy(ctx, b, openBolt(t, c), Options{}); !errors.As(err, &un) {
			t.Errorf("%s: a copy from the unfinished copy: err = %v, want ErrUnfinishedCopy", name, err)
		}
	}
}

// A PostgreSQL ledger whose entry ids have a gap (a write rolled back
// after taking an id) goes to bbolt and back with the same ids.
func TestCopyPostgresWithGapsToBoltAndBack(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openPG(t, c)
	fill(t, a, c, false)
	_, _, err := a.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m01", Receiver: "m03", Points: 1}); err != nil {
			return nil, err
		}
		return nil, errors.New("rolled back")
	})
	if err == nil {
		t.Fatal("the write was not rolled back")
	}
	write(t, a, "after-gap", func(tx store.Txn) error {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m01", Receiver: "m04", Points: 2})
		return err
	})
	b := openBolt(t, c)
	if _, err := Copy(ctx, a, b, Options{From: "postgres", BatchSize: 9}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := b.Entry(48); ok {
		t.Error("the gap at entry 48 was filled")
	}
	if e, _, ok := b.Entry(49); !ok || e.Receiver != "m04" {
		t.Errorf("entry 49 = %+v %v", e, ok)
	}
	pg := openPG(t, c)
	if _, err := Copy(ctx, b, pg, Options{From: "bbolt"}); err != nil {
		t.Fatal(err)
	}
	_, ra := everything(t, a)
	_, rb := everything(t, pg)
	if !reflect.DeepEqual(ra, rb) {
		t.Errorf("the round trip changed the records")
	}
	// And from PostgreSQL to PostgreSQL.
	pg2 := openPG(t, c)
	if _, err := Copy(ctx, a, pg2, Options{From: "postgres"}); err != nil {
		t.Fatal(err)
	}
	if _, r2 := everything(t, pg2); !reflect.DeepEqual(ra, r2) {
		t.Errorf("the copy from PostgreSQL to PostgreSQL changed the records")
	}
}

// On PostgreSQL an entry may be recorded before the entry before it (of
// another member: replicas append concurrently); bbolt records it at that
// entry's time, its effective time and figures unchanged, and says so.
func TestCopyRaisesRecordingTimesIntoBolt(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a := openPG(t, c)
	if err := a.PutMembers(ctx, []jifen.Member{{ID: "m1", Name: "甲", Role: jifen.RoleManager}, {ID: "m2", Name: "乙", Role: jifen.RoleEmployee}, {ID: "m3", Name: "丙", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	now := c.Now().Truncate(time.Microsecond)
	for i, at := range []time.Time{now, now.Add(-time.Hour), now.Add(time.Minute)} {
		write(t, a, fmt.Sprint("e", i), func(tx store.Txn) error {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m1", Receiver: []string{"m2", "m3", "m3"}[i], Points: 5, At: at, Effective: at})
			return err
		})
	}
	b := openBolt(t, c)
	res, err := Copy(ctx, a, b, Options{From: "postgres"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Raised != 1 {
		t.Errorf("raised %d entries, want 1", res.Raised)
	}
	e, _, _ := b.Entry(2)
	if !e.At.Equal(now) || !e.Effective.Equal(now.Add(-time.Hour)) {
		t.Errorf("entry 2 on bbolt: at %s, effective %s", e.At, e.Effective)
	}
}
