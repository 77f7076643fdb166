package storetest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/store"
	"jifen/survey"
)

// Approvals: pending ones reserve their points against the limits, a
// decision is taken once, and the open list is exactly the pending ones.
func testApprovals(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	month := e.period(jifen.Month)
	add := func(a store.Approval) store.Approval {
		t.Helper()
		e.write(func(tx store.Txn) error {
			id, err := tx.AddApproval(&a)
			if err != nil {
				return err
			}
			if id == 0 || id != a.ID || a.Status != store.Pending {
				t.Errorf("AddApproval gave id %d, approval %+v", id, a)
			}
			if got, ok := tx.Approval(id); !ok || !reflect.DeepEqual(got, a) {
				t.Errorf("Txn.Approval(%d) = %+v %v, want %+v", id, got, ok, a)
			}
			return nil
		})
		e.clock.Add(time.Minute)
		return a
	}
	a1 := add(store.Approval{Giver: "g", Receivers: []string{"a", "b"}, Points: 30, Category: "sales", Behavior: "deal",
		Reason: "大单", RuleVersion: 2, Source: "slack"})
	if !a1.CreatedAt.Equal(now) {
		t.Errorf("CreatedAt %v, want the write's time", a1.CreatedAt)
	}
	a2 := add(store.Approval{Giver: "g", Receivers: []string{"c"}, Points: 10, Behavior: "deal"})
	a3 := add(store.Approval{Giver: "h", Receivers: []string{"a"}, Points: 5, Behavior: "help"})
	// One asked for last month counts there, not in this one.
	a4 := add(store.Approval{Giver: "g", Receivers: []string{"a"}, Points: 7, Behavior: "deal", CreatedAt: month.Start.Add(-time.Hour).UTC()})
	if a1.ID >= a2.ID || a2.ID >= a3.ID || a3.ID >= a4.ID {
		t.Fatalf("approval ids do not increase: %d %d %d %d", a1.ID, a2.ID, a3.ID, a4.ID)
	}
	e.write(func(tx store.Txn) error {
		u := tx.Usage()
		prev := month.Previous(e.loc)
		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"PendingPoints(a)", tx.PendingPoints("a", month), 35},
			{"PendingPoints(a) last month", tx.PendingPoints("a", prev), 7},
			{"PendingPoints(c)", tx.PendingPoints("c", month), 10},
			{"Net(a): pending is not earned", tx.Net("a", month), 0},
			{"Usage.Net(a): pending is reserved", u.Net("a", month), 35},
			{"Usage.GiverUse(g): points × receivers", u.GiverUse("g", rules.PoolAward, month), 70},
			{"Usage.GiverUse(g, thanks)", u.GiverUse("g", rules.PoolThanks, month), 0},
		} {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
			}
		}
		if times, pts := u.BehaviorUse("a", "deal", month); times != 1 || pts != 30 {
			t.Errorf("Usage.BehaviorUse(a, deal) = %d, %d; want 1, 30", times, pts)
		}
		return nil
	})
	e.read(func(r store.Reader) {
		got, err := r.OpenApprovals()
		if err != nil || !reflect.DeepEqual(got, []store.Approval{a1, a2, a3, a4}) {
			t.Errorf("OpenApprovals = %+v %v", got, err)
		}
		if got, ok := r.Approval(a2.ID); !ok || !reflect.DeepEqual(got, a2) {
			t.Errorf("Approval(%d) = %+v %v", a2.ID, got, ok)
		}
		if _, ok := r.Approval(999); ok {
			t.Error("Approval of an unknown id")
		}
	})

	// Approve a1: an award per receiver, made from it.
	decided := a1
	e.write(func(tx store.Txn) error {
		ap, _ := tx.Approval(a1.ID)
		for _, rcv := range ap.Receivers {
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: ap.Giver, Receiver: rcv, Points: ap.Points,
				Category: ap.Category, Behavior: ap.Behavior, Reason: ap.Reason, Approval: ap.ID})
			if err != nil {
				return err
			}
			ap.Entries = append(ap.Entries, id)
		}
		ap.Status, ap.DecidedBy, ap.DecidedAt = store.Approved, "admin", tx.Now()
		if err := tx.DecideApproval(&ap); err != nil {
			return err
		}
		decided = ap
		if got := tx.PendingPoints("a", month); got != 5 {
			t.Errorf("PendingPoints(a) after approving = %d, want 5", got)
		}
		if got := tx.Usage().Net("a", month); got != 35 {
			t.Errorf("Usage.Net(a) after approving = %d, want 35 (30 earned, 5 pending)", got)
		}
		return nil
	})
	// Decided once: again, or to "pending", is refused and writes nothing.
	for name, st := range map[string]store.ApprovalStatus{"decided again": store.Rejected, "a pending decision": store.Pending} {
		id := a1.ID
		if st == store.Pending {
			id = a2.ID
		}
		_, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
			ap, _ := tx.Approval(id)
			ap.Status, ap.DecidedBy, ap.Note = st, "admin2", "晚了"
			return nil, tx.DecideApproval(&ap)
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rejected := a2
	e.write(func(tx store.Txn) error {
		rejected.Status, rejected.DecidedBy, rejected.DecidedAt, rejected.Note = store.Rejected, "admin", tx.Now(), "预算不足"
		return tx.DecideApproval(&rejected)
	})
	e.read(func(r store.Reader) {
		got, err := r.OpenApprovals()
		if err != nil || !reflect.DeepEqual(got, []store.Approval{a3, a4}) {
			t.Errorf("OpenApprovals after deciding = %+v %v", got, err)
		}
		if got, _ := r.Approval(a1.ID); !reflect.DeepEqual(got, decided) || len(got.Entries) != 2 {
			t.Errorf("approved: %+v, want %+v", got, decided)
		}
		if got, _ := r.Approval(a2.ID); !reflect.DeepEqual(got, rejected) {
			t.Errorf("rejected: %+v, want %+v", got, rejected)
		}
		if r.Totals("a", month).Net != 30 || r.Totals("b", month).Net != 30 || r.Totals("c", month).Net != 0 || r.EntryCount() != 2 {
			t.Errorf("after the decisions: a %d, b %d, c %d, %d entries", r.Totals("a", month).Net, r.Totals("b", month).Net,
				r.Totals("c", month).Net, r.EntryCount())
		}
	})
}

// Redemptions hold points and stock from the start; a refund gives both
// back and closes the redemption, once.
func testRedemptions(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	e.append(jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "m", Points: 100},
		jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "n", Points: 100})
	month := e.period(jifen.Month)
	r1, err := redeem(e.ctx, e.st, "", "m", "mug", 30, 1, 5, store.RedemptionPending)
	if err != nil {
		t.Fatal(err)
	}
	if r1.ID == 0 || !r1.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("redemption %+v", r1)
	}
	e.read(func(r store.Reader) {
		if r.Balance("m") != 70 || r.StockUsed("mug") != 1 || r.Spent("m", month) != 30 || r.Totals("m", month).Net != 100 {
			t.Errorf("held: balance %d, stock %d, spent %d, earned %d", r.Balance("m"), r.StockUsed("mug"), r.Spent("m", month), r.Totals("m", month).Net)
		}
	})
	e.write(func(tx store.Txn) error {
		if got, ok := tx.RedemptionOf(r1.Entry); !ok || !reflect.DeepEqual(got, r1) {
			t.Errorf("RedemptionOf(%d) = %+v %v", r1.Entry, got, ok)
		}
		if got, ok := tx.Redemption(r1.ID); !ok || !reflect.DeepEqual(got, r1) {
			t.Errorf("Redemption(%d) = %+v %v", r1.ID, got, ok)
		}
		if _, ok := tx.RedemptionOf(999); ok {
			t.Error("RedemptionOf an unknown entry")
		}
		if _, ok := tx.Redemption(999); ok {
			t.Error("Redemption of an unknown id")
		}
		return nil
	})
	// A redemption's entry is reversed only by its refund.
	_, _, err = e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: r1.Entry})
		return nil, err
	})
	if err == nil {
		t.Fatal("a redemption's entry was revoked without its refund")
	}
	e.clock.Add(time.Hour)
	e.write(func(tx store.Txn) error {
		r, _ := tx.Redemption(r1.ID)
		r.DecidedBy, r.DecidedAt, r.Note = "admin", tx.Now(), "缺货"
		rid, err := tx.RefundRedemption(&r, store.RedemptionRejected, jifen.Entry{Giver: "admin", Reason: "缺货", Source: "console"})
		if err != nil {
			return err
		}
		if r.Status != store.RedemptionRejected || r.Refund != rid || rid == 0 {
			t.Errorf("refunded: %+v (refund %d)", r, rid)
		}
		if tx.Balance("m") != 100 || tx.StockUsed("mug") != 0 || tx.ReversedBy(r1.Entry) != rid {
			t.Errorf("in the refund's write: balance %d, stock %d", tx.Balance("m"), tx.StockUsed("mug"))
		}
		r1 = r
		return nil
	})
	e.read(func(r store.Reader) {
		refund, _, ok := r.Entry(r1.Refund)
		want := jifen.Entry{ID: r1.Refund, Kind: jifen.KindRevoke, At: e.clock.Now(), Effective: r1.CreatedAt, Giver: "admin", Receiver: "m",
			Points: 30, Behavior: store.RewardBehavior("mug"), Reason: "缺货", Reverses: r1.Entry, Source: "console", Quantity: 1}
		if !ok || refund != want {
			t.Errorf("refund entry %+v,\nwant %+v", refund, want)
		}
		if r.Balance("m") != 100 || r.StockUsed("mug") != 0 || r.Spent("m", month) != 0 {
			t.Errorf("after the refund: balance %d, stock %d, spent %d", r.Balance("m"), r.StockUsed("mug"), r.Spent("m", month))
		}
	})
	refuse := func(name string, id uint64, status store.RedemptionStatus) {
		t.Helper()
		before := e.count()
		_, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
			r, _ := tx.Redemption(id)
			_, err := tx.RefundRedemption(&r, status, jifen.Entry{Giver: "admin"})
			return nil, err
		})
		if err == nil || e.count() != before {
			t.Errorf("%s: refunded (%v)", name, err)
		}
	}
	refuse("a refund of a refunded redemption", r1.ID, store.RedemptionRejected)

	r2, err := redeem(e.ctx, e.st, "", "m", "mug", 10, 2, 5, store.RedemptionApproved)
	if err != nil {
		t.Fatal(err)
	}
	refuse("a refund that closes it as fulfilled", r2.ID, store.RedemptionFulfilled)
	e.write(func(tx store.Txn) error {
		r2.Status, r2.FulfilledBy, r2.FulfilledAt = store.RedemptionFulfilled, "admin", tx.Now()
		return tx.PutRedemption(&r2)
	})
	refuse("a refund of a handed-out redemption", r2.ID, store.RedemptionCancelled)
	r3, err := redeem(e.ctx, e.st, "", "m", "pen", 5, 1, 0, store.RedemptionApproved)
	if err != nil {
		t.Fatal(err)
	}
	e.write(func(tx store.Txn) error {
		r3.CancelledBy, r3.CancelledAt = "admin", tx.Now()
		_, err := tx.RefundRedemption(&r3, store.RedemptionCancelled, jifen.Entry{Giver: "admin"})
		return err
	})
	r4, err := redeem(e.ctx, e.st, "", "n", "pen", 5, 3, 0, store.RedemptionPending)
	if err != nil {
		t.Fatal(err)
	}
	e.read(func(r store.Reader) {
		if got := r.Redemptions("m", 10); !reflect.DeepEqual(got, []store.Redemption{r3, r2, r1}) {
			t.Errorf("Redemptions(m) = %+v,\nwant %+v", got, []store.Redemption{r3, r2, r1})
		}
		if got := r.Redemptions("m", 2); !reflect.DeepEqual(got, []store.Redemption{r3, r2}) {
			t.Errorf("Redemptions(m, 2) = %+v", got)
		}
		if got := r.Redemptions("", 10); !reflect.DeepEqual(got, []store.Redemption{r4}) {
			t.Errorf("Redemptions of every member, open = %+v, want r4 only", got)
		}
		if got := r.Redemptions("n", 10); !reflect.DeepEqual(got, []store.Redemption{r4}) {
			t.Errorf("Redemptions(n) = %+v", got)
		}
		if r.Balance("m") != 80 || r.StockUsed("mug") != 2 || r.StockUsed("pen") != 3 || r.Balance("n") != 85 {
			t.Errorf("balance m %d, n %d; stock mug %d, pen %d; want 80, 85, 2, 3", r.Balance("m"), r.Balance("n"), r.StockUsed("mug"), r.StockUsed("pen"))
		}
	})
}

var questions = []survey.Question{
	{ID: "fair", Text: "规则公平吗", Kind: survey.Likert},
	{ID: "note", Text: "其他意见", Kind: survey.Text},
}

// answer answers q with v as the bot does: the round and the answer so
// far read in the write.
func (e *env) answer(surveyID string, n int, m jifen.Member, q, v string) error {
	_, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
		r, ok := tx.Round(surveyID, n)
		if !ok {
			return nil, jifen.Errorf(jifen.ENOTFOUND, "err.survey_unknown", surveyID)
		}
		a := tx.AnswerOf(&r, m.ID)
		if err := a.Apply(r.Question(q), v); err != nil {
			return nil, err
		}
		return nil, tx.PutAnswer(&r, m, a)
	})
	return err
}

func (e *env) startRound(r survey.Round) survey.Round {
	e.t.Helper()
	e.write(func(tx store.Txn) error { return tx.StartRound(&r) })
	return r
}

func (e *env) closeRound(surveyID string, n int) survey.Round {
	e.t.Helper()
	var r survey.Round
	e.write(func(tx store.Txn) error {
		r, _ = tx.Round(surveyID, n)
		return tx.CloseRound(&r)
	})
	return r
}

func roundIDs(rs []survey.Round) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID())
	}
	return out
}

// A named round: numbered per survey, one open at a time, answers kept
// with their member, time and attributes, none taken after the close.
func testSurveyNamed(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	ms := []jifen.Member{
		{ID: "s1", Name: "s1", Department: "销售部", Level: "基层", Role: jifen.RoleEmployee},
		{ID: "s2", Name: "s2", Department: "销售部", Level: "中层", Role: jifen.RoleEmployee},
		{ID: "s3", Name: "s3", Department: "研发部", Role: jifen.RoleEmployee},
	}
	e.put(ms...)
	r1 := survey.Round{Survey: "pulse", Title: "满意度", Questions: questions, Started: now, Closes: now.Add(72 * time.Hour),
		RemindAt: now.Add(24 * time.Hour)}
	r1.SetAudience(ms)
	r1 = e.startRound(r1)
	if r1.N != 1 {
		t.Fatalf("first round numbered %d", r1.N)
	}
	// One open round per survey.
	_, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
		r := survey.Round{Survey: "pulse", Questions: questions, Started: now, Closes: now.Add(time.Hour)}
		return nil, tx.StartRound(&r)
	})
	if jifen.ErrorCode(err) != jifen.ECONFLICT {
		t.Fatalf("a second open round: %v, want a conflict", err)
	}
	e.read(func(r store.Reader) {
		if got, ok := r.Round("pulse", 1); !ok || !reflect.DeepEqual(got, r1) {
			t.Errorf("Round(pulse, 1) = %+v %v,\nwant %+v", got, ok, r1)
		}
		if _, ok := r.Round("pulse", 2); ok {
			t.Error("the refused round was stored")
		}
	})
	if err := e.answer("pulse", 1, ms[0], "fair", "2"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if err := e.answer("pulse", 1, ms[0], "fair", "4"); err != nil {
		t.Fatal(err)
	}
	if err := e.answer("pulse", 1, ms[0], "note", "很好"); err != nil {
		t.Fatal(err)
	}
	if err := e.answer("pulse", 1, ms[2], "fair", "5"); err != nil {
		t.Fatal(err)
	}
	s1 := survey.Answer{Member: "s1", Department: "销售部", Level: "基层", Values: map[string][]string{"fair": {"4"}, "note": {"很好"}}, At: e.clock.Now()}
	s3 := survey.Answer{Member: "s3", Department: "研发部", Values: map[string][]string{"fair": {"5"}}, At: e.clock.Now()}
	e.read(func(r store.Reader) {
		if got := r.AnswerOf(&r1, "s1"); !reflect.DeepEqual(got, s1) {
			t.Errorf("AnswerOf(s1) = %+v,\nwant %+v", got, s1)
		}
		if got := r.AnswerOf(&r1, "s2"); !reflect.DeepEqual(got, survey.Answer{}) {
			t.Errorf("AnswerOf(s2), who has not answered = %+v", got)
		}
		if !r.Answered(&r1, "s1") || r.Answered(&r1, "s2") || !r.Answered(&r1, "s3") {
			t.Errorf("answered: s1 %v, s2 %v, s3 %v", r.Answered(&r1, "s1"), r.Answered(&r1, "s2"), r.Answered(&r1, "s3"))
		}
		if r.Locked(&r1, "s1") {
			t.Error("an answer to a named round is locked")
		}
		got := r.Answers("pulse", 1)
		slices.SortFunc(got, func(a, b survey.Answer) int { return strings.Compare(a.Member, b.Member) })
		if !reflect.DeepEqual(got, []survey.Answer{s1, s3}) {
			t.Errorf("Answers(pulse, 1) = %+v", got)
		}
	})
	e.write(func(tx store.Txn) error {
		if got := tx.AnswerOf(&r1, "s1"); !reflect.DeepEqual(got, s1) {
			t.Errorf("Txn.AnswerOf(s1) = %+v", got)
		}
		r, _ := tx.Round("pulse", 1)
		r.Reminded = true
		return tx.PutRound(&r)
	})
	e.clock.Add(time.Hour)
	closed := e.closeRound("pulse", 1)
	if !closed.Closed.Equal(e.clock.Now()) || !closed.Reminded {
		t.Fatalf("closed round %+v", closed)
	}
	if err := e.answer("pulse", 1, ms[1], "fair", "3"); jifen.ErrorCode(err) != jifen.ECONFLICT {
		t.Fatalf("an answer after the close: %v, want a conflict", err)
	}
	// The next round; one past its closing time no longer blocks another.
	r2 := e.startRound(survey.Round{Survey: "pulse", Questions: questions, Started: e.clock.Now(), Closes: e.clock.Now().Add(time.Hour)})
	e.clock.Add(2 * time.Hour)
	r3 := e.startRound(survey.Round{Survey: "pulse", Questions: questions, Started: e.clock.Now(), Closes: e.clock.Now().Add(time.Hour)})
	other := e.startRound(survey.Round{Survey: "exit", Questions: questions, Started: e.clock.Now(), Closes: e.clock.Now().Add(time.Hour)})
	if r2.N != 2 || r3.N != 3 || other.N != 1 {
		t.Fatalf("rounds numbered %d, %d and %d; want 2, 3 and 1", r2.N, r3.N, other.N)
	}
	e.write(func(tx store.Txn) error {
		if last, ok := tx.LastRound("pulse"); !ok || last.N != 3 {
			t.Errorf("LastRound(pulse) = %d %v", last.N, ok)
		}
		if _, ok := tx.LastRound("none"); ok {
			t.Error("LastRound of a survey without rounds")
		}
		return nil
	})
	e.read(func(r store.Reader) {
		if got := roundIDs(r.Rounds("pulse")); !slices.Equal(got, []string{"pulse-1", "pulse-2", "pulse-3"}) {
			t.Errorf("Rounds(pulse) = %v", got)
		}
		got := roundIDs(r.Rounds(""))
		slices.Sort(got)
		if !slices.Equal(got, []string{"exit-1", "pulse-1", "pulse-2", "pulse-3"}) {
			t.Errorf("Rounds() = %v", got)
		}
		if len(r.Answers("pulse", 2)) != 0 || len(r.Answers("pulse", 1)) != 2 {
			t.Errorf("answers of round 2: %d; of round 1: %d", len(r.Answers("pulse", 2)), len(r.Answers("pulse", 1)))
		}
		if !r.Answered(&closed, "s1") {
			t.Error("a named answer is not answered after the close")
		}
	})
}

// An anonymous round keeps the answers' values, and their department and
// level only for groups of the audience large enough; never the member or
// the time. Who answered is known while the round is open; after the
// close nothing leads from a member to an answer.
func testSurveyAnonymous(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	var ms []jifen.Member
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		ms = append(ms, jifen.Member{ID: id, Name: id, Department: "销售部", Level: "基层", Role: jifen.RoleEmployee})
	}
	ms = append(ms, jifen.Member{ID: "s5", Name: "s5", Department: "销售部", Level: "高层", Role: jifen.RoleEmployee},
		jifen.Member{ID: "r1", Name: "r1", Department: "研发部", Level: "高层", Role: jifen.RoleEmployee})
	e.put(ms...)
	r := survey.Round{Survey: "anon", Title: "匿名", Questions: questions, Anonymous: true, MinGroup: 3, Started: now, Closes: now.Add(72 * time.Hour)}
	r.SetAudience(ms)
	r = e.startRound(r)
	for _, a := range []struct {
		m    jifen.Member
		q, v string
	}{
		{ms[0], "fair", "2"}, {ms[0], "fair", "4"}, // a change replaces
		{ms[4], "fair", "3"}, {ms[5], "fair", "1"}, {ms[5], "note", "一个人的部门"},
	} {
		e.clock.Add(time.Minute)
		if err := e.answer("anon", 1, a.m, a.q, a.v); err != nil {
			t.Fatal(err)
		}
	}
	// s1 (a group of 4 of 3 needed) keeps both; s5 (one 高层 of five in
	// 销售部) the department; r1 (alone) neither.
	want := map[string]survey.Answer{
		"4": {Department: "销售部", Level: "基层", Values: map[string][]string{"fair": {"4"}}},
		"3": {Department: "销售部", Values: map[string][]string{"fair": {"3"}}},
		"1": {Values: map[string][]string{"fair": {"1"}, "note": {"一个人的部门"}}},
	}
	check := func(when string) {
		t.Helper()
		e.read(func(rd store.Reader) {
			got := map[string]survey.Answer{}
			for _, a := range rd.Answers("anon", 1) {
				got[a.Value("fair")] = a
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: answers %+v,\nwant %+v (no member, no time)", when, got, want)
			}
		})
	}
	check("open")
	e.read(func(rd store.Reader) {
		for id, answered := range map[string]bool{"s1": true, "s2": false, "s5": true, "r1": true} {
			if rd.Answered(&r, id) != answered {
				t.Errorf("Answered(%s) = %v, want %v", id, !answered, answered)
			}
			if rd.Locked(&r, id) {
				t.Errorf("Locked(%s) in the process that took the answer", id)
			}
		}
		if got := rd.AnswerOf(&r, "s1"); !reflect.DeepEqual(got, want["4"]) {
			t.Errorf("AnswerOf(s1) while open = %+v, want its answer without member or time", got)
		}
		if got := rd.AnswerOf(&r, "s2"); !reflect.DeepEqual(got, survey.Answer{}) {
			t.Errorf("AnswerOf(s2) = %+v", got)
		}
	})
	e.write(func(tx store.Txn) error {
		if got := tx.AnswerOf(&r, "r1"); !reflect.DeepEqual(got, want["1"]) {
			t.Errorf("Txn.AnswerOf(r1) = %+v", got)
		}
		return nil
	})
	// A restart: s1 stays answered and is never counted twice. Locked
	// (bbolt), the answer can no longer be read or changed; not locked
	// (PostgreSQL), it can, as before (see the suite's doc).
	e.restart()
	var locked bool
	e.read(func(rd store.Reader) {
		if !rd.Answered(&r, "s1") || rd.Answered(&r, "s2") {
			t.Errorf("after a restart: Answered(s1) = %v, Answered(s2) = %v", rd.Answered(&r, "s1"), rd.Answered(&r, "s2"))
		}
		locked = rd.Locked(&r, "s1")
		if got := rd.AnswerOf(&r, "s1"); locked && !reflect.DeepEqual(got, survey.Answer{}) || !locked && !reflect.DeepEqual(got, want["4"]) {
			t.Errorf("after a restart, locked %v: AnswerOf(s1) = %+v", locked, got)
		}
	})
	err := e.answer("anon", 1, ms[0], "fair", "5")
	switch {
	case locked && jifen.ErrorCode(err) != jifen.ECONFLICT:
		t.Errorf("a locked answer changed after a restart: %v, want a conflict", err)
	case !locked && err != nil:
		t.Errorf("changing an answer after a restart: %v", err)
	case !locked:
		e.read(func(rd store.Reader) {
			if got := rd.AnswerOf(&r, "s1"); got.Value("fair") != "5" || len(rd.Answers("anon", 1)) != 3 {
				t.Errorf("after the change: AnswerOf(s1) = %+v, %d answers", got, len(rd.Answers("anon", 1)))
			}
		})
		if err := e.answer("anon", 1, ms[0], "fair", "4"); err != nil {
			t.Fatal(err)
		}
	}
	check("after a restart")
	closed := e.closeRound("anon", 1)
	check("closed")
	e.read(func(rd store.Reader) {
		for _, id := range []string{"s1", "s5", "r1"} {
			if got := rd.AnswerOf(&closed, id); !reflect.DeepEqual(got, survey.Answer{}) {
				t.Errorf("after the close AnswerOf(%s) leads to %+v", id, got)
			}
		}
	})
	if err := e.answer("anon", 1, ms[1], "fair", "5"); jifen.ErrorCode(err) != jifen.ECONFLICT {
		t.Errorf("an answer after the close: %v", err)
	}
	check("after a refused answer")
}

// Ratings and KPIs: one per key, the latest import winning; listed by
// period, then member (ratings) or name and department (KPIs).
func testRatingsAndKPIs(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	put := func(rs ...jifen.Rating) {
		t.Helper()
		if err := e.st.PutRatings(e.ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	putK := func(ks ...jifen.KPI) {
		t.Helper()
		if err := e.st.PutKPIs(e.ctx, ks); err != nil {
			t.Fatal(err)
		}
	}
	put(jifen.Rating{Member: "wang", Period: "2026-10", Grade: "A", Score: 4}, jifen.Rating{Member: "li", Period: "2026-10", Grade: "B", Score: 3},
		jifen.Rating{Member: "wang", Period: "2026-1", Grade: "C", Score: 2}, jifen.Rating{Member: "wang", Period: "2026-Q4", Score: 87.5})
	put(jifen.Rating{Member: "wang", Period: "2026-10", Grade: "D", Score: 1})
	putK(jifen.KPI{Name: "revenue", Period: "2026-10", Value: 100}, jifen.KPI{Name: "revenue", Period: "2026-10", Department: "销售部", Value: 60},
		jifen.KPI{Name: "nps", Period: "2026-10", Value: 30}, jifen.KPI{Name: "revenue", Period: "2026-11", Value: 120})
	putK(jifen.KPI{Name: "revenue", Period: "2026-10", Department: "销售部", Value: 65})
	// In a write with a key: replayed, nothing more; failed, nothing.
	for range 2 {
		if _, _, err := e.st.Write(e.ctx, "import-7", func(tx store.Txn) ([]byte, error) {
			if err := tx.PutRating(jifen.Rating{Member: "zhao", Period: "2026-11", Grade: "A", Score: 4}); err != nil {
				return nil, err
			}
			if err := tx.PutKPI(jifen.KPI{Name: "nps", Period: "2026-11", Department: "客服部", Value: 45}); err != nil {
				return nil, err
			}
			return nil, tx.PutKPI(jifen.KPI{Name: "nps", Period: "2026-11", Value: 40})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.st.Write(e.ctx, "import-8", func(tx store.Txn) ([]byte, error) {
		if err := tx.PutRating(jifen.Rating{Member: "zhao", Period: "2026-11", Grade: "D", Score: 1}); err != nil {
			return nil, err
		}
		if err := tx.PutKPI(jifen.KPI{Name: "nps", Period: "2026-11", Value: -1}); err != nil {
			return nil, err
		}
		return nil, errRefused
	}); err == nil {
		t.Fatal("the refused import succeeded")
	}
	e.read(func(r store.Reader) {
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"Ratings(2026-10)", r.Ratings("2026-10"), []jifen.Rating{{Member: "li", Period: "2026-10", Grade: "B", Score: 3}, {Member: "wang", Period: "2026-10", Grade: "D", Score: 1}}},
			{"Ratings(2026-1)", r.Ratings("2026-1"), []jifen.Rating{{Member: "wang", Period: "2026-1", Grade: "C", Score: 2}}},
			{"Ratings(2026-11)", r.Ratings("2026-11"), []jifen.Rating{{Member: "zhao", Period: "2026-11", Grade: "A", Score: 4}}},
			{"Ratings(2025)", len(r.Ratings("2025")), 0},
			{"AllRatings", r.AllRatings(), []jifen.Rating{
				{Member: "wang", Period: "2026-1", Grade: "C", Score: 2},
				{Member: "li", Period: "2026-10", Grade: "B", Score: 3}, {Member: "wang", Period: "2026-10", Grade: "D", Score: 1},
				{Member: "zhao", Period: "2026-11", Grade: "A", Score: 4},
				{Member: "wang", Period: "2026-Q4", Score: 87.5}}},
			{"KPIs(2026-10)", r.KPIs("2026-10"), []jifen.KPI{{Name: "nps", Period: "2026-10", Value: 30},
				{Name: "revenue", Period: "2026-10", Value: 100}, {Name: "revenue", Period: "2026-10", Department: "销售部", Value: 65}}},
			{"KPIs(2026-1)", len(r.KPIs("2026-1")), 0},
			{"AllKPIs", r.AllKPIs(), []jifen.KPI{{Name: "nps", Period: "2026-10", Value: 30},
				{Name: "revenue", Period: "2026-10", Value: 100}, {Name: "revenue", Period: "2026-10", Department: "销售部", Value: 65},
				{Name: "nps", Period: "2026-11", Value: 40}, {Name: "nps", Period: "2026-11", Department: "客服部", Value: 45},
				{Name: "revenue", Period: "2026-11", Value: 120}}},
		} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %+v,\nwant %+v", c.name, c.got, c.want)
			}
		}
	})
}
