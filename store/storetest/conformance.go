package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on a machine without a zone database

	"jifen"
	"jifen/store"
)

// The conformance suite: what every implementation of the store contract
// (store.Ledger, store.Reader, store.Txn) must do, each rule with the exact
// figures it gives. It uses the contract only, so the bbolt store and the
// PostgreSQL store run it unchanged:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, clock jifen.Clock, loc *time.Location) (store.Ledger, func() store.Ledger) { … })
//	}
//
// Time is moved by a fake clock, never by sleeping; concurrent writers meet
// at a barrier and their outcomes are counted, not timed. Every subtest
// ends with Verify, which must find the store consistent.
//
// Where the stores may differ, the suite says what each guarantees. An
// anonymous survey answer after a restart: the bbolt store keeps the
// link from a member to their answer in memory only, so a member who
// answered before a restart is told it is recorded (Locked) and can no
// longer read or change it; the PostgreSQL store files it under the
// answer key every replica holds, so it is never Locked and can be
// changed on any replica until the close. Either way it stays answered
// and is never counted twice.

// Opener opens a fresh, empty store on clock, with periods in loc, and
// closes it when t ends. The reopen it returns closes that store and
// opens the same one again, as a restart of the process does (and
// closes it when t ends); it may be called more than once.
type Opener func(t *testing.T, clock jifen.Clock, loc *time.Location) (st store.Ledger, reopen func() store.Ledger)

// Run runs the conformance suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"ReadAndClock", testReadAndClock},
		{"Close", testClose},
		{"Members", testMembers},
		{"MemberSync", testMemberSync},
		{"MemberLink", testMemberLink},
		{"RegisterNewMember", testRegisterNewMember},
		{"Departments", testDepartments},
		{"AppendRules", testAppendRules},
		{"Figures", testFigures},
		{"CapUnderConcurrency", testCapUnderConcurrency},
		{"StockUnderConcurrency", testStockUnderConcurrency},
		{"BalanceUnderConcurrency", testBalanceUnderConcurrency},
		{"Approvals", testApprovals},
		{"Redemptions", testRedemptions},
		{"SurveyNamed", testSurveyNamed},
		{"SurveyAnonymous", testSurveyAnonymous},
		{"RatingsAndKPIs", testRatingsAndKPIs},
		{"Runs", testRuns},
		{"RunsConcurrent", testRunsConcurrent},
		{"Outbox", testOutbox},
		{"OutboxChanged", testOutboxChanged},
		{"OutboxClaim", testOutboxClaim},
		{"OutboxChangedOnRetry", testOutboxChangedOnRetry},
		{"Audit", testAudit},
		{"AuditLog", testAuditLog},
		{"Forget", testForget},
		{"Feedback", testFeedback},
		{"Catalogs", testCatalogs},
		{"Keys", testKeys},
		{"LedgerSearch", testLedgerSearch},
		{"Reopen", testReopen},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

// Clock is a clock the suite moves by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t.UTC(); c.mu.Unlock() }

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// shanghai is the zone the suite's periods are in: eight hours ahead of
// UTC, so a local month, quarter or year starts on the UTC day before.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// env is one subtest's store, clock and zone.
type env struct {
	t      *testing.T
	st     store.Ledger
	reopen func() store.Ledger
	clock  *Clock
	loc    *time.Location
	ctx    context.Context
}

// newEnv opens a fresh store with the clock at start, and has it verified
// clean when the subtest ends (before the store is closed).
func newEnv(t *testing.T, open Opener, start time.Time) *env {
	t.Helper()
	c := &Clock{}
	c.Set(start)
	st, reopen := open(t, jifen.ClockFunc(c.Now), shanghai)
	e := &env{t: t, st: st, reopen: reopen, clock: c, loc: shanghai, ctx: context.Background()}
	t.Cleanup(func() {
		if !t.Failed() {
			e.verify()
		}
	})
	return e
}

// verify fails the test unless Verify finds the store consistent and has
// checked every entry.
func (e *env) verify() {
	e.t.Helper()
	rep, err := e.st.Verify()
	if err != nil {
		e.t.Fatalf("verify: %v", err)
	}
	if !rep.OK() {
		e.t.Fatalf("verify found problems: %v", rep.Problems)
	}
	if n := e.count(); rep.Entries != n {
		e.t.Errorf("verify checked %d entries; the ledger holds %d", rep.Entries, n)
	}
}

// restart closes the store and opens it again.
func (e *env) restart() {
	e.t.Helper()
	e.st = e.reopen()
}

// write runs fn in a write without a key and fails the test on an error.
func (e *env) write(fn func(tx store.Txn) error) {
	e.t.Helper()
	if _, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) { return nil, fn(tx) }); err != nil {
		e.t.Fatalf("write: %v", err)
	}
}

// read runs fn in a read.
func (e *env) read(fn func(r store.Reader)) {
	e.t.Helper()
	if err := e.st.Read(e.ctx, func(r store.Reader) error { fn(r); return nil }); err != nil {
		e.t.Fatalf("read: %v", err)
	}
}

// append writes each entry in a write of its own and returns them as
// stored (id, times and a revoke's fields filled in).
func (e *env) append(entries ...jifen.Entry) []jifen.Entry {
	e.t.Helper()
	out := make([]jifen.Entry, 0, len(entries))
	for _, en := range entries {
		e.write(func(tx store.Txn) error {
			_, err := tx.Append(&en)
			return err
		})
		out = append(out, en)
	}
	return out
}

// put writes members.
func (e *env) put(ms ...jifen.Member) {
	e.t.Helper()
	if err := e.st.PutMembers(e.ctx, ms); err != nil {
		e.t.Fatalf("put members: %v", err)
	}
}

func (e *env) count() (n int) {
	e.read(func(r store.Reader) { n = r.EntryCount() })
	return n
}

func (e *env) balance(member string) (n int64) {
	e.read(func(r store.Reader) { n = r.Balance(member) })
	return n
}

func (e *env) period(kind jifen.PeriodKind) jifen.Period {
	return jifen.PeriodOf(kind, e.clock.Now(), e.loc)
}

// errRefused is what the suite's writes return to refuse.
var errRefused = errors.New("refused by the test")

// limitErr is a limit refusal as the rules give it.
func limitErr() error { return jifen.Errorf(jifen.ELIMIT, "err.cap_exceeded", 0) }

// utc is a time in UTC to the second.
func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// date is a member date: midnight UTC.
func date(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC) }

// together runs fn(i) for i < n on n goroutines released at once, and
// waits for all.
func together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}
