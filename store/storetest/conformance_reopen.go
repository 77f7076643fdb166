package storetest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/survey"
)

// reopenState is what the Reopen subtest reads before and after a
// restart.
type reopenState struct {
	Members     []jifen.Member
	Balance     int64
	Entries     int
	Seen        []byte
	Approval    store.Approval
	Open        []store.Approval
	Redemptions []store.Redemption
	Stock       int64
	Round       survey.Round
	Answers     []survey.Answer
	Outbox      []store.Outgoing
	LastRun     time.Time
	Catalogs    []store.CatalogVersion
	LinkKey     []byte
	SessionKey  []byte
}

// What was written survives a restart: members, entries and figures,
// idempotency keys and their results (a replay after the restart runs
// nothing), approvals, redemptions and stock, survey rounds and answers,
// queued messages, run claims, catalogs and the keys; ids go on where
// they stopped.
func testReopen(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	ms := []jifen.Member{
		{ID: "m", Name: "王芳", Department: "销售部", Role: jifen.RoleEmployee, SlackID: "U01"},
		{ID: "g", Name: "钱总", Role: jifen.RoleManager, FeishuOpenID: "ou_g"},
	}
	e.put(ms...)
	e.append(jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "m", Points: 100, Category: "c", Reason: "大单"})
	if _, _, err := e.st.Write(e.ctx, "reply-1", func(store.Txn) ([]byte, error) { return []byte("已给王芳 100 分"), nil }); err != nil {
		t.Fatal(err)
	}
	var approval store.Approval
	e.write(func(tx store.Txn) error {
		approval = store.Approval{Giver: "g", Receivers: []string{"m"}, Points: 50, Category: "c", Reason: "上线"}
		_, err := tx.AddApproval(&approval)
		return err
	})
	if _, err := redeem(e.ctx, e.st, "", "m", "mug", 30, 1, 5, store.RedemptionPending); err != nil {
		t.Fatal(err)
	}
	r := survey.Round{Survey: "pulse", Title: "满意度", Questions: questions, Started: now, Closes: now.Add(72 * time.Hour)}
	r.SetAudience(ms)
	r = e.startRound(r)
	if err := e.answer("pulse", 1, ms[0], "fair", "4"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Enqueue(e.ctx, store.Outgoing{Platform: "slack", To: "m", Key: "card-1", Body: json.RawMessage(`{"text":"卡片"}`)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.st.ClaimRun(e.ctx, "digest", now); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := e.st.RegisterCatalog(e.ctx, "fp-1", map[string]int{"c": 1}); err != nil {
		t.Fatal(err)
	}

	read := func() reopenState {
		t.Helper()
		var s reopenState
		var err error
		if s.LinkKey, err = e.st.LinkKey(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.SessionKey, err = e.st.SessionKey(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Outbox, err = e.st.OutboxDue("slack", 0, e.clock.Now(), 10); err != nil {
			t.Fatal(err)
		}
		e.read(func(rd store.Reader) {
			s.Members, s.Balance, s.Entries = rd.Members(), rd.Balance("m"), rd.EntryCount()
			s.Seen, _ = rd.Seen("reply-1")
			s.Approval, _ = rd.Approval(approval.ID)
			s.Open, err = rd.OpenApprovals()
			s.Redemptions, s.Stock = rd.Redemptions("m", 10), rd.StockUsed("mug")
			s.Round, _ = rd.Round("pulse", 1)
			s.Answers = rd.Answers("pulse", 1)
			s.LastRun = rd.LastRun("digest")
			if s.Catalogs, err = rd.CatalogVersions(); err != nil {
				t.Error(err)
			}
		})
		return s
	}
	before := read()
	if before.Balance != 70 || len(before.Open) != 1 || before.Stock != 1 || len(before.Answers) != 1 || len(before.Outbox) != 1 ||
		len(before.Catalogs) != 1 || string(before.Seen) != "已给王芳 100 分" || before.LastRun.IsZero() {
		t.Fatalf("before the restart: %+v", before)
	}
	e.restart()
	if after := read(); !reflect.DeepEqual(after, before) {
		t.Errorf("after a restart the store reads\n%+v,\nwant\n%+v", after, before)
	}
	// A replay runs nothing; a claimed run is not claimed again; a
	// catalog registered keeps its version; the ledger goes on.
	res, replayed, err := e.st.Write(e.ctx, "reply-1", func(store.Txn) ([]byte, error) {
		t.Error("a write replayed after the restart ran")
		return nil, nil
	})
	if err != nil || !replayed || string(res) != "已给王芳 100 分" {
		t.Errorf("replay after the restart: %q %v %v", res, replayed, err)
	}
	if ok, err := e.st.ClaimRun(e.ctx, "digest", now); ok || err != nil {
		t.Errorf("a run claimed before the restart was claimed again: %v %v", ok, err)
	}
	if v, err := e.st.RegisterCatalog(e.ctx, "fp-1", map[string]int{"c": 1}); v != 1 || err != nil {
		t.Errorf("the catalog registered before the restart: version %d %v", v, err)
	}
	last := e.append(jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "m", Points: 1, Category: "c"})
	if want := before.Redemptions[0].Entry + 1; last[0].ID != want {
		t.Errorf("the first entry after the restart has id %d, want %d", last[0].ID, want)
	}
	if k, _ := e.st.LinkKey(e.ctx); !bytes.Equal(k, before.LinkKey) {
		t.Error("the link key changed")
	}
}
