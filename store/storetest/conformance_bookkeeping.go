package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/survey"
)

// A scheduled run is claimed once per fire time: again at the same time
// or an earlier one is refused, a later one claimed; a claim in a write
// that fails is not kept.
func testRuns(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	nine := utc(2026, 12, 1, 9, 0, 0)
	for _, c := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"the first claim", nine, true},
		{"the same fire time again", nine, false},
		{"an earlier fire time", nine.Add(-24 * time.Hour), false},
		{"the next fire time", nine.Add(24 * time.Hour), true},
		{"the next fire time again", nine.Add(24 * time.Hour), false},
	} {
		if ok, err := e.st.ClaimRun(e.ctx, "daily", c.at); ok != c.want || err != nil {
			t.Errorf("%s: claimed %v (%v), want %v", c.name, ok, err, c.want)
		}
	}
	if ok, _ := e.st.ClaimRun(e.ctx, "weekly", nine); !ok {
		t.Error("another job's claim at the same time is refused")
	}
	fire := utc(2026, 12, 2, 1, 0, 0)
	job := func(fail error) (claimed bool, err error) {
		_, _, err = e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
			ok, err := tx.ClaimRun("celebrations", fire)
			if !ok || err != nil {
				return nil, err
			}
			claimed = true
			if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "m", Points: 20}); err != nil {
				return nil, err
			}
			return nil, fail
		})
		return claimed, err
	}
	// A write sees its own claim.
	e.write(func(tx store.Txn) error {
		first, err := tx.ClaimRun("twice", fire)
		if err != nil {
			return err
		}
		second, err := tx.ClaimRun("twice", fire)
		if !first || second || err != nil {
			t.Errorf("one write claiming a fire twice: %v then %v (%v); want true then false", first, second, err)
		}
		return err
	})
	if _, err := job(errRefused); !errors.Is(err, errRefused) {
		t.Fatalf("failing job: %v", err)
	}
	e.read(func(r store.Reader) {
		if last := r.LastRun("celebrations"); !last.IsZero() {
			t.Errorf("a failed job's claim was kept: %v", last)
		}
	})
	if claimed, err := job(nil); !claimed || err != nil {
		t.Fatalf("retried job: claimed %v, %v", claimed, err)
	}
	if claimed, err := job(nil); claimed || err != nil {
		t.Fatalf("the same fire again: claimed %v, %v", claimed, err)
	}
	e.read(func(r store.Reader) {
		for name, want := range map[string]time.Time{"daily": nine.Add(24 * time.Hour), "weekly": nine, "celebrations": fire, "never": {}} {
			if got := r.LastRun(name); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("LastRun(%s) = %v, want %v (UTC)", name, got, want)
			}
		}
		if r.EntryCount() != 1 {
			t.Errorf("%d entries, want the one of the run that committed", r.EntryCount())
		}
		first := utc(2026, 11, 10, 2, 0, 0)
		if got := e.st.FirstSeen("digest", first); !got.Equal(first) {
			t.Errorf("FirstSeen the first time = %v, want now", got)
		}
		if got := e.st.FirstSeen("digest", first.Add(time.Hour)); !got.Equal(first) {
			t.Errorf("FirstSeen again = %v, want the first time", got)
		}
		if got := e.st.FirstSeen("other", first.Add(time.Hour)); !got.Equal(first.Add(time.Hour)) {
			t.Errorf("FirstSeen of another job = %v", got)
		}
		if got := r.LastRun("digest"); !got.IsZero() {
			t.Errorf("FirstSeen made a run: %v", got)
		}
	})
}

// Sixteen replicas claiming one fire at once: one wins; likewise for a
// claim in a job's own write.
func testRunsConcurrent(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	fire := utc(2026, 11, 10, 1, 0, 0)
	var won, txWon atomic.Int32
	together(16, func(i int) {
		ok, err := e.st.ClaimRun(e.ctx, "digest", fire)
		if err != nil {
			t.Error(err)
		}
		if ok {
			won.Add(1)
		}
		_, _, err = e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
			ok, err := tx.ClaimRun("bonus", fire)
			if !ok || err != nil {
				return nil, err
			}
			if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "m", Points: 1}); err != nil {
				return nil, err
			}
			txWon.Add(1)
			return nil, nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	if won.Load() != 1 {
		t.Errorf("%d of 16 claimers won, want 1", won.Load())
	}
	// The first sight of a job, by sixteen replicas at once, each at its
	// own time: one time is recorded, and every replica is told it.
	seen := make([]time.Time, 16)
	together(len(seen), func(i int) {
		seen[i] = e.st.FirstSeen("new-job", fire.Add(time.Duration(i)*time.Minute))
	})
	for i, s := range seen {
		if !s.Equal(seen[0]) || s.Before(fire) || !s.Before(fire.Add(16*time.Minute)) {
			t.Fatalf("replica %d first saw the job at %v, replica 0 at %v: want one time for all", i, s, seen[0])
		}
	}
	if got := e.st.FirstSeen("new-job", fire.Add(time.Hour)); !got.Equal(seen[0]) {
		t.Errorf("FirstSeen afterwards = %v, want %v", got, seen[0])
	}
	e.read(func(r store.Reader) {
		if n := r.EntryCount(); n != 1 || !r.LastRun("bonus").Equal(fire) {
			t.Errorf("claims in their jobs' writes: %d entries, last run %v; want 1", n, r.LastRun("bonus"))
		}
	})
}

func outgoing(platform, to, key string) store.Outgoing {
	return store.Outgoing{Platform: platform, To: to, Body: json.RawMessage(`{"kind":"notice"}`), Key: key}
}

func outIDs(os []store.Outgoing) []uint64 {
	var out []uint64
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

// The outbox: queued once per platform and key, handed out oldest first
// from an id on, held back after a failed attempt, gone once done.
func testOutbox(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	if err := e.st.Enqueue(e.ctx, outgoing("feishu", "a", "report:a"), outgoing("slack", "a", "report:a"),
		outgoing("feishu", "b", ""), store.Outgoing{Platform: "feishu", Address: json.RawMessage(`{"chat":"oc_1"}`), Body: json.RawMessage(`{"kind":"post"}`), Lane: "chat"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.st.Enqueue(e.ctx, outgoing("feishu", "a", "report:a")); err != nil {
			t.Fatal(err)
		}
	}
	if f, s := e.outboxLen("feishu"), e.outboxLen("slack"); f != 3 || s != 1 {
		t.Fatalf("queued %d on Feishu and %d on Slack, want 3 and 1", f, s)
	}
	due, err := e.st.OutboxDue("feishu", 0, now, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("due: %+v %v", due, err)
	}
	ids := outIDs(due)
	if !slices.IsSorted(ids) || ids[0] == 0 || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatalf("due ids %v: want increasing", ids)
	}
	for i, want := range []store.Outgoing{outgoing("feishu", "a", "report:a"), outgoing("feishu", "b", ""),
		{Platform: "feishu", Address: json.RawMessage(`{"chat":"oc_1"}`), Body: json.RawMessage(`{"kind":"post"}`), Lane: "chat"}} {
		got := due[i]
		if got.Platform != want.Platform || got.To != want.To || !jsonEqual(got.Address, want.Address) || !jsonEqual(got.Body, want.Body) ||
			got.Lane != want.Lane || !got.Queued.Equal(now) || got.Attempts != 0 || !got.NotBefore.IsZero() {
			t.Errorf("message %d = %+v, want %+v queued now", i, got, want)
		}
	}
	if due[0].Key != "report:a" || due[1].Key == "" || due[2].Key == "" || due[1].Key == due[2].Key {
		t.Errorf("keys %q %q %q: a given key kept, the others made unique", due[0].Key, due[1].Key, due[2].Key)
	}
	if got, _ := e.st.OutboxDue("feishu", 0, now, 2); !slices.Equal(outIDs(got), ids[:2]) {
		t.Errorf("limit 2: %v", outIDs(got))
	}
	if got, _ := e.st.OutboxDue("feishu", ids[0], now, 10); !slices.Equal(outIDs(got), ids[1:]) {
		t.Errorf("after %d: %v", ids[0], outIDs(got))
	}
	if got, _ := e.st.OutboxDue("email", 0, now, 10); len(got) != 0 {
		t.Errorf("another platform's due: %v", got)
	}
	// Held back after failed attempts.
	for i, hold := range []time.Duration{time.Hour, 2 * time.Hour} {
		if n, err := e.st.OutboxRetry(e.ctx, "feishu", ids[1], now.Add(hold)); n != i+1 || err != nil {
			t.Fatalf("retry %d: attempts %d, %v", i+1, n, err)
		}
	}
	if n, err := e.st.OutboxRetry(e.ctx, "feishu", 9999, now); n != 0 || err != nil {
		t.Errorf("retry of an unknown message: %d %v", n, err)
	}
	if got, _ := e.st.OutboxDue("feishu", 0, now, 10); !slices.Equal(outIDs(got), []uint64{ids[0], ids[2]}) {
		t.Errorf("due while one is held back: %v", outIDs(got))
	}
	if got, _ := e.st.OutboxDue("feishu", 0, now.Add(2*time.Hour), 10); !slices.Equal(outIDs(got), ids) {
		t.Errorf("due once the hold ends: %v", outIDs(got))
	}
	if o, ok := e.outboxGet("feishu", ids[1]); !ok || o.Attempts != 2 || !o.NotBefore.Equal(now.Add(2*time.Hour)) || o.To != "b" {
		t.Errorf("OutboxGet = %+v %v", o, ok)
	}
	if _, ok := e.outboxGet("feishu", 9999); ok {
		t.Error("OutboxGet of an unknown id")
	}
	if err := e.st.OutboxDone(e.ctx, "feishu", ids[0], ids[2], 9999); err != nil {
		t.Fatal(err)
	}
	if n := e.outboxLen("feishu"); n != 1 {
		t.Fatalf("%d left after done, want 1", n)
	}
	if _, ok := e.outboxGet("feishu", ids[0]); ok {
		t.Error("a done message is still there")
	}
	// Sent and gone, a key is still not queued again.
	if err := e.st.Enqueue(e.ctx, outgoing("feishu", "a", "report:a")); err != nil || e.outboxLen("feishu") != 1 {
		t.Fatalf("queued again after it was sent: %v", err)
	}
	// A message without a platform, a receiver or a body refuses the
	// whole call.
	for name, bad := range map[string]store.Outgoing{
		"no platform": {To: "a", Body: json.RawMessage(`{}`)},
		"no receiver": {Platform: "slack", Body: json.RawMessage(`{}`)},
		"no body":     {Platform: "slack", To: "a"},
	} {
		if err := e.st.Enqueue(e.ctx, outgoing("slack", "c", ""), bad); err == nil {
			t.Errorf("%s: queued", name)
		}
	}
	if n := e.outboxLen("slack"); n != 1 {
		t.Fatalf("refused calls queued: %d on Slack, want 1", n)
	}
	// Queued in a write: with it, once per key, and not by a replay.
	for range 2 {
		if _, _, err := e.st.Write(e.ctx, "command-1", func(tx store.Txn) ([]byte, error) {
			id, err := tx.Enqueue(outgoing("slack", "d", "notice:1"))
			if err != nil || id == 0 {
				t.Errorf("Txn.Enqueue: %d %v", id, err)
			}
			if again, err := tx.Enqueue(outgoing("slack", "d", "notice:1")); again != 0 || err != nil {
				t.Errorf("Txn.Enqueue of a queued key: %d %v, want 0", again, err)
			}
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
		if _, err := tx.Enqueue(outgoing("slack", "e", "notice:2")); err != nil {
			return nil, err
		}
		return nil, errRefused
	}); !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	if n := e.outboxLen("slack"); n != 2 {
		t.Fatalf("%d on Slack, want 2 (one more from the write, none from its replay or the failed write)", n)
	}
	if err := e.st.Enqueue(e.ctx, outgoing("slack", "e", "notice:2")); err != nil || e.outboxLen("slack") != 3 {
		t.Fatalf("the key of a failed write was taken: %v", err)
	}
}

// jsonEqual compares JSON documents by value.
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// OutboxChanged is closed by the commit of a write that queues a message.
func testOutboxChanged(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	ch := e.st.OutboxChanged()
	if closed(ch) {
		t.Fatal("closed before anything was queued")
	}
	if _, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
		if _, err := tx.Enqueue(outgoing("slack", "a", "")); err != nil {
			return nil, err
		}
		return nil, errRefused
	}); !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	if closed(ch) {
		t.Fatal("closed by a write that failed")
	}
	if err := e.st.Enqueue(e.ctx, outgoing("slack", "a", "")); err != nil {
		t.Fatal(err)
	}
	if !closed(ch) {
		t.Fatal("not closed once Enqueue returned")
	}
	ch = e.st.OutboxChanged()
	e.write(func(tx store.Txn) error {
		_, err := tx.Enqueue(outgoing("feishu", "a", "k"))
		return err
	})
	if !closed(ch) {
		t.Fatal("not closed once a write that queued returned")
	}
}

// An audited write records its action with it: not when it fails, once
// when it is replayed.
func testAudit(t *testing.T, open Opener) {
	now := utc(2026, 11, 3, 2, 0, 0)
	e := newEnv(t, open, now)
	rec := store.AuditRecord{Actor: "hr", Action: "approval.approve", Object: "approval 7", Via: "slack"}
	actx := store.WithAudit(e.ctx, rec)
	if _, _, err := e.st.Write(actx, "k1", func(store.Txn) ([]byte, error) { return nil, errRefused }); err == nil {
		t.Fatal("the failing write succeeded")
	}
	e.read(func(r store.Reader) {
		if got := r.AuditLog(store.AuditFilter{}); len(got) != 0 {
			t.Fatalf("a failed write left audit records: %+v", got)
		}
	})
	for range 2 {
		if _, _, err := e.st.Write(actx, "k2", func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m1", Receiver: "m2", Points: 5})
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Minute)
	e.write(func(tx store.Txn) error {
		return tx.Audit(store.AuditRecord{Actor: "mgr", Action: "sign_in", Outcome: "refused", Via: "feishu"})
	})
	e.read(func(r store.Reader) {
		got := r.AuditLog(store.AuditFilter{})
		if len(got) != 2 {
			t.Fatalf("audit records = %d, want 2: %+v", len(got), got)
		}
		want := []store.AuditRecord{
			{ID: got[0].ID, At: now.Add(time.Minute), Actor: "mgr", Action: "sign_in", Outcome: "refused", Via: "feishu"},
			{ID: got[1].ID, At: now, Actor: "hr", Action: "approval.approve", Object: "approval 7", Outcome: "ok", Via: "slack"},
		}
		if !reflect.DeepEqual(got, want) || got[1].ID == 0 || got[0].ID <= got[1].ID {
			t.Errorf("records %+v,\nwant %+v (newest first, ids increasing)", got, want)
		}
	})
}

// AuditLog lists newest first, pages with Before and filters by actor,
// action prefix and time.
func testAuditLog(t *testing.T, open Opener) {
	base := utc(2026, 11, 3, 2, 0, 0)
	e := newEnv(t, open, base)
	var ids []uint64 // by order of writing
	add := func(actor, action string) {
		t.Helper()
		if err := e.st.Audit(e.ctx, store.AuditRecord{Actor: actor, Action: action}); err != nil {
			t.Fatal(err)
		}
		e.read(func(r store.Reader) { ids = append(ids, r.AuditLog(store.AuditFilter{Limit: 1})[0].ID) })
		e.clock.Add(time.Hour)
	}
	add("hr", "sign_in")             // 0 at 02:00
	add("hr", "import.ratings")      // 1 at 03:00
	add("mgr", "sign_in")            // 2 at 04:00
	add("hr", "imports")             // 3 at 05:00: not an "import" action
	add("hr", "approval.approve")    // 4 at 06:00
	add("mgr", "redemption.approve") // 5 at 07:00
	pick := func(is ...int) (out []uint64) {
		for _, i := range is {
			out = append(out, ids[i])
		}
		return out
	}
	e.read(func(r store.Reader) {
		for _, c := range []struct {
			name string
			f    store.AuditFilter
			want []uint64
		}{
			{"all", store.AuditFilter{}, pick(5, 4, 3, 2, 1, 0)},
			{"limit", store.AuditFilter{Limit: 2}, pick(5, 4)},
			{"page", store.AuditFilter{Before: ids[4], Limit: 2}, pick(3, 2)},
			{"page past the end", store.AuditFilter{Before: ids[5] + 1000, Limit: 1}, pick(5)},
			{"actor", store.AuditFilter{Actor: "mgr"}, pick(5, 2)},
			{"action prefix", store.AuditFilter{Action: "import"}, pick(1)},
			{"exact action", store.AuditFilter{Action: "sign_in"}, pick(2, 0)},
			{"since", store.AuditFilter{Since: base.Add(3 * time.Hour)}, pick(5, 4, 3)},
			{"until", store.AuditFilter{Until: base.Add(2 * time.Hour)}, pick(1, 0)},
			{"since and until", store.AuditFilter{Since: base.Add(time.Hour), Until: base.Add(4 * time.Hour)}, pick(3, 2, 1)},
		} {
			var got []uint64
			for _, rec := range r.AuditLog(c.f) {
				got = append(got, rec.ID)
				if rec.Outcome != "ok" {
					t.Errorf("%s: outcome %q, want ok by default", c.name, rec.Outcome)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: ids = %v, want %v", c.name, got, c.want)
			}
		}
	})
}

// Forgetting a member clears what is personal and keeps every figure.
func testForget(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0) // 10 November in Shanghai
	e := newEnv(t, open, now)
	ou := jifen.Member{ID: "ouyang", Name: "欧阳娜娜", Email: "nana@example.com", SlackID: "U07FORGET", FeishuOpenID: "ou_forget",
		Department: "销售部", Level: "高层", Role: jifen.RoleEmployee, Joined: date(2024, 1, 1), Birthday: "07-29"}
	old := jifen.Member{ID: "old", Name: "老员工", Department: "销售部", Role: jifen.RoleEmployee, Left: date(2026, 1, 31), SlackID: "U0OLD"}
	li := jifen.Member{ID: "li", Name: "李雷", Department: "销售部", Role: jifen.RoleEmployee}
	e.put(ou, old, li, jifen.Member{ID: "g", Name: "钱总", Role: jifen.RoleManager})
	es := e.append(
		jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "ouyang", Points: 5, Category: "c", Reason: "感谢欧阳娜娜的帮助"},
		jifen.Entry{Kind: jifen.KindThanks, Giver: "ouyang", Receiver: "li", Points: 3, Category: "c", Reason: "谢谢李雷"},
		jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "li", Points: 2, Category: "c", Reason: "保留的理由"},
		jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "ouyang", Points: 4, Category: "c"},
	)
	m := &ledgerModel{reversed: map[uint64]uint64{}, members: []jifen.Member{li, old, {ID: "g", Name: "钱总", Role: jifen.RoleManager}}, loc: e.loc}
	m.add(es...)
	for _, f := range []store.Feedback{{Member: "ouyang", From: "g", Text: "做得好"}, {Member: "li", From: "g", Text: "继续"}} {
		if err := e.st.AddFeedback(e.ctx, "", f); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.PutRatings(e.ctx, []jifen.Rating{{Member: "ouyang", Period: "2026-10", Grade: "A", Score: 4}, {Member: "li", Period: "2026-10", Grade: "B", Score: 3}}); err != nil {
		t.Fatal(err)
	}
	r := survey.Round{Survey: "pulse", Questions: questions, Started: now, Closes: now.Add(time.Hour)}
	r.SetAudience([]jifen.Member{ou, li})
	e.startRound(r)
	for _, mb := range []jifen.Member{ou, li} {
		if err := e.answer("pulse", 1, mb, "fair", "4"); err != nil {
			t.Fatal(err)
		}
	}
	// An open anonymous round they answered too.
	ar := survey.Round{Survey: "anon", Questions: questions, Anonymous: true, Started: now, Closes: now.Add(time.Hour)}
	ar.SetAudience([]jifen.Member{ou, li})
	ar = e.startRound(ar)
	for _, mb := range []jifen.Member{ou, li} {
		if err := e.answer("anon", 1, mb, "fair", "3"); err != nil {
			t.Fatal(err)
		}
	}
	for key, res := range map[string]string{"reply-1": "已给欧阳娜娜 5 分", "reply-2": "已给李雷 2 分"} {
		if _, _, err := e.st.Write(e.ctx, key, func(store.Txn) ([]byte, error) { return []byte(res), nil }); err != nil {
			t.Fatal(err)
		}
	}
	var before []jifen.Entry
	if err := e.st.Read(e.ctx, func(r store.Reader) error {
		return r.ForEachEntry(func(en *jifen.Entry) error { before = append(before, *en); return nil })
	}); err != nil {
		t.Fatal(err)
	}

	if err := e.st.ForgetMember(e.ctx, "ouyang", "成员A"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.ForgetMember(e.ctx, "old", "成员B"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.ForgetMember(e.ctx, "nobody", "成员C"); err == nil {
		t.Error("forgetting an unknown member succeeded")
	}
	e.read(func(rd store.Reader) {
		want := jifen.Member{ID: "ouyang", Name: "成员A", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2024, 1, 1), Left: date(2026, 11, 10)}
		if got, ok := rd.Member("ouyang"); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("forgotten member %+v,\nwant %+v (a pseudonym, the department, role and dates; leaving today)", got, want)
		}
		if got, _ := rd.Member("old"); !reflect.DeepEqual(got, jifen.Member{ID: "old", Name: "成员B", Department: "销售部", Role: jifen.RoleEmployee, Left: date(2026, 1, 31)}) {
			t.Errorf("forgotten member who had left: %+v (keeps their leaving date)", got)
		}
		if _, ok := rd.MemberBySlackID("U07FORGET"); ok {
			t.Error("found by the forgotten Slack id")
		}
		if _, ok := rd.MemberByFeishuOpenID("ou_forget"); ok {
			t.Error("found by the forgotten open_id")
		}
		if _, ok := rd.MemberByEmail("nana@example.com"); ok {
			t.Error("found by the forgotten email")
		}
		if len(rd.MembersByName("欧阳娜娜")) != 0 || len(rd.MembersByName("成员A")) != 1 {
			t.Error("names: the old one still finds the member, or the pseudonym does not")
		}
		if got := rd.FeedbackIn("ouyang", jifen.PeriodOf(jifen.AllTime, now, e.loc)); len(got) != 0 {
			t.Errorf("feedback to the forgotten member kept: %+v", got)
		}
		if got := rd.FeedbackIn("li", jifen.PeriodOf(jifen.AllTime, now, e.loc)); len(got) != 1 {
			t.Errorf("feedback to another member: %+v", got)
		}
		if got := rd.Ratings("2026-10"); len(got) != 1 || got[0].Member != "li" {
			t.Errorf("ratings %+v, want li's only", got)
		}
		if got := rd.Answers("pulse", 1); len(got) != 1 || got[0].Member != "li" {
			t.Errorf("answers %+v, want li's only", got)
		}
		if a := rd.AnswerOf(&ar, "ouyang"); a.Answered() != 0 {
			t.Errorf("the forgotten member's anonymous answer is still theirs: %+v", a)
		}
		if a := rd.AnswerOf(&ar, "li"); a.Value("fair") != "3" {
			t.Errorf("another member's anonymous answer: %+v", a)
		}
		if _, ok := rd.Seen("reply-1"); ok {
			t.Error("a stored reply naming the forgotten member is kept")
		}
		if v, ok := rd.Seen("reply-2"); !ok || string(v) != "已给李雷 2 分" {
			t.Errorf("another stored reply: %q %v", v, ok)
		}
		// The entries: the same but for the text of those they took part in.
		for i, en := range before {
			got, _, _ := rd.Entry(en.ID)
			if en.Receiver == "ouyang" || en.Giver == "ouyang" {
				en.Reason = ""
			}
			if !reflect.DeepEqual(got, en) {
				t.Errorf("entry %d after forgetting: %+v, want %+v", i, got, en)
			}
		}
		all := jifen.PeriodOf(jifen.AllTime, now, e.loc)
		month := jifen.PeriodOf(jifen.Month, now, e.loc)
		for _, id := range []string{"ouyang", "li", "g"} {
			for _, p := range []jifen.Period{all, month} {
				if got, want := rd.Totals(id, p), m.totals(id, p); got != want {
					t.Errorf("Totals(%s, %s) after forgetting = %+v, want %+v", id, p.Key, got, want)
				}
				if got, want := rd.GiverUsed(id, "thanks", p), m.giverUsed(id, "thanks", p); got != want {
					t.Errorf("GiverUsed(%s) after forgetting = %d, want %d", id, got, want)
				}
			}
		}
		if rd.Balance("ouyang") != 9 || rd.EntryCount() != 4 {
			t.Errorf("balance %d, %d entries; want 9 and 4", rd.Balance("ouyang"), rd.EntryCount())
		}
		// Forgotten today, counted in this month still.
		if rk := rd.RankOf("ouyang", month); rk.Rank != 1 || rk.Points != 9 {
			t.Errorf("RankOf the forgotten member this month = %+v", rk)
		}
	})
}

// Feedback is stored once per key, stamped with the store's time, and
// listed per period oldest first.
func testFeedback(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	add := func(key, text string) {
		t.Helper()
		if err := e.st.AddFeedback(e.ctx, key, store.Feedback{Member: "li", From: "g", Text: text, At: utc(2000, 1, 1, 0, 0, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	add("fb-1", "第一条")
	add("fb-1", "重复投递")
	nov := e.clock.Now()
	e.clock.Add(time.Hour)
	add("", "第二条")
	add("", "第三条")
	e.clock.Set(utc(2026, 11, 30, 16, 0, 0)) // 1 December in Shanghai
	add("fb-4", "十二月")
	fb := func(text string, at time.Time) store.Feedback {
		return store.Feedback{Member: "li", From: "g", Text: text, At: at}
	}
	e.read(func(r store.Reader) {
		p := func(key string) jifen.Period {
			per, _ := jifen.ParsePeriod(key, e.loc)
			return per
		}
		for key, want := range map[string][]store.Feedback{
			"2026-11": {fb("第一条", nov), fb("第二条", nov.Add(time.Hour)), fb("第三条", nov.Add(time.Hour))},
			"2026-12": {fb("十二月", utc(2026, 11, 30, 16, 0, 0))},
			"2026":    {fb("第一条", nov), fb("第二条", nov.Add(time.Hour)), fb("第三条", nov.Add(time.Hour)), fb("十二月", utc(2026, 11, 30, 16, 0, 0))},
			"2026-10": nil,
		} {
			if got := r.FeedbackIn("li", p(key)); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
				t.Errorf("FeedbackIn(li, %s) = %+v,\nwant %+v", key, got, want)
			}
		}
		if got := r.FeedbackIn("g", p("2026")); len(got) != 0 {
			t.Errorf("FeedbackIn(g) = %+v: feedback is filed under who it is for", got)
		}
	})
}

// A rule catalog gets a version per fingerprint, kept with its content.
func testCatalogs(t *testing.T, open Opener) {
	t1 := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, t1)
	reg := func(fp string, content any, want int) {
		t.Helper()
		if v, err := e.st.RegisterCatalog(e.ctx, fp, content); err != nil || v != want {
			t.Fatalf("RegisterCatalog(%s) = %d %v, want %d", fp, v, err, want)
		}
	}
	a := map[string]any{"behaviors": []string{"deal", "help"}, "cap": 100}
	b := map[string]any{"behaviors": []string{"deal"}, "cap": 80}
	reg("fp-a", a, 1)
	e.clock.Add(time.Hour)
	reg("fp-b", b, 2)
	e.clock.Add(time.Hour)
	reg("fp-a", map[string]any{"ignored": true}, 1) // a catalog that comes back keeps its number
	var vs []store.CatalogVersion
	var err error
	e.read(func(r store.Reader) { vs, err = r.CatalogVersions() })
	if err != nil || len(vs) != 2 {
		t.Fatalf("CatalogVersions = %+v %v", vs, err)
	}
	for i, want := range []struct {
		fp      string
		since   time.Time
		content any
	}{{"fp-a", t1, a}, {"fp-b", t1.Add(time.Hour), b}} {
		raw, _ := json.Marshal(want.content)
		if v := vs[i]; v.Version != i+1 || v.Fingerprint != want.fp || !v.Since.Equal(want.since) || !jsonEqual(v.Catalog, raw) {
			t.Errorf("version %d = %+v (%s), want %s since %v: %s", i+1, v, v.Catalog, want.fp, want.since, raw)
		}
	}
}

// The link and session keys: made once, kept, apart; a rotation changes
// the link key only.
func testKeys(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	keys := make([][]byte, 8)
	together(len(keys), func(i int) {
		k, err := e.st.LinkKey(e.ctx)
		if err != nil {
			t.Error(err)
		}
		keys[i] = k
	})
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("link key %d of the first callers: %x, want 32 bytes, the same for all (%x)", i, k, keys[0])
		}
	}
	link := keys[0]
	sess, err := e.st.SessionKey(e.ctx)
	if err != nil || len(sess) != 32 || bytes.Equal(sess, link) {
		t.Fatalf("session key %x %v: want 32 bytes, not the link key", sess, err)
	}
	if again, _ := e.st.SessionKey(e.ctx); !bytes.Equal(again, sess) {
		t.Fatal("the session key changed")
	}
	if err := e.st.RotateLinkKey(e.ctx); err != nil {
		t.Fatal(err)
	}
	rotated, err := e.st.LinkKey(e.ctx)
	if err != nil || len(rotated) != 32 || bytes.Equal(rotated, link) {
		t.Fatalf("after rotation the link key is %x %v", rotated, err)
	}
	if again, _ := e.st.LinkKey(e.ctx); !bytes.Equal(again, rotated) {
		t.Fatal("the rotated link key changed")
	}
	if again, _ := e.st.SessionKey(e.ctx); !bytes.Equal(again, sess) {
		t.Fatal("rotating the link key changed the session key")
	}
}
